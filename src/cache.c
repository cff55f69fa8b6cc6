/* cache.c - incremental builds; see cache.h. Hashes are xxHash's XXH3
 * (128-bit for keys and page hashes, 64-bit as the checksum of an entry):
 * a well-kept library, and fast enough that hashing whole pages' data
 * costs little next to rendering them. */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "output.h"
#include "pool.h"
#include "store.h"
#include "template.h"
#include "util.h"
#include "version.h"

/* Bump when the packed note layout changes. A note entry is a header
 * (NOTE_MAGIC, NOTE_FORMAT, the XXH3-64 of the packed note, its length),
 * the packed note (everything but the body, which it ends with the
 * body's length and XXH3-64), then the body's HTML. Restoring reads the
 * header and the packed note only; the body, about half of the entry,
 * is read when a page needs it (cache_note_body), which in a small
 * rebuild is for a few notes. */
#define NOTE_FORMAT 2
#define NOTE_MAGIC "KBCN"
#define NOTE_HEAD 28       /* header bytes: magic 4, format 8, then: */
#define NOTE_HEAD_SUM 12   /* the packed note's XXH3-64 */
#define NOTE_HEAD_LEN 20   /* the packed note's length */

struct page_rec {
	char *rel;
	struct store_page p;
	bool linked;              /* a new page linked to the old file: p is that file's */
};

struct file_rec {
	char *rel;
	struct kb_file_sig sig;
	unsigned char content[16];
};

/* A restored note's body in its entry: bytes [off, off + len), and their
 * XXH3-64. */
struct body_ref {
	uint64_t off, len, sum;
};

struct cache {
	struct store_cache *store;
	unsigned char settings[16];   /* kb.yaml settings a note's parse depends on */
	unsigned char identity[16];   /* kbc's executable */
	unsigned char templates[16];  /* the template folders' files */
	unsigned char (*keys)[16];    /* per note, once computed */
	bool *kept;                   /* per note: restored or kept this build */
	struct body_ref *bodies;      /* per note restored: where its body is */
	size_t n_keys;
	/* the notes' files as the last build read them, sorted by rel */
	struct file_rec *files;
	size_t n_files, cap_files;
	long long started;            /* when the cache was opened (ns, real time) */
	/* pages */
	struct site_out *out;
	struct page_rec *old;         /* last build's pages, sorted by rel */
	size_t n_old, cap_old;
	pthread_mutex_t lock;         /* guards new */
	pthread_mutex_t db_lock;      /* one sqlite connection: entry_get/entry_put
	                               * come from the render and the index threads */
	struct page_rec *new;         /* this build's pages */
	size_t n_new, cap_new;
};

static void hash_bytes(XXH3_state_t *st, const void *p, size_t n)
{
	uint64_t len = n;
	XXH3_128bits_update(st, &len, sizeof len);
	XXH3_128bits_update(st, p, n);
}

static void hash_str(XXH3_state_t *st, const char *s)
{
	if (!s) {
		uint64_t none = UINT64_MAX;
		XXH3_128bits_update(st, &none, sizeof none);
		return;
	}
	hash_bytes(st, s, strlen(s));
}

static void digest(XXH3_state_t *st, unsigned char out[16])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(out, c.digest, 16);
}

static XXH3_state_t *hash_new(void)
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die_oom();
	XXH3_128bits_reset(st);
	return st;
}

/* Every regular, non-hidden file directly in `dir`, in name order. */
static void hash_dir(XXH3_state_t *st, const char *dir)
{
	hash_str(st, dir);
	char **names;
	size_t n;
	if (dir_list(dir, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		struct buf b = BUF_INIT;
		struct stat sb;
		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && file_read(p, &b) == 0) {
			hash_str(st, names[i]);
			hash_bytes(st, b.data, b.len);
		}
		buf_free(&b);
		free(p);
		free(names[i]);
	}
	free(names);
}

/* kbc's identity: its version and the bytes of the running executable,
 * so a rebuilt kbc never trusts what an older one cached. The executable
 * is mapped, not read: it is in the page cache already, and a copy of
 * its 1.5 MB was a few milliseconds of every build, before the first
 * note is read. */
