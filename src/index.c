/* index.c - documents, terms, BM25F weights, shards; see index.h and
 * docs/search-index.md. */
#include "index.h"

#include <math.h>
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
#define TEXT_SHARD_TARGET (2 * 1024)

struct posting {
	uint32_t doc;
	uint8_t mask;
	uint16_t tf[N_FIELDS];
	uint32_t pos_off;         /* its positions: pool[pos_off .. pos_off+npos) */
	uint32_t npos;
	uint8_t weight;
};

/* One occurrence of a term in the document being indexed. */
struct occ {
	uint32_t term;
	int pos;
	int field;
};

struct term {
	char *s;
	struct posting *p;
	size_t n, cap;
	uint32_t idf;
};

struct doc {
	int note;
	int heading;
	uint32_t len[N_FIELDS];
	const char *text;
};

struct builder {
	struct term *terms;
	size_t n_terms, cap_terms;
	uint32_t *slots;          /* open addressing: term index + 1, 0 empty */
	size_t n_slots;
	struct doc *docs;
	size_t n_docs, cap_docs;
	struct tokenizer *tz;
	struct tok_list toks;
	struct occ *occ;          /* the current document's occurrences */
	size_t n_occ, cap_occ;
	int *pool;                /* every posting's positions, back to back */
	size_t n_pool, cap_pool;
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

/* Tokenize one field value of document `d` and record its terms. */
static void add_field(struct builder *b, uint32_t d, int field, const char *text, int *pos)
{
	if (!text || !*text)
		return;
	tok_list_clear(&b->toks);
	int start = *pos;
	tokenize(b->tz, text, strlen(text), pos, &b->toks);
	b->docs[d].len[field] += (uint32_t)(*pos - start);
	for (size_t i = 0; i < b->toks.n; i++) {
		const struct tok *k = &b->toks.v[i];
		if (!k->term)
			continue;
		struct occ *o = VEC_PUSH(b->occ, b->n_occ, b->cap_occ);
		o->term = intern(b, k->term);
		o->pos = k->pos;
		o->field = field;
	}
	*pos += INDEX_FIELD_GAP;
}

static int cmp_occ(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;
	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return (x->field > y->field) - (x->field < y->field);
}

/* Turn document d's occurrences into one posting per term. Positions go
 * to the shared pool, so no posting allocates memory of its own. */
static void flush_doc(struct builder *b, uint32_t d)
{
	if (b->n_occ)
		qsort(b->occ, b->n_occ, sizeof *b->occ, cmp_occ);
	for (size_t i = 0; i < b->n_occ;) {
		struct term *t = &b->terms[b->occ[i].term];
		struct posting *p = VEC_PUSH(t->p, t->n, t->cap);
		memset(p, 0, sizeof *p);
		p->doc = d;
		p->pos_off = (uint32_t)b->n_pool;
		size_t j = i;
		for (; j < b->n_occ && b->occ[j].term == b->occ[i].term; j++) {
			const struct occ *o = &b->occ[j];
			p->mask |= (uint8_t)(1u << o->field);
			if (p->tf[o->field] < UINT16_MAX)
				p->tf[o->field]++;
			if (!p->npos || b->pool[b->n_pool - 1] != o->pos) {
				*VEC_PUSH(b->pool, b->n_pool, b->cap_pool) = o->pos;
				p->npos++;
			}
		}
		i = j;
	}
	b->n_occ = 0;
}

static int cmp_terms(const void *a, const void *b)
{
	return strcmp(((const struct term *)a)->s, ((const struct term *)b)->s);
}

static void encode_postings(struct buf *out, const struct term *t, const int *pool)
{
	uint32_t prev = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct posting *p = &t->p[i];
		index_put_varint(out, p->doc - prev);
		prev = p->doc;
		buf_putc(out, p->mask);
		buf_putc(out, p->weight);
		index_put_varint(out, (uint32_t)p->npos);
		int last = 0;
		for (size_t k = 0; k < p->npos; k++) {
			index_put_varint(out, (uint32_t)(pool[p->pos_off + k] - last));
			last = pool[p->pos_off + k];
		}
	}
}

