/* render.c - template data and pages; see render.h. */
#define _GNU_SOURCE
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "diag.h"
#include "graph.h"
#include "graphview.h"
#include "markdown.h"
#include "output.h"
#include "pool.h"
#include "template.h"
#include "text.h"
#include "util.h"
#include "version.h"

#define WORDS_PER_MINUTE 200

double render_graph_ms, render_graph_global_ms;
size_t render_pages, render_pages_rendered;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One incoming link: `source` links to `target` with its link `link`. */
struct backref {
	int target, source;
	size_t link;
	unsigned char key[16];  /* with page keys: the link's number, context and heading */
};

/* What is left to do for a note's page. */
enum { TODO_NONE, TODO_RENDER, TODO_EMIT };   /* taken; rendered (keyed); emit() */

struct site {
	struct kb *kb;
	int jobs;              /* threads for per-note work */
	struct graphview *graph;
	struct backref *refs;  /* sorted by target, source, link */
	size_t n_refs;
	struct template_set *ts;
	struct site_out *out;
	int *order;            /* reading order: note indexes */
	size_t n_order;
	size_t words;          /* all notes */
	size_t links;          /* resolved links */
	struct cache *cache;   /* pages of the last build, or NULL */
	int *pos;              /* per note: its place in order[], or -1 */
	size_t *ref_start;     /* per note: its first entry in refs[] (n_notes + 1) */
	atomic_size_t pages, rendered;  /* template pages, and those rendered anew */
	atomic_bool failed;    /* set from any thread */
	atomic_llong graph_us; /* time in graph views, from any thread */
	/* Page keys (see "page keys" below); only with a cache and an output. */
	bool keyed;
	unsigned char site_key[16];     /* site-wide values every page shows */
	unsigned char (*navh)[16];      /* per place in order[]: title, slug, purpose */
	unsigned char (*nodeh)[16];     /* per note: what graph views show of it */
	unsigned char (*body)[16];      /* per note: what its final body depends on */
	unsigned char (*slugh)[16];     /* per note: its slug */
	char *body_state;               /* per note: 0 body[] unknown, 1 being computed, 2 known */
	bool *body_ok;                  /* per note: body[] could be keyed */
	char *todo;                     /* per note: TODO_* */
	bool *need_body;                /* per note: its final body is needed */
	bool *late_body;                /* per note: its body is loaded and made by its page's task */
	render_body_fn load_body;       /* restored notes' bodies (render.h) */
	void *load_arg;
	size_t *topic_start;            /* per note: its first entry in topic_list (n_notes + 1) */
	size_t *topic_list;             /* topic indexes, by note, then in ledger order */
	unsigned char (*prevh)[16];     /* per place in order[]: its previews.js entry */
	size_t *link_off;               /* while collecting backlinks: see backlink_key() */
	unsigned char (*link_keys)[16];
	/* Tag pages: tag_v sorted by tag, tag_start[g] .. tag_start[g + 1]
	 * the entries of tag page g (render_tags). */
	struct tag_entry *tag_v;
	size_t *tag_start;
	size_t n_tag_pages;
	struct tval *tag_list;          /* tags.html's list, or NULL: taken */
	/* graph.html, planned on the main thread (the layout kept in the
	 * cache is read and written there), drawn on the pool */
	bool graph_todo, graph_kept;
	unsigned char graph_lkey[16];
	struct buf graph_layout;
	/* Link previews: previews.js names the shard count, each shard
	 * (previews/p-NNN.js) holds the notes whose page hashes to it;
	 * prev_list[prev_start[h] .. prev_start[h + 1]) are shard h's places
	 * in order[], in that order. */
	size_t n_prev_shards;
	size_t *prev_start, *prev_list;
	bool previews_todo;             /* previews.js */
	bool *prev_todo;                /* per shard */
	/* Values shown alike on all pages of a folder (plan_shared). */
	struct shared_dir *dirs;
	size_t n_dirs;
	struct shared_dir *building;    /* the one plan_shared is filling */
};

/* For the pages of one folder, whose URLs are relative to it: the site
 * values (not the home page's, which has figures of its own), and for
 * each place in order[] the note's sidebar entry when it is not the
 * current page, and its reference (title, url, purpose). All shared
 * values (tv_share): pages hold them without copies. */
struct shared_dir {
	const char *slug;       /* a page in the folder */
	size_t dir_len;         /* bytes of slug up to and with its last '/' */
	struct tval *site;
	struct tval **nav;
	struct tval **ref;
};


/* Notes in reading order: those with `order` by it, then the rest by
 * title; the home page first. */
static int cmp_order(const void *a, const void *b, void *arg)
{
	const struct kb *kb = arg;
	const struct kb_note *x = &kb->notes[*(const int *)a], *y = &kb->notes[*(const int *)b];
	bool hx = *(const int *)a == kb->home, hy = *(const int *)b == kb->home;
	if (hx != hy)
		return hx ? -1 : 1;
	if (x->has_order != y->has_order)
		return x->has_order ? -1 : 1;
	if (x->has_order && x->order != y->order)
		return x->order < y->order ? -1 : 1;
	int c = strcmp(x->title, y->title);
	return c ? c : strcmp(x->rel, y->rel);
}

static struct tval *url_val(const char *from, const char *to, const char *id)
{
	struct buf b = BUF_INIT;
	graph_url(&b, from, to, id);
	return tv_str_own(buf_detach(&b));
}

/* `figures`: the whole-site counts that change with almost any edit
 * (words, reading minutes, links, topics) are given to the home page only,
 * so that editing one note does not change every page's data. */
static struct tval *site_val(struct site *s, const char *from_slug, bool figures)
{
	struct kb *kb = s->kb;
	struct tval *m = tv_map();
	const char *title = kb->cfg.title ? kb->cfg.title :
		kb->home >= 0 ? kb->notes[kb->home].title : "Notes";
	tv_set(m, "title", tv_ref(title));
	tv_set(m, "description", tv_ref(kb->cfg.description));
	tv_set(m, "language", tv_ref(kb->cfg.language));
	tv_set(m, "base_url", tv_ref(kb->cfg.base_url));
	tv_set(m, "generator", tv_ref("kbc " KBC_VERSION));
	tv_set(m, "has_ledger", tv_bool(kb->n_topics > 0));
	struct buf b = BUF_INIT;
	graph_root_prefix(&b, from_slug ? from_slug : "");
	tv_set(m, "root", tv_str(b.data));
	buf_puts(&b, "assets/");
	tv_set(m, "assets", tv_str(b.data));
	buf_free(&b);
	tv_set(m, "home_url", url_val(from_slug, "index", NULL));
	tv_set(m, "ledger_url", url_val(from_slug, "ledger", NULL));
	tv_set(m, "tags_url", url_val(from_slug, "tags", NULL));
	tv_set(m, "graph_url", url_val(from_slug, "graph", NULL));
	tv_set(m, "search_url", url_val(from_slug, "search", NULL));
	/* Figures for the home page. Every note not left out is in the
	 * reading order (counting them here, per page, made a 100k-note
	 * render quadratic). */
	char num[32];
	snprintf(num, sizeof num, "%zu", s->n_order);
	tv_set(m, "notes_count", tv_str(num));
	if (!figures)
		return m;
	snprintf(num, sizeof num, "%zu", s->words);
	tv_set(m, "words", tv_str(num));
	snprintf(num, sizeof num, "%zu", (s->words + WORDS_PER_MINUTE / 2) / WORDS_PER_MINUTE);
	tv_set(m, "reading_minutes", tv_str(num));
	snprintf(num, sizeof num, "%zu", s->links);
	tv_set(m, "links_count", tv_str(num));
	snprintf(num, sizeof num, "%zu", kb->n_topics);
	tv_set(m, "topics_count", tv_str(num));
	return m;
}

/* The reading order for the sidebar. On a large site every page listing
 * every note would make the site quadratic in size, so a page gets the
 * NAV_WINDOW notes around its own (the home page gets them all) and the
 * flags nav_before / nav_after tell the template that more exist. */
#define NAV_WINDOW 60

/* The places [*from, *to) of order[] the page of note `current` (-1: a
 * generated page) lists. */
static void nav_window(const struct site *s, int current, size_t *from, size_t *to)
{
	*from = 0;
	*to = s->n_order;
	if (s->n_order > NAV_WINDOW && current != s->kb->home) {
		size_t at = current >= 0 && s->pos[current] >= 0 ? (size_t)s->pos[current] : 0;
		*from = at > NAV_WINDOW / 2 ? at - NAV_WINDOW / 2 : 0;
		if (*from + NAV_WINDOW > s->n_order)
			*from = s->n_order - NAV_WINDOW;
		*to = *from + NAV_WINDOW;
	}
}

static size_t dir_len(const char *slug)
{
	const char *slash = strrchr(slug, '/');
	return slash ? (size_t)(slash - slug + 1) : 0;
}

/* The shared values for pages in the folder of `slug`, or NULL. */
static const struct shared_dir *shared_for(const struct site *s, const char *slug)
{
	size_t len = dir_len(slug);
	for (size_t d = 0; d < s->n_dirs; d++)
		if (s->dirs[d].dir_len == len && !memcmp(s->dirs[d].slug, slug, len))
			return &s->dirs[d];
	return NULL;
}

/* Sidebar entry of the note at place i of order[]. */
static struct tval *nav_item(struct site *s, size_t i, int current, const char *from_slug)
{
	const struct kb_note *n = &s->kb->notes[s->order[i]];
	struct tval *m = tv_map();
	tv_set(m, "title", tv_ref(n->title));
	tv_set(m, "url", url_val(from_slug, n->slug, NULL));
	tv_set(m, "purpose", tv_ref(n->purpose));
	tv_set(m, "current", tv_bool(s->order[i] == current));
	tv_set(m, "is_home", tv_bool(s->order[i] == s->kb->home));
	return m;
}

static struct tval *nav_val(struct site *s, int current, const char *from_slug, struct tval *ctx)
{
	struct tval *list = tv_list();
	size_t from, to;
	nav_window(s, current, &from, &to);
	tv_set(ctx, "nav_before", tv_bool(from > 0));
	tv_set(ctx, "nav_after", tv_bool(to < s->n_order));
	const struct shared_dir *d = shared_for(s, from_slug);
	for (size_t i = from; i < to; i++)
		tv_push(list, d && s->order[i] != current ? d->nav[i] : nav_item(s, i, current, from_slug));
	return list;
}