static int identity(unsigned char out[16])
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -1;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	XXH3_state_t *h = hash_new();
	hash_str(h, "kbc " KBC_VERSION);
	hash_bytes(h, map, (size_t)st.st_size);
	digest(h, out);
	XXH3_freeState(h);
	munmap(map, (size_t)st.st_size);
	return 0;
}

static void load_file(void *arg, const struct store_file *f)
{
	struct cache *c = arg;
	struct file_rec *r = VEC_PUSH(c->files, c->n_files, c->cap_files);
	r->rel = xstrdup(f->rel);
	r->sig = f->sig;
	memcpy(r->content, f->content, 16);
}

struct cache *cache_open(const struct kb_config *cfg, const char *const *template_dirs, size_t n_dirs,
	bool fresh, bool verbose)
{
	unsigned char id[16];
	if (identity(id) < 0) {
		fprintf(stderr, "kbc: note: cannot read kbc's own executable to identify it; building without a cache\n");
		return NULL;
	}
	char hex[40];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	char *path = path_join(cfg->root, ".kbc/cache.sqlite");
	struct store_cache *sc = store_cache_open(path, hex, fresh, verbose);
	free(path);
	if (!sc)
		return NULL;
	struct cache *c = xcalloc(1, sizeof *c);
	c->store = sc;
	memcpy(c->identity, id, 16);
	/* Everything in kb.yaml that changes what parsing a note gives: raw
	 * HTML kept or dropped, and the limits that turn a note into errors. */
	XXH3_state_t *st = hash_new();
	hash_str(st, cfg->unsafe_html ? "unsafe_html" : "safe_html");
	long lim[] = { cfg->max_note_bytes, cfg->max_line_bytes, cfg->max_nesting,
		cfg->yaml.max_depth, (long)cfg->yaml.max_nodes };
	hash_bytes(st, lim, sizeof lim);
	digest(st, c->settings);
	XXH3_128bits_reset(st);
	for (size_t i = 0; i < n_dirs; i++)
		hash_dir(st, template_dirs[i]);
	digest(st, c->templates);
	XXH3_freeState(st);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->db_lock, NULL);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->started = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	store_cache_files_each(c->store, load_file, c);
	return c;
}

/* ---- notes: packing ---- */

/* v as 8 bytes, least significant first: the cache's one integer form. */
static void le64(unsigned char x[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];
	le64(x, v);
	buf_put(b, x, 8);
}

static void put_i(struct buf *b, long long v)
{
	put_u64(b, (uint64_t)v);
}

static void put_s(struct buf *b, const char *s)
{
	if (!s) {
		put_u64(b, UINT64_MAX);
		return;
	}
	size_t n = strlen(s);
	put_u64(b, n);
	buf_put(b, s, n);
}

struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static uint64_t get_u64(struct rd *r)
{
	if (r->bad || r->end - r->p < 8) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	return v;
}

static long long get_i(struct rd *r)
{
	return (long long)get_u64(r);
}

/* An int field that must lie in [lo, hi]. */
static int get_int(struct rd *r, long long lo, long long hi)
{
	long long v = get_i(r);
	if (v < lo || v > hi) {
		r->bad = true;
		return (int)lo;
	}
	return (int)v;
}

