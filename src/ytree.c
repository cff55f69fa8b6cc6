/* ytree.c - libyaml event stream to position-carrying trees; see ytree.h. */
#include "ytree.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "diag.h"
#include "util.h"

const struct ylimits ylimits_default = { 64, 100000 };

struct anchor {
	char *name;
	struct ynode *node;
	size_t size;        /* nodes in the anchored subtree, expanded */
};

struct parse {
	yaml_parser_t p;
	const char *path;
	int line_base;
	const struct ylimits *lim;
	size_t nodes;               /* nodes added by alias expansion so far */
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	bool failed;
};

static void fail_at(struct parse *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_at(struct parse *ps, int line, int col, const char *fmt, ...)
{
	if (!ps->failed) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		diag_error(ps->path, line, col, "%s", msg);
	}
	ps->failed = true;
}

static struct ynode *node_new(enum ykind k, yaml_mark_t m, struct parse *ps)
{
	struct ynode *n = xcalloc(1, sizeof *n);
	n->kind = k;
	n->line = (int)m.line + ps->line_base;
	n->col = (int)m.column + 1;
	return n;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ytree_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n->tag);
	free(n);
}

static size_t tree_size(const struct ynode *n)
{
	size_t s = 1;
	for (size_t i = 0; i < n->n; i++)
		s += tree_size(n->items[i]);
	return s;
}

static struct ynode *tree_copy(const struct ynode *n)
{
	struct ynode *c = xcalloc(1, sizeof *c);
	*c = *n;
	c->value = n->value ? xstrndup(n->value, n->len) : NULL;
	c->tag = n->tag ? xstrdup(n->tag) : NULL;
	c->items = n->n ? xmalloc(n->n * sizeof *c->items) : NULL;
	for (size_t i = 0; i < n->n; i++)
		c->items[i] = tree_copy(n->items[i]);
	return c;
}

/* Core tags are accepted (shown as "!!x"); everything else is refused. */
static int check_tag(struct parse *ps, const yaml_char_t *tag, yaml_mark_t m, char **out)
{
	static const char *core[] = { "str", "int", "bool", "null", "float", "seq", "map" };
	static const char prefix[] = "tag:yaml.org,2002:";
	if (!tag || !strcmp((const char *)tag, "!"))
		return 0;
	const char *t = (const char *)tag;
	if (str_starts(t, prefix)) {
		for (size_t i = 0; i < sizeof core / sizeof *core; i++) {
			if (!strcmp(t + sizeof prefix - 1, core[i])) {
				*out = xmalloc(strlen(core[i]) + 3);
				memcpy(*out, "!!", 2);
				strcpy(*out + 2, core[i]);
				return 0;
			}
		}
		char shown[128];
		snprintf(shown, sizeof shown, "!!%.100s", t + sizeof prefix - 1);
		fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
			"unsupported YAML tag '%s' (only plain strings, numbers, booleans, lists and mappings are allowed)", shown);
		return -1;
	}
	fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
		"unsupported YAML tag '%s'", t);
	return -1;
}

static int count_node(struct parse *ps, yaml_mark_t m, size_t k)
{
	ps->nodes += k;
	if (ps->nodes > ps->lim->max_nodes) {
		char lim[32];
		snprintf(lim, sizeof lim, "%zu", ps->lim->max_nodes);
		fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
			"YAML aliases expand to more than %s nodes (limits: yaml_alias_nodes in kb.yaml)", lim);
		return -1;
	}
	return 0;
}

static void remember_anchor(struct parse *ps, const yaml_char_t *name, struct ynode *n)
{
	if (!name)
		return;
	struct anchor *a = VEC_PUSH(ps->anchors, ps->n_anchors, ps->cap_anchors);
	a->name = xstrdup((const char *)name);
	a->node = n;
	a->size = 0;   /* filled when the node is complete */
}

static void finish_anchor(struct parse *ps, struct ynode *n)
{
	for (size_t i = ps->n_anchors; i-- > 0;)
		if (ps->anchors[i].node == n)
			ps->anchors[i].size = tree_size(n);
}

static struct ynode *parse_node(struct parse *ps, yaml_event_t *ev, int depth);