static struct tval *note_ref_new(struct site *s, int ni, const char *from_slug);

static struct tval *note_ref(struct site *s, int ni, const char *from_slug)
{
	if (ni < 0)
		return tv_null();
	const struct shared_dir *d = s->pos[ni] >= 0 ? shared_for(s, from_slug) : NULL;
	return d ? d->ref[s->pos[ni]] : note_ref_new(s, ni, from_slug);
}

static struct tval *note_ref_new(struct site *s, int ni, const char *from_slug)
{
	const struct kb_note *n = &s->kb->notes[ni];
	struct tval *m = tv_map();
	tv_set(m, "title", tv_ref(n->title));
	tv_set(m, "url", url_val(from_slug, n->slug, NULL));
	tv_set(m, "purpose", tv_ref(n->purpose));
	return m;
}

static struct tval *page_val(struct site *s, int ni)
{
	struct kb *kb = s->kb;
	const struct kb_note *n = &kb->notes[ni];
	struct tval *m = tv_map();
	tv_set(m, "title", tv_ref(n->title));
	tv_set(m, "purpose", tv_ref(n->purpose));
	tv_set(m, "slug", tv_ref(n->slug));
	tv_set(m, "source", tv_ref(n->rel));
	tv_set(m, "date", tv_ref(n->date));
	tv_set(m, "content", tv_ref(n->html ? n->html : ""));
	tv_set(m, "is_home", tv_bool(ni == kb->home));
	char num[32];
	snprintf(num, sizeof num, "%zu", n->words);
	tv_set(m, "words", tv_str(num));
	snprintf(num, sizeof num, "%zu", (n->words + WORDS_PER_MINUTE / 2) / WORDS_PER_MINUTE);
	tv_set(m, "reading_minutes", tv_str(num));
	if (*kb->cfg.base_url) {
		struct buf b = BUF_INIT;
		buf_puts(&b, kb->cfg.base_url);
		if (ni != kb->home) {
			url_encode(&b, n->slug, false);
			buf_puts(&b, ".html");
		}
		tv_set(m, "canonical", tv_str_own(buf_detach(&b)));
	} else {
		tv_set(m, "canonical", tv_null());
	}
	struct tval *toc = tv_set(m, "toc", tv_list());
	size_t toc_items = 0;
	for (size_t h = 0; h < n->n_headings; h++) {
		if (n->headings[h].level > 3)
			continue;
		struct tval *e = tv_push(toc, tv_map());
		tv_set(e, "text", tv_ref(n->headings[h].text));
		tv_set(e, "id", tv_ref(n->headings[h].id));
		struct buf b = BUF_INIT;
		buf_putc(&b, '#');
		url_encode(&b, n->headings[h].id, true);
		tv_set(e, "url", tv_str_own(buf_detach(&b)));
		char lv[4];
		snprintf(lv, sizeof lv, "%d", n->headings[h].level);
		tv_set(e, "level", tv_str(lv));
		tv_set(e, "sub", tv_bool(n->headings[h].level > 2));
		toc_items++;
	}
	/* A list section repeats per item: templates test this flag instead,
	 * or the table of contents would be printed once per heading. */
	tv_set(m, "has_toc", tv_bool(toc_items > 0));
	struct tval *tags = tv_set(m, "tags", tv_list());
	for (size_t t = 0; t < n->n_tags; t++) {
		struct tval *e = tv_push(tags, tv_map());
		tv_set(e, "name", tv_ref(n->tags[t]));
		struct buf page = BUF_INIT;
		graph_tag_page(&page, n->tags[t]);
		tv_set(e, "url", url_val(n->slug, page.data, NULL));
		buf_free(&page);
	}
	/* Previous and next in reading order. */
	int prev = -1, next = -1;
	if (s->pos[ni] >= 0) {
		size_t i = (size_t)s->pos[ni];
		if (i > 0)
			prev = s->order[i - 1];
		if (i + 1 < s->n_order)
			next = s->order[i + 1];
	}
	tv_set(m, "prev", note_ref(s, prev, n->slug));
	tv_set(m, "next", note_ref(s, next, n->slug));
	/* Notes linking here, grouped by note, each link with its context. */
	struct tval *back = tv_set(m, "backlinks", tv_list());
	struct tval *group = NULL;
	int last_source = -1;
	for (size_t i = s->ref_start[ni]; i < s->ref_start[ni + 1]; i++) {
		const struct backref *r = &s->refs[i];
		const struct kb_note *src = &kb->notes[r->source];
		if (r->source != last_source) {
			group = tv_push(back, tv_map());
			tv_set(group, "title", tv_ref(src->title));
			tv_set(group, "url", url_val(n->slug, src->slug, NULL));
			tv_set(group, "refs", tv_list());
			last_source = r->source;
		}
		const struct kb_link *l = &src->links[r->link];
		struct tval *ref = tv_push((struct tval *)tv_get(group, "refs"), tv_map());
		tv_set(ref, "context", tv_ref(l->context ? l->context : ""));
		char id[32];
		snprintf(id, sizeof id, "kbc-ref-%zu", r->link);
		tv_set(ref, "url", url_val(n->slug, src->slug, id));
		tv_set(ref, "section", tv_ref(l->to_heading >= 0 ? n->headings[l->to_heading].text : NULL));
	}
	tv_set(m, "has_backlinks", tv_bool(back->n > 0));
	struct buf local = BUF_INIT;
	double t0 = now_ms();
	graphview_local(s->graph, ni, &local);
	atomic_fetch_add(&s->graph_us, (long long)((now_ms() - t0) * 1000.0));
	tv_set(m, "local_graph", tv_str_own(local.len ? buf_detach(&local) : NULL));
	buf_free(&local);
	/* Ledger topics explained here. */
	struct tval *topics = tv_set(m, "topics", tv_list());
	for (size_t x = s->topic_start[ni]; x < s->topic_start[ni + 1]; x++) {
		const struct kb_topic *tp = &kb->topics[s->topic_list[x]];
		struct tval *e = tv_push(topics, tv_map());
		tv_set(e, "term", tv_ref(tp->term));
		const char *id = tp->heading >= 0 ? n->headings[tp->heading].id : NULL;
		tv_set(e, "url", url_val(n->slug, n->slug, id));
		tv_set(e, "section", tv_ref(tp->heading >= 0 ? n->headings[tp->heading].text : NULL));
		tv_set(e, "summary", tv_ref(tp->summary));
	}
	tv_set(m, "has_topics", tv_bool(topics->n > 0));
	return m;
}

/* Render template `tmpl` with `ctx` (freed) to `rel`: the page was found
 * to be new or changed. */
/* Write page b to `rel` when it was rendered (rc 0); marks the site
 * failed when it was not, or could not be written. */
static int emit_bytes(struct site *s, const char *rel, const struct buf *b, int rc)
{
	if (rc == 0 && s->out)
		rc = output_write(s->out, rel, b->data, b->len);
	if (rc < 0)
		s->failed = true;
	return rc;
}

static int emit_render(struct site *s, const char *tmpl, const char *rel, struct tval *ctx)
{
	atomic_fetch_add(&s->rendered, 1);
	struct buf b = BUF_INIT;
	buf_grow(&b, (size_t)64 << 10);   /* most pages fit: no copies as it grows */
	int rc = emit_bytes(s, rel, &b, template_render(s->ts, tmpl, ctx, &b));
	buf_free(&b);
	tv_free(ctx);
	return rc;
}

/* Render `tmpl` with `ctx` (freed) to `rel`, unless the previous site's
 * file was made from the same template data. */
static int emit(struct site *s, const char *tmpl, const char *rel, struct tval *ctx)
{
	atomic_fetch_add(&s->pages, 1);
	if (s->out && s->cache) {
		unsigned char hash[16];
		cache_page_hash(s->cache, tmpl, rel, ctx, hash);
		if (cache_page_reuse(s->cache, rel, hash)) {
			tv_free(ctx);
			return 0;
		}
	}
	return emit_render(s, tmpl, rel, ctx);
}

static struct tval *base_ctx(struct site *s, int current, const char *slug)
{
	struct tval *ctx = tv_map();
	bool home = current >= 0 ? current == s->kb->home : s->kb->home < 0 && !strcmp(slug, "index");
	const struct shared_dir *d = home ? NULL : shared_for(s, slug);
	tv_set(ctx, "site", d ? d->site : site_val(s, slug, home));
	tv_set(ctx, "nav", nav_val(s, current, slug, ctx));
	tv_set(ctx, "page", tv_null());
	return ctx;
}

static struct tval *topic_val(struct site *s, size_t t, const char *from_slug);

/* The ledger by group, with links relative to page `from_slug`. */
static struct tval *groups_val(struct site *s, const char *from_slug)
{
	struct kb *kb = s->kb;
	struct tval *groups = tv_list();
	for (size_t g = 0; g < kb->n_groups; g++) {
		struct tval *gm = tv_push(groups, tv_map());
		tv_set(gm, "name", tv_ref(kb->groups[g].name));
		char *gid = text_slug(kb->groups[g].name);
		struct buf b = BUF_INIT;
		buf_printf(&b, "group-%s", gid);
		tv_set(gm, "id", tv_str(b.data));
		buf_free(&b);
		free(gid);
		struct tval *topics = tv_set(gm, "topics", tv_list());
		for (size_t t = 0; t < kb->n_topics; t++)
			if (kb->topics[t].group == g)
				tv_push(topics, topic_val(s, t, from_slug));
		char num[32];
		snprintf(num, sizeof num, "%zu", topics->n);
		tv_set(gm, "count", tv_str(num));
	}
	return groups;
}

/* ---- running per-note work on several threads (pool.h) ---- */

struct site_job {
	struct site *s;
	void (*fn)(struct site *s, size_t i);
};

static void site_job_run(void *arg, size_t i)
{
	struct site_job *j = arg;
	j->fn(j->s, i);
}

/* fn(s, i) for i in [0, n), on s->jobs threads. Each call must touch only
 * its own note's data and thread-safe shared state. */