static char *get_s(struct rd *r)
{
	uint64_t n = get_u64(r);
	if (r->bad || n == UINT64_MAX)
		return NULL;
	if (n > (uint64_t)(r->end - r->p) || memchr(r->p, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup((const char *)r->p, n);
	r->p += n;
	return s;
}

/* A count of items that each take at least `min` bytes. */
static size_t get_count(struct rd *r, size_t min)
{
	uint64_t n = get_u64(r);
	if (r->bad || n > (uint64_t)(r->end - r->p) / min) {
		r->bad = true;
		return 0;
	}
	return (size_t)n;
}

static void pack_note(const struct kb_note *n, struct buf *b)
{
	put_s(b, n->title);
	put_i(b, n->title_line);
	put_i(b, n->title_col);
	put_i(b, n->title_from_h1);
	put_u64(b, n->n_aliases);
	for (size_t i = 0; i < n->n_aliases; i++) {
		put_s(b, n->aliases[i]);
		put_i(b, n->alias_lines[i]);
	}
	put_u64(b, n->n_tags);
	for (size_t i = 0; i < n->n_tags; i++)
		put_s(b, n->tags[i]);
	put_i(b, n->order);
	put_i(b, n->has_order);
	put_s(b, n->purpose);
	put_i(b, n->draft);
	put_s(b, n->slug);
	put_s(b, n->date);
	put_u64(b, n->body_off);
	put_i(b, n->body_line);
	put_u64(b, n->n_headings);
	for (size_t i = 0; i < n->n_headings; i++) {
		const struct kb_heading *h = &n->headings[i];
		put_i(b, h->level);
		put_s(b, h->text);
		put_s(b, h->id);
		put_i(b, h->line);
		put_i(b, h->col);
	}
	put_u64(b, n->n_links);
	for (size_t i = 0; i < n->n_links; i++) {
		const struct kb_link *l = &n->links[i];
		put_i(b, l->kind);
		put_s(b, l->target);
		put_s(b, l->heading);
		put_s(b, l->label);
		put_i(b, l->line);
		put_i(b, l->col);
		put_s(b, l->context);
	}
	put_u64(b, n->n_sections);
	for (size_t i = 0; i < n->n_sections; i++) {
		put_i(b, n->sections[i].heading);
		put_s(b, n->sections[i].text);
	}
	put_u64(b, n->words);
	const char *html = n->html ? n->html : "";
	size_t hl = strlen(html);
	put_u64(b, hl);
	put_u64(b, XXH3_64bits(html, hl));
}

/* Fill `n` from `r`, all but its html, whose length and hash go to
 * `body`; on a malformed entry leaves what it allocated in `n` (freed
 * with the model) and sets r->bad. */
static void unpack_note(struct rd *r, struct kb_note *n, struct body_ref *body)
{
	n->title = get_s(r);
	n->title_line = get_int(r, 0, INT_MAX);
	n->title_col = get_int(r, 0, INT_MAX);
	n->title_from_h1 = get_int(r, 0, 1);
	n->n_aliases = get_count(r, 16);
	n->aliases = xcalloc(n->n_aliases + 1, sizeof *n->aliases);
	n->alias_lines = xcalloc(n->n_aliases + 1, sizeof *n->alias_lines);
	for (size_t i = 0; i < n->n_aliases && !r->bad; i++) {
		n->aliases[i] = get_s(r);
		n->alias_lines[i] = get_int(r, 0, INT_MAX);
		if (!n->aliases[i])
			r->bad = true;
	}
	n->n_tags = get_count(r, 8);
	n->tags = xcalloc(n->n_tags + 1, sizeof *n->tags);
	for (size_t i = 0; i < n->n_tags && !r->bad; i++)
		if (!(n->tags[i] = get_s(r)))
			r->bad = true;
	n->order = (long)get_i(r);
	n->has_order = get_int(r, 0, 1);
	n->purpose = get_s(r);
	n->draft = get_int(r, 0, 1);
	n->slug = get_s(r);
	n->date = get_s(r);
	n->body_off = (size_t)get_u64(r);
	n->body_line = get_int(r, 0, INT_MAX);
	size_t nh = get_count(r, 40);
	n->headings = xcalloc(nh + 1, sizeof *n->headings);
	n->cap_headings = nh + 1;
	for (size_t i = 0; i < nh && !r->bad; i++) {
		struct kb_heading *h = &n->headings[n->n_headings++];
		h->level = get_int(r, 1, 6);
		h->text = get_s(r);
		h->id = get_s(r);
		h->line = get_int(r, 0, INT_MAX);
		h->col = get_int(r, 0, INT_MAX);
		if (!h->text || !h->id)
			r->bad = true;
	}
	size_t nl = get_count(r, 56);
	n->links = xcalloc(nl + 1, sizeof *n->links);
	n->cap_links = nl + 1;
	for (size_t i = 0; i < nl && !r->bad; i++) {
		struct kb_link *l = &n->links[n->n_links++];
		l->to_note = l->to_heading = -1;
		l->kind = (enum kb_link_kind)get_int(r, KB_LINK_WIKI, KB_LINK_TAG);
		l->target = get_s(r);
		l->heading = get_s(r);
		l->label = get_s(r);
		l->line = get_int(r, 0, INT_MAX);
		l->col = get_int(r, 0, INT_MAX);
		l->context = get_s(r);
		if (!l->target)
			r->bad = true;
	}
	size_t ns = get_count(r, 16);
	n->sections = xcalloc(ns + 1, sizeof *n->sections);
	n->cap_sections = ns + 1;
	for (size_t i = 0; i < ns && !r->bad; i++) {
		struct kb_section *s = &n->sections[n->n_sections++];
		s->heading = get_int(r, -1, (long long)nh - 1);
		s->text = get_s(r);
		if (!s->text)
			r->bad = true;
	}
	n->words = (size_t)get_u64(r);
	body->len = get_u64(r);
	body->sum = get_u64(r);
	if (r->p != r->end)
		r->bad = true;
}

/* Room for note keys up to note i. Not thread-safe: called before the
 * threads that use the keys start. */
static void keys_reserve(struct cache *c, size_t i)
{
	if (i < c->n_keys)
		return;
	size_t want = i + 1 > 2 * c->n_keys ? i + 1 : 2 * c->n_keys;
	c->keys = xrealloc(c->keys, want * sizeof *c->keys);
	memset(c->keys + c->n_keys, 0, (want - c->n_keys) * sizeof *c->keys);
	c->kept = xrealloc(c->kept, want * sizeof *c->kept);
	memset(c->kept + c->n_keys, 0, (want - c->n_keys) * sizeof *c->kept);
	c->bodies = xrealloc(c->bodies, want * sizeof *c->bodies);
	memset(c->bodies + c->n_keys, 0, (want - c->n_keys) * sizeof *c->bodies);
	c->n_keys = want;
}

/* Note i's key, computed into c->keys[i] (which must have room). */
static const unsigned char *note_key(struct cache *c, size_t i, const struct kb_note *n)
{
	XXH3_state_t *st = hash_new();
	XXH3_128bits_update(st, c->identity, 16);
	XXH3_128bits_update(st, c->settings, 16);
	hash_str(st, n->rel);
	XXH3_128bits_update(st, n->content, 16);
	digest(st, c->keys[i]);
	XXH3_freeState(st);
	return c->keys[i];
}

/* Part of the entry under `key`, through reader r or, when r is NULL, the
 * cache's own connection: entry_open() gives its size (or -1), then
 * entry_read() appends bytes [off, off + n) of it to `b` (0, or -1). */
static long long entry_open(struct cache *c, struct store_reader *r, const unsigned char *key)
{
	return r ? store_reader_note_open(r, key, 16) : store_cache_note_open(c->store, key, 16);
}

static int entry_read(struct cache *c, struct store_reader *r, uint64_t off, uint64_t n, struct buf *b)
{
	return r ? store_reader_note_read(r, off, n, b) : store_cache_note_read(c->store, off, n, b);
}

/* Restore note i, all but its body, through reader r (the cache's own
 * connection when r is NULL), with `b` as scratch. Touches only note i
 * and c->keys[i], c->kept[i] and c->bodies[i]. 0 restored, -1 not. */
static int restore_one(struct cache *c, struct store_reader *r, size_t i, struct kb_note *n, struct buf *b)
{
	if (!n->src && !n->unread)
		return -1;
	const unsigned char *key = note_key(c, i, n);
	buf_reset(b);
	long long size = entry_open(c, r, key);
	if (size < NOTE_HEAD || entry_read(c, r, 0, NOTE_HEAD, b) < 0 || memcmp(b->data, NOTE_MAGIC, 4))
		return -1;
	struct rd head = { (const unsigned char *)b->data + 4, (const unsigned char *)b->data + NOTE_HEAD, false };
	uint64_t format = get_u64(&head), sum = get_u64(&head), len = get_u64(&head);
	buf_reset(b);
	if (format != NOTE_FORMAT || len > (uint64_t)size - NOTE_HEAD || entry_read(c, r, NOTE_HEAD, len, b) < 0 ||
	    sum != XXH3_64bits(b->data, b->len))
		return -1;
	struct rd rd = { (const unsigned char *)b->data, (const unsigned char *)b->data + b->len, false };
	struct body_ref body = { NOTE_HEAD + len, 0, 0 };
	unpack_note(&rd, n, &body);
	if (!rd.bad && body.len != (uint64_t)size - body.off)
		rd.bad = true;
	if (rd.bad)
		kb_note_clear_parsed(n);
	else
		c->bodies[i] = body;
	c->kept[i] = !rd.bad;
	return rd.bad ? -1 : 0;
}

int cache_note_body(struct cache *c, size_t i, struct kb_note *n)
{
	if (!c || i >= c->n_keys || !c->kept[i] || !c->bodies[i].off)
		return -1;
	const struct body_ref *body = &c->bodies[i];
	struct buf b = BUF_INIT;
	pthread_mutex_lock(&c->db_lock);
	long long size = store_cache_note_open(c->store, c->keys[i], 16);
	int rc = size >= 0 && (uint64_t)size == body->off + body->len &&
		store_cache_note_read(c->store, body->off, body->len, &b) == 0 ? 0 : -1;
	pthread_mutex_unlock(&c->db_lock);
	if (rc == 0 && XXH3_64bits(b.data, b.len) == body->sum && !memchr(b.data, '\0', b.len)) {
		free(n->html);
		n->html = buf_detach(&b);
	} else {
		rc = -1;
	}
	buf_free(&b);
	return rc;
}

int cache_note_restore(struct cache *c, size_t i, struct kb_note *n)
{
	if (!c)
		return -1;
	keys_reserve(c, i);
	struct buf b = BUF_INIT;
	int rc = restore_one(c, NULL, i, n, &b);
	buf_free(&b);
	return rc;
}

/* Restoring many notes: the notes are cut into one run per thread, each
 * read through a connection of its own; a run's entries are then marked
 * used on the cache's connection (under db_lock, while other runs go on
 * reading). */
struct restore_job {
	struct cache *c;
	struct kb_note *notes;
	size_t n, runs;
	bool *restored;
	atomic_size_t count;
};

static void restore_run(void *arg, size_t k)
{
	struct restore_job *j = arg;
	size_t from = j->n * k / j->runs, to = j->n * (k + 1) / j->runs;
	struct store_reader *r = j->runs > 1 ? store_cache_reader(j->c->store) : NULL;
	struct buf b = BUF_INIT;
	size_t got = 0;
	if (!r)
		pthread_mutex_lock(&j->c->db_lock);   /* the shared connection, one run at a time */
	for (size_t i = from; i < to; i++)
		if (!j->notes[i].skip && restore_one(j->c, r, i, &j->notes[i], &b) == 0) {
			j->restored[i] = true;
			got++;
		}
	if (r) {
		store_reader_close(r);
		pthread_mutex_lock(&j->c->db_lock);
		for (size_t i = from; i < to; i++)
			if (j->restored[i])
				store_cache_note_used(j->c->store, j->c->keys[i], 16);
	}
	pthread_mutex_unlock(&j->c->db_lock);
	buf_free(&b);
	atomic_fetch_add(&j->count, got);
}

size_t cache_notes_restore(struct cache *c, struct kb_note *notes, size_t n, int jobs, bool *restored)
{
	if (!c || !n)
		return 0;
	keys_reserve(c, n - 1);
	struct restore_job j = { c, notes, n, jobs > 1 ? (size_t)jobs : 1, restored, 0 };
	if (j.runs > n)
		j.runs = n;
	pool_for(j.runs, jobs, restore_run, &j);
	return atomic_load(&j.count);
}

bool cache_note_keep(struct cache *c, size_t i, const struct kb_note *n)
{
	if (!c || i >= c->n_keys)
		return false;
	/* The header, the note packed after it, then its body; the packed
	 * note's checksum and length are filled in last, so it is not copied. */
	struct buf b = BUF_INIT;
	buf_puts(&b, NOTE_MAGIC);
	put_u64(&b, NOTE_FORMAT);
	put_u64(&b, 0);
	put_u64(&b, 0);
	pack_note(n, &b);
	size_t len = b.len - NOTE_HEAD;
	le64((unsigned char *)b.data + NOTE_HEAD_SUM, XXH3_64bits(b.data + NOTE_HEAD, len));
	le64((unsigned char *)b.data + NOTE_HEAD_LEN, len);
	struct body_ref body = { b.len, 0, 0 };
	buf_puts(&b, n->html ? n->html : "");
	body.len = b.len - body.off;
	body.sum = XXH3_64bits(b.data + body.off, body.len);
	pthread_mutex_lock(&c->db_lock);
	c->kept[i] = store_cache_note_put(c->store, c->keys[i], 16, b.data, b.len) == 0;
	pthread_mutex_unlock(&c->db_lock);
	c->bodies[i] = c->kept[i] ? body : (struct body_ref){ 0 };
	buf_free(&b);
	return c->kept[i];
}

/* ---- file signatures ---- */

static int cmp_file_rel(const void *key, const void *rec)
{
	return strcmp(key, ((const struct file_rec *)rec)->rel);
}

bool cache_file_unchanged(const struct cache *c, const char *rel, const struct kb_file_sig *sig,
	unsigned char content[16])
{
	if (!c || !c->n_files)
		return false;
	const struct file_rec *r = bsearch(rel, c->files, c->n_files, sizeof *c->files, cmp_file_rel);
	if (!r || memcmp(&r->sig, sig, sizeof *sig))
		return false;
	memcpy(content, r->content, 16);
	return true;
}

/* Two seconds: coarser than any time stamp kbc meets (FAT's two-second
 * mtime included). A file changed in the same tick as it was read could
 * keep its signature; one last changed this close to the build is
 * therefore read again next time instead of trusted. */
#define RACY_NS 2000000000LL

void cache_files_commit(struct cache *c, const struct kb *kb)
{
	if (!c)
		return;
	struct store_file *files = xcalloc(kb->n_notes + 1, sizeof *files);
	size_t n = 0;
	for (size_t i = 0; i < kb->n_notes && i < c->n_keys; i++) {
		const struct kb_note *note = &kb->notes[i];
		if (!c->kept[i] || note->sig.mtime + RACY_NS > c->started || note->sig.ctime + RACY_NS > c->started)
			continue;
		files[n].rel = note->rel;
		files[n].sig = note->sig;
		memcpy(files[n].content, note->content, 16);
		n++;
	}
	store_cache_files_set(c->store, files, n);
	free(files);
}

/* ---- framed entries: the search index's and the blobs' ----
 * An entry in the notes table is `magic` (4 bytes), the XXH3-64 of the
 * data, then the data; one that does not check out reads as absent. */

static int entry_get(struct cache *c, const unsigned char key[16], const char *magic, struct buf *out)
{
	/* read straight into `out`, then drop the frame */
	size_t at = out->len;
	pthread_mutex_lock(&c->db_lock);
	int got = store_cache_note_get(c->store, key, 16, out);
	pthread_mutex_unlock(&c->db_lock);
	size_t n = out->len - at;
	if (got == 0 && n >= 12 && !memcmp(out->data + at, magic, 4)) {
		struct rd r = { (const unsigned char *)out->data + at + 4, (const unsigned char *)out->data + out->len,
			false };
		uint64_t sum = get_u64(&r);
		if (!r.bad && sum == XXH3_64bits(r.p, (size_t)(r.end - r.p))) {
			memmove(out->data + at, r.p, n - 12);
			buf_truncate(out, at + n - 12);
			return 0;
		}
	}
	buf_truncate(out, at);
	return -1;
}

static void entry_put(struct cache *c, const unsigned char key[16], const char *magic, const void *data,
	size_t n)
{
	struct buf b = BUF_INIT;
	buf_put(&b, magic, 4);
	put_u64(&b, XXH3_64bits(data, n));
	buf_put(&b, data, n);
	pthread_mutex_lock(&c->db_lock);
	store_cache_note_put(c->store, key, 16, b.data, b.len);
	pthread_mutex_unlock(&c->db_lock);
	buf_free(&b);
}

/* ---- search index (index.c) ---- */

#define INDEX_ENTRY_MAGIC "KBCI"

void cache_index_key(const struct cache *c, const void *input, size_t n, unsigned char key[16])
{
	XXH3_state_t *st = hash_new();
	XXH3_128bits_update(st, c->identity, 16);
	hash_str(st, "search index input");
	hash_bytes(st, input, n);
	digest(st, key);
	XXH3_freeState(st);
}

int cache_index_read(struct cache *c, const unsigned char key[16], struct buf *out)
{
	return c ? entry_get(c, key, INDEX_ENTRY_MAGIC, out) : -1;
}

void cache_index_keep(struct cache *c, const unsigned char key[16])
{
	if (!c)
		return;
	pthread_mutex_lock(&c->db_lock);
	store_cache_note_used(c->store, key, 16);
	pthread_mutex_unlock(&c->db_lock);
}

int cache_index_get(struct cache *c, const void *input, size_t n, unsigned char key[16], struct buf *out)
{
	if (!c)
		return -1;
	cache_index_key(c, input, n, key);
	return cache_index_read(c, key, out);
}

void cache_index_put(struct cache *c, const unsigned char key[16], const void *data, size_t n)
{
	if (c)
		entry_put(c, key, INDEX_ENTRY_MAGIC, data, n);
}

/* ---- pages ---- */

static void hash_tval(XXH3_state_t *st, const struct tval *v)
{
	unsigned char k = v ? (unsigned char)v->kind : 0xFF;
	XXH3_128bits_update(st, &k, 1);
	if (!v)
		return;
	switch (v->kind) {
	case TV_NULL:
		break;
	case TV_BOOL: {
		unsigned char b = v->b;
		XXH3_128bits_update(st, &b, 1);
		break;
	}
	case TV_STR:
		hash_str(st, v->s);
		break;
	case TV_LIST:
	case TV_MAP: {
		uint64_t n = v->n;
		XXH3_128bits_update(st, &n, sizeof n);
		for (size_t i = 0; i < v->n; i++) {
			if (v->kind == TV_MAP)
				hash_str(st, v->keys[i]);
			hash_tval(st, v->items[i]);
		}
		break;
	}
	}
}

void cache_page_hash(const struct cache *c, const char *tmpl, const char *rel, const struct tval *ctx,
	unsigned char hash[16])
{
	if (!c) {
		memset(hash, 0, 16);
		return;
	}
	XXH3_state_t *st = hash_new();
	XXH3_128bits_update(st, c->identity, 16);
	XXH3_128bits_update(st, c->templates, 16);
	hash_str(st, tmpl);
	hash_str(st, rel);
	hash_tval(st, ctx);
	digest(st, hash);
	XXH3_freeState(st);
}

static void load_page(void *arg, const char *rel, const struct store_page *p)
{
	struct cache *c = arg;
	struct page_rec *r = VEC_PUSH(c->old, c->n_old, c->cap_old);
	r->rel = xstrdup(rel);
	r->p = *p;
	r->linked = false;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct page_rec *)a)->rel, ((const struct page_rec *)b)->rel);
}