static bool next(struct parse *ps, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ps->p, ev))
		return true;
	const char *problem = ps->p.problem ? ps->p.problem : "invalid YAML";
	if (ps->p.context)
		fail_at(ps, (int)ps->p.problem_mark.line + ps->line_base,
			(int)ps->p.problem_mark.column + 1, "YAML syntax error: %s %s (opened at line %d, column %d)",
			problem, ps->p.context, (int)ps->p.context_mark.line + ps->line_base,
			(int)ps->p.context_mark.column + 1);
	else
		fail_at(ps, (int)ps->p.problem_mark.line + ps->line_base,
			(int)ps->p.problem_mark.column + 1, "YAML syntax error: %s", problem);
	return false;
}

/* Mappings of up to SMALL_MAP keys are checked for a repeated key as each
 * key arrives; larger ones once, by sorting, so that a mapping of a million
 * keys costs n log n and not n squared. Both report the first repeat in
 * document order. */
enum { SMALL_MAP = 64 };

static int cmp_key(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a, *y = *(const struct ynode *const *)b;
	int c = strcmp(x->value, y->value);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->col > y->col) - (x->col < y->col);
}

static bool no_duplicate_keys(struct parse *ps, const struct ynode *map)
{
	size_t k = map->n / 2;
	const struct ynode **keys = xmalloc(k * sizeof *keys);
	for (size_t i = 0; i < k; i++)
		keys[i] = map->items[2 * i];
	qsort(keys, k, sizeof *keys, cmp_key);
	const struct ynode *first = NULL, *dup = NULL;
	for (size_t i = 1; i < k; i++) {
		/* Only the second key of a run of equal keys is its first repeat. */
		if (strcmp(keys[i - 1]->value, keys[i]->value) ||
		    (i >= 2 && !strcmp(keys[i - 2]->value, keys[i]->value)))
			continue;
		const struct ynode *d = keys[i];
		/* keys[i - 1] starts the run: sorted by position within it. */
		if (!dup || d->line < dup->line || (d->line == dup->line && d->col < dup->col)) {
			dup = d;
			first = keys[i - 1];
		}
	}
	free(keys);
	if (dup) {
		char msg[160];
		snprintf(msg, sizeof msg, "duplicate key '%.80s' (first at line %d)", dup->value, first->line);
		fail_at(ps, dup->line, dup->col, "%s", msg);
	}
	return !dup;
}

/* Parse the children of a collection until its end event. */
static bool parse_children(struct parse *ps, struct ynode *n, int depth)
{
	size_t cap = 0;
	for (;;) {
		yaml_event_t ev;
		if (!next(ps, &ev))
			return false;
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return n->kind != Y_MAP || n->n <= 2 * SMALL_MAP || no_duplicate_keys(ps, n);
		}
		struct ynode *c = parse_node(ps, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!c)
			return false;
		if (n->kind == Y_MAP && n->n % 2 == 0) {
			if (c->kind != Y_SCALAR) {
				fail_at(ps, c->line, c->col, "%s", "mapping keys must be plain strings");
				ytree_free(c);
				return false;
			}
			for (size_t i = 0; i < n->n && n->n <= 2 * SMALL_MAP; i += 2) {
				if (!strcmp(n->items[i]->value, c->value)) {
					char msg[160];
					snprintf(msg, sizeof msg, "duplicate key '%.80s' (first at line %d)",
						c->value, n->items[i]->line);
					fail_at(ps, c->line, c->col, "%s", msg);
					ytree_free(c);
					return false;
				}
			}
		}
		*VEC_PUSH(n->items, n->n, cap) = c;
	}
}