static void parallel_for(struct site *s, size_t n, void (*fn)(struct site *s, size_t i))
{
	struct site_job j = { s, fn };
	pool_for(n, s->jobs, site_job_run, &j);
}

/* ---- page keys ----
 *
 * An incremental build must learn which pages changed without building
 * their template data. A page's key hashes what its data is made from,
 * read straight from the model: for a note page, the site-wide values
 * (site_key), the reading-order window shown in its sidebar (title, slug
 * and purpose of each note in it, and where the page stands), its own
 * fields, its body's key (body_key: the note's parse products through
 * their cache key, where each link points, and the bodies it embeds),
 * tags, previous and next, each backlink (its source's title, slug and
 * purpose, the link's number, context and heading), the notes of its local
 * graph with what the graph shows of each, and the ledger topics it
 * explains. A page whose key equals the one the previous site's file was
 * made from is linked from there (cache_page_reuse); the others are
 * rendered. Whatever a template can print must reach the key: the
 * incremental tests (tests/run-incremental.sh) edit each of these inputs
 * and compare with a full build. */

static void key_digest(struct cache_key *k, unsigned char out[16])
{
	cache_key_done(k, out);
}

/* Title, slug and purpose: how a note appears in lists (nav, prev and
 * next, backlinks, tag pages). */
static void key_note_ref(const struct kb_note *n, unsigned char out[16])
{
	struct cache_key *k = cache_key_new("kbc note ref");
	cache_key_str(k, n->title);
	cache_key_str(k, n->slug);
	cache_key_str(k, n->purpose);
	key_digest(k, out);
}

static void compute_site_key(struct site *s)
{
	struct kb *kb = s->kb;
	struct cache_key *k = cache_key_new("kbc site");
	cache_key_str(k, kb->cfg.title ? kb->cfg.title : kb->home >= 0 ? kb->notes[kb->home].title : "Notes");
	cache_key_str(k, kb->cfg.description);
	cache_key_str(k, kb->cfg.language);
	cache_key_str(k, kb->cfg.base_url);
	cache_key_str(k, "kbc " KBC_VERSION);
	cache_key_int(k, kb->n_topics > 0);
	cache_key_int(k, (long long)s->n_order);   /* notes_count */
	key_digest(k, s->site_key);
}

/* What base_ctx(current, slug) gives, short of the figures of the home
 * page (that page is never keyed). */
static void key_base(const struct site *s, struct cache_key *k, int current, const char *slug)
{
	cache_key_bytes(k, s->site_key, 16);
	cache_key_str(k, slug);
	size_t from, to;
	nav_window(s, current, &from, &to);
	cache_key_int(k, (long long)from);
	cache_key_int(k, (long long)to);
	cache_key_int(k, (long long)s->n_order);
	cache_key_int(k, current >= 0 ? s->pos[current] : -1);
	cache_key_int(k, s->kb->home >= 0 ? s->pos[s->kb->home] : -1);
	cache_key_bytes(k, s->navh + from, (to - from) * sizeof *s->navh);
}

/* Deepest chain of embeds keyed; a longer one leaves its pages unkeyed
 * (rendered on every build, which then reports it). */
#define KEY_EMBED_DEPTH 64

/* body[i]: what note i's final HTML is made from: its parse products
 * (their cache key), its slug and title, and where each of its links
 * points; for an embed, the embedded note's body key. A note on or above
 * an embed cycle, or without a cache key, gets body_ok false. */
static void body_key(struct site *s, int i, int depth)
{
	if (s->body_state[i] == 2)
		return;
	const struct kb_note *n = &s->kb->notes[i];
	const unsigned char *ck = cache_note_content_key(s->cache, (size_t)i);
	bool ok = ck != NULL && depth < KEY_EMBED_DEPTH;
	s->body_state[i] = 1;
	struct cache_key *k = cache_key_new("kbc body");
	if (ck)
		cache_key_bytes(k, ck, 16);
	cache_key_str(k, n->slug);
	cache_key_str(k, n->title);
	/* The links themselves (kind, target, label) are parse products: how
	 * each resolved is not. */
	cache_key_int(k, (long long)n->n_links);
	for (size_t l = 0; l < n->n_links && ok; l++) {
		const struct kb_link *lk = &n->links[l];
		cache_key_int(k, lk->to_note >= 0);
		if (lk->to_note < 0 || lk->kind == KB_LINK_TAG)
			continue;
		const struct kb_note *t = &s->kb->notes[lk->to_note];
		cache_key_bytes(k, s->slugh[lk->to_note], 16);
		cache_key_str(k, lk->to_heading >= 0 ? t->headings[lk->to_heading].id : NULL);
		if (lk->kind != KB_LINK_EMBED)
			continue;
		if (s->body_state[lk->to_note] == 1) {
			ok = false;   /* a cycle: reported when the page is rendered */
			break;
		}
		body_key(s, lk->to_note, depth + 1);
		ok = ok && s->body_ok[lk->to_note];
		cache_key_bytes(k, s->body[lk->to_note], 16);
	}
	key_digest(k, s->body[i]);
	s->body_ok[i] = ok;
	s->body_state[i] = 2;
}

static void node_key(struct site *s, size_t i)
{
	if (s->kb->notes[i].skip)
		return;
	struct buf b = BUF_INIT;
	graphview_node_inputs(s->graph, (int)i, &b);
	struct cache_key *k = cache_key_new("kbc graph node");
	cache_key_bytes(k, b.data, b.len);
	key_digest(k, s->nodeh[i]);
	buf_free(&b);
}

/* The key of note i's page (not the home page's). False: not keyable. */
static bool note_page_key(struct site *s, int i, const char *rel, unsigned char out[16])
{
	const struct kb *kb = s->kb;
	const struct kb_note *n = &kb->notes[i];
	if (!s->body_ok[i])
		return false;
	struct cache_key *k = cache_key_new("kbc note page");
	key_base(s, k, i, n->slug);
	cache_key_bytes(k, s->body[i], 16);
	cache_key_str(k, n->title);
	cache_key_str(k, n->purpose);
	cache_key_str(k, n->slug);
	cache_key_str(k, n->rel);
	cache_key_str(k, n->date);
	cache_key_int(k, (long long)n->words);
	cache_key_int(k, (long long)n->n_tags);
	for (size_t t = 0; t < n->n_tags; t++)
		cache_key_str(k, n->tags[t]);
	/* previous and next */
	int at = s->pos[i];
	cache_key_int(k, at);
	if (at > 0)
		cache_key_bytes(k, s->navh[at - 1], 16);
	if (at >= 0 && (size_t)at + 1 < s->n_order)
		cache_key_bytes(k, s->navh[at + 1], 16);
	/* backlinks */
	cache_key_int(k, (long long)(s->ref_start[i + 1] - s->ref_start[i]));
	for (size_t r = s->ref_start[i]; r < s->ref_start[i + 1]; r++) {
		const struct backref *b = &s->refs[r];
		cache_key_bytes(k, s->navh[s->pos[b->source]], 16);
		cache_key_bytes(k, b->key, 16);
	}
	/* local graph */
	int drawn[GRAPHVIEW_LOCAL_MAX];
	size_t n1;
	size_t nd = graphview_local_notes(s->graph, i, drawn, &n1);
	cache_key_int(k, (long long)nd);
	cache_key_int(k, (long long)n1);
	for (size_t d = 0; d < nd; d++)
		cache_key_bytes(k, s->nodeh[drawn[d]], 16);
	/* ledger topics */
	for (size_t x = s->topic_start[i]; x < s->topic_start[i + 1]; x++) {
		const struct kb_topic *tp = &kb->topics[s->topic_list[x]];
		cache_key_str(k, tp->term);
		cache_key_str(k, tp->summary);
		cache_key_int(k, tp->heading);
	}
	unsigned char deps[16];
	key_digest(k, deps);
	cache_page_key(s->cache, i == kb->home ? "home.html" : "note.html", rel, deps, out);
	return true;
}

/* A page keyed by `k` (freed): true when the previous site's file was
 * taken (the page is counted), false when the page is to be rendered
 * (emit_render() counts it). `tmpl` NULL: a file made without template. */
static bool reuse_keyed(struct site *s, const char *tmpl, const char *rel, struct cache_key *k)
{
	unsigned char deps[16], hash[16];
	key_digest(k, deps);
	cache_page_key(s->cache, tmpl, rel, deps, hash);
	atomic_fetch_add(&s->pages, 1);
	return cache_page_reuse(s->cache, rel, hash);
}

/* A file written without a template, keyed by `k` (freed): true when the
 * previous site's file was taken. Not counted as a page. */
static bool reuse_file(struct site *s, const char *rel, struct cache_key *k)
{
	unsigned char deps[16], hash[16];
	key_digest(k, deps);
	cache_page_key(s->cache, NULL, rel, deps, hash);
	return cache_page_reuse(s->cache, rel, hash);
}

/* Topics by the note they point at, in ledger order. */
static void collect_topics(struct site *s)
{
	struct kb *kb = s->kb;
	s->topic_start = xcalloc(kb->n_notes + 2, sizeof *s->topic_start);
	s->topic_list = xcalloc(kb->n_topics + 1, sizeof *s->topic_list);
	for (size_t t = 0; t < kb->n_topics; t++)
		if (kb->topics[t].note >= 0)
			s->topic_start[kb->topics[t].note + 1]++;
	for (size_t i = 0; i < kb->n_notes; i++)
		s->topic_start[i + 1] += s->topic_start[i];
	size_t *fill = xcalloc(kb->n_notes + 1, sizeof *fill);
	for (size_t t = 0; t < kb->n_topics; t++) {
		int ni = kb->topics[t].note;
		if (ni >= 0)
			s->topic_list[s->topic_start[ni] + fill[ni]++] = t;
	}
	free(fill);
}

/* Note page i: its key, and the previous site's file when it matches;
 * else it is marked to be rendered. */
