/* graph.c - titles, slugs, resolution, URLs; see graph.h. */
#include "graph.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "pool.h"
#include "text.h"
#include "util.h"

/* ---- names and slugs ---- */

static char *file_stem(const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	size_t n = strlen(base);
	if (n >= 3 && !strcmp(base + n - 3, ".md"))
		n -= 3;
	return xstrndup(base, n);
}

static char *rel_without_md(const char *rel)
{
	size_t n = strlen(rel);
	return xstrndup(rel, n >= 3 && !strcmp(rel + n - 3, ".md") ? n - 3 : n);
}

/* Folder part of rel ("a/b/c.md" -> "a/b/"), each segment slugified. */
static void slug_dir(struct buf *b, const char *rel)
{
	const char *p = rel, *slash;
	while ((slash = strchr(p, '/'))) {
		char *seg = xstrndup(p, (size_t)(slash - p));
		char *s = text_slug(seg);
		buf_puts(b, *s ? s : "_");
		buf_putc(b, '/');
		free(s);
		free(seg);
		p = slash + 1;
	}
}

struct slug_key {
	char *key;     /* folded page name */
	size_t note;
};

static int cmp_slug_key(const void *a, const void *b)
{
	const struct slug_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->note > y->note) - (x->note < y->note);
}

int graph_assign(struct kb *kb)
{
	int rc = 0;
	kb->home = -1;
	for (size_t i = 0; i < kb->n_notes; i++) {
		struct kb_note *n = &kb->notes[i];
		if (!n->title)
			n->title = file_stem(n->rel);
		struct buf b = BUF_INIT;
		slug_dir(&b, n->rel);
		if (n->slug) {
			buf_puts(&b, n->slug);
		} else {
			char *stem = file_stem(n->rel);
			char *s = text_slug(stem);
			buf_puts(&b, s);
			free(s);
			free(stem);
		}
		const char *last = strrchr(b.data, '/');
		last = last ? last + 1 : b.data;
		if (!*last) {
			if (!n->skip)
				diag_error(n->path, 0, 0,
					"cannot make a page name from this file name; rename it or set 'slug' in front matter");
			n->skip = true;
		}
		free(n->slug);   /* the front matter's, now inside the path */
		n->slug = buf_detach(&b);
	}
	/* The home page: kb.yaml's home, else a top-level index.md. */
	for (size_t i = 0; i < kb->n_notes; i++) {
		struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		bool is_home = kb->cfg.home ? (!strcmp(kb->cfg.home, n->title) || !strcmp(kb->cfg.home, n->rel))
			: !strcmp(n->rel, "index.md");
		if (is_home && kb->home < 0) {
			kb->home = (int)i;
			free(n->slug);
			n->slug = xstrdup("index");
		}
	}
	if (kb->cfg.home && kb->home < 0) {
		diag_error(kb->cfg.config_path, 0, 0, "home note '%s' not found (give its title or its path under the notes folder)",
			kb->cfg.home);
		rc = -1;
	}
	/* Collisions after folding: pages would overwrite each other. Every
	 * later note of a group with the same key is reported against the
	 * group's first (sorting keeps this linear-logarithmic on large
	 * vaults). */
	struct slug_key *keys = xcalloc(kb->n_notes ? kb->n_notes : 1, sizeof *keys);
	size_t nk = 0;
	for (size_t i = 0; i < kb->n_notes; i++) {
		if (kb->notes[i].skip)
			continue;
		keys[nk].key = text_key(kb->notes[i].slug);
		keys[nk].note = i;
		nk++;
		if (!strcmp(kb->notes[i].slug, "404") || !strcmp(kb->notes[i].slug, "ledger") ||
		    !strcmp(kb->notes[i].slug, "search") || !strcmp(kb->notes[i].slug, "tags") ||
		    !strcmp(kb->notes[i].slug, "graph") ||
		    str_starts(kb->notes[i].slug, "tags/")) {
			diag_error(kb->notes[i].path, 0, 0,
				"page name '%s.html' is reserved for kbc's own page; set another 'slug'", kb->notes[i].slug);
			rc = -1;
		}
	}
	if (nk)
		qsort(keys, nk, sizeof *keys, cmp_slug_key);
	for (size_t g = 0; g < nk;) {
		size_t e = g + 1;
		while (e < nk && !strcmp(keys[e].key, keys[g].key))
			e++;
		const struct kb_note *first = &kb->notes[keys[g].note];
		for (size_t k = g + 1; k < e; k++) {
			struct kb_note *n = &kb->notes[keys[k].note];
			diag_error(n->path, 0, 0, "page name '%s.html' collides with '%s' (%s); rename one or set 'slug'",
				n->slug, first->path, first->slug);
			n->skip = true;
			rc = -1;
		}
		g = e;
	}
	for (size_t i = 0; i < nk; i++)
		free(keys[i].key);
	free(keys);
	return rc;
}