void cache_pages_begin(struct cache *c, struct site_out *out)
{
	if (!c)
		return;
	c->out = out;
	store_cache_pages_each(c->store, load_page, c);
	if (c->n_old)
		qsort(c->old, c->n_old, sizeof *c->old, cmp_rec);   /* already in order; cheap */
}

bool cache_page_reuse(struct cache *c, const char *rel, const unsigned char hash[16])
{
	if (!c || !c->out)
		return false;
	pthread_mutex_lock(&c->lock);
	size_t at = c->n_new;
	struct page_rec *n = VEC_PUSH(c->new, c->n_new, c->cap_new);
	n->rel = xstrdup(rel);
	memcpy(n->p.hash, hash, 16);
	n->linked = false;
	pthread_mutex_unlock(&c->lock);
	struct page_rec key = { (char *)rel, { { 0 }, 0, 0, 0 }, false };
	const struct page_rec *old = c->n_old ? bsearch(&key, c->old, c->n_old, sizeof *c->old, cmp_rec) : NULL;
	if (!old || memcmp(old->p.hash, hash, 16))
		return false;
	char *prev = path_join(c->out->final, rel);
	struct stat sb;
	bool ok = lstat(prev, &sb) == 0 && S_ISREG(sb.st_mode) && (long long)sb.st_size == old->p.size &&
		(long long)sb.st_ino == old->p.ino &&
		(long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec == old->p.mtime &&
		output_link(c->out, rel, prev) == 0;
	free(prev);
	if (ok) {
		/* the same file under a new name: commit need not look at it again */
		pthread_mutex_lock(&c->lock);
		c->new[at].p = old->p;
		c->new[at].linked = true;
		pthread_mutex_unlock(&c->lock);
	}
	return ok;
}

void cache_pages_commit(struct cache *c, const char *final)
{
	if (!c)
		return;
	const char **rels = xcalloc(c->n_new + 1, sizeof *rels);
	struct store_page *pages = xcalloc(c->n_new + 1, sizeof *pages);
	size_t n = 0;
	for (size_t i = 0; i < c->n_new; i++) {
		if (c->new[i].linked) {
			rels[n] = c->new[i].rel;
			pages[n++] = c->new[i].p;
			continue;
		}
		char *p = path_join(final, c->new[i].rel);
		struct stat sb;
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
			rels[n] = c->new[i].rel;
			pages[n] = c->new[i].p;
			pages[n].size = (long long)sb.st_size;
			pages[n].ino = (long long)sb.st_ino;
			pages[n].mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
			n++;
		}
		free(p);
	}
	store_cache_pages_set(c->store, rels, pages, n);
	free(rels);
	free(pages);
}

