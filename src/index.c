/* index.c - documents, terms, BM25F field norms, shards; see index.h and
 * docs/search-index.md. */
#include "index.h"

#include <math.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "index_format.h"
#include "output.h"
#include "pool.h"
#include "tokenize.h"
#include "util.h"

static const double field_w[N_FIELDS] = { 10.0, 8.0, 6.0, 5.0, 3.0, 1.0 };
static const double field_b[N_FIELDS] = { 0.3, 0.3, 0.3, 0.3, 0.0, 0.75 };
#define TERM_SHARD_TARGET (16 * 1024)
#define TEXT_SHARD_MIN (2 * 1024)
#define TEXT_SHARD_MAX (16 * 1024)
#define TEXT_SHARDS_AIM 2048      /* text shards wanted, while within min..max */
#define BATCH 512                 /* notes tokenized between merges */
#define RUN_SPAN 64               /* notes in a run of the merge, on average */

/* A term's postings from one segment of the notes (a run of them merged
 * on one thread), already encoded as docs/search-index.md section 5.2 has
 * them: the codes (the first one relative to document 0) and the field
 * counts of the postings that are not simple. */
struct acc {
	unsigned char *code, *cnt;
	size_t n_code, cap_code, n_cnt, cap_cnt;
	uint32_t n;               /* postings */
	uint32_t first, last;     /* documents of the first and the last, + 1; 0 none */
};

struct term {
	char *s;
	uint32_t n;               /* documents holding it */
	uint32_t idf;
	uint32_t acc;             /* its postings accumulators' index in the segments */
	size_t post_len;          /* bytes of its encoded postings (join_term) */
};

/* A note with documents, in note order: its stored packed note (see
 * pack_note), merged into the postings once every note that needs one
 * (see struct run) has it. */
struct snote {
	size_t d0, nd;            /* its documents: docs[d0, d0 + nd) */
	unsigned char key[16];    /* its cache key (with a cache) */
	struct buf stored;
};

/* A run of notes, merged as one piece: its postings and its documents'
 * field lengths, serialized as a "run blob" (see run_blob), are kept in
 * the build cache under a key made of its notes' keys, so a build merges
 * afresh only the runs that hold a changed note, and reads the stored
 * packed notes of those runs' notes only. With a cache, a run ends after
 * a note whose key says so (about one in RUN_SPAN), so that a note added
 * or deleted changes one run, not every run after it. */
struct run {
	size_t from, to;          /* notes sn[from, to) */
	size_t d0, nd;            /* their documents: docs[d0, d0 + nd) */
	unsigned char key[16];
	struct buf blob;
	bool cached;              /* blob came from the cache, else made by blob_whole_runs */
};

/* A document: one section of a note. */
struct doc {
	int note;
	int section;
	int heading;
	uint32_t len[N_FIELDS];   /* field lengths in pieces */
};

/* One field value of a document. */
struct fval {
	int field;
	const char *text;
};

/* A distinct term of one document, as a worker found it. */
struct dent {
	uint32_t wid;             /* the term: its number in the worker's tokenizer */
	uint8_t mask;
	uint16_t tf[N_FIELDS];
};

/* A document's result from a worker: its entries dents[from, to). */
struct dres {
	size_t from, to;
	uint32_t len[N_FIELDS];
};

/* A term a worker has met (in any note it tokenized), by its number in
 * the worker's tokenizer. */
struct wterm {
	uint32_t doc, dent;       /* the document it was last met in (a stamp), its dent there */
	uint32_t note, local;     /* the note it was last met in (a stamp), its number there */
};

struct worker {
	struct tokenizer *tz;
	struct tok_list toks;
	struct fval *vals;
	size_t n_vals, cap_vals;
	struct dent *dents;       /* of the note being packed */
	size_t n_dents, cap_dents;
	struct dres *res;         /* per document of the note being packed */
	size_t cap_res;
	/* so that a document's occurrences of a term are counted without
	 * sorting or comparing strings */
	struct wterm *wt;
	size_t cap_wt;
	uint32_t doc_stamp, note_stamp;
	struct buf names;         /* the note's terms, packed */
};

/* Worker w's entry for the term numbered id by its tokenizer. */
static struct wterm *wterm(struct worker *w, uint32_t id)
{
	if (id >= w->cap_wt)   /* checked here: this is called for every word */
		xgrow_zeroed(&w->wt, &w->cap_wt, (size_t)id + 1, sizeof *w->wt);
	return &w->wt[id];
}

static void worker_free(struct worker *w)
{
	tokenizer_free(w->tz);
	tok_list_free(&w->toks);
	free(w->vals);
	free(w->dents);
	free(w->res);
	free(w->wt);
	buf_free(&w->names);
}

/* A note of the batch being built. */
struct batch_note {
	size_t sn;                /* its place in the builder's sn (its documents there) */
	int worker;               /* the worker that packed it */
	struct buf packed;        /* packed note, when tokenized (see pack_note) */
	bool cached;              /* packed came from the cache */
};

struct builder {
	const struct kb *kb;
	struct term *terms;
	size_t n_terms, cap_terms;
	uint32_t *slots;          /* open addressing: term index + 1, 0 empty */
	size_t n_slots;
	struct doc *docs;
	size_t n_docs, cap_docs;
	size_t *topic_of;         /* topic indices grouped by note ... */
	size_t *topic_start;      /* ... note i's are topic_of[topic_start[i] .. topic_start[i+1]) */
	size_t *doc_of;           /* per note: its first document */
	struct worker *w;
	int n_w;                  /* workers: the most threads a step may use */
	const atomic_int *threads; /* the threads a step uses now (NULL: n_w) */
	struct cache *cache;      /* the build cache, or NULL */
	/* merging (main thread) */
	struct fval *vals;
	size_t cap_vals;
	struct buf input;         /* a note's index input */
	struct buf term;          /* a term being decoded */
	uint32_t *gid;            /* a packed note's terms: their index in terms[] */
	size_t cap_gid;
	struct snote *sn;         /* notes with documents; n_notes of them */
	struct run *runs;         /* their runs, in order */
	size_t n_runs, n_runs_cached;
	uint32_t **gmap;          /* per worker, per number in its tokenizer: the term's index + 1 */
	size_t *cap_gmap;
	uint64_t gen;             /* generation of the term list */
	size_t n_dict;            /* terms in the list as loaded */
	bool failed;              /* a cached packed note was malformed */
	size_t n_notes, n_tokenized; /* notes with documents; tokenized ones */
	struct seg *seg;          /* the postings merged, per segment (merge_all), */
	size_t n_seg, n_acc;      /* until the term shards are made: n_acc terms each */
};

/* The threads for a step starting now: *b->threads, within 1..n_w. */
static int threads_now(const struct builder *b)
{
	int t = b->threads ? atomic_load(b->threads) : b->n_w;
	return t < 1 ? 1 : t > b->n_w ? b->n_w : t;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void rehash(struct builder *b)
{
	size_t n = b->n_slots ? b->n_slots * 2 : 4096;
	uint32_t *slots = xcalloc(n, sizeof *slots);
	for (size_t i = 0; i < b->n_terms; i++) {
		size_t at = hash_str(b->terms[i].s) & (n - 1);
		while (slots[at])
			at = (at + 1) & (n - 1);
		slots[at] = (uint32_t)i + 1;
	}
	free(b->slots);
	b->slots = slots;
	b->n_slots = n;
}

/* The index of term s, added when new. */
static uint32_t intern(struct builder *b, const char *s)
{
	if (b->n_terms * 2 >= b->n_slots)
		rehash(b);
	size_t at = hash_str(s) & (b->n_slots - 1);
	while (b->slots[at]) {
		uint32_t i = b->slots[at] - 1;
		if (!strcmp(b->terms[i].s, s))
			return i;
		at = (at + 1) & (b->n_slots - 1);
	}
	struct term *t = VEC_PUSH(b->terms, b->n_terms, b->cap_terms);
	memset(t, 0, sizeof *t);
	t->s = xstrdup(s);
	b->slots[at] = (uint32_t)b->n_terms;
	return (uint32_t)b->n_terms - 1;
}

/* Document d's field values in index order (title, topic, alias, heading,
 * tag, body), into w->vals. Empty values are left out. */
static void doc_values(const struct builder *b, const struct doc *d, struct fval **vals, size_t *n,
	size_t *cap)
{
	const struct kb *kb = b->kb;
	const struct kb_note *n0 = &kb->notes[d->note];
	*n = 0;
#define VAL(f, s) do { if ((s) && *(s)) { struct fval *v_ = VEC_PUSH(*vals, *n, *cap); \
	v_->field = (f); v_->text = (s); } } while (0)
	if (d->section == 0)
		VAL(F_TITLE, n0->title);
	for (size_t k = b->topic_start[d->note]; k < b->topic_start[d->note + 1]; k++) {
		const struct kb_topic *tp = &kb->topics[b->topic_of[k]];
		if (tp->heading != d->heading)
			continue;
		VAL(F_TOPIC, tp->term);
		for (size_t a = 0; a < tp->n_aliases; a++)
			VAL(F_TOPIC, tp->aliases[a]);
	}
	if (d->section == 0)
		for (size_t a = 0; a < n0->n_aliases; a++)
			VAL(F_ALIAS, n0->aliases[a]);
	if (d->heading >= 0)
		VAL(F_HEADING, n0->headings[d->heading].text);
	if (d->section == 0)
		for (size_t t = 0; t < n0->n_tags; t++)
			VAL(F_TAG, n0->tags[t]);
	VAL(F_BODY, n0->sections[d->section].text);