/* ---- the name table ---- */

enum name_kind { NAME_TITLE, NAME_ALIAS, NAME_FILE, NAME_PATH };
static const char *kind_word[] = { "title", "alias", "file name", "path" };

struct name {
	char *exact;
	char *folded;
	int note;
	enum name_kind kind;
};

struct names {
	struct name *v;
	size_t n, cap;
	struct name **by_exact;   /* sorted views */
	struct name **by_folded;
};

/* ASCII text is its own NFC form: no ASCII character decomposes or
 * composes with another. */
static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static char *nfc(const char *s)
{
	return ascii(s) ? xstrdup(s) : text_nfc(s);
}

static void set_name(struct name *nm, const char *s, int note, enum name_kind k)
{
	nm->exact = nfc(s);   /* NFC and NFD spellings are the same name */
	nm->folded = text_key(s);
	nm->note = note;
	nm->kind = k;
}

static int cmp_exact(const void *a, const void *b)
{
	const struct name *x = *(struct name *const *)a, *y = *(struct name *const *)b;
	int c = strcmp(x->exact, y->exact);
	return c ? c : (x->note != y->note ? (x->note < y->note ? -1 : 1) : (int)x->kind - (int)y->kind);
}

static int cmp_folded(const void *a, const void *b)
{
	const struct name *x = *(struct name *const *)a, *y = *(struct name *const *)b;
	int c = strcmp(x->folded, y->folded);
	return c ? c : (x->note != y->note ? (x->note < y->note ? -1 : 1) : (int)x->kind - (int)y->kind);
}

/* Does note n give links names (drafts left out of the build do, so that
 * a link to one gets its own message)? How many: title, aliases, file
 * name, and the path when the note sits in a folder. */
static size_t names_of(const struct kb_note *n)
{
	if (n->skip && !n->draft)
		return 0;
	return 2 + n->n_aliases + (strchr(n->rel, '/') != NULL);
}

struct names_job {
	const struct kb *kb;
	struct names *t;
	size_t *first;   /* per note: index of its first name in t->v */
};

/* Note i's names, in the order names_of() counts them, at t->v[first[i]]. */
static void note_names(void *arg, size_t i)
{
	struct names_job *j = arg;
	const struct kb_note *n = &j->kb->notes[i];
	if (!names_of(n))
		return;
	struct name *nm = &j->t->v[j->first[i]];
	set_name(nm++, n->title, (int)i, NAME_TITLE);
	for (size_t a = 0; a < n->n_aliases; a++)
		set_name(nm++, n->aliases[a], (int)i, NAME_ALIAS);
	char *stem = file_stem(n->rel);
	set_name(nm++, stem, (int)i, NAME_FILE);
	free(stem);
	if (strchr(n->rel, '/')) {
		char *p = rel_without_md(n->rel);
		set_name(nm, p, (int)i, NAME_PATH);
		free(p);
	}
}

/* Names of every note that links may use, made on `jobs` threads in note
 * order, and their two sorted views. */
