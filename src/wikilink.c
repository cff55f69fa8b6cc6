/* wikilink.c - [[wikilinks]] in a parsed cmark-gfm tree; see wikilink.h. */
#include "wikilink.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <cmark-gfm.h>

#include "buf.h"
#include "text.h"
#include "util.h"

struct ctx {
	struct kb_note *note;
};

int wikilink_split(const char *inner, size_t n, char **target, char **heading, char **label)
{
	size_t bar = n, hash = n;
	for (size_t i = 0; i < n; i++) {
		if (inner[i] == '|' && bar == n) {
			bar = (i > 0 && inner[i - 1] == '\\') ? i - 1 : i;
			size_t skip = bar == i ? 1 : 2;
			*label = str_trim_dup(inner + bar + skip, n - bar - skip);
			break;
		}
	}
	if (bar == n)
		*label = NULL;
	for (size_t i = 0; i < bar; i++)
		if (inner[i] == '#') {
			hash = i;
			break;
		}
	*target = str_trim_dup(inner, hash < bar ? hash : bar);
	*heading = hash < bar ? str_trim_dup(inner + hash + 1, bar - hash - 1) : NULL;
	if (*label && !**label) {
		free(*label);
		*label = NULL;
	}
	if (*heading && !**heading) {
		free(*heading);
		*heading = NULL;
	}
	if (!**target && !*heading) {
		free(*target);
		free(*heading);
		free(*label);
		*target = *heading = *label = NULL;
		return -1;
	}
	return 0;
}

/* Text to show for a link without an explicit label. */
static char *default_label(const struct kb_link *l)
{
	struct buf b = BUF_INIT;
	if (l->label)
		buf_puts(&b, l->label);
	else if (!*l->target)
		buf_puts(&b, l->heading);
	else if (l->heading)
		buf_printf(&b, "%s \xE2\x80\xBA %s", l->target, l->heading);
	else
		buf_puts(&b, l->target);
	return buf_detach(&b);
}

/* The k-th "[[" in [p, eol), or NULL. */
static const char *nth_open(const char *p, const char *eol, int k)
{
	for (int seen = 0; p + 1 < eol; p++) {
		if (p[0] == '[' && p[1] == '[') {
			if (seen++ == k)
				return p;
			p++;
		}
	}
	return NULL;
}

/* Column (1-based, in characters) of the k-th "[[" at or after byte
 * column col0 of file line `line` (the "!" before it for an embed).
 * cmark-gfm's column can be past the text on lazy continuation lines of
 * nested containers (a footnote holding a list): then the k-th "[[" of
 * the whole line, else the line's first, else the line's end. */
static int source_col(const struct kb_note *n, int line, int col0, int k, int embed)
{
	const char *end = n->src + n->len;
	const char *bol = kb_line_start(n, line);
	const char *eol = memchr(bol, '\n', (size_t)(end - bol));
	if (!eol)
		eol = end;
	const char *p = bol + (col0 > 0 ? col0 - 1 : 0);
	if (p > eol)
		p = eol;
	const char *hit = nth_open(p, eol, k);
	if (!hit)
		hit = nth_open(bol, eol, k);
	if (!hit)
		hit = nth_open(bol, eol, 0);
	if (!hit)
		return (int)utf8_count(bol, (size_t)(p - bol)) + 1;
	if (embed && hit > bol && hit[-1] == '!')
		hit--;
	return (int)utf8_count(bol, (size_t)(hit - bol)) + 1;
}

/* How many "[[" (scanned left to right, non-overlapping) precede `at`. */
static int count_opens(const char *lit, const char *at)
{
	int k = 0;
	for (const char *p = lit; p + 1 < at + 1 && p[0] && p[1]; p++)
		if (p[0] == '[' && p[1] == '[') {
			if (p == at)
				break;
			k++;
			p++;
		}
	return k;
}

/* Is p the start of an inline #tag in lit? Sets *end past the tag. Tags
 * follow a blank, an opening bracket or the start of the text, use
 * letters, digits, '_', '-' and '/', and are not all digits. */