#undef VAL
}

/* Tokenize document d on worker w: its distinct terms, with their counts
 * per field, appended to w->dents in the order first met; its field
 * lengths and dents range into r. */
static void tokenize_doc(const struct builder *b, struct worker *w, const struct doc *d, struct dres *r)
{
	memset(r, 0, sizeof *r);
	doc_values(b, d, &w->vals, &w->n_vals, &w->cap_vals);
	tok_list_clear(&w->toks);
	uint32_t stamp = ++w->doc_stamp;
	r->from = w->n_dents;
	int pos = 0;
	for (size_t k = 0; k < w->n_vals; k++) {
		size_t from = w->toks.n;
		int start = pos, f = w->vals[k].field;
		tokenize(w->tz, w->vals[k].text, strlen(w->vals[k].text), &pos, &w->toks);
		r->len[f] += (uint32_t)(pos - start);
		for (size_t t = from; t < w->toks.n; t++) {
			if (!w->toks.v[t].term)
				continue;
			uint32_t wid = w->toks.v[t].term_id;
			struct wterm *wt = wterm(w, wid);
			if (wt->doc != stamp) {
				wt->doc = stamp;
				wt->dent = (uint32_t)w->n_dents;
				struct dent *e = VEC_PUSH(w->dents, w->n_dents, w->cap_dents);
				memset(e, 0, sizeof *e);
				e->wid = wid;
			}
			struct dent *e = &w->dents[wt->dent];
			e->mask |= (uint8_t)(1u << f);
			if (e->tf[f] < UINT16_MAX)
				e->tf[f]++;
		}
		pos += INDEX_FIELD_GAP;
	}
	r->to = w->n_dents;
}

/* ---- a note's index input and its packed terms ----
 *
 * The index is built from one "packed note" per note: what tokenizing
 * its documents gives, in a form that is merged into the postings in note
 * order. A packed note depends only on its documents' field values (the
 * "input" below) and on kbc itself, so the build cache keeps it under a
 * hash of both and an unchanged note is never tokenized again. Layout
 * (varints as in the index): documents; distinct terms of the note, in
 * the order first met, each as its number in the tokenizer of the worker
 * that packed it and its string (index_put_str); then per document its six field
 * lengths, its number of distinct terms and, for each, the term's number
 * in the note's list, its field mask and the count of each field in the
 * mask. The cache keeps the "stored" form (store_note), which numbers
 * the terms in the term list instead. */

/* The input of note i's documents [d0, d0 + nd): every field value with
 * its field, documents separated. */
static void note_input(const struct builder *b, const struct doc *docs, size_t nd, struct fval **vals,
	size_t *cap, struct buf *out)
{
	size_t n = 0;
	buf_reset(out);
	index_put_varint(out, (uint32_t)nd);
	for (size_t k = 0; k < nd; k++) {
		doc_values(b, &docs[k], vals, &n, cap);
		index_put_varint(out, (uint32_t)n);
		for (size_t v = 0; v < n; v++) {
			buf_putc(out, (*vals)[v].field);
			index_put_str(out, (*vals)[v].text, strlen((*vals)[v].text));
		}
	}
}

/* A varint into room made beforehand; returns the end. */
static inline unsigned char *put_vu(unsigned char *q, uint32_t v)
{
	if (v < 0x80) {
		*q = (unsigned char)v;
		return q + 1;
	}
	while (v >= 0x80) {
		*q++ = (unsigned char)((v & 0x7F) | 0x80);
		v >>= 7;
	}
	*q++ = (unsigned char)v;
	return q;
}

/* Tokenize the documents [0, nd) of one note on worker w and pack them
 * into out (reset first). */
static void pack_note(const struct builder *b, struct worker *w, const struct doc *docs, size_t nd,
	struct buf *out)
{
	w->n_dents = 0;
	xgrow(&w->res, &w->cap_res, nd + 1, sizeof *w->res);
	for (size_t k = 0; k < nd; k++)
		tokenize_doc(b, w, &docs[k], &w->res[k]);
	/* the note's distinct terms, numbered in the order first met */
	uint32_t stamp = ++w->note_stamp;
	buf_reset(out);
	index_put_varint(out, (uint32_t)nd);
	buf_reset(&w->names);
	uint32_t distinct = 0;
	for (size_t k = 0; k < w->n_dents; k++) {
		uint32_t wid = w->dents[k].wid;
		struct wterm *t = &w->wt[wid];
		if (t->note == stamp)
			continue;
		t->note = stamp;
		t->local = distinct++;
		size_t len;
		const char *name = tokenize_term(w->tz, wid, &len);
		index_put_varint(&w->names, wid);
		index_put_str(&w->names, name, len);
	}
	index_put_varint(out, distinct);
	buf_put(out, w->names.data, w->names.len);
	for (size_t k = 0; k < nd; k++) {
		const struct dres *r = &w->res[k];
		buf_grow(out, (r->to - r->from) * (5 + 1 + 3 * N_FIELDS) + 6 * 5 + 5);
		unsigned char *q = (unsigned char *)out->data + out->len;
		for (int f = 0; f < N_FIELDS; f++)
			q = put_vu(q, r->len[f]);
		q = put_vu(q, (uint32_t)(r->to - r->from));
		for (size_t e = r->from; e < r->to; e++) {
			const struct dent *d = &w->dents[e];
			q = put_vu(q, w->wt[d->wid].local);
			*q++ = d->mask;
			for (int f = 0; f < N_FIELDS; f++)
				if (d->mask & (1u << f))
					q = put_vu(q, d->tf[f]);
		}
		out->len = (size_t)((char *)q - out->data);   /* room was made above */
		out->data[out->len] = '\0';
	}
}