static struct ynode *parse_node(struct parse *ps, yaml_event_t *ev, int depth)
{
	struct ynode *n = NULL;
	yaml_mark_t m = ev->start_mark;
	if (depth > ps->lim->max_depth) {
		char lim[32];
		snprintf(lim, sizeof lim, "%d", ps->lim->max_depth);
		fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
			"YAML nesting deeper than %s levels (limits: yaml_depth in kb.yaml)", lim);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(Y_SCALAR, m, ps);
		if (check_tag(ps, ev->data.scalar.tag, m, &n->tag) < 0) {
			ytree_free(n);
			return NULL;
		}
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		if (strlen(n->value) != n->len) {
			fail_at(ps, n->line, n->col, "%s", "NUL byte inside a YAML string");
			ytree_free(n);
			return NULL;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !n->tag;
		remember_anchor(ps, ev->data.scalar.anchor, n);
		finish_anchor(ps, n);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		n = node_new(seq ? Y_SEQ : Y_MAP, m, ps);
		const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
		if (check_tag(ps, tag, m, &n->tag) < 0) {
			ytree_free(n);
			return NULL;
		}
		remember_anchor(ps, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor, n);
		if (!parse_children(ps, n, depth)) {
			ytree_free(n);
			return NULL;
		}
		finish_anchor(ps, n);
		return n;
	}
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = ps->n_anchors; i-- > 0;) {
			struct anchor *a = &ps->anchors[i];
			if (strcmp(a->name, name))
				continue;
			if (!a->size) {
				fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
					"alias '*%s' refers to the collection that contains it", name);
				return NULL;
			}
			if (count_node(ps, m, a->size) < 0)
				return NULL;
			struct ynode *c = tree_copy(a->node);
			c->line = (int)m.line + ps->line_base;
			c->col = (int)m.column + 1;
			return c;
		}
		fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1,
			"unknown YAML alias '*%s'", name);
		return NULL;
	}
	default:
		fail_at(ps, (int)m.line + ps->line_base, (int)m.column + 1, "%s",
			"unexpected YAML structure");
		return NULL;
	}
}

struct ynode *ytree_parse(const char *text, size_t len, const char *path,
	int line_base, const struct ylimits *lim, bool *ok)
{
	if (!lim || !lim->max_depth || !lim->max_nodes)
		lim = &ylimits_default;
	struct parse ps = { .path = path, .line_base = line_base, .lim = lim };
	struct ynode *root = NULL;
	int docs = 0;
	yaml_parser_initialize(&ps.p);
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&ps.p, YAML_UTF8_ENCODING);
	for (;;) {
		yaml_event_t ev;
		if (!next(&ps, &ev))
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				fail_at(&ps, (int)ev.start_mark.line + line_base,
					(int)ev.start_mark.column + 1, "%s",
					"more than one YAML document here; only one is allowed");
				yaml_event_delete(&ev);
				break;
			}
		} else if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
			   t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
			root = parse_node(&ps, &ev, 1);
			if (!root) {
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps.p);
	for (size_t i = 0; i < ps.n_anchors; i++)
		free(ps.anchors[i].name);
	free(ps.anchors);
	/* A lone empty plain scalar is an empty document. */
	if (root && root->kind == Y_SCALAR && root->plain && root->len == 0) {
		ytree_free(root);
		root = NULL;
	}
	if (ps.failed) {
		ytree_free(root);
		root = NULL;
	}
	*ok = !ps.failed;
	return root;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->items[i]->value, key))
			return map->items[i + 1];
	return NULL;
}

bool yis_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != Y_SCALAR)
		return false;
	if (n->tag)
		return !strcmp(n->tag, "!!null");
	return n->plain && (n->len == 0 || !strcmp(n->value, "~") ||
		!strcmp(n->value, "null") || !strcmp(n->value, "Null") ||
		!strcmp(n->value, "NULL"));
}

int yget_bool(const struct ynode *n, bool *out)
{
	if (!n || n->kind != Y_SCALAR || (!n->plain && !str_eq(n->tag, "!!bool")))
		return -1;
	const char *v = n->value;
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE")) {
		*out = false;
		return 0;
	}
	return -1;
}

int yget_long(const struct ynode *n, long *out)
{
	if (!n || n->kind != Y_SCALAR || (!n->plain && !str_eq(n->tag, "!!int")))
		return -1;
	return str_to_long(n->value, out);
}

const char *ytype(const struct ynode *n)
{
	if (!n)
		return "null";
	if (n->kind == Y_SEQ)
		return "list";
	if (n->kind == Y_MAP)
		return "mapping";
	if (yis_null(n))
		return "null";
	bool b;
	long l;
	if (yget_bool(n, &b) == 0)
		return "boolean";
	if (yget_long(n, &l) == 0)
		return "integer";
	return "string";
}
