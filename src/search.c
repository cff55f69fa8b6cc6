/* search.c - reading the index and answering queries; see search.h and
 * docs/search-index.md sections 3 to 5. */
#include "search.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "index_format.h"
#include "tokenize.h"
#include "util.h"

struct sterm {
	char *s;
	uint32_t df, idf;
	const unsigned char *post;   /* postings bytes in the shard */
	uint32_t post_len;
};

struct shard {
	char *first;                 /* first term (from meta) */
	uint32_t bytes;
	bool loaded;
	struct buf data;             /* the whole file */
	struct sterm *terms;
	size_t n;
};

struct sdoc {
	uint32_t note;
	char *heading, *anchor;
	uint32_t text;               /* its text shard */
	uint8_t mask;                /* fields that are not empty */
	uint32_t norm[N_FIELDS];     /* their norms (section 3) */
};

/* One document of a text shard: pointers into the shard's bytes. */
struct stext {
	const char *text;            /* heading, newline, body */
	uint32_t len;
	uint32_t n_extra;
	uint8_t *extra_field;        /* topic, alias and tag values */
	const char **extra;
	uint32_t *extra_len;
};

struct tshard {
	uint32_t first, bytes;
	bool loaded;
	struct buf data;
	struct stext *docs;
	uint32_t n;
};

struct search_db {
	search_read_fn read;         /* how index files are read */
	void *read_ctx;
	char *dir;                   /* search_open's folder (read_ctx), owned */
	uint32_t n_docs, n_notes, n_shards, n_texts;
	uint32_t k1, w[N_FIELDS];    /* k1 x 1000, field weights x 100 */
	char **note_title, **note_url;
	struct sdoc *docs;
	struct shard *shards;
	struct tshard *texts;
	struct tokenizer *tz;
	struct tok_list dt;          /* a document's tokens (phrase checks) */
	int dt_names;                /* positions below it are in title, topic, alias, heading */
	struct buf meta;
	/* The last file of shards read, kept: a query often reads several
	 * shards of one file in turn. run_name is "" when none is kept. */
	char run_name[32];
	struct buf run;
};

#define FAIL(...) do { snprintf(why, n_why, __VA_ARGS__); goto fail; } while (0)

static char *dup_str(const char *s, uint32_t n)
{
	return xstrndup(s, n);
}