static void put_u64(struct buf *out, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		buf_putc(out, (int)((v >> (8 * i)) & 0xFF));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* index_get_varint with the one-byte case inline: merging reads tens of
 * millions of small numbers. */
static inline int get_varint(struct index_cursor *c, uint32_t *v)
{
	if (c->p < c->end && *c->p < 0x80) {
		*v = *c->p++;
		return 0;
	}
	if (c->end - c->p >= 2 && c->p[1] < 0x80) {   /* two bytes: a term's number, often */
		*v = (uint32_t)(c->p[0] & 0x7F) | (uint32_t)c->p[1] << 7;
		c->p += 2;
		return 0;
	}
	return index_get_varint(c, v);
}

/* A fresh packed note (as pack_note made it on worker `worker`) of nd
 * documents into its stored form: the terms interned and numbered in the
 * term list, after the list's generation. 0, or -1 when it is malformed. */
static int store_note(struct builder *b, const struct buf *packed, int worker, size_t nd, struct buf *stored)
{
	struct index_cursor c = { (const unsigned char *)packed->data,
		(const unsigned char *)packed->data + packed->len, 0 };
	uint32_t n_docs, n_terms;
	if (get_varint(&c, &n_docs) < 0 || n_docs != nd)
		return -1;
	if (get_varint(&c, &n_terms) < 0 || n_terms > packed->len)
		return -1;
	xgrow(&b->gid, &b->cap_gid, (size_t)n_terms + 1, sizeof *b->gid);
	uint32_t **map = &b->gmap[worker];
	size_t *cap = &b->cap_gmap[worker];
	for (uint32_t t = 0; t < n_terms; t++) {
		uint32_t len, wid;
		const char *name;
		if (get_varint(&c, &wid) < 0 || index_get_str(&c, &name, &len) < 0 || !len ||
		    memchr(name, '\0', len))
			return -1;
		if (wid >= *cap)
			xgrow_zeroed(map, cap, (size_t)wid + 1, sizeof **map);
		if (!(*map)[wid]) {   /* a term new to this worker's list */
			buf_reset(&b->term);
			buf_put(&b->term, name, len);
			(*map)[wid] = intern(b, b->term.data) + 1;
		}
		b->gid[t] = (*map)[wid] - 1;
	}
	buf_reset(stored);
	put_u64(stored, b->gen);
	index_put_varint(stored, (uint32_t)nd);
	for (size_t k = 0; k < nd; k++) {
		uint32_t v, n;
		for (int f = 0; f < N_FIELDS; f++) {
			if (get_varint(&c, &v) < 0)
				return -1;
			index_put_varint(stored, v);
		}
		if (get_varint(&c, &n) < 0 || n > (size_t)(c.end - c.p))
			return -1;
		index_put_varint(stored, n);
		buf_grow(stored, (size_t)n * (5 + 1 + 3 * N_FIELDS) + 1);
		unsigned char *q = (unsigned char *)stored->data + stored->len;
		for (uint32_t e = 0; e < n; e++) {
			uint32_t id;
			uint8_t mask;
			if (get_varint(&c, &id) < 0 || id >= n_terms || index_get_u8(&c, &mask) < 0 || !mask ||
			    mask >= 1u << N_FIELDS)
				return -1;
			q = put_vu(q, b->gid[id]);
			*q++ = mask;
			for (int f = 0; f < N_FIELDS; f++)
				if (mask & (1u << f)) {
					if (get_varint(&c, &v) < 0 || !v || v > UINT16_MAX)
						return -1;
					q = put_vu(q, v);
				}
		}
		stored->len = (size_t)((char *)q - stored->data);   /* room was made above */
		stored->data[stored->len] = '\0';
	}
	return c.p == c.end ? 0 : -1;
}

/* Merge the stored packed note of documents b->docs[d0, d0 + nd) into
 * the postings of one segment, acc (one per term of the list), and set
 * those documents' field lengths. Only acc and the documents are written,
 * so segments of different notes can be merged at once. 0, or -1 when it
 * is malformed (postings may then be half added). */
static int merge_stored(const struct builder *b, struct acc *acc, const struct buf *st, size_t d0, size_t nd,
	uint32_t **touched, size_t *n_touched, size_t *cap_touched)
{
	struct index_cursor c = { (const unsigned char *)st->data, (const unsigned char *)st->data + st->len, 0 };
	uint32_t n_docs;
	if (st->len < 8 || get_u64(c.p) != b->gen)
		return -1;
	c.p += 8;
	if (get_varint(&c, &n_docs) < 0 || n_docs != nd)
		return -1;
	for (size_t k = 0; k < nd; k++) {
		uint32_t *len = b->docs[d0 + k].len, n;
		uint32_t doc = (uint32_t)(d0 + k);
		for (int f = 0; f < N_FIELDS; f++)
			if (get_varint(&c, &len[f]) < 0)
				return -1;
		if (get_varint(&c, &n) < 0 || n > (size_t)(c.end - c.p))
			return -1;
		for (uint32_t e = 0; e < n; e++) {
			uint32_t id, tf[N_FIELDS];
			uint8_t mask;
			if (get_varint(&c, &id) < 0 || id >= b->n_terms || index_get_u8(&c, &mask) < 0 || !mask ||
			    mask >= 1u << N_FIELDS)
				return -1;
			for (int f = 0; f < N_FIELDS; f++)
				if (mask & (1u << f)) {
					if (get_varint(&c, &tf[f]) < 0 || !tf[f] || tf[f] > UINT16_MAX)
						return -1;
				}
			struct acc *a = &acc[id];
			if (a->last == doc + 1)
				return -1;   /* a term twice in one document */
			bool simple = mask == 1u << F_BODY && tf[F_BODY] == 1;
			if (a->cap_code - a->n_code < 5)
				xgrow(&a->code, &a->cap_code, a->n_code + 5, 1);
			uint32_t prev = a->last ? a->last - 1 : 0;
			a->n_code = (size_t)(put_vu(a->code + a->n_code, (doc - prev) * 2 + (simple ? 1 : 0)) - a->code);
			if (!simple) {
				if (a->cap_cnt - a->n_cnt < 1 + 3 * N_FIELDS)
					xgrow(&a->cnt, &a->cap_cnt, a->n_cnt + 1 + 3 * N_FIELDS, 1);
				unsigned char *q = a->cnt + a->n_cnt;
				*q++ = mask;
				for (int f = 0; f < N_FIELDS; f++)
					if (mask & (1u << f))
						q = put_vu(q, tf[f]);
				a->n_cnt = (size_t)(q - a->cnt);
			}
			if (!a->n) {
				a->first = doc + 1;
				*VEC_PUSH(*touched, *n_touched, *cap_touched) = id;
			}
			a->last = doc + 1;
			a->n++;
		}
	}
	return c.p == c.end ? 0 : -1;
}

/* A batch of notes: taken from the cache or tokenized by the workers
 * while the main thread merges the batch before it. */
struct batch {
	struct batch_note *notes; /* BATCH of them */
	size_t n;
	size_t *todo;             /* notes to tokenize */
	size_t n_todo, cap_todo;
	atomic_size_t next;       /* next of todo to take */
	pthread_t tid[256];
	int started;              /* workers running */
};

struct job {
	struct builder *b;
	struct batch *bt;
	struct worker *w;
};

/* Pack the notes of the batch that the cache did not have. */
static void *work(void *arg)
{
	struct job *j = arg;
	size_t i;
	while ((i = atomic_fetch_add(&j->bt->next, 1)) < j->bt->n_todo) {
		struct batch_note *bn = &j->bt->notes[j->bt->todo[i]];
		const struct snote *sn = &j->b->sn[bn->sn];
		pack_note(j->b, j->w, &j->b->docs[sn->d0], sn->nd, &bn->packed);
		bn->worker = (int)(j->w - j->b->w);
	}
	return NULL;
}

/* Fill bt with the notes sn[list[0, n)]: their stored packed notes from
 * the cache, or started on the workers (on threads of their own, so the
 * main thread can store the batch before meanwhile). */
static void batch_start(struct builder *b, struct batch *bt, struct job *jobs, const size_t *list, size_t n)
{
	bt->n = 0;
	bt->n_todo = 0;
	for (size_t k = 0; k < n; k++) {
		struct snote *sn = &b->sn[list[k]];
		struct batch_note *bn = &bt->notes[bt->n++];
		buf_reset(&bn->packed);
		bn->sn = list[k];
		bn->cached = b->cache && cache_index_read(b->cache, sn->key, &sn->stored) == 0 &&
			sn->stored.len >= 8 && get_u64((const unsigned char *)sn->stored.data) == b->gen;
		if (!bn->cached) {
			buf_reset(&sn->stored);
			b->n_tokenized++;
			*VEC_PUSH(bt->todo, bt->n_todo, bt->cap_todo) = bt->n - 1;
		}
	}
	atomic_store(&bt->next, 0);
	int threads = threads_now(b);
	if ((size_t)threads > bt->n_todo)
		threads = (int)bt->n_todo;
	bt->started = 0;
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){ b, bt, &b->w[t] };
		if (pthread_create(&bt->tid[t], NULL, work, &jobs[t]) != 0)
			break;
		bt->started = t + 1;
	}
}

/* Wait for bt's workers (doing what they could not start), so that
 * they are free for the next batch. */
static void batch_join(struct builder *b, struct batch *bt, struct job *jobs)
{
	for (int t = 0; t < bt->started; t++)
		pthread_join(bt->tid[t], NULL);
	if (!bt->started && bt->n_todo) {
		jobs[0] = (struct job){ b, bt, &b->w[0] };
		work(&jobs[0]);
	}
	bt->started = 0;
}

/* Give bt's tokenized notes their stored form, in note order so the term
 * list does not depend on -j, and keep it in the cache. Sets b->failed
 * when one turns out malformed. */
static void batch_store(struct builder *b, struct batch *bt)
{
	for (size_t k = 0; k < bt->n && !b->failed; k++) {
		struct batch_note *bn = &bt->notes[k];
		if (bn->cached)
			continue;
		struct snote *sn = &b->sn[bn->sn];
		if (store_note(b, &bn->packed, bn->worker, sn->nd, &sn->stored) < 0) {
			b->failed = true;
		} else {
			/* kept until its run is whole (blob_whole_runs): made
			 * with room for the worst case, it is mostly room */
			buf_shrink(&sn->stored);
			if (b->cache)
				cache_index_put(b->cache, sn->key, sn->stored.data, sn->stored.len);
		}
	}
}