static void key_note_page(struct site *s, size_t i)
{
	struct kb *kb = s->kb;
	struct kb_note *n = &kb->notes[i];
	if (n->skip)
		return;
	s->todo[i] = TODO_EMIT;
	if ((int)i == kb->home)
		return;   /* the home page shows whole-site figures: always built */
	struct buf rel = BUF_INIT;
	buf_printf(&rel, "%s.html", n->slug);
	unsigned char hash[16];
	if (note_page_key(s, (int)i, rel.data, hash)) {
		atomic_fetch_add(&s->pages, 1);
		/* Recorded either way; when not reused, rendered under this key. */
		s->todo[i] = cache_page_reuse(s->cache, rel.data, hash) ? TODO_NONE : TODO_RENDER;
	}
	buf_free(&rel);
}

static void slug_key(struct site *s, size_t i)
{
	const char *slug = s->kb->notes[i].slug;
	if (!s->kb->notes[i].skip && slug)
		cache_hash(slug, strlen(slug), s->slugh[i]);
}

static void nav_key(struct site *s, size_t i)
{
	if (i < s->n_order)
		key_note_ref(&s->kb->notes[s->order[i]], s->navh[i]);
}

/* Notes that embed nothing have their body keys made on all threads; the
 * others, which recurse, on one. */
static void plain_body_key(struct site *s, size_t i)
{
	const struct kb_note *n = &s->kb->notes[i];
	if (n->skip)
		return;
	for (size_t l = 0; l < n->n_links; l++)
		if (n->links[l].kind == KB_LINK_EMBED && n->links[l].to_note >= 0)
			return;
	body_key(s, (int)i, 0);
}

static void compute_keys(struct site *s)
{
	struct kb *kb = s->kb;
	size_t nn = kb->n_notes + 1;
	s->navh = xcalloc(nn, sizeof *s->navh);
	s->nodeh = xcalloc(nn, sizeof *s->nodeh);
	s->body = xcalloc(nn, sizeof *s->body);
	s->body_state = xcalloc(nn, 1);
	s->body_ok = xcalloc(nn, sizeof *s->body_ok);
	s->slugh = xcalloc(nn, sizeof *s->slugh);
	compute_site_key(s);
	parallel_for(s, kb->n_notes, slug_key);
	parallel_for(s, s->n_order, nav_key);
	parallel_for(s, kb->n_notes, node_key);
	parallel_for(s, kb->n_notes, plain_body_key);
	for (size_t i = 0; i < kb->n_notes; i++)
		if (!kb->notes[i].skip)
			body_key(s, (int)i, 0);
}

/* Note i's body, when it waits in the build cache: fetched through
 * load_body. False (the build failed, reported) when it cannot be. */
static bool fetch_body(struct site *s, size_t i)
{
	struct kb_note *n = &s->kb->notes[i];
	if (n->html)
		return true;
	if (!s->load_body)
		diag_sys("%s: its body was not restored and cannot be loaded", n->path);
	if (s->load_body && s->load_body(s->kb, i, s->load_arg) == 0)
		return true;
	s->failed = true;
	return false;
}

static void render_note_body(struct site *s, size_t i);

/* A late body (render_notes): fetched, then made final, on the page's
 * own thread. */
static void late_body(struct site *s, size_t i)
{
	if (fetch_body(s, i))
		render_note_body(s, i);
}

static void render_note_page(struct site *s, size_t i)
{
	struct kb *kb = s->kb;
	struct kb_note *n = &kb->notes[i];
	if (n->skip || s->todo[i] == TODO_NONE)
		return;
	if (s->late_body[i])
		late_body(s, i);
	/* The page's values are made in an arena and freed in one go. */
	struct tv_arena arena = TV_ARENA_INIT;
	struct tv_arena *prev = tv_arena_use(&arena);
	struct tval *ctx = base_ctx(s, (int)i, n->slug);
	tv_set(ctx, "page", page_val(s, (int)i));
	if ((int)i == kb->home)
		tv_set(ctx, "groups", groups_val(s, n->slug));
	struct buf rel = BUF_INIT;
	buf_printf(&rel, "%s.html", n->slug);
	const char *tmpl = (int)i == kb->home ? "home.html" : "note.html";
	if (s->todo[i] == TODO_RENDER)
		emit_render(s, tmpl, rel.data, ctx);
	else
		emit(s, tmpl, rel.data, ctx);
	buf_free(&rel);
	tv_arena_use(prev);
	tv_arena_free(&arena);
	/* Its page was the body's last reader (embeds were expanded before
	 * any page): on a large vault the bodies are much of the memory the
	 * build holds while the search index is made beside the pages. */
	free(n->html);
	n->html = NULL;
}

/* The body's link marks become links, now that they are resolved. */
static void render_note_body(struct site *s, size_t i)
{
	struct kb_note *n = &s->kb->notes[i];
	if (n->skip || !n->html || !s->need_body[i])
		return;
	struct buf b = BUF_INIT;
	markdown_links(s->kb, (int)i, graph_link_href, &b);
	free(n->html);
	n->html = buf_detach(&b);
}

static void render_early_body(struct site *s, size_t i)
{
	if (!s->late_body[i])
		render_note_body(s, i);
}

/* Does note n embed anything (resolved or not)? */
static bool has_embeds(const struct kb_note *n)
{
	for (size_t l = 0; l < n->n_links; l++)
		if (n->links[l].kind == KB_LINK_EMBED)
			return true;
	return false;
}

/* Mark note i in mark[] and, through its embeds, every note whose body
 * its body shows; marked notes are not walked again. *stack (of *cap) is
 * scratch kept across calls. */
static void mark_embedded(const struct kb *kb, int i, bool *mark, int **stack, size_t *cap)
{
	size_t n = 0;
	mark[i] = true;
	*VEC_PUSH(*stack, n, *cap) = i;
	while (n) {
		const struct kb_note *x = &kb->notes[(*stack)[--n]];
		for (size_t l = 0; l < x->n_links; l++) {
			int t = x->links[l].to_note;
			if (x->links[l].kind != KB_LINK_EMBED || t < 0 || mark[t])
				continue;
			mark[t] = true;
			*VEC_PUSH(*stack, n, *cap) = t;
		}
	}
}

/* need_body[]: the notes whose pages are rendered and, through embeds,
 * every note whose body those show. */
static void mark_bodies(struct site *s)
{
	struct kb *kb = s->kb;
	int *stack = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < kb->n_notes; i++)
		if (!kb->notes[i].skip && s->todo[i] != TODO_NONE && !s->need_body[i])
			mark_embedded(kb, (int)i, s->need_body, &stack, &cap);
	free(stack);
}

static void expand_embeds(struct site *s);

/* Notes restored or kept in the build cache have their body's HTML
 * there: here it is fetched for every note whose body a page shows
 * (need_body) but not late (late_body), or whose embeds are walked (a
 * note that embeds, for the diagnostics even when its page is taken
 * from the previous site, and what it embeds, transitively). */
static void load_bodies(struct site *s)
{
	struct kb *kb = s->kb;
	bool *want = xcalloc(kb->n_notes + 1, sizeof *want);
	int *stack = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *x = &kb->notes[i];
		if (!x->skip && !want[i] && !s->late_body[i] && (s->need_body[i] || has_embeds(x)))
			mark_embedded(kb, (int)i, want, &stack, &cap);
	}
	free(stack);
	for (size_t i = 0; i < kb->n_notes; i++)
		if (want[i] && !kb->notes[i].skip)
			fetch_body(s, i);
	free(want);
}

/* late_body[]: the bodies a page needs that neither embed nor are
 * embedded by any note. Only their own page shows them, so that page's
 * task fetches and finishes each (late_body()) and frees it once the
 * page is made: the build holds a few such bodies at a time, not all of
 * them. The others are all made here, before any page, since embeds read
 * and rewrite them across notes. */
static void mark_late_bodies(struct site *s)
{
	struct kb *kb = s->kb;
	bool *embedded = xcalloc(kb->n_notes + 1, sizeof *embedded);
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		for (size_t l = 0; l < n->n_links; l++)
			if (n->links[l].kind == KB_LINK_EMBED && n->links[l].to_note >= 0)
				embedded[n->links[l].to_note] = true;
	}
	for (size_t i = 0; i < kb->n_notes; i++)
		s->late_body[i] = s->need_body[i] && !embedded[i] && !kb->notes[i].skip &&
			!has_embeds(&kb->notes[i]);
	free(embedded);
}

/* Note pages: keyed pages taken from the previous site, the others
 * get the bodies they show (rendered now, or late by their page's task). */
static void render_notes(struct site *s)
{
	struct kb *kb = s->kb;
	s->todo = xcalloc(kb->n_notes + 1, 1);
	s->need_body = xcalloc(kb->n_notes + 1, sizeof *s->need_body);
	s->late_body = xcalloc(kb->n_notes + 1, sizeof *s->late_body);
	if (s->keyed) {
		parallel_for(s, kb->n_notes, key_note_page);
	} else {
		for (size_t i = 0; i < kb->n_notes; i++)
			s->todo[i] = kb->notes[i].skip ? TODO_NONE : TODO_EMIT;
	}
	mark_bodies(s);
	mark_late_bodies(s);
	load_bodies(s);
	parallel_for(s, kb->n_notes, render_early_body);
	expand_embeds(s);
}

/* index.html when no note is the home page. */
static void render_index(struct site *s)
{
	if (s->kb->home >= 0)
		return;
	struct tval *ctx = base_ctx(s, -1, "index");
	tv_set(ctx, "page", tv_null());
	tv_set(ctx, "groups", groups_val(s, "index"));
	emit(s, "home.html", "index.html", ctx);
}

static int cmp_topic_az(const void *a, const void *b, void *arg)
{
	const struct kb *kb = arg;
	const struct kb_topic *x = &kb->topics[*(const size_t *)a], *y = &kb->topics[*(const size_t *)b];
	char *kx = text_key(x->term), *ky = text_key(y->term);
	int c = strcmp(kx, ky);
	free(kx);
	free(ky);
	return c ? c : strcmp(x->term, y->term);
}

