/* frontmatter.c - front matter splitting and fields; see frontmatter.h. */
#include "frontmatter.h"

#include <string.h>

#include "diag.h"
#include "text.h"
#include "util.h"
#include "ytree.h"

/* Is line [p, e) a fence made of `mark` (three chars) and blanks? */
static int is_fence(const char *p, const char *e, const char *mark)
{
	if (e - p < 3 || memcmp(p, mark, 3) != 0)
		return 0;
	for (p += 3; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

int frontmatter_valid_tag(const char *s)
{
	if (!*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '/')
			continue;
		return 0;
	}
	return 1;
}

static int valid_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int valid_slug(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return s[0] != '.';
}

/* A list of strings, or one string taken as a one-item list. */
static int string_list(struct kb_note *n, const char *key, const struct ynode *v,
	char ***out, size_t *count, int **lines)
{
	if (yis_null(v))
		return 0;
	if (v->kind == Y_SCALAR) {
		*out = xmalloc(sizeof **out);
		(*out)[0] = xstrdup(v->value);
		if (lines) {
			*lines = xmalloc(sizeof **lines);
			(*lines)[0] = v->line;
		}
		*count = 1;
		return 0;
	}
	if (v->kind != Y_SEQ) {
		diag_error(n->path, v->line, v->col, "'%s' must be a list of strings, not a %s", key, ytype(v));
		return -1;
	}
	int rc = 0;
	*out = xcalloc(v->n, sizeof **out);
	if (lines)
		*lines = xcalloc(v->n, sizeof **lines);
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		if (it->kind != Y_SCALAR || yis_null(it)) {
			diag_error(n->path, it->line, it->col, "items of '%s' must be strings, not a %s",
				key, ytype(it));
			rc = -1;
			continue;
		}
		if (lines)
			(*lines)[*count] = it->line;
		(*out)[(*count)++] = xstrdup(it->value);
	}
	return rc;
}

static int field(struct kb_note *n, const char *k, const struct ynode *v)
{
	bool b;
	long l;
	if (!strcmp(k, "title") || !strcmp(k, "purpose") || !strcmp(k, "slug") || !strcmp(k, "date")) {
		if (v->kind != Y_SCALAR || yis_null(v)) {
			diag_error(n->path, v->line, v->col, "'%s' must be a string, not a %s", k, ytype(v));
			return -1;
		}
		if (!strcmp(k, "title")) {
			char *t = str_trim_dup(v->value, v->len);
			if (!*t || strchr(t, '\n')) {
				diag_error(n->path, v->line, v->col, "'title' must be one non-empty line");
				free(t);
				return -1;
			}
			n->title = t;
			n->title_line = v->line;
			n->title_col = v->col;
		} else if (!strcmp(k, "purpose")) {
			n->purpose = xstrdup(v->value);
		} else if (!strcmp(k, "slug")) {
			if (!valid_slug(v->value)) {
				diag_error(n->path, v->line, v->col,
					"'slug' may use lower-case letters, digits, '-', '_' and '.', not '%s'", v->value);
				return -1;
			}
			n->slug = xstrdup(v->value);
		} else {
			if (!valid_date(v->value)) {
				diag_error(n->path, v->line, v->col, "'date' must be YYYY-MM-DD, not '%s'", v->value);
				return -1;
			}
			n->date = xstrdup(v->value);
		}
		return 0;
	}
	if (!strcmp(k, "order")) {
		if (yget_long(v, &l) < 0) {
			diag_error(n->path, v->line, v->col, "'order' must be an integer, not a %s", ytype(v));
			return -1;
		}
		n->order = l;
		n->has_order = true;
		return 0;
	}
	if (!strcmp(k, "draft")) {
		if (yget_bool(v, &b) < 0) {
			diag_error(n->path, v->line, v->col, "'draft' must be true or false, not a %s", ytype(v));
			return -1;
		}
		n->draft = b;
		return 0;
	}
	if (!strcmp(k, "aliases"))
		return string_list(n, k, v, &n->aliases, &n->n_aliases, &n->alias_lines);
	if (!strcmp(k, "tags")) {
		int rc = string_list(n, k, v, &n->tags, &n->n_tags, NULL);
		for (size_t i = 0; i < n->n_tags; i++) {
			char *t = n->tags[i];
			if (t[0] == '#')
				memmove(t, t + 1, strlen(t));
			if (!frontmatter_valid_tag(t)) {
				const struct ynode *it = v->kind == Y_SEQ && i < v->n ? v->items[i] : v;
				diag_error(n->path, it->line, it->col,
					"tag '%s' may use letters, digits, '-', '_' and '/' only", t);
				rc = -1;
			}
		}
		return rc;
	}
	return 1;
}

int frontmatter_parse(struct kb_note *n)
{
	return frontmatter_parse_limits(n, NULL);
}

int frontmatter_parse_limits(struct kb_note *n, const struct ylimits *lim)
{
	const char *s = n->src, *end = n->src + n->len;
	size_t bom = (n->len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) ? 3 : 0;
	const char *p = s + bom;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	n->body_off = bom;
	n->body_line = 1;
	if (!eol || !is_fence(p, eol, "---"))
		return 0;

	/* Find the closing fence. */
	const char *yaml = eol + 1, *q = yaml;
	int line = 2;
	const char *close = NULL, *after = NULL;
	while (q < end) {
		const char *e = memchr(q, '\n', (size_t)(end - q));
		const char *le = e ? e : end;
		if (is_fence(q, le, "---") || is_fence(q, le, "...")) {
			close = q;
			after = e ? e + 1 : end;
			break;
		}
		line++;
		q = e ? e + 1 : end;
	}
	if (!close) {
		diag_error(n->path, 1, 1, "front matter is never closed: add a line '---' after it");
		n->body_off = (size_t)(yaml - s);
		n->body_line = 2;
		return -1;
	}
	n->body_off = (size_t)(after - s);
	/* A closing fence on the last line, with no line break after it,
	 * leaves an empty body on that same line. */
	n->body_line = after > close && after[-1] == '\n' ? line + 1 : line;

	bool ok;
	struct ynode *doc = ytree_parse(yaml, (size_t)(close - yaml), n->path, 2, lim, &ok);
	if (!ok)
		return -1;
	int rc = 0;
	if (doc && doc->kind != Y_MAP) {
		diag_error(n->path, doc->line, doc->col,
			"front matter must be a mapping of keys to values, not a %s", ytype(doc));
		ytree_free(doc);
		return -1;
	}
	for (size_t i = 0; doc && i + 1 < doc->n; i += 2) {
		const struct ynode *k = doc->items[i];
		int r = field(n, k->value, doc->items[i + 1]);
		if (r < 0)
			rc = -1;
		else if (r > 0)
			diag_warning(n->path, k->line, k->col,
				"unknown front matter key '%s' (known: title, aliases, tags, order, purpose, draft, slug, date)",
				k->value);
	}
	ytree_free(doc);
	return rc;
}
