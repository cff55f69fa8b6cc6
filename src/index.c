/* index.c - documents, terms, BM25F field norms, shards; see index.h and
 * docs/search-index.md. */
#include "index.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "index_format.h"
#include "output.h"
#include "tokenize.h"
#include "util.h"

static const double field_w[N_FIELDS] = { 10.0, 8.0, 6.0, 5.0, 3.0, 1.0 };
static const double field_b[N_FIELDS] = { 0.3, 0.3, 0.3, 0.3, 0.0, 0.75 };
#define TERM_SHARD_TARGET (16 * 1024)
#define TEXT_SHARD_MIN (2 * 1024)
#define TEXT_SHARD_MAX (16 * 1024)
#define TEXT_SHARDS_AIM 2048      /* text shards wanted, while within min..max */
#define BATCH 4096                /* documents tokenized between merges */

/* A term's occurrences in one document. */
struct posting {
	uint32_t doc;
	uint8_t mask;             /* fields holding it */
	uint16_t tf[N_FIELDS];
};

struct term {
	char *s;
	struct posting *p;
	size_t n, cap;
	uint32_t idf;
	size_t post_at, post_len; /* its encoded postings in the builder's `post` */
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
	size_t s;                 /* offset of the term in the worker's strings */
	uint8_t mask;
	uint16_t tf[N_FIELDS];
};

/* A document's result from a worker: its entries dents[from, to). */
struct dres {
	int worker;
	size_t from, to;
	uint32_t len[N_FIELDS];
};

struct occ {
	size_t s;                 /* term: offset in the tok list's pool */
	int field;
};

struct worker {
	struct tokenizer *tz;
	struct tok_list toks;
	struct occ *occ, *tmp;
	size_t n_occ, cap_occ, cap_tmp;
	struct fval *vals;
	size_t n_vals, cap_vals;
	char *str;                /* terms of this batch's documents */
	size_t n_str, cap_str;
	struct dent *dents;
	size_t n_dents, cap_dents;
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
	struct worker *w;
	int n_w;
	/* the batch being tokenized */
	size_t batch_from, batch_n;
	struct dres *res;
	atomic_size_t next;
	struct buf post;          /* every term's encoded postings */
};

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

static int occ_cmp(const struct occ *x, const struct occ *y, const char *pool)
{
	int c = strcmp(pool + x->s, pool + y->s);
	return c ? c : (x->field > y->field) - (x->field < y->field);
}

/* Insertion sort for the short lists, merge sort otherwise; no globals, so
 * workers can sort at once. */