static struct tval *topic_val(struct site *s, size_t t, const char *from_slug)
{
	const struct kb_topic *tp = &s->kb->topics[t];
	struct tval *m = tv_map();
	tv_set(m, "term", tv_ref(tp->term));
	tv_set(m, "summary", tv_ref(tp->summary));
	char *id = text_slug(tp->term);
	struct buf b = BUF_INIT;
	buf_printf(&b, "topic-%s", id);
	tv_set(m, "id", tv_str(b.data));
	buf_free(&b);
	free(id);
	if (tp->note >= 0) {
		const struct kb_note *n = &s->kb->notes[tp->note];
		const char *hid = tp->heading >= 0 ? n->headings[tp->heading].id : NULL;
		tv_set(m, "url", url_val(from_slug, n->slug, hid));
		tv_set(m, "note_title", tv_ref(n->title));
		tv_set(m, "heading", tv_ref(tp->heading >= 0 ? n->headings[tp->heading].text : NULL));
	} else {
		tv_set(m, "url", tv_ref(""));
		tv_set(m, "note_title", tv_ref(""));
		tv_set(m, "heading", tv_null());
	}
	struct tval *al = tv_set(m, "aliases", tv_list());
	for (size_t i = 0; i < tp->n_aliases; i++)
		tv_push(al, tv_ref(tp->aliases[i]));
	return m;
}

static void render_ledger(struct site *s)
{
	struct kb *kb = s->kb;
	if (!kb->n_topics)
		return;
	if (s->keyed) {
		struct cache_key *k = cache_key_new("kbc ledger page");
		key_base(s, k, -1, "ledger");
		cache_key_int(k, (long long)kb->n_groups);
		for (size_t g = 0; g < kb->n_groups; g++)
			cache_key_str(k, kb->groups[g].name);
		cache_key_int(k, (long long)kb->n_topics);
		for (size_t t = 0; t < kb->n_topics; t++) {
			const struct kb_topic *tp = &kb->topics[t];
			cache_key_str(k, tp->term);
			cache_key_str(k, tp->summary);
			cache_key_int(k, (long long)tp->group);
			cache_key_int(k, (long long)tp->n_aliases);
			for (size_t a = 0; a < tp->n_aliases; a++)
				cache_key_str(k, tp->aliases[a]);
			cache_key_int(k, tp->note >= 0);
			if (tp->note < 0)
				continue;
			const struct kb_note *n = &kb->notes[tp->note];
			cache_key_str(k, n->slug);
			cache_key_str(k, n->title);
			cache_key_str(k, tp->heading >= 0 ? n->headings[tp->heading].id : NULL);
			cache_key_str(k, tp->heading >= 0 ? n->headings[tp->heading].text : NULL);
		}
		if (reuse_keyed(s, "ledger.html", "ledger.html", k))
			return;
	}
	struct tval *ctx = base_ctx(s, -1, "ledger");
	tv_set(ctx, "groups", groups_val(s, "ledger"));
	size_t *az = xmalloc(kb->n_topics * sizeof *az);
	for (size_t t = 0; t < kb->n_topics; t++)
		az[t] = t;
	qsort_r(az, kb->n_topics, sizeof *az, cmp_topic_az, kb);
	struct tval *letters = tv_set(ctx, "az", tv_list());
	struct tval *cur = NULL;
	char last[8] = "";
	for (size_t i = 0; i < kb->n_topics; i++) {
		char *k = text_key(kb->topics[az[i]].term);
		char letter[8] = "#";
		unsigned char c0 = (unsigned char)k[0];
		if ((c0 >= 'a' && c0 <= 'z'))
			letter[0] = (char)(c0 - 32);
		free(k);
		if (!cur || strcmp(letter, last)) {
			cur = tv_push(letters, tv_map());
			tv_set(cur, "letter", tv_str(letter));
			tv_set(cur, "topics", tv_list());
			snprintf(last, sizeof last, "%s", letter);
		}
		struct tval *tl = (struct tval *)tv_get(cur, "topics");
		tv_push(tl, topic_val(s, az[i], "ledger"));
	}
	free(az);
	char num[32];
	snprintf(num, sizeof num, "%zu", kb->n_topics);
	tv_set(ctx, "count", tv_str(num));
	if (s->keyed)
		emit_render(s, "ledger.html", "ledger.html", ctx);
	else
		emit(s, "ledger.html", "ledger.html", ctx);
}

struct tag_entry {
	const char *tag;
	int note;
};

static int cmp_tag_entry(const void *a, const void *b)
{
	const struct tag_entry *x = a, *y = b;
	int c = strcmp(x->tag, y->tag);
	return c ? c : (x->note > y->note) - (x->note < y->note);
}

/* Tag page g: the notes carrying the tag, in reading order. Runs on the
 * pool's threads (parallel_for). */
static void render_tag_page(struct site *s, size_t g)
{
	const struct tag_entry *v = s->tag_v;
	size_t i = s->tag_start[g], j = s->tag_start[g + 1];
	struct buf page = BUF_INIT;
	graph_tag_page(&page, v[i].tag);
	char num[32];
	snprintf(num, sizeof num, "%zu", j - i);
	struct buf rel = BUF_INIT;
	buf_printf(&rel, "%s.html", page.data);
	bool taken = false;
	if (s->keyed) {
		struct cache_key *k = cache_key_new("kbc tag page");
		key_base(s, k, -1, page.data);
		cache_key_str(k, v[i].tag);
		cache_key_int(k, (long long)(j - i));
		for (size_t x = i; x < j; x++)
			cache_key_bytes(k, s->navh[v[x].note], 16);
		taken = reuse_keyed(s, "tag.html", rel.data, k);
	}
	if (!taken) {
		struct tv_arena arena = TV_ARENA_INIT;
		struct tv_arena *prev = tv_arena_use(&arena);
		struct tval *ctx = base_ctx(s, -1, page.data);
		tv_set(ctx, "tag", tv_ref(v[i].tag));
		tv_set(ctx, "count", tv_str(num));
		struct tval *notes = tv_set(ctx, "notes", tv_list());
		for (size_t k = i; k < j; k++)
			tv_push(notes, note_ref(s, s->order[v[k].note], page.data));
		if (s->keyed)
			emit_render(s, "tag.html", rel.data, ctx);
		else
			emit(s, "tag.html", rel.data, ctx);
		tv_arena_use(prev);
		tv_arena_free(&arena);
	}
	buf_free(&rel);
	buf_free(&page);
}

/* The tag pages (tag_v, tag_start, n_tag_pages) and tags.html's list
 * (tag_list; NULL when the previous site's file is taken), made on the
 * main thread; the pages are rendered by render_page_task. */
static void plan_tags(struct site *s)
{
	struct kb *kb = s->kb;
	struct tag_entry *v = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < s->n_order; i++) {
		const struct kb_note *note = &kb->notes[s->order[i]];
		for (size_t t = 0; t < note->n_tags; t++) {
			struct tag_entry *e = VEC_PUSH(v, n, cap);
			e->tag = note->tags[t];
			e->note = (int)i;   /* position in reading order */
		}
	}
	if (n)
		qsort(v, n, sizeof *v, cmp_tag_entry);
	size_t *start = xmalloc((n + 1) * sizeof *start), groups = 0;
	struct tval *list = tv_list();
	struct cache_key *all_key = s->keyed ? cache_key_new("kbc tags page") : NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(v[j].tag, v[i].tag))
			j++;
		start[groups++] = i;
		struct buf page = BUF_INIT;
		graph_tag_page(&page, v[i].tag);
		char num[32];
		snprintf(num, sizeof num, "%zu", j - i);
		struct tval *e = tv_push(list, tv_map());
		tv_set(e, "name", tv_ref(v[i].tag));
		tv_set(e, "url", url_val("tags", page.data, NULL));
		tv_set(e, "count", tv_str(num));
		if (all_key) {
			cache_key_str(all_key, v[i].tag);
			cache_key_int(all_key, (long long)(j - i));
		}
		buf_free(&page);
		i = j;
	}
	start[groups] = n;
	s->tag_v = v;
	s->tag_start = start;
	s->n_tag_pages = groups;
	if (all_key) {
		key_base(s, all_key, -1, "tags");
		if (reuse_keyed(s, "tags.html", "tags.html", all_key)) {
			tv_free(list);
			list = NULL;
		}
	}
	s->tag_list = list;
}

/* tags.html, unless taken (plan_tags). */
static void render_tags_page(struct site *s)
{
	struct tval *list = s->tag_list;
	if (!list)
		return;
	s->tag_list = NULL;
	struct tval *all = base_ctx(s, -1, "tags");
	char num[32];
	snprintf(num, sizeof num, "%zu", list->n);
	tv_set(all, "tags", list);
	tv_set(all, "count", tv_str(num));
	if (s->keyed)
		emit_render(s, "tags.html", "tags.html", all);
	else
		emit(s, "tags.html", "tags.html", all);
}

/* link_keys[link_off[i] + l]: the link's number, heading and context. */
static void backlink_key(struct site *s, size_t i)
{
	const struct kb_note *n = &s->kb->notes[i];
	if (n->skip)
		return;
	struct buf b = BUF_INIT;
	for (size_t l = 0; l < n->n_links; l++) {
		const struct kb_link *k = &n->links[l];
		long long v[2] = { (long long)l, k->to_heading };
		buf_reset(&b);
		buf_put(&b, v, sizeof v);
		buf_puts(&b, k->context ? k->context : "");
		buf_putc(&b, k->context != NULL);
		cache_hash(b.data, b.len, s->link_keys[s->link_off[i] + l]);
	}
	buf_free(&b);
}