/* ---- page keys ---- */

/* The values are gathered and hashed at once: most are short, and one
 * XXH3 call over a buffer beats one update per value. */
struct cache_key {
	struct buf b;
};

static void key_len(struct cache_key *k, uint64_t n)
{
	buf_put(&k->b, &n, sizeof n);
}

struct cache_key *cache_key_new(const char *domain)
{
	struct cache_key *k = xmalloc(sizeof *k);
	buf_init(&k->b);
	buf_grow(&k->b, 512);
	cache_key_str(k, domain);
	return k;
}

void cache_key_bytes(struct cache_key *k, const void *p, size_t n)
{
	key_len(k, n);
	buf_put(&k->b, p, n);
}

void cache_key_str(struct cache_key *k, const char *s)
{
	if (!s)
		key_len(k, UINT64_MAX);
	else
		cache_key_bytes(k, s, strlen(s));
}

void cache_key_int(struct cache_key *k, long long v)
{
	int64_t x = v;
	buf_put(&k->b, &x, sizeof x);
}

void cache_hash(const void *p, size_t n, unsigned char out[16])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(out, c.digest, 16);
}

void cache_key_done(struct cache_key *k, unsigned char out[16])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(k->b.data, k->b.len));
	memcpy(out, c.digest, 16);
	buf_free(&k->b);
	free(k);
}