static void sort_occ(struct occ *v, size_t n, struct occ *tmp, const char *pool)
{
	if (n < 24) {
		for (size_t i = 1; i < n; i++) {
			struct occ x = v[i];
			size_t j = i;
			for (; j > 0 && occ_cmp(&v[j - 1], &x, pool) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	size_t h = n / 2;
	sort_occ(v, h, tmp, pool);
	sort_occ(v + h, n - h, tmp, pool);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = occ_cmp(&v[j], &v[i], pool) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

/* Tokenize document `i` of the batch on worker w: its distinct terms, with
 * their counts per field, into w->dents; its field lengths into res. */
static void tokenize_doc(struct builder *b, struct worker *w, size_t i)
{
	const struct doc *d = &b->docs[b->batch_from + i];
	struct dres *r = &b->res[i];
	memset(r, 0, sizeof *r);
	r->worker = (int)(w - b->w);
	doc_values(b, d, &w->vals, &w->n_vals, &w->cap_vals);
	tok_list_clear(&w->toks);
	w->n_occ = 0;
	int pos = 0;
	for (size_t k = 0; k < w->n_vals; k++) {
		size_t from = w->toks.n;
		int start = pos;
		tokenize(w->tz, w->vals[k].text, strlen(w->vals[k].text), &pos, &w->toks);
		r->len[w->vals[k].field] += (uint32_t)(pos - start);
		for (size_t t = from; t < w->toks.n; t++) {
			if (!w->toks.v[t].term_at)
				continue;
			struct occ *o = VEC_PUSH(w->occ, w->n_occ, w->cap_occ);
			o->s = w->toks.v[t].term_at;
			o->field = w->vals[k].field;
		}
		pos += INDEX_FIELD_GAP;
	}
	xgrow(&w->tmp, &w->cap_tmp, w->n_occ + 1, sizeof *w->tmp);
	sort_occ(w->occ, w->n_occ, w->tmp, w->toks.pool);
	r->from = w->n_dents;
	for (size_t k = 0; k < w->n_occ;) {
		const char *s = w->toks.pool + w->occ[k].s;
		struct dent *e = VEC_PUSH(w->dents, w->n_dents, w->cap_dents);
		memset(e, 0, sizeof *e);
		size_t len = strlen(s);
		xgrow(&w->str, &w->cap_str, w->n_str + len + 1, 1);
		memcpy(w->str + w->n_str, s, len + 1);
		e->s = w->n_str;
		w->n_str += len + 1;
		size_t j = k;
		for (; j < w->n_occ && !strcmp(w->toks.pool + w->occ[j].s, s); j++) {
			int f = w->occ[j].field;
			e->mask |= (uint8_t)(1u << f);
			if (e->tf[f] < UINT16_MAX)
				e->tf[f]++;
		}
		k = j;
	}
	r->to = w->n_dents;
}

struct job {
	struct builder *b;
	struct worker *w;
};

static void *work(void *arg)
{
	struct job *j = arg;
	size_t i;
	while ((i = atomic_fetch_add(&j->b->next, 1)) < j->b->batch_n)
		tokenize_doc(j->b, j->w, i);
	return NULL;
}

/* Tokenize the documents [from, from + n) on the workers, then add their
 * postings in document order (so the result does not depend on -j). */
static void run_batch(struct builder *b, size_t from, size_t n)
{
	b->batch_from = from;
	b->batch_n = n;
	atomic_store(&b->next, 0);
	for (int k = 0; k < b->n_w; k++) {
		b->w[k].n_str = 0;
		b->w[k].n_dents = 0;
	}
	int threads = b->n_w;
	if ((size_t)threads > n)
		threads = n ? (int)n : 1;
	pthread_t tid[256];
	struct job jobs[256];
	int started = 0;
	for (int t = 0; t < threads; t++)
		jobs[t] = (struct job){ b, &b->w[t] };
	for (int t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, work, &jobs[t]) != 0)
			break;
		started = t;
	}
	work(&jobs[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	for (size_t i = 0; i < n; i++) {
		const struct dres *r = &b->res[i];
		const struct worker *w = &b->w[r->worker];
		uint32_t d = (uint32_t)(from + i);
		memcpy(b->docs[d].len, r->len, sizeof r->len);
		for (size_t k = r->from; k < r->to; k++) {
			const struct dent *e = &w->dents[k];
			uint32_t ti = intern(b, w->str + e->s);
			struct term *t = &b->terms[ti];
			struct posting *p = VEC_PUSH(t->p, t->n, t->cap);
			p->doc = d;
			p->mask = e->mask;
			memcpy(p->tf, e->tf, sizeof p->tf);
		}
	}
}

static int cmp_terms(const void *a, const void *b)
{
	return strcmp(((const struct term *)a)->s, ((const struct term *)b)->s);
}

/* A posting that holds the term once, in the body only, is "simple". */
static bool simple(const struct posting *p)
{
	return p->mask == 1u << F_BODY && p->tf[F_BODY] == 1;
}

/* docs/search-index.md section 5.2: codes, then the field counts of the
 * postings that are not simple. */
static void encode_postings(struct buf *out, const struct term *t)
{
	uint32_t prev = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct posting *p = &t->p[i];
		index_put_varint(out, (p->doc - prev) * 2 + (simple(p) ? 1 : 0));
		prev = p->doc;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct posting *p = &t->p[i];
		if (simple(p))
			continue;
		buf_putc(out, p->mask);
		for (int f = 0; f < N_FIELDS; f++)
			if (p->mask & (1u << f))
				index_put_varint(out, p->tf[f]);
	}
}

/* Serialize terms [from, to) as one shard block. */
static void term_shard(struct buf *block, const struct builder *b, size_t from, size_t to)
{
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
	for (size_t i = from; i < to; i++)
		buf_put(&payload, b->post.data + b->terms[i].post_at, b->terms[i].post_len);
	index_block(block, INDEX_TERMS, &payload);
	buf_free(&payload);
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

/* The text shards and, per document, its shard. */
static void text_shards(struct builder *b, struct search_index *ix, uint32_t *shard_of, struct buf *firsts)
{
	const struct kb *kb = b->kb;
	size_t total = 0;
	for (size_t d = 0; d < b->n_docs; d++) {
		const struct doc *doc = &b->docs[d];
		const struct kb_note *n = &kb->notes[doc->note];
		total += strlen(n->sections[doc->section].text) + 1;
	}
	size_t target = total / TEXT_SHARDS_AIM;
	target = target < TEXT_SHARD_MIN ? TEXT_SHARD_MIN : target > TEXT_SHARD_MAX ? TEXT_SHARD_MAX : target;
	struct buf *texts = NULL;
	size_t n_texts = 0, cap_texts = 0;
	struct fval *vals = NULL;
	size_t n_vals = 0, cap_vals = 0;
	struct buf payload = BUF_INIT, docs = BUF_INIT, t = BUF_INIT;
	for (size_t d = 0; d < b->n_docs;) {
		buf_reset(&payload);
		buf_reset(&docs);
		size_t start = d, bytes = 0;
		while (d < b->n_docs && (d == start || bytes < target)) {
			const struct doc *doc = &b->docs[d];
			const struct kb_note *n = &kb->notes[doc->note];
			buf_reset(&t);
			if (doc->heading >= 0)
				buf_puts(&t, n->headings[doc->heading].text);
			buf_putc(&t, '\n');
			buf_puts(&t, n->sections[doc->section].text);
			index_put_str(&docs, t.data, t.len);
			bytes += t.len;
			/* the values of the fields that are not in the meta block */
			doc_values(b, doc, &vals, &n_vals, &cap_vals);
			uint32_t extra = 0;
			for (size_t k = 0; k < n_vals; k++)
				extra += vals[k].field == F_TOPIC || vals[k].field == F_ALIAS || vals[k].field == F_TAG;
			index_put_varint(&docs, extra);
			for (size_t k = 0; k < n_vals; k++)
				if (vals[k].field == F_TOPIC || vals[k].field == F_ALIAS || vals[k].field == F_TAG) {
					buf_putc(&docs, vals[k].field);
					index_put_str(&docs, vals[k].text, strlen(vals[k].text));
					bytes += strlen(vals[k].text);
				}
			shard_of[d] = (uint32_t)n_texts;
			d++;
		}
		index_put_varint(&payload, (uint32_t)start);
		index_put_varint(&payload, (uint32_t)(d - start));
		buf_put(&payload, docs.data, docs.len);
		struct buf *blk = VEC_PUSH(texts, n_texts, cap_texts);
		buf_init(blk);
		index_block(blk, INDEX_TEXT, &payload);
		index_put_varint(firsts, (uint32_t)start);
		index_put_varint(firsts, (uint32_t)blk->len);
	}
	buf_free(&payload);
	buf_free(&docs);
	buf_free(&t);
	free(vals);
	ix->texts = texts;
	ix->n_texts = n_texts;
}

void index_build(const struct kb *kb, struct search_index *ix, int jobs)
{
	struct builder b = { 0 };
	memset(ix, 0, sizeof *ix);
	b.kb = kb;
	buf_init(&b.post);
	rehash(&b);
	index_topics(&b);

	/* Documents: sections in note order. */
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
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

	/* Terms and postings, a batch of documents at a time. */
	b.n_w = jobs < 1 ? 1 : jobs > 256 ? 256 : jobs;
	b.w = xcalloc((size_t)b.n_w, sizeof *b.w);
	for (int k = 0; k < b.n_w; k++)
		b.w[k].tz = tokenizer_new();
	b.res = xcalloc(BATCH, sizeof *b.res);
	for (size_t from = 0; from < b.n_docs; from += BATCH)
		run_batch(&b, from, b.n_docs - from < BATCH ? b.n_docs - from : BATCH);
	for (int k = 0; k < b.n_w; k++) {
		struct worker *w = &b.w[k];
		tokenizer_free(w->tz);
		tok_list_free(&w->toks);
		free(w->occ);
		free(w->tmp);
		free(w->vals);
		free(w->str);
		free(w->dents);
	}
	free(b.w);
	free(b.res);

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
	for (size_t i = 0; i < b.n_terms; i++) {
		b.terms[i].post_at = b.post.len;
		encode_postings(&b.post, &b.terms[i]);
		b.terms[i].post_len = b.post.len - b.terms[i].post_at;
	}

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
	ix->terms = xcalloc(n_cuts ? n_cuts : 1, sizeof *ix->terms);
	ix->n_terms = n_cuts;
	for (size_t s = 0; s < n_cuts; s++) {
		size_t to = s + 1 < n_cuts ? cuts[s + 1] : b.n_terms;
		buf_init(&ix->terms[s]);
		term_shard(&ix->terms[s], &b, cuts[s], to);
	}

	/* Text shards. */
	uint32_t *text_shard_of = xcalloc(b.n_docs ? b.n_docs : 1, sizeof *text_shard_of);
	struct buf firsts = BUF_INIT;
	text_shards(&b, ix, text_shard_of, &firsts);

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
		index_put_varint(&m, (uint32_t)ix->terms[s].len);
	}
	buf_put(&m, firsts.data, firsts.len);
	index_block(&ix->meta, INDEX_META, &m);
	buf_free(&m);
	buf_free(&firsts);
	ix->n_docs = b.n_docs;
	ix->n_distinct = b.n_terms;

	free(note_no);
	free(text_shard_of);
	free(cuts);
	for (size_t i = 0; i < b.n_terms; i++) {
		free(b.terms[i].p);
		free(b.terms[i].s);
	}
	free(b.terms);
	free(b.slots);
	free(b.docs);
	free(b.topic_of);
	free(b.topic_start);
	buf_free(&b.post);
}

static void base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	buf_grow(out, (n + 2) / 3 * 4);
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		char q[4] = { tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63] };
		buf_put(out, q, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		buf_putc(out, tbl[v >> 18]);
		buf_putc(out, tbl[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? tbl[(v >> 6) & 63] : '=');
		buf_putc(out, '=');
	}
}

static int write_pair(struct site_out *out, const char *name, const struct buf *blk)
{
	char path[64];
	snprintf(path, sizeof path, "search/%s.bin", name);
	if (output_write(out, path, blk->data, blk->len) < 0)
		return -1;
	struct buf js = BUF_INIT;
	buf_printf(&js, "kbcSearchLoaded(\"%s\",\"", name);
	base64(&js, (const unsigned char *)blk->data, blk->len);
	buf_puts(&js, "\");\n");
	snprintf(path, sizeof path, "search/%s.js", name);
	int rc = output_write(out, path, js.data, js.len);
	buf_free(&js);
	return rc;
}

int index_write(const struct search_index *ix, struct site_out *out)
{
	if (write_pair(out, "meta", &ix->meta) < 0)
		return -1;
	for (size_t i = 0; i < ix->n_terms; i++) {
		char name[32];
		snprintf(name, sizeof name, "t-%03zu", i);
		if (write_pair(out, name, &ix->terms[i]) < 0)
			return -1;
	}
	for (size_t i = 0; i < ix->n_texts; i++) {
		char name[32];
		snprintf(name, sizeof name, "x-%03zu", i);
		if (write_pair(out, name, &ix->texts[i]) < 0)
			return -1;
	}
	return 0;
}

void index_free(struct search_index *ix)
{
	buf_free(&ix->meta);
	for (size_t i = 0; i < ix->n_terms; i++)
		buf_free(&ix->terms[i]);
	free(ix->terms);
	for (size_t i = 0; i < ix->n_texts; i++)
		buf_free(&ix->texts[i]);
	free(ix->texts);
	memset(ix, 0, sizeof *ix);
}
