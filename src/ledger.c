/* ledger.c - loading and checking the topic ledger; see ledger.h. */
#include "ledger.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "ytree.h"

static const char *one_line(const struct ynode *v)
{
	if (!v || v->kind != Y_SCALAR || yis_null(v))
		return NULL;
	return v->value;
}

/* The folded terms seen so far (keys[i] is topic i's) and an
 * open-addressing hash table of their indices (slot 0 = empty, else index
 * + 1), so that a ledger of 100,000 topics is checked for repeated terms in
 * linear time. */
struct term_set {
	char **keys;
	size_t n, cap;
	size_t *slots;
	size_t n_slots;        /* a power of two, kept over twice n */
};

static size_t term_hash(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Index of `key` in the set, or -1. */
static long term_find(const struct term_set *ts, const char *key)
{
	if (!ts->n_slots)
		return -1;
	for (size_t i = term_hash(key) & (ts->n_slots - 1);; i = (i + 1) & (ts->n_slots - 1)) {
		if (!ts->slots[i])
			return -1;
		if (!strcmp(ts->keys[ts->slots[i] - 1], key))
			return (long)(ts->slots[i] - 1);
	}
}

static void term_add(struct term_set *ts, char *key)
{
	*VEC_PUSH(ts->keys, ts->n, ts->cap) = key;
	if (2 * ts->n >= ts->n_slots) {
		free(ts->slots);
		ts->n_slots = ts->n_slots ? 2 * ts->n_slots : 64;
		ts->slots = xcalloc(ts->n_slots, sizeof *ts->slots);
		for (size_t k = 0; k < ts->n; k++) {
			size_t i = term_hash(ts->keys[k]) & (ts->n_slots - 1);
			while (ts->slots[i])
				i = (i + 1) & (ts->n_slots - 1);
			ts->slots[i] = k + 1;
		}
		return;
	}
	size_t i = term_hash(key) & (ts->n_slots - 1);
	while (ts->slots[i])
		i = (i + 1) & (ts->n_slots - 1);
	ts->slots[i] = ts->n;
}

static int load_topic(struct kb *kb, size_t g, const struct ynode *t, struct term_set *ts)
{
	const char *path = kb->ledger_shown;
	if (t->kind != Y_MAP) {
		diag_error(path, t->line, t->col, "a topic must be a mapping with term, summary and note, not a %s",
			ytype(t));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i + 1 < t->n; i += 2) {
		const char *k = t->items[i]->value;
		if (strcmp(k, "term") && strcmp(k, "summary") && strcmp(k, "note") && strcmp(k, "aliases"))
			diag_warning(path, t->items[i]->line, t->items[i]->col,
				"unknown topic key '%s' (known: term, summary, note, aliases)", k);
	}
	const struct ynode *term = ymap_get(t, "term"), *summary = ymap_get(t, "summary"),
		*note = ymap_get(t, "note"), *aliases = ymap_get(t, "aliases");
	const char *fields[] = { "term", "summary", "note" };
	const struct ynode *vals[] = { term, summary, note };
	for (int i = 0; i < 3; i++) {
		if (!vals[i]) {
			diag_error(path, t->line, t->col, "topic is missing '%s'", fields[i]);
			rc = -1;
		} else if (!one_line(vals[i]) || strchr(vals[i]->value, '\n') || !*vals[i]->value) {
			diag_error(path, vals[i]->line, vals[i]->col, "'%s' must be one non-empty line of text, not a %s",
				fields[i], ytype(vals[i]));
			rc = -1;
		}
	}
	if (aliases && aliases->kind != Y_SEQ && !yis_null(aliases)) {
		diag_error(path, aliases->line, aliases->col, "'aliases' must be a list of strings, not a %s",
			ytype(aliases));
		rc = -1;
	}
	if (rc)
		return rc;
	char *key = text_key(term->value);
	long seen = term_find(ts, key);
	if (seen >= 0) {
		const struct kb_topic *first = &kb->topics[seen];
		diag_error(path, term->line, term->col, "duplicate ledger term '%s' (first defined at line %d)",
			term->value, first->line);
		free(key);
		return -1;
	}
	term_add(ts, key);
	struct kb_topic *tp = VEC_PUSH(kb->topics, kb->n_topics, kb->cap_topics);
	memset(tp, 0, sizeof *tp);
	tp->term = str_trim_dup(term->value, term->len);
	tp->summary = str_trim_dup(summary->value, summary->len);
	tp->target = str_trim_dup(note->value, note->len);
	tp->group = g;
	tp->line = term->line;
	tp->col = term->col;
	tp->target_line = note->line;
	tp->target_col = note->col;
	tp->note = tp->heading = -1;
	if (aliases && aliases->kind == Y_SEQ) {
		tp->aliases = xcalloc(aliases->n, sizeof *tp->aliases);
		for (size_t i = 0; i < aliases->n; i++) {
			const char *a = one_line(aliases->items[i]);
			if (!a) {
				diag_error(path, aliases->items[i]->line, aliases->items[i]->col,
					"aliases must be strings, not a %s", ytype(aliases->items[i]));
				rc = -1;
				continue;
			}
			tp->aliases[tp->n_aliases++] = xstrdup(a);
		}
	}
	return rc;
}

int ledger_load(struct kb *kb, bool explicit_path)
{
	int rc = -1;
	struct buf text = BUF_INIT;
	kb->ledger_shown = kb_display_path(kb->cfg.ledger_path);
	if (file_read(kb->cfg.ledger_path, &text) < 0) {
		if (errno == ENOENT && !explicit_path)
			rc = 0;
		else
			diag_error(kb->ledger_shown, 0, 0, "cannot read ledger: %s", strerror(errno));
	} else {
		rc = ledger_parse(kb, text.data, text.len);
	}
	buf_free(&text);
	return rc;
}

int ledger_parse(struct kb *kb, const char *text, size_t len)
{
	int rc = -1;
	struct ynode *doc = NULL;
	struct term_set ts = { 0 };
	const char *path = kb->ledger_shown;
	if (utf8_invalid_at(text, len) != len || memchr(text, '\0', len)) {
		diag_error(path, 0, 0, "ledger is not valid UTF-8 text");
		goto out;
	}
	bool ok;
	doc = ytree_parse(text, len, path, 1, &kb->cfg.yaml, &ok);
	if (!ok)
		goto out;
	const struct ynode *groups = ymap_get(doc, "groups");
	if (!doc || doc->kind != Y_MAP || !groups || groups->kind != Y_SEQ) {
		diag_error(path, doc ? doc->line : 1, doc ? doc->col : 1,
			"the ledger must be a mapping with a 'groups' list");
		goto out;
	}
	for (size_t i = 0; i + 1 < doc->n; i += 2)
		if (strcmp(doc->items[i]->value, "groups"))
			diag_warning(path, doc->items[i]->line, doc->items[i]->col,
				"unknown ledger key '%s' (known: groups)", doc->items[i]->value);
	rc = 0;
	for (size_t g = 0; g < groups->n; g++) {
		const struct ynode *grp = groups->items[g];
		const struct ynode *name = ymap_get(grp, "name"), *topics = ymap_get(grp, "topics");
		if (grp->kind != Y_MAP || !one_line(name)) {
			diag_error(path, grp->line, grp->col, "a group must be a mapping with a 'name' and a 'topics' list");
			rc = -1;
			continue;
		}
		for (size_t i = 0; i + 1 < grp->n; i += 2) {
			const char *k = grp->items[i]->value;
			if (strcmp(k, "name") && strcmp(k, "topics"))
				diag_warning(path, grp->items[i]->line, grp->items[i]->col,
					"unknown group key '%s' (known: name, topics)", k);
		}
		struct kb_group *kg = VEC_PUSH(kb->groups, kb->n_groups, kb->cap_groups);
		kg->name = xstrdup(name->value);
		kg->line = name->line;
		kg->col = name->col;
		if (!topics || topics->kind != Y_SEQ) {
			diag_error(path, grp->line, grp->col, "group '%s' needs a 'topics' list", name->value);
			rc = -1;
			continue;
		}
		for (size_t t = 0; t < topics->n; t++)
			if (load_topic(kb, kb->n_groups - 1, topics->items[t], &ts) < 0)
				rc = -1;
	}
out:
	for (size_t i = 0; i < ts.n; i++)
		free(ts.keys[i]);
	free(ts.keys);
	free(ts.slots);
	ytree_free(doc);
	return rc;
}