/* Does the run end after note sn[i], its len-th? */
static bool run_ends_after(const struct builder *b, size_t i, size_t len)
{
	if (!b->cache)
		return len >= RUN_SPAN;
	return get_u64(b->sn[i].key) % RUN_SPAN == 0 || len >= 4 * RUN_SPAN;
}

/* Cut the notes into runs (struct run) and, with a cache, take the blobs
 * it has for them. */
static void cut_runs(struct builder *b)
{
	size_t cap = 0;
	for (size_t i = 0; i < b->n_notes;) {
		struct run *r = VEC_PUSH(b->runs, b->n_runs, cap);
		memset(r, 0, sizeof *r);
		buf_init(&r->blob);
		r->from = i;
		r->d0 = b->sn[i].d0;
		do
			i++;
		while (i < b->n_notes && !run_ends_after(b, i - 1, i - r->from));
		r->to = i;
		r->nd = b->sn[i - 1].d0 + b->sn[i - 1].nd - r->d0;
	}
	if (!b->cache)
		return;
	struct buf in = BUF_INIT;
	for (size_t r = 0; r < b->n_runs; r++) {
		struct run *run = &b->runs[r];
		buf_reset(&in);
		buf_putc(&in, 'R');
		put_u64(&in, b->gen);
		for (size_t i = run->from; i < run->to; i++)
			buf_put(&in, b->sn[i].key, 16);
		cache_index_key(b->cache, in.data, in.len, run->key);
		run->cached = cache_index_read(b->cache, run->key, &run->blob) == 0;
		if (!run->cached)
			buf_reset(&run->blob);
		b->n_runs_cached += run->cached;
		/* its notes' own entries stay for when the run changes: then
		 * only the note that changed is tokenized */
		for (size_t i = run->from; i < run->to && run->cached; i++)
			cache_index_keep(b->cache, b->sn[i].key);
	}
	buf_free(&in);
}

/* ---- merging the stored notes into the postings ----
 *
 * Notes are merged a run at a time (struct run). As soon as a run's
 * notes are all stored (between batches, blob_whole_runs), they are
 * merged into postings of its own, which are serialized as its blob:
 *   the list's generation (8 bytes), the run's documents, each one's six
 *   field lengths, then its terms in the list's order, each as: its
 *   number (the first; after that, the step from the one before), its
 *   postings, its last document (from the run's first), the bytes of its
 *   codes, of its field counts, then those bytes, the first code made
 *   relative to the run's first document.
 * Every run's blob (made, or taken from the cache) is then appended to
 * the postings of one segment: the runs are cut into segments of about
 * the same bytes, one per thread, each with postings of its own (struct
 * acc). A term's postings are its segments' bytes back to back, with the
 * first code of each made relative to the last document before it: the
 * same bytes whatever the number of segments and runs. */

struct seg {
	struct builder *b;
	size_t from, to;          /* runs[from, to) */
	struct acc *acc;          /* one per term */
	bool failed;
};

/* Scratch for making runs' blobs (run_blob), kept from run to run. */
struct run_scratch {
	struct acc *tmp;          /* per term: the run being merged (cap_tmp of them, grown with the list) */
	size_t cap_tmp;
	uint32_t *touched;        /* terms the run has, tmp's non-empty entries */
	size_t n_touched, cap_touched;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Merge run r's stored notes and serialize the result as its blob, with
 * g as scratch. -1 when a stored note is malformed. */
static int run_blob(struct builder *b, struct run_scratch *g, struct run *r)
{
	xgrow_zeroed(&g->tmp, &g->cap_tmp, b->n_terms, sizeof *g->tmp);
	g->n_touched = 0;
	for (size_t i = r->from; i < r->to; i++) {
		const struct snote *sn = &b->sn[i];
		if (merge_stored(b, g->tmp, &sn->stored, sn->d0, sn->nd, &g->touched, &g->n_touched,
			    &g->cap_touched) < 0)
			return -1;
	}
	if (g->n_touched)
		qsort(g->touched, g->n_touched, sizeof *g->touched, cmp_u32);
	struct buf *o = &r->blob;
	buf_reset(o);
	put_u64(o, b->gen);
	index_put_varint(o, (uint32_t)r->nd);
	for (size_t k = 0; k < r->nd; k++)
		for (int f = 0; f < N_FIELDS; f++)
			index_put_varint(o, b->docs[r->d0 + k].len[f]);
	index_put_varint(o, (uint32_t)g->n_touched);
	uint32_t prev = 0;
	for (size_t k = 0; k < g->n_touched; k++) {
		uint32_t id = g->touched[k];
		struct acc *a = &g->tmp[id];
		/* its first code counts from document 0 (the run's postings
		 * started empty); from the run's first document in the blob */
		struct index_cursor c = { a->code, a->code + a->n_code, 0 };
		uint32_t v;
		if (get_varint(&c, &v) < 0)
			return -1;
		unsigned char first[5];
		size_t n_first = (size_t)(put_vu(first, ((v >> 1) - (uint32_t)r->d0) * 2 + (v & 1)) - first);
		size_t rest = a->n_code - (size_t)(c.p - a->code);
		index_put_varint(o, id - prev);
		prev = id;
		index_put_varint(o, a->n);
		index_put_varint(o, a->last - 1 - (uint32_t)r->d0);
		index_put_varint(o, (uint32_t)(n_first + rest));
		index_put_varint(o, (uint32_t)a->n_cnt);
		buf_put(o, first, n_first);
		buf_put(o, c.p, rest);
		buf_put(o, a->cnt, a->n_cnt);
		a->n_code = a->n_cnt = 0;   /* emptied for the next run; buffers kept */
		a->n = a->first = a->last = 0;
	}
	return 0;
}

/* Append run r's blob to the segment's postings, acc, and set its
 * documents' field lengths. -1 when the blob is malformed. */
static int append_run(struct builder *b, struct acc *acc, const struct run *r)
{
	const struct buf *st = &r->blob;
	struct index_cursor c = { (const unsigned char *)st->data, (const unsigned char *)st->data + st->len, 0 };
	uint32_t nd, n_terms, d0 = (uint32_t)r->d0;
	if (st->len < 8 || get_u64(c.p) != b->gen)
		return -1;
	c.p += 8;
	if (get_varint(&c, &nd) < 0 || nd != r->nd)
		return -1;
	for (size_t k = 0; k < nd; k++)
		for (int f = 0; f < N_FIELDS; f++)
			if (get_varint(&c, &b->docs[d0 + k].len[f]) < 0)
				return -1;
	if (get_varint(&c, &n_terms) < 0 || n_terms > st->len)
		return -1;
	uint32_t id = 0;
	for (uint32_t t = 0; t < n_terms; t++) {
		uint32_t step, n, last, n_code, n_cnt, first;
		if (get_varint(&c, &step) < 0 || (t && !step) || step > b->n_terms - id ||
		    get_varint(&c, &n) < 0 || !n || get_varint(&c, &last) < 0 || last >= nd ||
		    get_varint(&c, &n_code) < 0 || get_varint(&c, &n_cnt) < 0 ||
		    n_code > (size_t)(c.end - c.p) || n_cnt > (size_t)(c.end - c.p) - n_code)
			return -1;
		id += step;
		if (id >= b->n_terms)
			return -1;
		struct index_cursor code = { c.p, c.p + n_code, 0 };
		if (get_varint(&code, &first) < 0 || (first >> 1) > last)
			return -1;
		struct acc *a = &acc[id];
		uint32_t doc = d0 + (first >> 1);
		if (a->last && doc < a->last)
			return -1;   /* not after the postings before it */
		uint32_t prev = a->last ? a->last - 1 : 0;
		size_t rest = (size_t)(code.end - code.p);
		xgrow(&a->code, &a->cap_code, a->n_code + 5 + rest, 1);
		a->n_code = (size_t)(put_vu(a->code + a->n_code, (doc - prev) * 2 + (first & 1)) - a->code);
		memcpy(a->code + a->n_code, code.p, rest);
		a->n_code += rest;
		c.p += n_code;
		if (n_cnt) {
			xgrow(&a->cnt, &a->cap_cnt, a->n_cnt + n_cnt, 1);
			memcpy(a->cnt + a->n_cnt, c.p, n_cnt);
			a->n_cnt += n_cnt;
			c.p += n_cnt;
		}
		if (!a->n)
			a->first = doc + 1;
		a->n += n;
		a->last = d0 + last + 1;
	}
	return c.p == c.end ? 0 : -1;
}

static void merge_seg(void *arg, size_t s)
{
	struct seg *g = (struct seg *)arg + s;
	for (size_t r = g->from; r < g->to && !g->failed; r++) {
		if (append_run(g->b, g->acc, &g->b->runs[r]) < 0)
			g->failed = true;
		buf_free(&g->b->runs[r].blob);   /* in the segment's postings (and the cache) now */
	}
}

/* Make the blob of every run not cached whose notes are all stored now
 * (notes sn[0, stored_to) are), from runs[*next] on, keep it in the
 * cache, and free those notes' stored forms. Called between batches,
 * while the workers tokenize the next one, so a note's stored form is
 * held until its run is whole, not until every note is tokenized. Sets
 * b->failed when a stored note is malformed. */
static void blob_whole_runs(struct builder *b, struct run_scratch *x, size_t *next, size_t stored_to)
{
	for (; *next < b->n_runs && !b->failed; ++*next) {
		struct run *r = &b->runs[*next];
		if (r->cached)
			continue;
		if (r->to > stored_to)
			break;
		if (run_blob(b, x, r) < 0) {
			b->failed = true;
			break;
		}
		for (size_t i = r->from; i < r->to; i++)
			buf_free(&b->sn[i].stored);
		buf_shrink(&r->blob);
		if (b->cache)
			cache_index_put(b->cache, r->key, r->blob.data, r->blob.len);
	}
}

/* Free n postings accumulators and their array. */
static void accs_free(struct acc *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].code);
		free(a[i].cnt);
	}
	free(a);
}