/* The reader search_open() uses: files under a folder. */
static int read_dir_file(void *ctx, const char *name, struct buf *out, char *why, size_t n_why)
{
	char *path = path_join(ctx, name);
	int rc = file_read(path, out);
	if (rc < 0)
		snprintf(why, n_why, "cannot read %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

struct search_db *search_open(const char *dir, char *why, size_t n_why)
{
	char *copy = xstrdup(dir);
	struct search_db *db = search_open_with(read_dir_file, copy, why, n_why);
	if (db)
		db->dir = copy;
	else
		free(copy);
	return db;
}

struct search_db *search_open_with(search_read_fn read, void *ctx, char *why, size_t n_why)
{
	struct search_db *db = xcalloc(1, sizeof *db);
	db->read = read;
	db->read_ctx = ctx;
	buf_init(&db->run);
	const unsigned char *p;
	size_t n;
	if (db->read(db->read_ctx, "meta.bin", &db->meta, why, n_why) < 0)
		goto fail_keep;
	if (index_open_block((const unsigned char *)db->meta.data, db->meta.len, INDEX_META, &p, &n, why, n_why) < 0)
		goto fail_keep;
	struct index_cursor c = { p, p + n, 0 };
	uint32_t v;
	index_get_varint(&c, &db->n_docs);
	index_get_varint(&c, &db->n_notes);
	index_get_varint(&c, &db->n_shards);
	index_get_varint(&c, &db->n_texts);
	index_get_varint(&c, &db->k1);
	for (int f = 0; f < N_FIELDS; f++) {
		index_get_varint(&c, &db->w[f]);
		index_get_varint(&c, &v);
	}
	/* Each note, document, term shard and text shard takes at least 2, 5,
	 * 2 and 2 bytes of what follows: counts past that are a lie, and would
	 * otherwise be allocated before the bytes run out (as index.js checks). */
	if (c.bad || db->n_notes > db->n_docs || db->n_docs > 50000000u || db->n_shards > 1000000u ||
	    db->n_texts > db->n_docs || (db->n_docs && !db->n_texts) || db->k1 < 1 || db->k1 > 100000 ||
	    2 * (uint64_t)db->n_notes + 5 * (uint64_t)db->n_docs + 2 * (uint64_t)db->n_shards +
	    2 * (uint64_t)db->n_texts > (uint64_t)(c.end - c.p))
		FAIL("meta block is corrupt: bad counts");
	for (int f = 0; f < N_FIELDS; f++)
		if (db->w[f] > 1000)
			FAIL("meta block is corrupt: bad field weight");
	db->note_title = xcalloc(db->n_notes + 1, sizeof *db->note_title);
	db->note_url = xcalloc(db->n_notes + 1, sizeof *db->note_url);
	for (uint32_t i = 0; i < db->n_notes; i++) {
		const char *s;
		uint32_t l;
		if (index_get_str(&c, &s, &l) < 0)
			FAIL("meta block is corrupt: note %u runs past the end", i);
		db->note_title[i] = dup_str(s, l);
		if (index_get_str(&c, &s, &l) < 0)
			FAIL("meta block is corrupt: note %u runs past the end", i);
		db->note_url[i] = dup_str(s, l);
	}
	db->docs = xcalloc(db->n_docs + 1, sizeof *db->docs);
	for (uint32_t i = 0; i < db->n_docs; i++) {
		const char *s;
		uint32_t l, shard;
		struct sdoc *d = &db->docs[i];
		if (index_get_varint(&c, &d->note) < 0 || d->note >= db->n_notes)
			FAIL("meta block is corrupt: document %u has a bad note number", i);
		if (index_get_str(&c, &s, &l) < 0)
			FAIL("meta block is corrupt: document %u runs past the end", i);
		d->heading = dup_str(s, l);
		if (index_get_str(&c, &s, &l) < 0)
			FAIL("meta block is corrupt: document %u runs past the end", i);
		d->anchor = dup_str(s, l);
		if (index_get_varint(&c, &shard) < 0 || shard >= db->n_texts)
			FAIL("meta block is corrupt: document %u has a bad text shard", i);
		d->text = shard;
		if (index_get_u8(&c, &d->mask) < 0 || d->mask >= 1u << N_FIELDS)
			FAIL("meta block is corrupt: document %u has a bad field mask", i);
		for (int f = 0; f < N_FIELDS; f++)
			if (d->mask & (1u << f) &&
			    (index_get_varint(&c, &d->norm[f]) < 0 || d->norm[f] < 1 || d->norm[f] > 100000000u))
				FAIL("meta block is corrupt: document %u has a bad field norm", i);
	}
	db->shards = xcalloc(db->n_shards + 1, sizeof *db->shards);
	for (uint32_t i = 0; i < db->n_shards; i++) {
		const char *s;
		uint32_t l;
		if (index_get_str(&c, &s, &l) < 0 || index_get_varint(&c, &db->shards[i].bytes) < 0)
			FAIL("meta block is corrupt: shard %u runs past the end", i);
		db->shards[i].first = dup_str(s, l);
		if (i && strcmp(db->shards[i - 1].first, db->shards[i].first) >= 0)
			FAIL("meta block is corrupt: shards out of order at %u", i);
		buf_init(&db->shards[i].data);
	}
	db->texts = xcalloc(db->n_texts + 1, sizeof *db->texts);
	for (uint32_t i = 0; i < db->n_texts; i++) {
		struct tshard *t = &db->texts[i];
		buf_init(&t->data);
		if (index_get_varint(&c, &t->first) < 0 || index_get_varint(&c, &t->bytes) < 0 ||
		    t->first >= db->n_docs || (i ? t->first <= db->texts[i - 1].first : t->first != 0))
			FAIL("meta block is corrupt: text shard %u has a bad first document", i);
	}
	for (uint32_t i = 0; i < db->n_docs; i++) {
		uint32_t t = db->docs[i].text;
		if (i < db->texts[t].first || (t + 1 < db->n_texts && i >= db->texts[t + 1].first))
			FAIL("meta block is corrupt: document %u is not in its text shard", i);
	}
	if (c.p != c.end)
		FAIL("meta block is corrupt: %zu unexpected bytes at the end", (size_t)(c.end - c.p));
	db->tz = tokenizer_new();
	return db;
fail:
fail_keep:
	search_close(db);
	return NULL;
}

void search_close(struct search_db *db)
{
	if (!db)
		return;
	for (uint32_t i = 0; db->note_title && i < db->n_notes; i++) {
		free(db->note_title[i]);
		free(db->note_url[i]);
	}
	free(db->note_title);
	free(db->note_url);
	for (uint32_t i = 0; db->docs && i < db->n_docs; i++) {
		free(db->docs[i].heading);
		free(db->docs[i].anchor);
	}
	free(db->docs);
	for (uint32_t i = 0; db->shards && i < db->n_shards; i++) {
		struct shard *s = &db->shards[i];
		free(s->first);
		for (size_t k = 0; k < s->n; k++)
			free(s->terms[k].s);
		free(s->terms);
		buf_free(&s->data);
	}
	free(db->shards);
	for (uint32_t i = 0; db->texts && i < db->n_texts; i++) {
		struct tshard *t = &db->texts[i];
		for (uint32_t k = 0; t->docs && k < t->n; k++) {
			free(t->docs[k].extra_field);
			free(t->docs[k].extra);
			free(t->docs[k].extra_len);
		}
		free(t->docs);
		buf_free(&t->data);
	}
	free(db->texts);
	tok_list_free(&db->dt);
	tokenizer_free(db->tz);
	buf_free(&db->meta);
	buf_free(&db->run);
	free(db->dir);
	free(db);
}

size_t search_docs(const struct search_db *db)
{
	return db->n_docs;
}

void search_doc(const struct search_db *db, uint32_t doc, const char **title, const char **url,
	const char **heading, const char **anchor)
{
	const struct sdoc *d = &db->docs[doc];
	*title = db->note_title[d->note];
	*url = db->note_url[d->note];
	*heading = d->heading;
	*anchor = d->anchor;
}

/* Read shard i of the term shards (prefix 't') or text shards ('x') into
 * `out`: the INDEX_RUN shards of a file lie one after the other in it, each
 * of the size the meta block gives, and the file holds nothing else. */
static int read_shard(struct search_db *db, char prefix, uint32_t i, struct buf *out, char *why, size_t n_why)
{
	uint32_t run = i / INDEX_RUN, n = prefix == 't' ? db->n_shards : db->n_texts;
	size_t off = 0, total = 0;
	for (uint32_t k = run * INDEX_RUN; k < n && k < (run + 1) * INDEX_RUN; k++) {
		size_t bytes = prefix == 't' ? db->shards[k].bytes : db->texts[k].bytes;
		off += k < i ? bytes : 0;
		total += bytes;
	}
	size_t len = prefix == 't' ? db->shards[i].bytes : db->texts[i].bytes;
	char name[32];
	snprintf(name, sizeof name, "%c-b%03u.bin", prefix, run);
	if (strcmp(name, db->run_name) != 0) {
		db->run_name[0] = '\0';
		buf_reset(&db->run);
		if (db->read(db->read_ctx, name, &db->run, why, n_why) < 0)
			return -1;
		if (db->run.len != total) {
			snprintf(why, n_why, "search/%s is corrupt: it has %zu bytes, the meta block says %zu", name,
				db->run.len, total);
			return -1;
		}
		memcpy(db->run_name, name, sizeof name);
	}
	buf_reset(out);
	if (len)
		buf_put(out, db->run.data + off, len);
	return 0;
}

/* Read and check shard i (once). */
static int load_shard(struct search_db *db, uint32_t i, char *why, size_t n_why)
{
	struct shard *s = &db->shards[i];
	if (s->loaded)
		return 0;
	const unsigned char *p;
	size_t n;
	char inner[200];
	if (read_shard(db, 't', i, &s->data, why, n_why) < 0)
		return -1;
	if (index_open_block((const unsigned char *)s->data.data, s->data.len, INDEX_TERMS, &p, &n, inner,
		sizeof inner) < 0)
		FAIL("terms shard %u: %s", i, inner);
	struct index_cursor c = { p, p + n, 0 };
	uint32_t count;
	if (index_get_varint(&c, &count) < 0 || count > n)
		FAIL("terms shard %u is corrupt: bad term count", i);
	s->terms = xcalloc(count + 1, sizeof *s->terms);
	struct buf prev = BUF_INIT;
	size_t total = 0;
	for (uint32_t k = 0; k < count; k++) {
		uint32_t shared, len;
		const char *suffix;
		struct sterm *t = &s->terms[k];
		if (index_get_varint(&c, &shared) < 0 || shared > prev.len ||
		    index_get_str(&c, &suffix, &len) < 0 || index_get_varint(&c, &t->df) < 0 ||
		    index_get_varint(&c, &t->idf) < 0 || index_get_varint(&c, &t->post_len) < 0) {
			buf_free(&prev);
			FAIL("terms shard %u is corrupt: term %u runs past the end", i, k);
		}
		buf_truncate(&prev, shared);
		buf_put(&prev, suffix, len);
		if (k && strcmp(s->terms[k - 1].s, prev.data) >= 0) {
			buf_free(&prev);
			FAIL("terms shard %u is corrupt: terms out of order at %u", i, k);
		}
		if (t->df == 0 || t->df > db->n_docs) {
			buf_free(&prev);
			FAIL("terms shard %u is corrupt: bad document count for term %u", i, k);
		}
		t->s = xstrndup(prev.data, prev.len);
		s->n = k + 1;
		total += t->post_len;
	}
	buf_free(&prev);
	if (total != (size_t)(c.end - c.p))
		FAIL("terms shard %u is corrupt: posting lists do not fill the shard", i);
	const unsigned char *q = c.p;
	for (size_t k = 0; k < s->n; k++) {
		s->terms[k].post = q;
		q += s->terms[k].post_len;
	}
	if (s->n && strcmp(s->terms[0].s, s->first) != 0)
		FAIL("terms shard %u does not start with the term the meta block names", i);
	s->loaded = true;
	return 0;
fail:
	return -1;
}

/* The shard whose range can hold `term`. */
static uint32_t shard_for(const struct search_db *db, const char *term)
{
	uint32_t lo = 0, hi = db->n_shards;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (strcmp(db->shards[mid].first, term) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- clauses ---- */

struct cand {
	const struct sterm *t;
	int kind;
};

enum clause_type { C_WORD, C_PHRASE };

struct clause {
	enum clause_type type;
	bool negative;
	int field;               /* -1 any */
	struct cand *c;          /* word: candidate terms */
	size_t n, cap;
	const struct sterm **phrase; /* phrase: its terms (NULL for a stop word) */
	int *offset;             /* position of each relative to the first */
	size_t n_phrase, cap_phrase, cap_offset;
	bool missing;            /* a phrase word is not in the index */
};

static void add_cand(struct clause *cl, const struct sterm *t, int kind)
{
	for (size_t i = 0; i < cl->n; i++)
		if (cl->c[i].t == t) {
			if (kind > cl->c[i].kind)
				cl->c[i].kind = kind;
			return;
		}
	struct cand *c = VEC_PUSH(cl->c, cl->n, cl->cap);
	c->t = t;
	c->kind = kind;
}

static int find_term(struct search_db *db, const char *term, const struct sterm **out, char *why, size_t n_why)
{
	*out = NULL;
	if (!db->n_shards)
		return 0;
	uint32_t i = shard_for(db, term);
	if (load_shard(db, i, why, n_why) < 0)
		return -1;
	struct shard *s = &db->shards[i];
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->terms[mid].s, term);
		if (!c) {
			*out = &s->terms[mid];
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Call fn for every term starting with `prefix` (bytes). */
static int each_prefixed(struct search_db *db, const char *prefix, void (*fn)(void *, const struct sterm *),
	void *ctx, char *why, size_t n_why)
{
	if (!db->n_shards)
		return 0;
	size_t plen = strlen(prefix);
	for (uint32_t i = shard_for(db, prefix); i < db->n_shards; i++) {
		if (i != shard_for(db, prefix) && strncmp(db->shards[i].first, prefix, plen) != 0)
			break;
		if (load_shard(db, i, why, n_why) < 0)
			return -1;
		struct shard *s = &db->shards[i];
		for (size_t k = 0; k < s->n; k++)
			if (!strncmp(s->terms[k].s, prefix, plen))
				fn(ctx, &s->terms[k]);
	}
	return 0;
}

/* Code points of a UTF-8 string. */
static size_t decode(const char *s, int32_t *out, size_t cap)
{
	size_t n = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
	while (left > 0 && n < cap) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p, left, &c);
		if (k < 1) {
			c = *p;
			k = 1;
		}
		out[n++] = c;
		p += k;
		left -= k;
	}
	return n;
}

/* Optimal-string-alignment distance, 0, 1 or 2 (meaning "more"). */
static int osa1(const int32_t *a, size_t n, const int32_t *b, size_t m)
{
	if (n > m + 1 || m > n + 1)
		return 2;
	size_t i = 0;
	while (i < n && i < m && a[i] == b[i])
		i++;
	if (i == n && i == m)
		return 0;
	/* substitution, swap, deletion (from a), insertion (into a) */
	if (n == m) {
		if (!memcmp(a + i + 1, b + i + 1, (n - i - 1) * sizeof *a))
			return 1;
		if (i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    !memcmp(a + i + 2, b + i + 2, (n - i - 2) * sizeof *a))
			return 1;
		return 2;
	}
	if (n == m + 1)
		return !memcmp(a + i + 1, b + i, (m - i) * sizeof *a) ? 1 : 2;
	return !memcmp(a + i, b + i + 1, (n - i) * sizeof *a) ? 1 : 2;
}

struct typo_ctx {
	struct clause *cl;
	int32_t stem[TOKEN_MAX_TERM + 1];
	size_t n;
};

static void typo_fn(void *p, const struct sterm *t)
{
	struct typo_ctx *tc = p;
	int32_t cps[TOKEN_MAX_TERM + 2];
	size_t m = decode(t->s, cps, TOKEN_MAX_TERM + 2);
	if (osa1(tc->stem, tc->n, cps, m) == 1)
		add_cand(tc->cl, t, INDEX_KIND_TYPO);
}

struct prefix_ctx {
	struct clause *cl;
};

static void prefix_fn(void *p, const struct sterm *t)
{
	add_cand(((struct prefix_ctx *)p)->cl, t, INDEX_KIND_PREFIX);
}

static int add_prefix(struct search_db *db, struct clause *cl, const char *norm, char *why, size_t n_why)
{
	struct prefix_ctx pc = { cl };
	return each_prefixed(db, norm, prefix_fn, &pc, why, n_why);
}

static int add_typos(struct search_db *db, struct clause *cl, const char *stem, char *why, size_t n_why)
{
	struct typo_ctx tc = { .cl = cl };
	tc.n = decode(stem, tc.stem, TOKEN_MAX_TERM + 1);
	if (tc.n < 2)
		return 0;
	for (int k = 0; k < 2; k++) {
		if (k == 1 && tc.stem[1] == tc.stem[0])
			break;
		utf8proc_uint8_t enc[8] = { 0 };
		utf8proc_encode_char(tc.stem[k], enc);
		if (each_prefixed(db, (const char *)enc, typo_fn, &tc, why, n_why) < 0)
			return -1;
	}
	return 0;
}

/* ---- texts ---- */

/* Read and check text shard i (once). */
static int load_text(struct search_db *db, uint32_t i, char *why, size_t n_why)
{
	struct tshard *t = &db->texts[i];
	if (t->loaded)
		return 0;
	const unsigned char *p;
	size_t n;
	char inner[200];
	if (read_shard(db, 'x', i, &t->data, why, n_why) < 0)
		return -1;
	if (index_open_block((const unsigned char *)t->data.data, t->data.len, INDEX_TEXT, &p, &n, inner,
		sizeof inner) < 0)
		FAIL("text shard %u: %s", i, inner);
	struct index_cursor c = { p, p + n, 0 };
	uint32_t first, count, next = i + 1 < db->n_texts ? db->texts[i + 1].first : db->n_docs;
	if (index_get_varint(&c, &first) < 0 || index_get_varint(&c, &count) < 0 || first != t->first ||
	    count != next - first)
		FAIL("text shard %u is corrupt: it does not hold the documents the meta block names", i);
	t->docs = xcalloc(count + 1, sizeof *t->docs);
	for (uint32_t k = 0; k < count; k++) {
		struct stext *d = &t->docs[k];
		const struct sdoc *sd = &db->docs[first + k];
		size_t hl = strlen(sd->heading);
		uint8_t last = 0;
		t->n = k + 1;
		if (index_get_str(&c, &d->text, &d->len) < 0 || index_get_varint(&c, &d->n_extra) < 0 ||
		    d->n_extra > (uint32_t)(c.end - c.p))
			FAIL("text shard %u is corrupt: document %u runs past the end", i, first + k);
		if (d->len < hl + 1 || memcmp(d->text, sd->heading, hl) || d->text[hl] != '\n')
			FAIL("text shard %u is corrupt: document %u does not start with its heading", i,
				first + k);
		d->extra_field = xcalloc(d->n_extra + 1, 1);
		d->extra = xcalloc(d->n_extra + 1, sizeof *d->extra);
		d->extra_len = xcalloc(d->n_extra + 1, sizeof *d->extra_len);
		for (uint32_t e = 0; e < d->n_extra; e++) {
			uint8_t f;
			if (index_get_u8(&c, &f) < 0 || index_get_str(&c, &d->extra[e], &d->extra_len[e]) < 0)
				FAIL("text shard %u is corrupt: document %u runs past the end", i, first + k);
			if ((f != F_TOPIC && f != F_ALIAS && f != F_TAG) || f < last)
				FAIL("text shard %u is corrupt: document %u has a bad field", i, first + k);
			d->extra_field[e] = f;
			last = f;
		}
	}
	if (c.p != c.end)
		FAIL("text shard %u is corrupt: %zu unexpected bytes at the end", i,
			(size_t)(c.end - c.p));
	t->loaded = true;
	return 0;
fail:
	return -1;
}

/* Tokenize document d's fields as the index did (section 2, positions
 * with gaps) into db->dt. */
static int doc_tokens(struct search_db *db, uint32_t d, char *why, size_t n_why)
{
	const struct sdoc *sd = &db->docs[d];
	if (load_text(db, sd->text, why, n_why) < 0)
		return -1;
	const struct stext *x = &db->texts[sd->text].docs[d - db->texts[sd->text].first];
	int pos = 0;
	tok_list_clear(&db->dt);
#define VAL(s, n) do { if ((n) > 0) { tokenize(db->tz, (s), (n), &pos, &db->dt); pos += INDEX_FIELD_GAP; } } while (0)
	if (d == 0 || db->docs[d - 1].note != sd->note)
		VAL(db->note_title[sd->note], strlen(db->note_title[sd->note]));
	for (uint32_t e = 0; e < x->n_extra; e++)
		if (x->extra_field[e] < F_HEADING)
			VAL(x->extra[e], x->extra_len[e]);
	VAL(sd->heading, strlen(sd->heading));
	db->dt_names = pos;
	for (uint32_t e = 0; e < x->n_extra; e++)
		if (x->extra_field[e] == F_TAG)
			VAL(x->extra[e], x->extra_len[e]);
	size_t hl = strlen(sd->heading) + 1;
	VAL(x->text + hl, x->len - hl);
#undef VAL
	return 0;
}

/* Does db->dt hold, at pos, a tok with term t (t != NULL) or, with `norm`,
 * a piece whose normalised text is norm? */
static bool tok_at(const struct search_db *db, int pos, const char *t, const char *norm)
{
	for (size_t k = 0; k < db->dt.n; k++) {
		const struct tok *x = &db->dt.v[k];
		if (x->pos != pos)
			continue;
		if (norm ? !x->compound && !strcmp(x->norm, norm) : x->term && !strcmp(x->term, t))
			return true;
	}
	return false;
}

/* Is the phrase at consecutive positions in db->dt: term[i] (or, when
 * norms is set, the piece norms[i]) at base + offset[i], for some base,
 * all below `limit`? */
static bool phrase_in_doc(const struct search_db *db, const char *const *terms, const char *const *norms,
	const int *offset, size_t n, int limit)
{
	size_t lead = 0;
	while (lead < n && !(norms ? norms[lead] : terms[lead]))
		lead++;
	if (lead == n)
		return false;
	for (size_t k = 0; k < db->dt.n; k++) {
		const struct tok *x = &db->dt.v[k];
		bool hit = norms ? !x->compound && !strcmp(x->norm, norms[lead]) :
			x->term && !strcmp(x->term, terms[lead]);
		if (!hit || x->pos < offset[lead] || x->pos >= limit)
			continue;
		int base = x->pos - offset[lead];
		bool all = true;
		for (size_t i = 0; i < n && all; i++) {
			if (i == lead || !(norms ? norms[i] : terms[i]))
				continue;
			if (base + offset[i] >= limit) {
				all = false;
				break;
			}
			all = tok_at(db, base + offset[i], norms ? NULL : terms[i], norms ? norms[i] : NULL);
		}
		if (all)
			return true;
	}
	return false;
}

/* ---- postings ---- */

struct post {
	uint32_t doc;
	uint8_t mask, weight;
};

/* A posting's BM25F weight from its field counts (section 3). */
static uint8_t weight_of(const struct search_db *db, const struct sdoc *d, uint8_t mask, const uint32_t *tf)
{
	uint64_t x = 0, k = db->k1;
	for (int f = 0; f < N_FIELDS; f++)
		if (mask & (1u << f))
			x += (uint64_t)db->w[f] * tf[f] * 10000 / d->norm[f];
	uint64_t w = (2 * 255 * x + x + k) / (2 * (x + k));
	return (uint8_t)(w < 1 ? 1 : w > 255 ? 255 : w);
}

/* Decode a term's postings; -1 when they are corrupt. */
static int postings(const struct search_db *db, const struct sterm *t, struct post **out, char *why, size_t n_why)
{
	struct index_cursor c = { t->post, t->post + t->post_len, 0 };
	struct post *v = xcalloc(t->df + 1, sizeof *v);
	bool *simple = xcalloc(t->df + 1, sizeof *simple);
	uint32_t doc = 0;
	for (uint32_t i = 0; i < t->df; i++) {
		uint32_t code, delta;
		if (index_get_varint(&c, &code) < 0)
			goto bad;
		delta = code >> 1;
		if ((i && delta == 0) || delta > db->n_docs - doc)
			goto bad;
		doc += delta;
		if (doc >= db->n_docs)
			goto bad;
		v[i].doc = doc;
		simple[i] = code & 1;
	}
	for (uint32_t i = 0; i < t->df; i++) {
		uint32_t tf[N_FIELDS] = { 0 };
		const struct sdoc *d = &db->docs[v[i].doc];
		if (simple[i]) {
			v[i].mask = 1u << F_BODY;
			tf[F_BODY] = 1;
		} else {
			if (index_get_u8(&c, &v[i].mask) < 0 || !v[i].mask || v[i].mask >= 1u << N_FIELDS)
				goto bad;
			for (int f = 0; f < N_FIELDS; f++)
				if (v[i].mask & (1u << f) && (index_get_varint(&c, &tf[f]) < 0 || !tf[f] || tf[f] > 65535))
					goto bad;
		}
		if (v[i].mask & ~d->mask)
			goto bad;
		v[i].weight = weight_of(db, d, v[i].mask, tf);
	}
	if (c.p != c.end)
		goto bad;
	free(simple);
	*out = v;
	return 0;
bad:
	free(v);
	free(simple);
	snprintf(why, n_why, "search index is corrupt: posting list of '%s' is damaged", t->s);
	return -1;
}

/* The posting of doc in ps (df of them), or NULL. */
static const struct post *post_of(const struct post *ps, uint32_t df, uint32_t doc)
{
	uint32_t lo = 0, hi = df;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (ps[mid].doc < doc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < df && ps[lo].doc == doc ? &ps[lo] : NULL;
}

/* Per-document score of one clause (0: no match). */
static int eval_clause(struct search_db *db, const struct clause *cl, uint64_t *score,
	char *why, size_t n_why)
{
	memset(score, 0, db->n_docs * sizeof *score);
	if (cl->type == C_WORD) {
		for (size_t i = 0; i < cl->n; i++) {
			struct post *ps;
			if (postings(db, cl->c[i].t, &ps, why, n_why) < 0)
				return -1;
			for (uint32_t k = 0; k < cl->c[i].t->df; k++) {
				if (cl->field >= 0 && !(ps[k].mask & (1u << cl->field)))
					continue;
				uint64_t s = (uint64_t)cl->c[i].t->idf * ps[k].weight * (uint64_t)cl->c[i].kind;
				if (s == 0)
					s = 1;
				if (s > score[ps[k].doc])
					score[ps[k].doc] = s;
			}
			free(ps);
		}
		return 0;
	}
	/* Phrase: every term in the document (in the field), then checked at
	 * consecutive positions in the document's text. */
	size_t lead = 0;
	while (lead < cl->n_phrase && !cl->phrase[lead])
		lead++;
	if (lead == cl->n_phrase || cl->missing || cl->n_phrase > 64)
		return 0;
	struct post *ps[64] = { 0 };
	const char *terms[64] = { 0 };
	int rc = 0;
	for (size_t i = 0; i < cl->n_phrase && rc == 0; i++)
		if (cl->phrase[i]) {
			terms[i] = cl->phrase[i]->s;
			if (postings(db, cl->phrase[i], &ps[i], why, n_why) < 0)
				rc = -1;
		}
	for (uint32_t k = 0; rc == 0 && k < cl->phrase[lead]->df; k++) {
		uint32_t doc = ps[lead][k].doc;
		bool ok = true;
		uint64_t sum = 0;
		for (size_t i = 0; ok && i < cl->n_phrase; i++) {
			if (!cl->phrase[i])
				continue;
			const struct post *p = post_of(ps[i], cl->phrase[i]->df, doc);
			if (!p || (cl->field >= 0 && !(p->mask & (1u << cl->field))))
				ok = false;
			else
				sum += (uint64_t)cl->phrase[i]->idf * p->weight * INDEX_KIND_EXACT;
		}
		if (!ok)
			continue;
		if (doc_tokens(db, doc, why, n_why) < 0)
			rc = -1;
		else if (phrase_in_doc(db, terms, NULL, cl->offset, cl->n_phrase, INT_MAX))
			score[doc] = sum ? sum : 1;
	}
	for (size_t i = 0; i < cl->n_phrase; i++)
		free(ps[i]);
	return rc;
}

/* ---- parsing ---- */

static int field_named(const char *s, size_t n)
{
	for (int f = 0; f < N_FIELDS; f++)
		if (strlen(index_field_names[f]) == n && !memcmp(index_field_names[f], s, n))
			return f;
	return -1;
}

static void clause_free(struct clause *cl)
{
	free(cl->c);
	free(cl->phrase);
	free(cl->offset);
}

static size_t cp_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int cmp_hits(const void *a, const void *b)
{
	const struct search_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* A plain word of the query: one piece, positive, no field, no '*'. */
struct iword {
	const char *term;   /* its index term; NULL for a stop word */
	char *norm;         /* its normalised text */
	int offset;         /* its position in the query */
};

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The adjacency and exact-form bonuses (docs/search-index.md section 3),
 * checked in the text of the documents that could reach the first page. */
static int bonus(struct search_db *db, const struct iword *iw, size_t n, bool missing, uint64_t *total,
	const bool *alive, char *why, size_t n_why)
{
	size_t terms = 0;
	for (size_t i = 0; i < n; i++)
		terms += iw[i].term != NULL;
	bool stem = terms >= 2, exact = n >= 2 && terms >= 1;
	if (missing || n > 64 || (!stem && !exact))
		return 0;
	const char *t[64], *nm[64];
	int off[64];
	for (size_t i = 0; i < n; i++) {
		t[i] = iw[i].term;
		nm[i] = iw[i].norm;
		off[i] = iw[i].offset - iw[0].offset;
	}
	uint64_t *s = xcalloc(db->n_docs + 1, sizeof *s);
	size_t n_alive = 0;
	for (uint32_t d = 0; d < db->n_docs; d++)
		if (alive[d])
			s[n_alive++] = total[d];
	if (!n_alive) {
		free(s);
		return 0;
	}
	qsort(s, n_alive, sizeof *s, cmp_desc);
	uint64_t sk = s[(n_alive < INDEX_BONUS_PAGE ? n_alive : INDEX_BONUS_PAGE) - 1];
	uint64_t *more = xcalloc(db->n_docs + 1, sizeof *more);
	for (uint32_t d = 0; d < db->n_docs; d++) {
		if (!alive[d] || total[d] * 11 < sk * 8)
			continue;
		if (doc_tokens(db, d, why, n_why) < 0) {
			free(s);
			free(more);
			return -1;
		}
		if (stem && phrase_in_doc(db, t, NULL, off, n, INT_MAX))
			more[d] += total[d] / 4;
		if (exact && phrase_in_doc(db, NULL, nm, off, n, db->dt_names))
			more[d] += total[d] / 8;
	}
	for (uint32_t d = 0; d < db->n_docs; d++)
		total[d] += more[d];
	free(s);
	free(more);
	return 0;
}

int search_query(struct search_db *db, const char *q, bool live, struct search_hit **hits, size_t *n_hits,
	char *why, size_t n_why)
{
	struct clause *cls = NULL;
	size_t n_cls = 0, cap_cls = 0;
	struct tok_list toks = { 0 };
	int rc = -1;
	size_t len = strlen(q);
	bool ends_open = len && !(q[len - 1] == ' ' || q[len - 1] == '\t' || q[len - 1] == '\n');
	*hits = NULL;
	*n_hits = 0;

	/* The query's plain words (positive, any field, exact, one piece each)
	 * as an implicit phrase: documents holding them side by side, in
	 * order, get a bonus (docs/search-index.md section 3). */
	struct iword *iw = NULL;
	size_t n_iw = 0, cap_iw = 0;
	bool iw_missing = false;
	int qpos = 0;
	const char *p = q;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		/* '-' negates only before a word character or a quote, so that
		 * "--max-old-space-size" is a word. */
		bool negative = false;
		if (*p == '-' && p[1]) {
			utf8proc_int32_t c;
			utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + 1, -1, &c);
			utf8proc_category_t cat = k > 0 ? utf8proc_category(c) : UTF8PROC_CATEGORY_CN;
			negative = p[1] == '"' || (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME) ||
				(cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
		}
		if (negative || *p == '+')
			p++;
		int field = -1;
		const char *colon = p;
		while ((*colon >= 'a' && *colon <= 'z'))
			colon++;
		if (*colon == ':' && colon > p && colon[1] && colon[1] != ' ' && field_named(p, (size_t)(colon - p)) >= 0) {
			field = field_named(p, (size_t)(colon - p));
			p = colon + 1;
		}
		const char *start, *end;
		bool phrase = false, prefix = false;
		if (*p == '"') {
			phrase = true;
			start = ++p;
			while (*p && *p != '"')
				p++;
			end = p;
			if (*p == '"')
				p++;
		} else {
			start = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
				p++;
			end = p;
			if (end > start && end[-1] == '*') {
				prefix = true;
				end--;
			}
		}
		bool last_item = !*p || (*p && !p[strspn(p, " \t\r\n")]);
		tok_list_clear(&toks);
		int pos = 0;
		tokenize(db->tz, start, (size_t)(end - start), &pos, &toks);
		int base = qpos;
		qpos += pos;
		if (phrase) {
			bool any = false;
			for (size_t i = 0; i < toks.n; i++)
				any |= !toks.v[i].compound && toks.v[i].term;
			if (!any)
				continue;   /* only stop words: ignored */
			struct clause *cl = VEC_PUSH(cls, n_cls, cap_cls);
			memset(cl, 0, sizeof *cl);
			cl->type = C_PHRASE;
			cl->negative = negative;
			cl->field = field;
			int first = -1;
			for (size_t i = 0; i < toks.n; i++) {
				if (toks.v[i].compound)
					continue;
				if (first < 0)
					first = toks.v[i].pos;
				const struct sterm *t = NULL;
				if (toks.v[i].term) {
					if (find_term(db, toks.v[i].term, &t, why, n_why) < 0)
						goto out;
					if (!t)
						cl->missing = true;
				}
				*VEC_PUSH(cl->phrase, cl->n_phrase, cl->cap_phrase) = t;
				xgrow(&cl->offset, &cl->cap_offset, cl->n_phrase, sizeof *cl->offset);
				cl->offset[cl->n_phrase - 1] = toks.v[i].pos - first;
			}
			continue;
		}
		/* One clause per token of the item. */
		for (int tk = 0; tk < toks.tokens; tk++) {
			const struct tok *piece = NULL, *whole = NULL;
			size_t pieces = 0;
			for (size_t i = 0; i < toks.n; i++) {
				if (toks.v[i].token != tk)
					continue;
				if (toks.v[i].compound && toks.v[i].whole)
					whole = &toks.v[i];
				else if (!toks.v[i].compound) {
					pieces++;
					piece = &toks.v[i];
				}
			}
			const char *term = whole ? whole->term : pieces == 1 ? piece->term : NULL;
			const char *norm = whole ? whole->norm : pieces == 1 ? piece->norm : NULL;
			if (!norm)
				continue;
			bool as_prefix = prefix && cp_len(norm) >= 2;
			bool plain = !negative && field < 0 && !prefix && !whole;
			if (plain && !term) {   /* a stop word: in the implicit phrase's exact form only */
				struct iword *w = VEC_PUSH(iw, n_iw, cap_iw);
				w->term = NULL;
				w->norm = xstrdup(norm);
				w->offset = base + piece->pos;
			}
			if (!term && !as_prefix)
				continue;   /* a stop word */
			struct clause *cl = VEC_PUSH(cls, n_cls, cap_cls);
			memset(cl, 0, sizeof *cl);
			cl->type = C_WORD;
			cl->negative = negative;
			cl->field = field;
			bool is_last = last_item && tk == toks.tokens - 1;
			if (as_prefix) {
				if (add_prefix(db, cl, norm, why, n_why) < 0)
					goto out;
				continue;
			}
			const struct sterm *t;
			if (find_term(db, term, &t, why, n_why) < 0)
				goto out;
			if (t)
				add_cand(cl, t, INDEX_KIND_EXACT);
			if (negative)
				continue;
			if (plain) {
				struct iword *w = VEC_PUSH(iw, n_iw, cap_iw);
				w->term = t ? t->s : NULL;
				w->norm = xstrdup(norm);
				w->offset = base + piece->pos;
				iw_missing |= !t;
			}
			if (!whole && cp_len(norm) >= 5 && add_typos(db, cl, term, why, n_why) < 0)
				goto out;
			if (live && ends_open && is_last && cp_len(norm) >= 2 && add_prefix(db, cl, norm, why, n_why) < 0)
				goto out;
		}
	}

	/* Evaluate: AND of positive clauses, minus negative ones. */
	size_t positive = 0;
	for (size_t i = 0; i < n_cls; i++)
		positive += !cls[i].negative;
	if (!positive || !db->n_docs) {
		rc = 0;
		goto out;
	}
	uint64_t *total = xcalloc(db->n_docs, sizeof *total);
	uint64_t *one = xcalloc(db->n_docs, sizeof *one);
	bool *alive = xcalloc(db->n_docs, sizeof *alive);
	for (uint32_t d = 0; d < db->n_docs; d++)
		alive[d] = true;
	for (size_t i = 0; i < n_cls; i++) {
		if (eval_clause(db, &cls[i], one, why, n_why) < 0) {
			free(total);
			free(one);
			free(alive);
			goto out;
		}
		for (uint32_t d = 0; d < db->n_docs; d++) {
			if (cls[i].negative) {
				if (one[d])
					alive[d] = false;
			} else if (!one[d]) {
				alive[d] = false;
			} else {
				total[d] += one[d];
			}
		}
	}
	if (bonus(db, iw, n_iw, iw_missing, total, alive, why, n_why) < 0) {
		free(total);
		free(one);
		free(alive);
		goto out;
	}
	size_t cap = 0;
	for (uint32_t d = 0; d < db->n_docs; d++)
		if (alive[d]) {
			struct search_hit *h = VEC_PUSH(*hits, *n_hits, cap);
			h->doc = d;
			h->score = total[d];
		}
	if (*n_hits)
		qsort(*hits, *n_hits, sizeof **hits, cmp_hits);
	free(total);
	free(one);
	free(alive);
	rc = 0;
out:
	for (size_t i = 0; i < n_cls; i++)
		clause_free(&cls[i]);
	for (size_t i = 0; i < n_iw; i++)
		free(iw[i].norm);
	free(iw);
	free(cls);
	tok_list_free(&toks);
	return rc;
}