static void collect_backrefs(struct site *s)
{
	/* Counted into place by target: links are met by source, then by
	 * link, so each target's run comes out in that order. */
	struct kb *kb = s->kb;
	size_t *link_off = NULL;
	unsigned char (*link_keys)[16] = NULL;
	if (s->keyed) {
		/* What a backlink shows of its link, hashed here on all threads,
		 * where links are read in memory order, not once per target page. */
		link_off = xcalloc(kb->n_notes + 1, sizeof *link_off);
		for (size_t i = 0; i < kb->n_notes; i++)
			link_off[i + 1] = link_off[i] + kb->notes[i].n_links;
		link_keys = xcalloc(link_off[kb->n_notes] + 1, sizeof *link_keys);
		s->link_off = link_off;
		s->link_keys = link_keys;
		parallel_for(s, kb->n_notes, backlink_key);
	}
	s->ref_start = xcalloc(kb->n_notes + 2, sizeof *s->ref_start);
	for (int pass = 0; pass < 2; pass++) {
		size_t *fill = pass ? xcalloc(kb->n_notes + 1, sizeof *fill) : NULL;
		for (size_t i = 0; i < kb->n_notes; i++) {
			const struct kb_note *n = &kb->notes[i];
			if (n->skip)
				continue;
			for (size_t l = 0; l < n->n_links; l++) {
				const struct kb_link *k = &n->links[l];
				if (k->to_note < 0 || k->to_note == (int)i || k->kind == KB_LINK_TAG)
					continue;
				if (!pass) {
					s->ref_start[k->to_note + 1]++;
					continue;
				}
				struct backref *r = &s->refs[s->ref_start[k->to_note] + fill[k->to_note]++];
				r->target = k->to_note;
				r->source = (int)i;
				r->link = l;
				if (link_keys)
					memcpy(r->key, link_keys[link_off[i] + l], 16);
			}
		}
		if (!pass) {
			for (size_t t = 0; t < kb->n_notes; t++)
				s->ref_start[t + 1] += s->ref_start[t];
			s->n_refs = s->ref_start[kb->n_notes];
			s->refs = xcalloc(s->n_refs + 1, sizeof *s->refs);
		}
		free(fill);
	}
	free(link_off);
	free(link_keys);
	s->link_off = NULL;
	s->link_keys = NULL;
	/* refs[ref_start[t] .. ref_start[t + 1]) are the links into note t */
}

/* Link previews: for every note, its title, purpose and the start of
 * each section, keyed by page URL (no fetch: classic scripts that call
 * kbcPreviews(data), loaded by assets/previews.js on the first hover).
 * One file for all notes would be megabytes on a large site and rewritten
 * on any preview's change, so the notes are spread over shards by a hash
 * of their page's path, FNV-1a, which the client computes too:
 *   previews.js          kbcPreviews({"shards":S})
 *   previews/p-NNN.js    kbcPreviews({"shard":N,"notes":{PAGE:ENTRY,...}})
 * S is a power of two, about one shard per PREVIEW_SHARD_NOTES notes, so
 * a note's shard changes only when the note count crosses a power of two. */
#define PREVIEW_CHARS 280
#define PREVIEW_SHARD_NOTES 64

/* The bytes of `text` a preview shows: *n of them, *cut when that is not
 * all of it. */