static void run_scratch_free(struct run_scratch *x)
{
	accs_free(x->tmp, x->cap_tmp);
	free(x->touched);
}

/* Term i's postings from every segment, back to back: each segment's
 * codes, its first re-coded against the last document before it, then
 * every segment's counts. Written to `out` when it is not NULL; returns
 * the length, or -1 when a segment's first code is malformed. */
static long long join_term(const struct seg *g, size_t n_seg, size_t i, unsigned char *out)
{
	size_t len = 0;
	uint32_t last = 0;
	for (size_t s = 0; s < n_seg; s++) {
		const struct acc *a = &g[s].acc[i];
		if (!a->n)
			continue;
		size_t skip = 0;
		if (last) {   /* re-code the segment's first posting against the last one before it */
			struct index_cursor c = { a->code, a->code + a->n_code, 0 };
			uint32_t v;
			if (index_get_varint(&c, &v) < 0)
				return -1;
			skip = (size_t)(c.p - a->code);
			unsigned char code[5];
			size_t n = (size_t)(put_vu(code, (a->first - last) * 2 + (v & 1)) - code);
			if (out)
				memcpy(out + len, code, n);
			len += n;
		}
		if (out)
			memcpy(out + len, a->code + skip, a->n_code - skip);
		len += a->n_code - skip;
		last = a->last;
	}
	for (size_t s = 0; s < n_seg; s++) {
		const struct acc *a = &g[s].acc[i];
		if (out && a->n_cnt)
			memcpy(out + len, a->cnt, a->n_cnt);
		len += a->n_cnt;
	}
	return (long long)len;
}

/* Append every run's blob into postings accumulators of b->seg, freeing
 * each blob once appended, and set each term's n and post_len. The runs
 * are cut into segments, two per thread the index may get, appended on as
 * many threads as it has: started beside render on fewer, the merge takes
 * up the rest as soon as render ends (pool_for_growing). A term's
 * postings are joined from the segments straight into its term shard
 * (term_shard), so they are never held twice. -1 when a blob is
 * malformed. */
static int merge_all(struct builder *b)
{
	size_t n_seg = b->n_w > 1 ? 2 * (size_t)b->n_w : 1, total = 0;
	if (n_seg > b->n_runs)
		n_seg = b->n_runs ? b->n_runs : 1;
	size_t *bytes_of = xcalloc(b->n_runs + 1, sizeof *bytes_of);
	for (size_t r = 0; r < b->n_runs; r++)
		total += bytes_of[r] = b->runs[r].blob.len;
	struct seg *g = xcalloc(n_seg, sizeof *g);
	size_t at = 0, bytes = 0;
	for (size_t s = 0; s < n_seg; s++) {
		g[s].b = b;
		g[s].from = at;
		/* up to the run where the bytes so far reach (s + 1) / n_seg of all */
		while (at < b->n_runs && (s + 1 == n_seg || bytes < total / n_seg * (s + 1))) {
			bytes += bytes_of[at];
			at++;
		}
		g[s].to = at;
		g[s].acc = xcalloc(b->n_terms ? b->n_terms : 1, sizeof *g[s].acc);
	}
	free(bytes_of);
	pool_for_growing(n_seg, b->n_w, b->threads, merge_seg, g);
	bool failed = false;
	for (size_t s = 0; s < n_seg; s++)
		failed |= g[s].failed;
	b->seg = g;
	b->n_seg = n_seg;
	b->n_acc = b->n_terms;
	for (size_t i = 0; i < b->n_terms && !failed; i++) {
		struct term *t = &b->terms[i];
		long long len = join_term(g, n_seg, i, NULL);
		failed = len < 0;
		t->acc = (uint32_t)i;
		t->post_len = len < 0 ? 0 : (size_t)len;
		for (size_t s = 0; s < n_seg; s++)
			t->n += g[s].acc[i].n;
	}
	return failed ? -1 : 0;
}

/* Free the segments' postings accumulators (merge_all). */
static void segs_free(struct builder *b)
{
	for (size_t s = 0; s < b->n_seg; s++)
		accs_free(b->seg[s].acc, b->n_acc);
	free(b->seg);
	b->seg = NULL;
	b->n_seg = 0;
}

/* The list of terms that stored packed notes number their terms in
 * (docs/kb-schema.md): a generation, then the terms in the order they
 * were first met. Interned into b->terms, so a term keeps its number
 * from build to build. */
static const char dict_input[] = "D";

static void dict_load(struct builder *b)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* a new list's generation: differs from any earlier one's */
	b->gen = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * 2654435761u ^ (uint64_t)getpid();
	if (!b->cache)
		return;
	struct buf d = BUF_INIT;
	unsigned char key[16];
	if (cache_index_get(b->cache, dict_input, 1, key, &d) == 0 && d.len >= 8) {
		struct index_cursor c = { (const unsigned char *)d.data + 8, (const unsigned char *)d.data + d.len, 0 };
		uint32_t n;
		bool ok = index_get_varint(&c, &n) == 0 && n <= d.len;
		struct buf t = BUF_INIT;
		for (uint32_t i = 0; ok && i < n; i++) {
			const char *s;
			uint32_t len;
			ok = index_get_str(&c, &s, &len) == 0 && len && !memchr(s, '\0', len);
			if (ok) {
				buf_reset(&t);
				buf_put(&t, s, len);
				ok = intern(b, t.data) == i;   /* no term twice */
			}
		}
		buf_free(&t);
		if (ok && c.p == c.end) {
			b->gen = get_u64((const unsigned char *)d.data);
			b->n_dict = n;
		} else {
			for (size_t i = 0; i < b->n_terms; i++)
				free(b->terms[i].s);
			b->n_terms = 0;
			memset(b->slots, 0, b->n_slots * sizeof *b->slots);
		}
	}
	buf_free(&d);
}

/* Keep the term list when it grew. A list with many more terms than the
 * notes use now (deleted notes') is dropped instead: the next build
 * starts a new one and tokenizes every note once. */
static void dict_save(struct builder *b, size_t used)
{
	if (!b->cache || b->failed || b->n_terms == b->n_dict)
		return;
	struct buf d = BUF_INIT;
	unsigned char key[16];
	struct buf old = BUF_INIT;
	cache_index_get(b->cache, dict_input, 1, key, &old);
	buf_free(&old);
	put_u64(&d, b->n_terms > 2 * used + 4096 ? ~b->gen : b->gen);
	if (b->n_terms > 2 * used + 4096) {
		index_put_varint(&d, 0);
	} else {
		index_put_varint(&d, (uint32_t)b->n_terms);
		for (size_t i = 0; i < b->n_terms; i++)
			index_put_str(&d, b->terms[i].s, strlen(b->terms[i].s));
	}
	cache_index_put(b->cache, key, d.data, d.len);
	buf_free(&d);
}

static int cmp_terms(const void *a, const void *b)
{
	return strcmp(((const struct term *)a)->s, ((const struct term *)b)->s);
}