static bool tag_at(const char *lit, const char *p, const char **end)
{
	if (*p != '#' || (p > lit && !(p[-1] == ' ' || p[-1] == '\t' || p[-1] == '(')))
		return false;
	const unsigned char *q = (const unsigned char *)p + 1;
	bool letter = false;
	while (*q >= 0x80 || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	       (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' || *q == '/') {
		if (!(*q >= '0' && *q <= '9'))
			letter = true;
		q++;
	}
	while ((const char *)q > p + 1 && (q[-1] == '/' || q[-1] == '-'))
		q--;   /* trailing punctuation is not part of the tag */
	if (!letter || (const char *)q == p + 1)
		return false;
	*end = (const char *)q;
	return true;
}

static const char *next_tag(const char *lit, const char *from, const char **end)
{
	for (const char *p = strchr(from, '#'); p; p = strchr(p + 1, '#'))
		if (tag_at(lit, p, end))
			return p;
	return NULL;
}

/* Insert a text node with s[0..n) before `at` (nothing when n is 0). */
static void text_before(cmark_node *at, const char *s, size_t n)
{
	if (!n)
		return;
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	char *copy = xstrndup(s, n);
	cmark_node_set_literal(t, copy);
	free(copy);
	cmark_node_insert_before(at, t);
}

/* Insert, before `at`, a link node for the note's last link, showing
 * `shown`; its user data is the link's index + 1. */
static void link_before(cmark_node *at, const struct kb_note *n, const char *shown)
{
	cmark_node *link = cmark_node_new(CMARK_NODE_LINK);
	cmark_node_set_url(link, "");
	cmark_node_set_user_data(link, (void *)(uintptr_t)n->n_links);
	cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
	cmark_node_set_literal(t, shown);
	cmark_node_append_child(link, t);
	cmark_node_insert_before(at, link);
}

/* Body position (line, byte column) of a node; see wikilink.h. cmark-gfm
 * leaves some inline nodes without one (0:0), such as the text it makes of
 * a footnote reference that names no footnote and what follows it, and
 * some give column 0 (see below): those take the end of the nearest
 * earlier sibling that has a position (or the start of the line when line
 * breaks lie between), else the start of the nearest ancestor that has
 * one. Columns are then found by source_col(), which looks for the "[["
 * from there on. */
void wikilink_node_pos(cmark_node *text, int *line, int *col)
{
	/* Column 0 is no position either: cmark-gfm gives 1:0 to the text of
	 * a paragraph whose last line the table extension took as a header. */
	if (cmark_node_get_start_line(text) > 0 && cmark_node_get_start_column(text) > 0) {
		*line = cmark_node_get_start_line(text);
		*col = cmark_node_get_start_column(text);
		return;
	}
	int breaks = 0;   /* line breaks between that sibling and the text */
	for (cmark_node *s = cmark_node_previous(text); s; s = cmark_node_previous(s)) {
		if (cmark_node_get_end_line(s) > 0 && cmark_node_get_end_column(s) > 0) {
			*line = cmark_node_get_end_line(s) + breaks;
			*col = breaks ? 1 : cmark_node_get_end_column(s) + 1;
			return;
		}
		cmark_node_type t = cmark_node_get_type(s);
		breaks += t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK;
	}
	for (cmark_node *a = cmark_node_parent(text); a; a = cmark_node_parent(a))
		if (cmark_node_get_start_line(a) > 0 && cmark_node_get_start_column(a) > 0) {
			*line = cmark_node_get_start_line(a);
			*col = cmark_node_get_start_column(a);
			return;
		}
	*line = *col = 1;
}

static void replace_text(struct ctx *c, cmark_node *text)
{
	const char *lit = cmark_node_get_literal(text);
	const char *tag_end;
	if (!lit || (!strstr(lit, "[[") && !next_tag(lit, lit, &tag_end)))
		return;
	int line, col0;
	wikilink_node_pos(text, &line, &col0);
	line += c->note->body_line - 1;
	const char *p = lit, *start = lit;
	bool changed = false;
	for (;;) {
		const char *wl = strstr(p, "[[");
		const char *tg = next_tag(lit, p, &tag_end);
		if (tg && (!wl || tg < wl)) {
			/* An inline tag. */
			text_before(text, start, (size_t)(tg - start));
			struct kb_note *n = c->note;
			struct kb_link *l = VEC_PUSH(n->links, n->n_links, n->cap_links);
			memset(l, 0, sizeof *l);
			l->kind = KB_LINK_TAG;
			l->target = xstrndup(tg + 1, (size_t)(tag_end - tg - 1));
			l->line = line;
			l->col = col0 + (int)utf8_count(lit, (size_t)(tg - lit));
			l->to_note = l->to_heading = -1;
			char *shown = xstrndup(tg, (size_t)(tag_end - tg));
			link_before(text, n, shown);
			free(shown);
			changed = true;
			p = start = tag_end;
			continue;
		}
		if (!wl)
			break;
		p = wl;
		const char *close = strstr(p + 2, "]]");
		if (!close)
			break;
		const char *inner = p + 2;
		/* The innermost [[ before the ]] opens the link. */
		const char *again;
		while ((again = strstr(inner, "[[")) && again < close)
			inner = again + 2;
		const char *open = inner - 2;
		char *target, *heading, *label;
		if (wikilink_split(inner, (size_t)(close - inner), &target, &heading, &label) < 0) {
			p = close + 2;
			continue;
		}
		bool embed = open > lit && open[-1] == '!';
		const char *cut = embed ? open - 1 : open;
		text_before(text, start, (size_t)(cut - start));
		struct kb_note *n = c->note;
		struct kb_link *l = VEC_PUSH(n->links, n->n_links, n->cap_links);
		memset(l, 0, sizeof *l);
		l->kind = embed ? KB_LINK_EMBED : KB_LINK_WIKI;
		l->target = target;
		l->heading = heading;
		l->label = label;
		l->line = line;
		l->col = source_col(n, line, col0, count_opens(lit, open), embed);
		l->to_note = l->to_heading = -1;
		char *shown = default_label(l);
		link_before(text, n, shown);
		free(shown);
		changed = true;
		p = start = close + 2;
	}
	if (!changed)
		return;
	text_before(text, start, strlen(start));
	cmark_node_free(text);   /* unlinks too */
}

void wikilink_process(struct kb_note *note, cmark_node *root)
{
	struct ctx c = { note };
	cmark_consolidate_text_nodes(root);
	/* Collect first: replacing nodes while iterating is not allowed. */
	cmark_node **texts = NULL;
	size_t n = 0, cap = 0;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	int in_link = 0;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(node);
		if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE) {
			in_link += ev == CMARK_EVENT_ENTER ? 1 : -1;
			continue;
		}
		if (t == CMARK_NODE_TEXT && !in_link) {
			const char *lit = cmark_node_get_literal(node);
			const char *e;
			if (lit && (strstr(lit, "[[") || next_tag(lit, lit, &e)))
				*VEC_PUSH(texts, n, cap) = node;
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < n; i++)
		replace_text(&c, texts[i]);
	free(texts);
}