void cache_page_key(const struct cache *c, const char *tmpl, const char *rel, const unsigned char deps[16],
	unsigned char hash[16])
{
	if (!c) {
		memset(hash, 0, 16);
		return;
	}
	XXH3_state_t *st = hash_new();
	hash_str(st, "kbc page key");
	XXH3_128bits_update(st, c->identity, 16);
	XXH3_128bits_update(st, c->templates, 16);
	hash_str(st, tmpl);
	hash_str(st, rel);
	XXH3_128bits_update(st, deps, 16);
	digest(st, hash);
	XXH3_freeState(st);
}

const unsigned char *cache_note_content_key(const struct cache *c, size_t i)
{
	static const unsigned char zero[16];
	if (!c || i >= c->n_keys || !memcmp(c->keys[i], zero, 16))
		return NULL;
	return c->keys[i];
}

/* Blobs share the notes table; their keys are hashed with a domain of
 * their own, and their data is framed and checksummed like a note's. */
#define BLOB_MAGIC "KBCB"

static void blob_key(const struct cache *c, const unsigned char key[16], unsigned char out[16])
{
	XXH3_state_t *st = hash_new();
	hash_str(st, "kbc blob");
	XXH3_128bits_update(st, c->identity, 16);
	XXH3_128bits_update(st, key, 16);
	digest(st, out);
	XXH3_freeState(st);
}

int cache_blob_get(struct cache *c, const unsigned char key[16], struct buf *out)
{
	if (!c)
		return -1;
	unsigned char k[16];
	blob_key(c, key, k);
	return entry_get(c, k, BLOB_MAGIC, out);
}

void cache_blob_put(struct cache *c, const unsigned char key[16], const void *data, size_t n)
{
	if (!c)
		return;
	unsigned char k[16];
	blob_key(c, key, k);
	entry_put(c, k, BLOB_MAGIC, data, n);
}

void cache_close(struct cache *c, bool ok)
{
	if (!c)
		return;
	store_cache_close(c->store, ok);
	for (size_t i = 0; i < c->n_old; i++)
		free(c->old[i].rel);
	free(c->old);
	for (size_t i = 0; i < c->n_new; i++)
		free(c->new[i].rel);
	free(c->new);
	free(c->keys);
	free(c->kept);
	free(c->bodies);
	for (size_t i = 0; i < c->n_files; i++)
		free(c->files[i].rel);
	free(c->files);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->db_lock);
	free(c);
}