/* Serialize terms [from, to) as one shard block. */
static void term_shard(struct buf *block, const struct builder *b, size_t from, size_t to)
{
	buf_init(block);
	struct buf payload = BUF_INIT;
	index_put_varint(&payload, (uint32_t)(to - from));
	const char *prev = "";
	for (size_t i = from; i < to; i++) {
		const struct term *t = &b->terms[i];
		size_t shared = 0;
		while (prev[shared] && prev[shared] == t->s[shared])
			shared++;
		size_t len = strlen(t->s);
		index_put_varint(&payload, (uint32_t)shared);
		index_put_str(&payload, t->s + shared, len - shared);
		index_put_varint(&payload, (uint32_t)t->n);
		index_put_varint(&payload, t->idf);
		index_put_varint(&payload, (uint32_t)t->post_len);
		prev = t->s;
	}
	for (size_t i = from; i < to; i++) {
		const struct term *t = &b->terms[i];
		buf_grow(&payload, t->post_len);
		join_term(b->seg, b->n_seg, t->acc, (unsigned char *)payload.data + payload.len);
		payload.len += t->post_len;
		payload.data[payload.len] = '\0';
	}
	index_block(block, INDEX_TERMS, &payload);
	buf_free(&payload);
}

static int write_run(struct site_out *out, struct cache *cache, char prefix, size_t r, const struct buf *blk,
	size_t n);

/* Where a run of shards goes as soon as it is made: the site (through the
 * build cache's reuse of unchanged files), or nowhere when `out` is NULL.
 * Only the blocks' sizes are kept (for the meta block), so the index never
 * holds all of its shards at once. */
struct shard_sink {
	struct site_out *out;
	struct cache *cache;
	atomic_bool failed;
};

/* Write run r of shards (blk[0, n), the shards r * INDEX_RUN and on),
 * keep their sizes in bytes[], and free them. */
static void sink_run(struct shard_sink *k, char prefix, size_t r, struct buf *blk, size_t n, uint32_t *bytes)
{
	for (size_t i = 0; i < n; i++)
		bytes[r * INDEX_RUN + i] = (uint32_t)blk[i].len;
	if (k->out && !atomic_load(&k->failed) && write_run(k->out, k->cache, prefix, r, blk, n) < 0)
		atomic_store(&k->failed, true);
	for (size_t i = 0; i < n; i++)
		buf_free(&blk[i]);
}

/* Group the topics by note, keeping their order. */
static void index_topics(struct builder *b)
{
	const struct kb *kb = b->kb;
	b->topic_start = xcalloc(kb->n_notes + 2, sizeof *b->topic_start);
	b->topic_of = xcalloc(kb->n_topics + 1, sizeof *b->topic_of);
	for (size_t t = 0; t < kb->n_topics; t++)
		if (kb->topics[t].note >= 0 && (size_t)kb->topics[t].note < kb->n_notes)
			b->topic_start[kb->topics[t].note + 1]++;
	for (size_t i = 0; i < kb->n_notes; i++)
		b->topic_start[i + 1] += b->topic_start[i];
	size_t *fill = xcalloc(kb->n_notes + 1, sizeof *fill);
	for (size_t t = 0; t < kb->n_topics; t++) {
		int n = kb->topics[t].note;
		if (n >= 0 && (size_t)n < kb->n_notes)
			b->topic_of[b->topic_start[n] + fill[n]++] = t;
	}
	free(fill);
}

/* The fields of a document that are not in the meta block. */
static bool extra_field(int f)
{
	return f == F_TOPIC || f == F_ALIAS || f == F_TAG;
}

/* Serialize documents [from, to) as one text shard block. */
static void text_shard(struct buf *block, const struct builder *b, size_t from, size_t to)
{
	const struct kb *kb = b->kb;
	struct fval *vals = NULL;
	size_t n_vals = 0, cap_vals = 0;
	struct buf payload = BUF_INIT;
	index_put_varint(&payload, (uint32_t)from);
	index_put_varint(&payload, (uint32_t)(to - from));
	for (size_t d = from; d < to; d++) {
		const struct doc *doc = &b->docs[d];
		const struct kb_note *n = &kb->notes[doc->note];
		const char *h = doc->heading >= 0 ? n->headings[doc->heading].text : "";
		const char *body = n->sections[doc->section].text;
		size_t hl = strlen(h), bl = strlen(body);
		index_put_varint(&payload, (uint32_t)(hl + 1 + bl));
		buf_put(&payload, h, hl);
		buf_putc(&payload, '\n');
		buf_put(&payload, body, bl);
		doc_values(b, doc, &vals, &n_vals, &cap_vals);
		uint32_t extra = 0;
		for (size_t k = 0; k < n_vals; k++)
			extra += extra_field(vals[k].field);
		index_put_varint(&payload, extra);
		for (size_t k = 0; k < n_vals; k++)
			if (extra_field(vals[k].field)) {
				buf_putc(&payload, vals[k].field);
				index_put_str(&payload, vals[k].text, strlen(vals[k].text));
			}
	}
	buf_init(block);
	index_block(block, INDEX_TEXT, &payload);
	buf_free(&payload);
	free(vals);
}

/* The shards of one kind, 't' or 'x', made and written on the pool a run
 * of INDEX_RUN per task: shard s holds terms or documents [cut[s],
 * cut[s + 1]). */
struct shard_job {
	const struct builder *b;
	char prefix;
	const size_t *cut;
	size_t n;                 /* shards */
	uint32_t *bytes;          /* per shard: its block's size */
	struct shard_sink *sink;
};

static void shard_run(void *arg, size_t r)
{
	const struct shard_job *j = arg;
	struct buf blk[INDEX_RUN];
	size_t n = 0;
	for (size_t s = r * INDEX_RUN; s < j->n && n < INDEX_RUN; s++, n++) {
		if (j->prefix == 't')
			term_shard(&blk[n], j->b, j->cut[s], j->cut[s + 1]);
		else
			text_shard(&blk[n], j->b, j->cut[s], j->cut[s + 1]);
	}
	sink_run(j->sink, j->prefix, r, blk, n, j->bytes);
}

/* Make and write the n shards cut[] describes (n + 1 entries); returns
 * their sizes, for the meta block. */
static uint32_t *make_shards(const struct builder *b, char prefix, const size_t *cut, size_t n,
	struct shard_sink *sink)
{
	struct shard_job j = { b, prefix, cut, n, xcalloc(n ? n : 1, sizeof *j.bytes), sink };
	pool_for_growing((n + INDEX_RUN - 1) / INDEX_RUN, b->n_w, b->threads, shard_run, &j);
	return j.bytes;
}

/* The text shards and, per document, its shard: cut where the bytes
 * reach the target (one pass), then made and written. */
static void text_shards(struct builder *b, struct search_index *ix, uint32_t *shard_of, struct buf *firsts,
	struct shard_sink *sink)
{
	const struct kb *kb = b->kb;
	size_t total = 0;
	size_t *len = xcalloc(b->n_docs + 1, sizeof *len);   /* per document: its bytes, as the cut counts them */
	struct fval *vals = NULL;
	size_t n_vals = 0, cap_vals = 0;
	for (size_t d = 0; d < b->n_docs; d++) {
		const struct doc *doc = &b->docs[d];
		const struct kb_note *n = &kb->notes[doc->note];
		size_t bl = strlen(n->sections[doc->section].text);
		total += bl + 1;
		len[d] = (doc->heading >= 0 ? strlen(n->headings[doc->heading].text) : 0) + 1 + bl;
		doc_values(b, doc, &vals, &n_vals, &cap_vals);
		for (size_t k = 0; k < n_vals; k++)
			if (extra_field(vals[k].field))
				len[d] += strlen(vals[k].text);
	}
	free(vals);
	size_t target = total / TEXT_SHARDS_AIM;
	target = target < TEXT_SHARD_MIN ? TEXT_SHARD_MIN : target > TEXT_SHARD_MAX ? TEXT_SHARD_MAX : target;
	size_t *cut = NULL, n_cut = 0, cap_cut = 0;
	for (size_t d = 0; d < b->n_docs;) {
		size_t start = d, bytes = 0;
		*VEC_PUSH(cut, n_cut, cap_cut) = start;
		while (d < b->n_docs && (d == start || bytes < target)) {
			bytes += len[d];
			shard_of[d] = (uint32_t)(n_cut - 1);
			d++;
		}
	}
	size_t n_texts = n_cut;
	*VEC_PUSH(cut, n_cut, cap_cut) = b->n_docs;
	uint32_t *bytes = make_shards(b, 'x', cut, n_texts, sink);
	for (size_t s = 0; s < n_texts; s++) {
		index_put_varint(firsts, (uint32_t)cut[s]);
		index_put_varint(firsts, bytes[s]);
	}
	free(cut);
	free(len);
	free(bytes);
	ix->n_texts = n_texts;
}