static void preview_cut(const char *text, size_t *n_out, bool *cut)
{
	size_t n = strnlen(text, PREVIEW_CHARS + 1);
	*cut = n > PREVIEW_CHARS;
	if (n > PREVIEW_CHARS) {
		n = PREVIEW_CHARS;
		while (n && text[n] != ' ')
			n--;
		while (n && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	*n_out = n;
}

static void preview_text(struct buf *b, const char *text)
{
	size_t n;
	bool cut_short;
	preview_cut(text, &n, &cut_short);
	char *cut = xstrndup(text, n);
	json_escape(b, cut);
	if (cut_short)
		buf_puts(b, "\u2026");
	free(cut);
}

/* The shard of a note's page "SLUG.html" among `shards` (a power of two):
 * FNV-1a (32 bits) of the path's bytes. assets/previews.js computes the
 * same from the link's URL. */
static size_t preview_shard(const char *slug, size_t shards)
{
	uint32_t h = 2166136261u;
	for (const char *p = slug; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = ".html"; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h & (shards - 1);
}

/* What note order[i]'s entry in previews.js shows: title, slug, purpose
 * and each section's heading and first words (not the whole note: an
 * edit past those leaves its shard as it was). */
static void preview_key(struct site *s, size_t i)
{
	if (i >= s->n_order)
		return;
	const struct kb_note *n = &s->kb->notes[s->order[i]];
	struct cache_key *k = cache_key_new("kbc preview");
	cache_key_bytes(k, s->navh[i], 16);
	cache_key_int(k, (long long)n->n_sections);
	for (size_t x = 0; x < n->n_sections; x++) {
		const struct kb_section *sec = &n->sections[x];
		size_t len;
		bool cut;
		preview_cut(sec->text, &len, &cut);
		cache_key_str(k, sec->heading >= 0 ? n->headings[sec->heading].id : NULL);
		cache_key_str(k, sec->heading >= 0 ? n->headings[sec->heading].text : NULL);
		cache_key_bytes(k, sec->text, len);
		cache_key_int(k, cut);
	}
	key_digest(k, s->prevh[i]);
}

static void preview_shard_name(char *name, size_t size, size_t h)
{
	snprintf(name, size, "previews/p-%03zu.js", h);
}

/* Spread the notes over shards, and decide which files are to be
 * written (not taken from the last site). Main thread. */
static void plan_previews(struct site *s)
{
	size_t shards = 1;
	while (shards * PREVIEW_SHARD_NOTES < s->n_order)
		shards *= 2;
	s->n_prev_shards = shards;
	s->prev_start = xcalloc(shards + 1, sizeof *s->prev_start);
	s->prev_list = xmalloc((s->n_order ? s->n_order : 1) * sizeof *s->prev_list);
	s->prev_todo = xmalloc(shards * sizeof *s->prev_todo);
	size_t *shard_of = xmalloc((s->n_order ? s->n_order : 1) * sizeof *shard_of);
	for (size_t i = 0; i < s->n_order; i++) {
		shard_of[i] = preview_shard(s->kb->notes[s->order[i]].slug, shards);
		s->prev_start[shard_of[i] + 1]++;
	}
	for (size_t h = 0; h < shards; h++)
		s->prev_start[h + 1] += s->prev_start[h];
	size_t *fill = xcalloc(shards, sizeof *fill);
	for (size_t i = 0; i < s->n_order; i++)
		s->prev_list[s->prev_start[shard_of[i]] + fill[shard_of[i]]++] = i;
	free(fill);
	free(shard_of);

	s->previews_todo = s->out != NULL;
	for (size_t h = 0; h < shards; h++)
		s->prev_todo[h] = s->out != NULL;
	if (!s->keyed)
		return;
	s->prevh = xcalloc(s->n_order + 1, sizeof *s->prevh);
	parallel_for(s, s->n_order, preview_key);
	struct cache_key *k = cache_key_new("kbc previews");
	cache_key_int(k, (long long)shards);
	s->previews_todo = !reuse_file(s, "previews.js", k);
	for (size_t h = 0; h < shards; h++) {
		char name[48];
		preview_shard_name(name, sizeof name, h);
		k = cache_key_new("kbc previews shard");
		cache_key_int(k, (long long)h);
		for (size_t x = s->prev_start[h]; x < s->prev_start[h + 1]; x++)
			cache_key_bytes(k, s->prevh[s->prev_list[x]], 16);
		s->prev_todo[h] = !reuse_file(s, name, k);
	}
}

static void render_previews(struct site *s)
{
	if (!s->previews_todo)
		return;
	char text[64];
	int n = snprintf(text, sizeof text, "kbcPreviews({\"shards\":%zu});\n", s->n_prev_shards);
	if (output_write(s->out, "previews.js", text, (size_t)n) < 0)
		s->failed = true;
}

/* Shard h of the previews (a pool task). */
static void render_preview_shard(struct site *s, size_t h)
{
	struct kb *kb = s->kb;
	if (!s->prev_todo[h])
		return;
	struct buf b = BUF_INIT;
	buf_printf(&b, "kbcPreviews({\"shard\":%zu,\"notes\":{", h);
	for (size_t x = s->prev_start[h]; x < s->prev_start[h + 1]; x++) {
		const struct kb_note *n = &kb->notes[s->order[s->prev_list[x]]];
		buf_printf(&b, "%s\n\"", x > s->prev_start[h] ? "," : "");
		json_escape(&b, n->slug);
		buf_puts(&b, ".html\":{\"t\":\"");
		json_escape(&b, n->title);
		buf_puts(&b, "\",\"p\":\"");
		json_escape(&b, n->purpose ? n->purpose : "");
		buf_puts(&b, "\",\"s\":{");
		for (size_t k = 0; k < n->n_sections; k++) {
			const struct kb_section *sec = &n->sections[k];
			buf_printf(&b, "%s\"", k ? "," : "");
			if (sec->heading >= 0)
				json_escape(&b, n->headings[sec->heading].id);
			buf_puts(&b, "\":[\"");
			if (sec->heading >= 0)
				json_escape(&b, n->headings[sec->heading].text);
			buf_puts(&b, "\",\"");
			preview_text(&b, sec->text);
			buf_puts(&b, "\"]");
		}
		buf_puts(&b, "}}");
	}
	buf_puts(&b, "\n}});\n");
	char name[48];
	preview_shard_name(name, sizeof name, h);
	if (output_write(s->out, name, b.data, b.len) < 0)
		s->failed = true;
	buf_free(&b);
}

/* graph.html: keyed by what the graph views show of every note. Its
 * layout (Graphviz, the slow part) is kept in the cache under a key of
 * its own inputs, which change less often than the page. The cache is
 * read here, on the main thread, before the pool runs
 * (render_graph_page), and written after it (keep_graph_layout). */
static void plan_graph(struct site *s)
{
	struct kb *kb = s->kb;
	s->graph_todo = true;
	if (s->keyed) {
		struct cache_key *k = cache_key_new("kbc graph page");
		key_base(s, k, -1, "graph");
		for (size_t i = 0; i < kb->n_notes; i++)
			if (!kb->notes[i].skip)
				cache_key_bytes(k, s->nodeh[i], 16);
		if (reuse_keyed(s, "graph.html", "graph.html", k)) {
			s->graph_todo = false;
			return;
		}
		struct buf in = BUF_INIT;
		graphview_global_inputs(s->graph, &in);
		k = cache_key_new("kbc graph layout");
		cache_key_bytes(k, in.data, in.len);
		key_digest(k, s->graph_lkey);
		buf_free(&in);
		s->graph_kept = cache_blob_get(s->cache, s->graph_lkey, &s->graph_layout) == 0;
	}
}

/* The graph page's list of every note and its links is most of its bytes
 * (142 MB on a vault of 100,000 notes), so it is made straight into the
 * page rather than made and then copied there: the template is rendered
 * with this mark for the list, and the list is made in the mark's place.
 * A template that does not show the list raw exactly once (a project's
 * graph.html may escape it, or show it twice) does not show the mark
 * exactly once either (the '<' is escaped): the page is then rendered
 * again with the list itself, as any page is (emit_render). The page is
 * the same either way. */
#define GRAPH_LIST_MARK "\x01<kbc graph list>\x01"

static void render_graph_page(struct site *s)
{
	if (!s->graph_todo)
		return;
	struct tval *ctx = base_ctx(s, -1, "graph");
	struct buf svg = BUF_INIT;
	double t0 = now_ms();
	if (graphview_global(s->graph, "graph", &svg, &s->graph_layout) < 0) {
		s->failed = true;
		s->graph_todo = false;   /* no layout to keep */
	}
	render_graph_global_ms = now_ms() - t0;
	tv_set(ctx, "svg", tv_str_own(buf_detach(&svg)));
	tv_set(ctx, "list", tv_ref(GRAPH_LIST_MARK));
	if (!s->keyed)
		atomic_fetch_add(&s->pages, 1);   /* as emit() counts it */
	struct buf marked = BUF_INIT;
	int rc = template_render(s->ts, "graph.html", ctx, &marked);
	size_t mark_len = strlen(GRAPH_LIST_MARK);
	const char *mark = rc == 0 ? strstr(marked.data, GRAPH_LIST_MARK) : NULL;
	if (rc == 0 && (!mark || strstr(mark + mark_len, GRAPH_LIST_MARK))) {
		struct buf list = BUF_INIT;
		graphview_list(s->graph, "graph", &list);
		tv_set(ctx, "list", tv_str_own(buf_detach(&list)));
		emit_render(s, "graph.html", "graph.html", ctx);
	} else {
		atomic_fetch_add(&s->rendered, 1);
		tv_free(ctx);
		struct buf page = BUF_INIT;
		if (mark) {
			size_t at = (size_t)(mark - marked.data);
			buf_put(&page, marked.data, at);
			graphview_list(s->graph, "graph", &page);
			buf_put(&page, mark + mark_len, marked.len - at - mark_len);
		}
		emit_bytes(s, "graph.html", &page, rc);
		buf_free(&page);
	}
	buf_free(&marked);
}

/* A layout made anew this build, kept for the next one. Main thread. */
static void keep_graph_layout(struct site *s)
{
	if (s->keyed && s->graph_todo && !s->graph_kept && s->graph_layout.len)
		cache_blob_put(s->cache, s->graph_lkey, s->graph_layout.data, s->graph_layout.len);
	buf_free(&s->graph_layout);
}

static void render_sitemap(struct site *s)
{
	struct kb *kb = s->kb;
	if (!*kb->cfg.base_url || !s->out)
		return;
	if (s->keyed) {
		struct cache_key *k = cache_key_new("kbc sitemap");
		cache_key_str(k, kb->cfg.base_url);
		cache_key_int(k, kb->n_topics > 0);
		cache_key_int(k, kb->home >= 0 ? s->pos[kb->home] : -1);
		for (size_t i = 0; i < s->n_order; i++) {
			cache_key_str(k, kb->notes[s->order[i]].slug);
			cache_key_str(k, kb->notes[s->order[i]].date);
		}
		if (reuse_file(s, "sitemap.xml", k))
			return;
	}
	struct buf b = BUF_INIT;
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	for (size_t i = 0; i < s->n_order; i++) {
		const struct kb_note *n = &kb->notes[s->order[i]];
		buf_puts(&b, "  <url><loc>");
		struct buf u = BUF_INIT;
		buf_puts(&u, kb->cfg.base_url);
		if (s->order[i] != kb->home) {
			url_encode(&u, n->slug, false);
			buf_puts(&u, ".html");
		}
		html_escape_str(&b, u.data);
		buf_free(&u);
		buf_puts(&b, "</loc>");
		if (n->date)
			buf_printf(&b, "<lastmod>%s</lastmod>", n->date);
		buf_puts(&b, "</url>\n");
	}
	if (kb->n_topics) {
		buf_puts(&b, "  <url><loc>");
		html_escape_str(&b, kb->cfg.base_url);
		buf_puts(&b, "ledger.html</loc></url>\n");
	}
	buf_puts(&b, "</urlset>\n");
	if (output_write(s->out, "sitemap.xml", b.data, b.len) < 0)
		s->failed = true;
	buf_free(&b);
}

/* ---- transclusion ---- */

struct embed_state {
	struct site *s;
	int *stack;                       /* notes being expanded: max + 2 */
	int max;                          /* limits: embed_depth */
	int depth;
	int counter;                      /* embeds in the host page */
	const struct kb_note *host;
	const struct kb_link *origin;     /* the host's embed being expanded */
	bool dry;                         /* only report cycles and depth: no HTML */
};

/* Where heading h's element starts in a note's rendered html, or NULL. */
static const char *heading_in(const struct kb_note *n, size_t h, const char *html)
{
	struct buf pat = BUF_INIT;
	buf_printf(&pat, "<h%d id=\"", n->headings[h].level);
	html_escape_str(&pat, n->headings[h].id);
	buf_putc(&pat, '"');
	const char *at = strstr(html, pat.data);
	buf_free(&pat);
	return at;
}

/* Byte range of heading h (with its subsections) in rendered html. */
static bool section_range(const struct kb_note *n, int h, const char *html, size_t *from, size_t *to)
{
	*from = 0;
	*to = strlen(html);
	if (h < 0)
		return true;
	const char *at = heading_in(n, (size_t)h, html);
	if (!at)
		return false;
	*from = (size_t)(at - html);
	for (size_t k = (size_t)h + 1; k < n->n_headings; k++) {
		if (n->headings[k].level > n->headings[h].level)
			continue;
		const char *next = heading_in(n, k, at);
		if (next) {
			*to = (size_t)(next - html);
			break;
		}
	}
	return true;
}

/* Copy an embedded fragment, keeping its ids unique on the host page and
 * its links pointing where they pointed on the embedded page. */
static void rebase_fragment(struct buf *out, const char *frag, size_t n, int k, const char *host_slug,
	const char *target_slug)
{
	struct buf dir = BUF_INIT, self = BUF_INIT;
	graph_url(&self, host_slug, target_slug, NULL);           /* e.g. "../a/b.html" */
	const char *slash = strrchr(self.data, '/');
	if (slash)
		buf_put(&dir, self.data, (size_t)(slash - self.data + 1));
	size_t i = 0;
	while (i < n) {
		if (!strncmp(frag + i, " id=\"", 5)) {
			buf_printf(out, " id=\"embed-%d-", k);
			i += 5;
		} else if (!strncmp(frag + i, " href=\"", 7) || !strncmp(frag + i, " src=\"", 6)) {
			size_t len = frag[i + 1] == 'h' ? 7 : 6;
			buf_put(out, frag + i, len);
			i += len;
			const char *v = frag + i;
			if (*v == '#') {
				buf_puts(out, self.data);
			} else if (*v != '/' && *v != '"') {
				/* relative unless it has a scheme */
				const char *colon = strchr(v, ':'), *q = strchr(v, '"');
				const char *sl = strchr(v, '/');
				bool scheme = colon && q && colon < q && (!sl || colon < sl);
				if (!scheme) {
					/* "a/" + "../x" is "x" */
					size_t keep = dir.len;
					while (!strncmp(frag + i, "../", 3) && keep) {
						size_t cut = keep - 1;
						while (cut && dir.data[cut - 1] != '/')
							cut--;
						if (!strncmp(dir.data + cut, "../", 3))
							break;
						keep = cut;
						i += 3;
					}
					buf_put(out, dir.data, keep);
				}
			}
		} else {
			buf_putc(out, frag[i++]);
		}
	}
	buf_free(&dir);
	buf_free(&self);
}

static char *expand(struct embed_state *e, int ni);

/* Replace each embed placeholder in note ni's html by the embedded part. */
static char *expand(struct embed_state *e, int ni)
{
	struct site *s = e->s;
	const struct kb_note *n = &s->kb->notes[ni];
	const char *html = n->html ? n->html : "";
	struct buf out = BUF_INIT;
	const char *p = html, *mark;
	while ((mark = strstr(p, MARKDOWN_EMBED_MARK))) {
		if (!e->dry)
			buf_put(&out, p, (size_t)(mark - p));
		const char *num = mark + strlen(MARKDOWN_EMBED_MARK);
		size_t li = strtoul(num, NULL, 10);
		p = strstr(num, "-->");
		p = p ? p + 3 : num + strlen(num);
		if (li >= n->n_links)
			continue;
		const struct kb_link *l = &n->links[li];
		const struct kb_link *at = e->depth == 0 ? l : e->origin;
		if (e->depth == 0)
			e->origin = l;
		int t = l->to_note;
		if (t < 0)
			continue;   /* unresolved: reported, and nothing is written */
		/* A cycle: the target is already being expanded. */
		int cyc = -1;
		for (int d = 0; d <= e->depth; d++)
			if (e->stack[d] == t)
				cyc = d;
		if (cyc >= 0 || e->depth >= e->max) {
			struct buf chain = BUF_INIT;
			for (int d = 0; d <= e->depth; d++)
				buf_printf(&chain, "%s%s", d ? " \xE2\x86\x92 " : "", s->kb->notes[e->stack[d]].title);
			buf_printf(&chain, " \xE2\x86\x92 %s", s->kb->notes[t].title);
			if (cyc >= 0)
				diag_error(e->host->path, at->line, at->col,
					t == e->stack[0] && e->depth == 0 ? "a note cannot embed itself: %s" :
					"embeds form a cycle: %s", chain.data);
			else
				diag_error(e->host->path, at->line, at->col,
					"embeds nested deeper than %d (limits: embed_depth in kb.yaml): %s",
					e->max, chain.data);
			buf_free(&chain);
			s->failed = true;
			continue;
		}
		e->stack[++e->depth] = t;
		char *inner = expand(e, t);
		e->depth--;
		if (e->dry) {
			free(inner);
			continue;
		}
		const struct kb_note *tn = &s->kb->notes[t];
		size_t from, to;
		section_range(tn, l->to_heading, inner, &from, &to);
		int k = ++e->counter;
		buf_printf(&out, "<div class=\"embed\" id=\"kbc-ref-%zu\">\n<p class=\"embed-source\"><a href=\"", li);
		struct buf u = BUF_INIT;
		graph_url(&u, n->slug, tn->slug, l->to_heading >= 0 ? tn->headings[l->to_heading].id : NULL);
		html_escape_str(&out, u.data);
		buf_free(&u);
		buf_puts(&out, "\">");
		html_escape_str(&out, tn->title);
		if (l->to_heading >= 0) {
			buf_puts(&out, " \xE2\x80\xBA ");
			html_escape_str(&out, tn->headings[l->to_heading].text);
		}
		buf_puts(&out, "</a></p>\n");
		rebase_fragment(&out, inner + from, to - from, k, n->slug, tn->slug);
		buf_puts(&out, "</div>\n");
		free(inner);
	}
	if (!e->dry)
		buf_puts(&out, p);
	return buf_detach(&out);
}

static void expand_embeds(struct site *s)
{
	struct kb *kb = s->kb;
	char **expanded = xcalloc(kb->n_notes + 1, sizeof *expanded);
	int max = kb->cfg.max_embed_depth > 0 ? (int)kb->cfg.max_embed_depth : 8;
	int *stack = xmalloc(((size_t)max + 2) * sizeof *stack);
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip || !has_embeds(n) || !n->html || !strstr(n->html, MARKDOWN_EMBED_MARK))
			continue;
		/* A page taken from the previous site needs no body, but its
		 * embeds are walked all the same, for the same diagnostics. */
		struct embed_state e = { .s = s, .host = n, .stack = stack, .max = max, .dry = !s->need_body[i] };
		e.stack[0] = (int)i;
		expanded[i] = expand(&e, (int)i);
		if (e.dry) {
			free(expanded[i]);
			expanded[i] = NULL;
		}
	}
	free(stack);
	/* Replace only after all are computed: expansion reads the originals. */
	for (size_t i = 0; i < kb->n_notes; i++)
		if (expanded[i]) {
			free(kb->notes[i].html);
			kb->notes[i].html = expanded[i];
		}
	free(expanded);
}

static void shared_entry(struct site *s, size_t i)
{
	struct shared_dir *d = s->building;
	d->nav[i] = tv_share(nav_item(s, i, -1, d->slug));
	d->ref[i] = tv_share(note_ref_new(s, s->order[i], d->slug));
}

/* The shared values of the root folder's pages and, with tag pages, of
 * tags/. */
static void plan_shared(struct site *s)
{
	const char *slugs[2] = { "index", "tags/tag" };
	size_t n = s->n_tag_pages ? 2 : 1;
	s->dirs = xcalloc(n, sizeof *s->dirs);
	for (size_t k = 0; k < n; k++) {
		struct shared_dir *d = &s->dirs[k];
		d->slug = slugs[k];
		d->dir_len = dir_len(slugs[k]);
		d->site = tv_share(site_val(s, d->slug, false));
		d->nav = xcalloc(s->n_order + 1, sizeof *d->nav);
		d->ref = xcalloc(s->n_order + 1, sizeof *d->ref);
		s->building = d;
		parallel_for(s, s->n_order, shared_entry);
	}
	s->building = NULL;
	s->n_dirs = n;
}

static void free_shared_entry(struct site *s, size_t i)
{
	for (size_t k = 0; k < s->n_dirs; k++) {
		tv_free_shared(s->dirs[k].nav[i]);
		tv_free_shared(s->dirs[k].ref[i]);
	}
}

static void free_shared(struct site *s)
{
	if (!s->n_dirs)
		return;
	parallel_for(s, s->n_order, free_shared_entry);
	for (size_t k = 0; k < s->n_dirs; k++) {
		tv_free_shared(s->dirs[k].site);
		free(s->dirs[k].nav);
		free(s->dirs[k].ref);
	}
	free(s->dirs);
}

static void prepare_graph_note(struct site *s, size_t i)
{
	graphview_prepare_note(s->graph, (int)i);
}

/* 404.html. */
static void render_404(struct site *s)
{
	struct kb *kb = s->kb;
	if (s->keyed) {
		/* 404.html also shows base_url, which is in the site key */
		struct cache_key *k = cache_key_new("kbc 404 page");
		key_base(s, k, -1, "404");
		if (reuse_keyed(s, "404.html", "404.html", k))
			return;
	}
	struct tval *ctx = base_ctx(s, -1, "404");
	/* Hosts serve 404.html at any depth: link absolutely when we can. */
	if (*kb->cfg.base_url) {
		struct tval *site = tv_set(ctx, "site", site_val(s, "404", false));
		struct buf b = BUF_INIT;
		buf_puts(&b, kb->cfg.base_url);
		tv_set(site, "root", tv_str(b.data));
		tv_set(site, "home_url", tv_str(b.data));
		buf_puts(&b, "ledger.html");
		tv_set(site, "ledger_url", tv_str(b.data));
		buf_truncate(&b, strlen(kb->cfg.base_url));
		buf_puts(&b, "assets/");
		tv_set(site, "assets", tv_str(b.data));
		buf_free(&b);
	}
	if (s->keyed)
		emit_render(s, "404.html", "404.html", ctx);
	else
		emit(s, "404.html", "404.html", ctx);
}

/* search.html. */
static void render_search(struct site *s)
{
	if (s->keyed) {
		struct cache_key *k = cache_key_new("kbc search page");
		key_base(s, k, -1, "search");
		if (reuse_keyed(s, "search.html", "search.html", k))
			return;
	}
	struct tval *ctx = base_ctx(s, -1, "search");
	if (s->keyed)
		emit_render(s, "search.html", "search.html", ctx);
	else
		emit(s, "search.html", "search.html", ctx);
}

/* The pages and files made once per site, in the order the pool takes
 * them: the slowest first. Each touches only its own output, the
 * (thread-safe) cache and counters, and reads the model. */
static void (*const page_tasks[])(struct site *s) = {
	render_graph_page, render_previews, render_ledger, render_tags_page, render_sitemap,
	render_index, render_404, render_search,
};
#define PAGE_TASKS (sizeof page_tasks / sizeof *page_tasks)

/* Task i of the last pool run: page_tasks[], then the preview shards,
 * then tag pages, then note pages. */
static void render_page_task(struct site *s, size_t i)
{
	if (i < PAGE_TASKS)
		page_tasks[i](s);
	else if ((i -= PAGE_TASKS) < s->n_prev_shards)
		render_preview_shard(s, i);
	else if ((i -= s->n_prev_shards) < s->n_tag_pages)
		render_tag_page(s, i);
	else
		render_note_page(s, i - s->n_tag_pages);
}

int render_site(struct kb *kb, struct template_set *ts, const char *const *asset_dirs,
	size_t n_asset_dirs, struct site_out *out, int jobs, struct cache *cache, render_body_fn load_body,
	void *load_arg)
{
	render_graph_ms = 0;
	render_graph_global_ms = 0;
	struct site s = { .kb = kb, .jobs = jobs, .ts = ts, .out = out, .cache = cache, .load_body = load_body,
		.load_arg = load_arg };
	s.keyed = out && cache;
	for (size_t i = 0; i < kb->n_notes; i++) {
		struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		s.words += n->words;
		for (size_t l = 0; l < n->n_links; l++)
			s.links += n->links[l].to_note >= 0;
	}
	s.order = xmalloc((kb->n_notes ? kb->n_notes : 1) * sizeof *s.order);
	for (size_t i = 0; i < kb->n_notes; i++)
		if (!kb->notes[i].skip)
			s.order[s.n_order++] = (int)i;
	if (s.n_order)
		qsort_r(s.order, s.n_order, sizeof *s.order, cmp_order, kb);
	s.pos = xmalloc((kb->n_notes ? kb->n_notes : 1) * sizeof *s.pos);
	for (size_t i = 0; i < kb->n_notes; i++)
		s.pos[i] = -1;
	for (size_t i = 0; i < s.n_order; i++)
		s.pos[s.order[i]] = (int)i;

	collect_backrefs(&s);
	collect_topics(&s);
	double tg = now_ms();
	s.graph = graphview_new(kb);
	render_graph_ms += now_ms() - tg;
	if (s.keyed)
		compute_keys(&s);
	render_notes(&s);
	plan_tags(&s);
	plan_graph(&s);
	plan_previews(&s);
	/* Values shared by many pages pay off when many pages are rendered
	 * (each shows some 60 sidebar entries); an incremental build that
	 * renders a few makes each page's own, as the output is the same. */
	size_t to_render = s.n_tag_pages;
	for (size_t i = 0; i < kb->n_notes; i++)
		to_render += !kb->notes[i].skip && s.todo[i] != TODO_NONE;
	if (to_render * 16 >= s.n_order) {
		tg = now_ms();
		parallel_for(&s, kb->n_notes, prepare_graph_note);
		render_graph_ms += now_ms() - tg;
		plan_shared(&s);
	}
	/* Every page and file left, on the pool: the pages made once first
	 * (the graph, the slowest, before all), then the tag pages, then the
	 * note pages, so that the threads finish together. */
	parallel_for(&s, PAGE_TASKS + s.n_prev_shards + s.n_tag_pages + kb->n_notes, render_page_task);
	render_graph_ms += render_graph_global_ms;
	keep_graph_layout(&s);
	free_shared(&s);
	tv_free(s.tag_list);
	free(s.tag_v);
	free(s.tag_start);
	if (out)
		for (size_t i = 0; i < n_asset_dirs; i++)
			if (output_copy_tree(out, asset_dirs[i], "assets") < 0)
				s.failed = true;
	free(s.order);
	free(s.pos);
	free(s.refs);
	free(s.ref_start);
	free(s.topic_start);
	free(s.topic_list);
	free(s.navh);
	free(s.prevh);
	free(s.prev_start);
	free(s.prev_list);
	free(s.prev_todo);
	free(s.nodeh);
	free(s.body);
	free(s.slugh);
	free(s.body_state);
	free(s.body_ok);
	free(s.todo);
	free(s.need_body);
	free(s.late_body);
	render_pages = atomic_load(&s.pages);
	render_pages_rendered = atomic_load(&s.rendered);
	graphview_free(s.graph);
	render_graph_ms += (double)atomic_load(&s.graph_us) / 1000.0;
	return s.failed ? -1 : 0;
}