/* Serialize terms [from, to) as one shard block. */
static void term_shard(struct buf *block, const struct term *terms, size_t from, size_t to, const int *pool)
{
	struct buf dict = BUF_INIT, post = BUF_INIT, payload = BUF_INIT, one = BUF_INIT;
	index_put_varint(&dict, (uint32_t)(to - from));
	const char *prev = "";
	for (size_t i = from; i < to; i++) {
		const struct term *t = &terms[i];
		size_t shared = 0;
		while (prev[shared] && prev[shared] == t->s[shared])
			shared++;
		size_t len = strlen(t->s);
		buf_reset(&one);
		encode_postings(&one, t, pool);
		index_put_varint(&dict, (uint32_t)shared);
		index_put_str(&dict, t->s + shared, len - shared);
		index_put_varint(&dict, (uint32_t)t->n);
		index_put_varint(&dict, t->idf);
		index_put_varint(&dict, (uint32_t)one.len);
		buf_put(&post, one.data, one.len);
		prev = t->s;
	}
	buf_put(&payload, dict.data, dict.len);
	buf_put(&payload, post.data, post.len);
	index_block(block, INDEX_TERMS, &payload);
	buf_free(&dict);
	buf_free(&post);
	buf_free(&payload);
	buf_free(&one);
}

static size_t term_size(const struct term *t)
{
	size_t s = strlen(t->s) + 8;
	for (size_t i = 0; i < t->n; i++)
		s += 4 + t->p[i].npos * 2;
	return s;
}