/* text_shards() on a thread of its own: the text shards need none of
 * the postings, so with more than one thread they are made while the
 * runs merge. */
struct text_job {
	struct builder *b;
	struct search_index *ix;
	uint32_t *shard_of;
	struct buf firsts;
	struct shard_sink *sink;
	pthread_t thread;
	bool running;
};

static void *text_job_run(void *arg)
{
	struct text_job *j = arg;
	text_shards(j->b, j->ix, j->shard_of, &j->firsts, j->sink);
	return NULL;
}

static void free_terms(struct builder *b)
{
	for (size_t i = 0; i < b->n_terms; i++) {
		free(b->terms[i].s);
	}
	free(b->terms);
	free(b->slots);
	free(b->docs);
	free(b->topic_of);
	free(b->topic_start);
	segs_free(b);
}

/* 0, or -1 (nothing built) when a cached packed note was malformed. */
static int build(const struct kb *kb, struct search_index *ix, int jobs, const atomic_int *threads,
	struct cache *cache, struct shard_sink *sink)
{
	struct builder b = { 0 };
	memset(ix, 0, sizeof *ix);
	b.kb = kb;
	b.cache = cache;
	buf_init(&b.input);
	buf_init(&b.term);
	rehash(&b);
	index_topics(&b);
	dict_load(&b);

	/* Documents: sections in note order. */
	b.doc_of = xcalloc(kb->n_notes + 1, sizeof *b.doc_of);
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		b.doc_of[i] = b.n_docs;
		if (n->skip)
			continue;
		for (size_t s = 0; s < n->n_sections; s++) {
			struct doc *d = VEC_PUSH(b.docs, b.n_docs, b.cap_docs);
			memset(d, 0, sizeof *d);
			d->note = (int)i;
			d->section = (int)s;
			d->heading = n->sections[s].heading;
		}
	}

	/* The notes with documents, their keys and their runs; the runs'
	 * blobs that the cache has; then the stored packed notes of the other
	 * runs' notes, a batch at a time; then the postings. */
	b.sn = xcalloc(kb->n_notes + 1, sizeof *b.sn);
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip || !n->n_sections)
			continue;
		struct snote *sn = &b.sn[b.n_notes++];
		sn->d0 = b.doc_of[i];
		sn->nd = n->n_sections;
		buf_init(&sn->stored);
		if (cache) {
			note_input(&b, &b.docs[sn->d0], sn->nd, &b.vals, &b.cap_vals, &b.input);
			cache_index_key(cache, b.input.data, b.input.len, sn->key);
		}
	}
	cut_runs(&b);
	size_t *want = xcalloc(b.n_notes + 1, sizeof *want), n_want = 0;
	for (size_t r = 0; r < b.n_runs; r++)
		if (!b.runs[r].cached)
			for (size_t i = b.runs[r].from; i < b.runs[r].to; i++)
				want[n_want++] = i;
	b.n_w = jobs < 1 ? 1 : jobs > 256 ? 256 : jobs;
	b.threads = threads;
	b.w = xcalloc((size_t)b.n_w, sizeof *b.w);
	b.gmap = xcalloc((size_t)b.n_w, sizeof *b.gmap);
	b.cap_gmap = xcalloc((size_t)b.n_w, sizeof *b.cap_gmap);
	for (int k = 0; k < b.n_w; k++) {
		b.w[k].tz = tokenizer_new();
		buf_init(&b.w[k].names);
	}
	/* two batches: one being tokenized while the other is merged */
	struct batch bt[2];
	struct job *job_of[2];
	memset(bt, 0, sizeof bt);
	for (int h = 0; h < 2; h++) {
		bt[h].notes = xcalloc(BATCH, sizeof *bt[h].notes);
		for (size_t k = 0; k < BATCH; k++)
			buf_init(&bt[h].notes[k].packed);
		job_of[h] = xcalloc((size_t)b.n_w, sizeof *job_of[h]);
	}
	int cur = 0;
	struct run_scratch scratch = { 0 };
	size_t next_run = 0;
	batch_start(&b, &bt[0], job_of[0], want, n_want < BATCH ? n_want : BATCH);
	for (size_t from = BATCH; ; from += BATCH) {
		bool more = from < n_want;
		batch_join(&b, &bt[cur], job_of[cur]);
		if (more)
			batch_start(&b, &bt[1 - cur], job_of[1 - cur], want + from,
				n_want - from < BATCH ? n_want - from : BATCH);
		batch_store(&b, &bt[cur]);
		if (bt[cur].n)
			blob_whole_runs(&b, &scratch, &next_run, bt[cur].notes[bt[cur].n - 1].sn + 1);
		if (!more)
			break;
		cur = 1 - cur;
	}
	blob_whole_runs(&b, &scratch, &next_run, b.n_notes);   /* none left, unless malformed */
	run_scratch_free(&scratch);
	for (int k = 0; k < b.n_w; k++) {
		worker_free(&b.w[k]);
	}
	free(b.w);
	for (int k = 0; k < b.n_w; k++)
		free(b.gmap[k]);
	free(b.gmap);
	free(b.cap_gmap);
	for (int h = 0; h < 2; h++) {
		for (size_t k = 0; k < BATCH; k++)
			buf_free(&bt[h].notes[k].packed);
		free(bt[h].notes);
		free(bt[h].todo);
		free(job_of[h]);
	}
	free(b.vals);
	free(b.gid);
	free(b.doc_of);
	buf_free(&b.input);
	buf_free(&b.term);
	free(want);
	struct text_job tj = { .b = &b, .ix = ix, .shard_of = xcalloc(b.n_docs ? b.n_docs : 1, sizeof *tj.shard_of),
		.firsts = BUF_INIT, .sink = sink };
	if (!b.failed && b.n_w > 1)
		tj.running = pthread_create(&tj.thread, NULL, text_job_run, &tj) == 0;
	if (!b.failed && merge_all(&b) < 0)
		b.failed = true;
	for (size_t i = 0; i < b.n_notes; i++)
		buf_free(&b.sn[i].stored);
	free(b.sn);
	for (size_t r = 0; r < b.n_runs; r++)
		buf_free(&b.runs[r].blob);
	free(b.runs);
	if (b.failed) {
		if (tj.running)
			pthread_join(tj.thread, NULL);
		free(tj.shard_of);
		buf_free(&tj.firsts);
		free_terms(&b);
		return -1;
	}
	/* Terms of the list that no note uses now are left out. */
	size_t used = 0;
	for (size_t i = 0; i < b.n_terms; i++)
		used += b.terms[i].n > 0;
	dict_save(&b, used);
	if (used < b.n_terms) {
		size_t k = 0;
		for (size_t i = 0; i < b.n_terms; i++) {
			if (b.terms[i].n)
				b.terms[k++] = b.terms[i];
			else
				free(b.terms[i].s);
		}
		b.n_terms = k;
	}

	/* idf per term; field norms per document (section 3). */
	double avg[N_FIELDS];
	for (int f = 0; f < N_FIELDS; f++) {
		double sum = 0;
		size_t cnt = 0;
		for (size_t d = 0; d < b.n_docs; d++)
			if (b.docs[d].len[f]) {
				sum += b.docs[d].len[f];
				cnt++;
			}
		avg[f] = cnt ? sum / (double)cnt : 1.0;
	}
	for (size_t i = 0; i < b.n_terms; i++) {
		struct term *t = &b.terms[i];
		double df = (double)t->n, N = (double)b.n_docs;
		t->idf = (uint32_t)lround(1000.0 * log(1.0 + (N - df + 0.5) / (df + 0.5)));
	}
	if (b.n_terms)
		qsort(b.terms, b.n_terms, sizeof *b.terms, cmp_terms);

	/* Term shards: cut near the target, between first bytes when we can. */
	size_t *cuts = NULL, n_cuts = 0, cap_cuts = 0;
	size_t size = 0;
	for (size_t i = 0; i < b.n_terms; i++) {
		bool new_byte = i && b.terms[i].s[0] != b.terms[i - 1].s[0];
		if (i && size >= TERM_SHARD_TARGET && (new_byte || size >= 2 * TERM_SHARD_TARGET)) {
			*VEC_PUSH(cuts, n_cuts, cap_cuts) = i;
			size = 0;
		}
		if (i == 0)
			*VEC_PUSH(cuts, n_cuts, cap_cuts) = 0;
		size += strlen(b.terms[i].s) + 6 + b.terms[i].post_len;
	}
	ix->n_terms = n_cuts;
	*VEC_PUSH(cuts, n_cuts, cap_cuts) = b.n_terms;
	uint32_t *term_bytes = make_shards(&b, 't', cuts, ix->n_terms, sink);
	segs_free(&b);

	/* Text shards. */
	if (tj.running)
		pthread_join(tj.thread, NULL);
	else
		text_shards(&b, ix, tj.shard_of, &tj.firsts, sink);
	uint32_t *text_shard_of = tj.shard_of;
	struct buf firsts = tj.firsts;

	/* Meta. */
	struct buf m = BUF_INIT;
	uint32_t n_notes = 0;
	int *note_no = xcalloc(kb->n_notes ? kb->n_notes : 1, sizeof *note_no);
	for (size_t i = 0; i < kb->n_notes; i++)
		note_no[i] = kb->notes[i].skip ? -1 : (int)n_notes++;
	index_put_varint(&m, (uint32_t)b.n_docs);
	index_put_varint(&m, n_notes);
	index_put_varint(&m, (uint32_t)ix->n_terms);
	index_put_varint(&m, (uint32_t)ix->n_texts);
	index_put_varint(&m, INDEX_K1_MILLI);
	for (int f = 0; f < N_FIELDS; f++) {
		index_put_varint(&m, (uint32_t)lround(field_w[f] * 100));
		index_put_varint(&m, (uint32_t)lround(field_b[f] * 100));
	}
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		index_put_str(&m, n->title, strlen(n->title));
		struct buf url = BUF_INIT;
		buf_printf(&url, "%s.html", n->slug);
		index_put_str(&m, url.data, url.len);
		buf_free(&url);
	}
	for (size_t d = 0; d < b.n_docs; d++) {
		const struct doc *doc = &b.docs[d];
		const struct kb_note *n = &kb->notes[doc->note];
		index_put_varint(&m, (uint32_t)note_no[doc->note]);
		const char *ht = doc->heading >= 0 ? n->headings[doc->heading].text : "";
		const char *id = doc->heading >= 0 ? n->headings[doc->heading].id : "";
		index_put_str(&m, ht, strlen(ht));
		index_put_str(&m, id, strlen(id));
		index_put_varint(&m, text_shard_of[d]);
		uint8_t mask = 0;
		for (int f = 0; f < N_FIELDS; f++)
			if (doc->len[f])
				mask |= (uint8_t)(1u << f);
		buf_putc(&m, mask);
		for (int f = 0; f < N_FIELDS; f++) {
			if (!doc->len[f])
				continue;
			long norm = lround(1000.0 * (1.0 - field_b[f] + field_b[f] * doc->len[f] / avg[f]));
			index_put_varint(&m, (uint32_t)(norm < 1 ? 1 : norm > 100000000 ? 100000000 : norm));
		}
	}
	for (size_t s = 0; s < ix->n_terms; s++) {
		const char *first = b.terms[cuts[s]].s;
		index_put_str(&m, first, strlen(first));
		index_put_varint(&m, term_bytes[s]);
	}
	buf_put(&m, firsts.data, firsts.len);
	index_block(&ix->meta, INDEX_META, &m);
	buf_free(&m);
	buf_free(&firsts);
	ix->n_docs = b.n_docs;
	ix->n_notes = b.n_notes;
	ix->n_tokenized = b.n_tokenized;
	ix->n_runs = b.n_runs;
	ix->n_runs_cached = b.n_runs_cached;
	ix->n_distinct = b.n_terms;

	free(note_no);
	free(text_shard_of);
	free(term_bytes);
	free(cuts);
	free_terms(&b);
	return 0;
}