static void build_names(const struct kb *kb, struct names *t, int jobs)
{
	size_t *first = xcalloc(kb->n_notes + 1, sizeof *first);
	for (size_t i = 0; i < kb->n_notes; i++)
		first[i + 1] = first[i] + names_of(&kb->notes[i]);
	t->n = t->cap = first[kb->n_notes];
	t->v = xcalloc(t->n ? t->n : 1, sizeof *t->v);
	struct names_job j = { kb, t, first };
	pool_for(kb->n_notes, jobs, note_names, &j);
	free(first);
	t->by_exact = xcalloc(t->n ? t->n : 1, sizeof *t->by_exact);
	t->by_folded = xcalloc(t->n ? t->n : 1, sizeof *t->by_folded);
	for (size_t i = 0; i < t->n; i++)
		t->by_exact[i] = t->by_folded[i] = &t->v[i];
	qsort(t->by_exact, t->n, sizeof *t->by_exact, cmp_exact);
	qsort(t->by_folded, t->n, sizeof *t->by_folded, cmp_folded);
}

static void free_names(struct names *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].exact);
		free(t->v[i].folded);
	}
	free(t->v);
	free(t->by_exact);
	free(t->by_folded);
}

/* The run of names equal to `key` in a sorted view; returns its start. */
static size_t find_run(struct name **view, size_t n, const char *key, bool folded, size_t *count)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = folded ? view[mid]->folded : view[mid]->exact;
		if (strcmp(s, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t e = lo;
	while (e < n && !strcmp(folded ? view[e]->folded : view[e]->exact, key))
		e++;
	*count = e - lo;
	return lo;
}

/* Distinct notes in a run. */
static size_t distinct_notes(struct name **run, size_t count, int *first)
{
	size_t d = 0;
	int last = -1;
	for (size_t i = 0; i < count; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (run[j]->note == run[i]->note)
				seen = true;
		if (!seen) {
			d++;
			if (last < 0)
				last = run[i]->note;
		}
	}
	*first = last;
	return d;
}

/* Closest names to `key` for "did you mean", as "'a', 'b'". */
static void suggest(const struct names *t, const char *key, struct buf *out)
{
	char *k = text_key(key);
	size_t limit = strlen(k) / 3 + 2;
	const char *best[3] = { 0 };
	size_t bestd[3] = { (size_t)-1, (size_t)-1, (size_t)-1 };
	for (size_t i = 0; i < t->n; i++) {
		const struct name *nm = t->by_folded[i];
		if (i && !strcmp(t->by_folded[i - 1]->folded, nm->folded))
			continue;
		size_t d = text_distance(k, nm->folded, limit);
		if (d > limit && !strstr(nm->folded, k))
			continue;
		if (d > limit)
			d = limit;
		for (int s = 0; s < 3; s++) {
			if (d < bestd[s]) {
				for (int m = 2; m > s; m--) {
					best[m] = best[m - 1];
					bestd[m] = bestd[m - 1];
				}
				best[s] = nm->exact;
				bestd[s] = d;
				break;
			}
		}
	}
	for (int s = 0; s < 3 && best[s]; s++)
		buf_printf(out, "%s'%s'", s ? ", " : "", best[s]);
	free(k);
}

/* Resolve a note name; -1 when not found or ambiguous (reported). */
static int resolve_note(const struct kb *kb, const struct names *t, const char *target,
	const char *path, int line, int col)
{
	size_t count;
	char *exact = nfc(target);
	size_t at = find_run(t->by_exact, t->n, exact, false, &count);
	free(exact);
	struct name **run = t->by_exact + at;
	if (!count) {
		char *k = text_key(target);
		at = find_run(t->by_folded, t->n, k, true, &count);
		run = t->by_folded + at;
		free(k);
	}
	int first;
	size_t d = distinct_notes(run, count, &first);
	if (d == 1) {
		const struct kb_note *n = &kb->notes[first];
		if (n->skip && n->draft) {
			diag_error(path, line, col, "'%s' is a draft note (build with --drafts to include it)", target);
			return -1;
		}
		return first;
	}
	struct buf msg = BUF_INIT;
	if (d > 1) {
		buf_printf(&msg, "ambiguous link target '%s' matches ", target);
		int printed = 0;
		for (size_t i = 0; i < count; i++) {
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				if (run[j]->note == run[i]->note)
					seen = true;
			if (seen)
				continue;
			buf_printf(&msg, "%s%s (%s)", printed++ ? ", " : "", kb->notes[run[i]->note].path,
				kind_word[run[i]->kind]);
		}
		buf_puts(&msg, "; use a title or the note's path to choose");
	} else {
		buf_printf(&msg, "no note named '%s'", target);
		struct buf sg = BUF_INIT;
		suggest(t, target, &sg);
		if (sg.len)
			buf_printf(&msg, "; did you mean %s?", sg.data);
		buf_free(&sg);
	}
	diag_error(path, line, col, "%s", msg.data);
	buf_free(&msg);
	return -1;
}

/* Resolve a heading of note `ni`: text exact, text folded, or id. */
static int resolve_heading(const struct kb *kb, int ni, const char *heading, const char *path,
	int line, int col)
{
	const struct kb_note *n = &kb->notes[ni];
	for (size_t i = 0; i < n->n_headings; i++)
		if (!strcmp(n->headings[i].text, heading))
			return (int)i;
	char *k = text_key(heading);
	for (size_t i = 0; i < n->n_headings; i++) {
		char *hk = text_key(n->headings[i].text);
		bool eq = !strcmp(hk, k);
		free(hk);
		if (eq) {
			free(k);
			return (int)i;
		}
	}
	free(k);
	for (size_t i = 0; i < n->n_headings; i++)
		if (!strcmp(n->headings[i].id, heading))
			return (int)i;
	char *slug = text_slug(heading);
	for (size_t i = 0; i < n->n_headings; i++)
		if (!strcmp(n->headings[i].id, slug)) {
			free(slug);
			return (int)i;
		}
	free(slug);
	struct buf msg = BUF_INIT;
	buf_printf(&msg, "note '%s' has no heading '%s'", n->title, heading);
	size_t best = (size_t)-1;
	const char *bt = NULL;
	char *hk = text_key(heading);
	for (size_t i = 0; i < n->n_headings; i++) {
		char *ck = text_key(n->headings[i].text);
		size_t d = text_distance(hk, ck, strlen(hk) / 3 + 2);
		if (d < best && d <= strlen(hk) / 3 + 2) {
			best = d;
			bt = n->headings[i].text;
		}
		free(ck);
	}
	free(hk);
	if (bt)
		buf_printf(&msg, "; did you mean '%s'?", bt);
	diag_error(path, line, col, "%s", msg.data);
	buf_free(&msg);
	return -1;
}

/* A Markdown link's path, relative to the linking note's folder. */
static int resolve_md_path(const struct kb *kb, int from, const struct kb_link *l)
{
	const struct kb_note *n = &kb->notes[from];
	struct buf b = BUF_INIT;
	const char *slash = strrchr(n->rel, '/');
	buf_puts(&b, "/");
	if (slash)
		buf_put(&b, n->rel, (size_t)(slash - n->rel + 1));
	buf_puts(&b, l->target);
	char *norm = path_absolute(b.data);
	buf_free(&b);
	int found = -1;
	for (size_t i = 0; i < kb->n_notes && found < 0; i++)
		if (!kb->notes[i].skip && !strcmp(norm + 1, kb->notes[i].rel))
			found = (int)i;
	if (found < 0)
		diag_error(n->path, l->line, l->col, "link to '%s', which is not a note in the notes folder",
			l->target);
	free(norm);
	return found;
}

struct resolve_job {
	struct kb *kb;
	const struct names *t;
	atomic_int failed;   /* some link did not resolve */
};

/* Resolve note i's links (its own entries only). */
static void resolve_links(void *arg, size_t i)
{
	struct resolve_job *j = arg;
	struct kb *kb = j->kb;
	struct kb_note *n = &kb->notes[i];
	if (n->skip)
		return;
	for (size_t k = 0; k < n->n_links; k++) {
		struct kb_link *l = &n->links[k];
		int to;
		if (l->kind == KB_LINK_TAG)
			continue;
		if (!*l->target)
			to = (int)i;
		else if (l->kind == KB_LINK_MARKDOWN)
			to = resolve_md_path(kb, (int)i, l);
		else
			to = resolve_note(kb, j->t, l->target, n->path, l->line, l->col);
		if (to < 0) {
			atomic_store(&j->failed, 1);
			continue;
		}
		if (l->heading) {
			int h = resolve_heading(kb, to, l->heading, n->path, l->line, l->col);
			if (h < 0) {
				atomic_store(&j->failed, 1);
				continue;
			}
			l->to_heading = h;
		}
		l->to_note = to;
	}
}

int graph_resolve(struct kb *kb, int jobs)
{
	struct names t = { 0 };
	build_names(kb, &t, jobs);
	struct resolve_job j = { kb, &t, 0 };
	pool_for(kb->n_notes, jobs, resolve_links, &j);
	int rc = atomic_load(&j.failed) ? -1 : 0;
	for (size_t i = 0; i < kb->n_topics; i++) {
		struct kb_topic *tp = &kb->topics[i];
		const char *hash = strchr(tp->target, '#');
		char *note = str_trim_dup(tp->target, hash ? (size_t)(hash - tp->target) : strlen(tp->target));
		int to = resolve_note(kb, &t, note, kb->ledger_shown, tp->target_line, tp->target_col);
		if (to >= 0 && hash) {
			char *h = str_trim_dup(hash + 1, strlen(hash + 1));
			tp->heading = resolve_heading(kb, to, h, kb->ledger_shown, tp->target_line, tp->target_col);
			free(h);
			if (tp->heading < 0)
				to = -1;
		}
		if (to < 0)
			rc = -1;
		tp->note = to;
		free(note);
	}
	free_names(&t);
	return rc;
}

/* ---- graph diagnostics ---- */

static int cmp_pair(const void *a, const void *b)
{
	const int *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

int graph_warnings(const struct kb *kb)
{
	size_t n = kb->n_notes;
	if (!n)
		return 0;
	size_t *in = xcalloc(n, sizeof *in), *out = xcalloc(n, sizeof *out);
	/* Ledger topics' sections: the topics' (note, heading) pairs, sorted
	 * and unique (a pair found is the pair's one entry), each marked below
	 * when a link from another note lands on it. */
	struct pair { int note, heading; } *pairs = xcalloc(kb->n_topics + 1, sizeof *pairs);
	size_t np = 0;
	for (size_t t = 0; t < kb->n_topics; t++)
		if (kb->topics[t].note >= 0)
			pairs[np++] = (struct pair){ kb->topics[t].note, kb->topics[t].heading };
	if (np) {
		qsort(pairs, np, sizeof *pairs, cmp_pair);
		size_t k = 1;
		for (size_t i = 1; i < np; i++)
			if (cmp_pair(&pairs[i], &pairs[k - 1]))
				pairs[k++] = pairs[i];
		np = k;
	}
	bool *linked = xcalloc(np + 1, sizeof *linked);
	/* adjacency as a flat list of (from, to) for the reachability walk,
	 * with room for every link */
	size_t links = 0;
	for (size_t i = 0; i < n; i++)
		links += kb->notes[i].n_links;
	int *head = xcalloc(n, sizeof *head), *next = xcalloc(links + 1, sizeof *next),
	    *to = xcalloc(links + 1, sizeof *to);
	size_t ne = 0;
	for (size_t i = 0; i < n; i++)
		head[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct kb_note *note = &kb->notes[i];
		if (note->skip)
			continue;
		for (size_t l = 0; l < note->n_links; l++) {
			int t = note->links[l].to_note;
			if (t < 0 || t == (int)i)
				continue;
			out[i]++;
			in[t]++;
			to[ne] = t;
			next[ne] = head[i];
			head[i] = (int)ne++;
			struct pair key = { t, note->links[l].to_heading };
			const struct pair *p = bsearch(&key, pairs, np, sizeof *pairs, cmp_pair);
			if (p)
				linked[p - pairs] = true;
		}
	}
	int warnings = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kb_note *note = &kb->notes[i];
		if (note->skip || (int)i == kb->home)
			continue;
		if (!in[i] && !out[i]) {
			diag_warning(note->path, 0, 0, "orphan note: no links in or out");
			warnings++;
		}
	}
	if (kb->home >= 0) {
		bool *seen = xcalloc(n, sizeof *seen);
		int *queue = xcalloc(n, sizeof *queue);
		size_t qh = 0, qt = 0;
		queue[qt++] = kb->home;
		seen[kb->home] = true;
		while (qh < qt) {
			int u = queue[qh++];
			for (int e = head[u]; e >= 0; e = next[e])
				if (!seen[to[e]]) {
					seen[to[e]] = true;
					queue[qt++] = to[e];
				}
		}
		for (size_t i = 0; i < n; i++) {
			const struct kb_note *note = &kb->notes[i];
			if (note->skip || seen[i] || (!in[i] && !out[i]))
				continue;
			diag_warning(note->path, 0, 0, "no chain of links leads here from the home page (%s)",
				kb->notes[kb->home].path);
			warnings++;
		}
		free(seen);
		free(queue);
	}
	/* Ledger topics whose section no other note links to: one lookup
	 * per topic among the pairs marked above. */
	for (size_t t = 0; t < kb->n_topics; t++) {
		const struct kb_topic *tp = &kb->topics[t];
		if (tp->note < 0)
			continue;
		struct pair key = { tp->note, tp->heading };
		const struct pair *p = bsearch(&key, pairs, np, sizeof *pairs, cmp_pair);
		if (p && linked[p - pairs])
			continue;
		diag_warning(kb->ledger_shown, tp->line, tp->col,
			"no other note links to the section of ledger topic '%s'", tp->term);
		warnings++;
	}
	free(pairs);
	free(linked);
	free(in);
	free(out);
	free(head);
	free(next);
	free(to);
	return warnings;
}

/* ---- URLs ---- */

void graph_root_prefix(struct buf *out, const char *slug)
{
	for (const char *p = slug; *p; p++)
		if (*p == '/')
			buf_puts(out, "../");
}

void graph_url(struct buf *out, const char *from_slug, const char *to_slug, const char *id)
{
	if (from_slug && !strcmp(from_slug, to_slug) && id) {
		buf_putc(out, '#');
		url_encode(out, id, true);
		return;
	}
	/* Strip the common folder prefix, then climb out of the rest. */
	const char *a = from_slug ? from_slug : "", *b = to_slug;
	const char *sa = a, *sb = b;
	for (;;) {
		const char *ea = strchr(sa, '/'), *eb = strchr(sb, '/');
		if (!ea || !eb || ea - sa != eb - sb || memcmp(sa, sb, (size_t)(ea - sa)))
			break;
		sa = ea + 1;
		sb = eb + 1;
	}
	graph_root_prefix(out, sa);
	url_encode(out, sb, false);
	buf_puts(out, ".html");
	if (id) {
		buf_putc(out, '#');
		url_encode(out, id, true);
	}
}

void graph_tag_page(struct buf *out, const char *tag)
{
	buf_puts(out, "tags/");
	struct buf t = BUF_INIT;
	for (const char *p = tag; *p; p++)
		buf_putc(&t, *p == '/' ? '-' : *p);
	char *s = text_slug(t.data);
	buf_puts(out, *s ? s : "tag");
	free(s);
	buf_free(&t);
}

void graph_link_href(const struct kb *kb, int from, const struct kb_link *l, struct buf *out)
{
	if (l->kind == KB_LINK_TAG) {
		struct buf page = BUF_INIT;
		graph_tag_page(&page, l->target);
		graph_url(out, kb->notes[from].slug, page.data, NULL);
		buf_free(&page);
		return;
	}
	const struct kb_note *to = &kb->notes[l->to_note];
	const char *id = l->to_heading >= 0 ? to->headings[l->to_heading].id : NULL;
	graph_url(out, kb->notes[from].slug, to->slug, id);
}