void index_build(const struct kb *kb, struct search_index *ix)
{
	struct builder b = { 0 };
	memset(ix, 0, sizeof *ix);
	b.tz = tokenizer_new();
	rehash(&b);

	/* Documents: sections in note order. */
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		for (size_t s = 0; s < n->n_sections; s++) {
			struct doc *d = VEC_PUSH(b.docs, b.n_docs, b.cap_docs);
			memset(d, 0, sizeof *d);
			d->note = (int)i;
			d->heading = n->sections[s].heading;
			d->text = n->sections[s].text;
		}
	}
	uint32_t first_doc = 0;
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		for (size_t s = 0; s < n->n_sections; s++) {
			uint32_t d = first_doc + (uint32_t)s;
			int h = n->sections[s].heading;
			int pos = 0;
			if (s == 0)
				add_field(&b, d, F_TITLE, n->title, &pos);
			for (size_t t = 0; t < kb->n_topics; t++) {
				const struct kb_topic *tp = &kb->topics[t];
				if (tp->note != (int)i || tp->heading != h)
					continue;
				add_field(&b, d, F_TOPIC, tp->term, &pos);
				for (size_t a = 0; a < tp->n_aliases; a++)
					add_field(&b, d, F_TOPIC, tp->aliases[a], &pos);
			}
			if (s == 0)
				for (size_t a = 0; a < n->n_aliases; a++)
					add_field(&b, d, F_ALIAS, n->aliases[a], &pos);
			if (h >= 0)
				add_field(&b, d, F_HEADING, n->headings[h].text, &pos);
			if (s == 0)
				for (size_t t = 0; t < n->n_tags; t++)
					add_field(&b, d, F_TAG, n->tags[t], &pos);
			add_field(&b, d, F_BODY, n->sections[s].text, &pos);
			flush_doc(&b, d);
		}
		first_doc += (uint32_t)n->n_sections;
	}

	/* BM25F weights and idf. */
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
	const double k1 = INDEX_K1_MILLI / 1000.0;
	for (size_t i = 0; i < b.n_terms; i++) {
		struct term *t = &b.terms[i];
		double df = (double)t->n, N = (double)b.n_docs;
		t->idf = (uint32_t)lround(1000.0 * log(1.0 + (N - df + 0.5) / (df + 0.5)));
		for (size_t k = 0; k < t->n; k++) {
			struct posting *p = &t->p[k];
			const struct doc *d = &b.docs[p->doc];
			double tfn = 0;
			for (int f = 0; f < N_FIELDS; f++)
				if (p->tf[f])
					tfn += field_w[f] * p->tf[f] /
						(1.0 - field_b[f] + field_b[f] * d->len[f] / avg[f]);
			double sat = tfn * (k1 + 1) / (tfn + k1);
			long w = lround(255.0 * sat / (k1 + 1));
			p->weight = (uint8_t)(w < 1 ? 1 : w > 255 ? 255 : w);
		}
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
		size += term_size(&b.terms[i]);
	}
	ix->terms = xcalloc(n_cuts ? n_cuts : 1, sizeof *ix->terms);
	ix->n_terms = n_cuts;
	for (size_t s = 0; s < n_cuts; s++) {
		size_t to = s + 1 < n_cuts ? cuts[s + 1] : b.n_terms;
		buf_init(&ix->terms[s]);
		term_shard(&ix->terms[s], b.terms, cuts[s], to, b.pool);
	}

	/* Text shards. */
	struct buf *texts = NULL;
	size_t n_texts = 0, cap_texts = 0;
	uint32_t *text_shard_of = xcalloc(b.n_docs ? b.n_docs : 1, sizeof *text_shard_of);
	uint32_t *text_first = NULL;
	size_t n_first = 0, cap_first = 0;
	for (size_t d = 0; d < b.n_docs;) {
		struct buf payload = BUF_INIT, docs = BUF_INIT;
		size_t start = d, bytes = 0;
		while (d < b.n_docs && (d == start || bytes < TEXT_SHARD_TARGET)) {
			const struct doc *doc = &b.docs[d];
			const struct kb_note *n = &kb->notes[doc->note];
			struct buf t = BUF_INIT;
			if (doc->heading >= 0)
				buf_puts(&t, n->headings[doc->heading].text);
			buf_putc(&t, '\n');
			buf_puts(&t, doc->text);
			index_put_str(&docs, t.data, t.len);
			bytes += t.len;
			buf_free(&t);
			text_shard_of[d] = (uint32_t)n_texts;
			d++;
		}
		index_put_varint(&payload, (uint32_t)start);
		index_put_varint(&payload, (uint32_t)(d - start));
		buf_put(&payload, docs.data, docs.len);
		struct buf *blk = VEC_PUSH(texts, n_texts, cap_texts);
		buf_init(blk);
		index_block(blk, INDEX_TEXT, &payload);
		*VEC_PUSH(text_first, n_first, cap_first) = (uint32_t)start;
		buf_free(&payload);
		buf_free(&docs);
	}
	ix->texts = texts;
	ix->n_texts = n_texts;

	/* Meta. */
	struct buf m = BUF_INIT;
	uint32_t n_notes = 0;
	int *note_no = xcalloc(kb->n_notes ? kb->n_notes : 1, sizeof *note_no);
	for (size_t i = 0; i < kb->n_notes; i++)
		note_no[i] = kb->notes[i].skip ? -1 : (int)n_notes++;
	index_put_varint(&m, (uint32_t)b.n_docs);
	index_put_varint(&m, n_notes);
	index_put_varint(&m, (uint32_t)ix->n_terms);
	index_put_varint(&m, (uint32_t)n_texts);
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
	}
	for (size_t s = 0; s < ix->n_terms; s++) {
		const char *first = b.terms[cuts[s]].s;
		index_put_str(&m, first, strlen(first));
		index_put_varint(&m, (uint32_t)ix->terms[s].len);
	}
	for (size_t s = 0; s < n_texts; s++) {
		index_put_varint(&m, text_first[s]);
		index_put_varint(&m, (uint32_t)texts[s].len);
	}
	index_block(&ix->meta, INDEX_META, &m);
	buf_free(&m);
	ix->n_docs = b.n_docs;
	ix->n_distinct = b.n_terms;

	free(note_no);
	free(text_first);
	free(text_shard_of);
	free(cuts);
	for (size_t i = 0; i < b.n_terms; i++) {
		free(b.terms[i].p);
		free(b.terms[i].s);
	}
	free(b.terms);
	free(b.slots);
	free(b.docs);
	free(b.occ);
	free(b.pool);
	tok_list_free(&b.toks);
	tokenizer_free(b.tz);
}

static void base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_putc(out, tbl[v >> 18]);
		buf_putc(out, tbl[(v >> 12) & 63]);
		buf_putc(out, tbl[(v >> 6) & 63]);
		buf_putc(out, tbl[v & 63]);
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