void index_build(const struct kb *kb, struct search_index *ix, int jobs, const atomic_int *threads,
	struct cache *cache, struct site_out *out)
{
	struct shard_sink sink = { out, cache, false };
	if (build(kb, ix, jobs, threads, cache, &sink) < 0)
		build(kb, ix, jobs, threads, NULL, &sink);   /* a damaged cache entry: do without */
	ix->failed = atomic_load(&sink.failed);
}

static void base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	buf_grow(out, (n + 2) / 3 * 4);
	char *q = out->data + out->len;   /* room was made above */
	for (; i + 2 < n; i += 3, q += 4) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = tbl[v >> 18];
		q[1] = tbl[(v >> 12) & 63];
		q[2] = tbl[(v >> 6) & 63];
		q[3] = tbl[v & 63];
	}
	out->len = (size_t)(q - out->data);
	out->data[out->len] = '\0';
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		buf_putc(out, tbl[v >> 18]);
		buf_putc(out, tbl[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		buf_putc(out, '=');
	}
}

/* Write search/PATH (made from `deps`), or link it from the previous site
 * when the build cache says it holds the same bytes there: files made
 * without a template are keyed, like pages, by what they are made from. */
static int write_keyed(struct site_out *out, struct cache *cache, const char *path, const unsigned char deps[16],
	const struct buf *bytes, bool *reused)
{
	unsigned char hash[16];
	cache_page_key(cache, NULL, path, deps, hash);
	*reused = cache_page_reuse(cache, path, hash);
	return *reused || !bytes ? 0 : output_write(out, path, bytes->data, bytes->len);
}

static void js_call(struct buf *js, const char *name, const struct buf *blk)
{
	buf_printf(js, "kbcSearchLoaded(\"%s\",\"", name);
	base64(js, (const unsigned char *)blk->data, blk->len);
	buf_puts(js, "\");\n");
}

/* Block i's name: "meta" (prefix 'm'), or PREFIX-NNN for a shard. */
static void block_name(char name[32], char prefix, size_t i)
{
	if (prefix == 'm')
		snprintf(name, 32, "meta");
	else
		snprintf(name, 32, "%c-%03zu", prefix, i);
}

/* search/PATH: blocks blk[0, n), numbered from `first` and named by
 * block_name(), as a .bin file (their bytes one after the other) or, when
 * `js`, as a script that calls kbcSearchLoaded() for each. */
static int write_blocks(struct site_out *out, struct cache *cache, const char *path, char prefix, size_t first,
	const struct buf *blk, size_t n, bool js)
{
	struct cache_key *k = cache_key_new(js ? "search js" : "search bin");
	char name[32];
	for (size_t i = 0; i < n; i++) {
		block_name(name, prefix, first + i);
		cache_key_str(k, name);
		cache_key_bytes(k, blk[i].data, blk[i].len);
	}
	unsigned char deps[16];
	cache_key_done(k, deps);
	bool reused;
	if (write_keyed(out, cache, path, deps, NULL, &reused) < 0)
		return -1;
	if (reused)
		return 0;
	struct buf file = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (js) {
			block_name(name, prefix, first + i);
			js_call(&file, name, &blk[i]);
		} else {
			buf_put(&file, blk[i].data, blk[i].len);
		}
	}
	int rc = output_write(out, path, file.data, file.len);
	buf_free(&file);
	return rc;
}

/* search/PREFIX-bNNN.bin and .js: run r of the shards, blk[0, n). The
 * .bin file is fetched over http(s), a shard at a time with a Range
 * request; the .js twin is read from file:// pages through a script tag,
 * where there is no fetch (section 5 of docs/search-index.md). So a site
 * has about 2 / INDEX_RUN files per shard, not 2. */
static int write_run(struct site_out *out, struct cache *cache, char prefix, size_t r, const struct buf *blk,
	size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "search/%c-b%03zu.bin", prefix, r);
	if (write_blocks(out, cache, path, prefix, r * INDEX_RUN, blk, n, false) < 0)
		return -1;
	snprintf(path, sizeof path, "search/%c-b%03zu.js", prefix, r);
	return write_blocks(out, cache, path, prefix, r * INDEX_RUN, blk, n, true);
}

int index_write(const struct search_index *ix, struct site_out *out, struct cache *cache)
{
	if (ix->failed)
		return -1;
	if (write_blocks(out, cache, "search/meta.bin", 'm', 0, &ix->meta, 1, false) < 0)
		return -1;
	return write_blocks(out, cache, "search/meta.js", 'm', 0, &ix->meta, 1, true);
}

void index_free(struct search_index *ix)
{
	buf_free(&ix->meta);
	memset(ix, 0, sizeof *ix);
}
