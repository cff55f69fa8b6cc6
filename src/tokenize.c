/* tokenize.c - tokens, pieces, normalisation, stems; see tokenize.h and
 * docs/search-index.md section 2. */
#include "tokenize.h"

#include <stdint.h>
#include <string.h>
#include <libstemmer.h>
#include <utf8proc.h>

#include "buf.h"
#include "util.h"

/* One decoded code point of the text. */
struct cp {
	utf8proc_int32_t c;
	utf8proc_category_t cat;
	size_t off, len;     /* bytes in the text */
};

/* A remembered word: its stem, or none when it is a stop word. */
struct stem_ent {
	uint64_t h;          /* hash of the word; 0 for an empty slot */
	uint32_t word, stem; /* offsets in the tokenizer's `words` */
	uint16_t wlen, slen;
	bool stop;
	uint32_t term_id;    /* the stem's */
};

/* A term the tokenizer has produced. */
struct term_ent {
	uint64_t h;
	uint32_t at, len;    /* in `words` */
};

#define STEM_CACHE_MAX (1u << 18)   /* words remembered at most, per tokenizer */

struct tokenizer {
	struct sb_stemmer *stemmer;
	struct buf scratch;
	struct cp *cps;      /* the text being tokenized, decoded (reused) */
	size_t cap_cps;
	utf8proc_category_t ascii_cat[128];   /* categories of the ASCII code points */
	/* normalised word -> stem: text repeats its words, and stemming is a
	 * good part of tokenizing; open addressing, never more than half full */
	struct stem_ent *stems;
	size_t n_stems, cap_stems;   /* cap_stems a power of two */
	char *words;         /* words, stems and terms, NUL-terminated */
	size_t n_words, cap_words;
	struct term_ent *terms;   /* the terms by number */
	size_t n_terms, cap_terms;
	uint32_t *term_slots;     /* open addressing: term number + 1, 0 empty */
	size_t n_term_slots;
};

static const char *stop_words[] = {
	"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into",
	"is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then",
	"there", "these", "they", "this", "to", "was", "will", "with",
};

bool tokenize_is_stop(const char *norm)
{
	size_t lo = 0, hi = sizeof stop_words / sizeof *stop_words;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(stop_words[mid], norm);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

struct tokenizer *tokenizer_new(void)
{
	struct tokenizer *tz = xcalloc(1, sizeof *tz);
	tz->stemmer = sb_stemmer_new("english", NULL);
	if (!tz->stemmer)
		die_oom();
	buf_init(&tz->scratch);
	for (int c = 0; c < 128; c++)
		tz->ascii_cat[c] = utf8proc_category(c);
	return tz;
}

void tokenizer_free(struct tokenizer *tz)
{
	if (!tz)
		return;
	sb_stemmer_delete(tz->stemmer);
	buf_free(&tz->scratch);
	free(tz->cps);
	free(tz->stems);
	free(tz->words);
	free(tz->terms);
	free(tz->term_slots);
	free(tz);
}

char *tokenize_normalise(const char *s, size_t n)
{
	/* ASCII needs only lower-casing: the common case, without utf8proc. */
	size_t i = 0;
	while (i < n && !((unsigned char)s[i] & 0x80))
		i++;
	if (i == n) {
		char *r = xmalloc(n + 1);
		for (i = 0; i < n; i++)
			r[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		r[n] = '\0';
		return r;
	}
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
		UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
	struct buf b = BUF_INIT;
	if (r < 0) {
		buf_put(&b, s, n);
	} else {
		/* U+2019 to an ASCII apostrophe. */
		for (utf8proc_ssize_t k = 0; k < r; k++) {
			if (k + 2 < r && out[k] == 0xE2 && out[k + 1] == 0x80 && out[k + 2] == 0x99) {
				buf_putc(&b, '\'');
				k += 2;
			} else {
				buf_putc(&b, out[k]);
			}
		}
	}
	free(out);
	return buf_detach(&b);
}

char *tokenize_stem(struct tokenizer *tz, const char *word, size_t n)
{
	const sb_symbol *s = sb_stemmer_stem(tz->stemmer, (const sb_symbol *)word, (int)n);
	if (!s)
		die_oom();
	return xstrndup((const char *)s, (size_t)sb_stemmer_length(tz->stemmer));
}

static bool is_word(const struct cp *p)
{
	return (p->cat >= UTF8PROC_CATEGORY_LU && p->cat <= UTF8PROC_CATEGORY_ME) ||
		(p->cat >= UTF8PROC_CATEGORY_ND && p->cat <= UTF8PROC_CATEGORY_NO);
}

static bool is_letter(const struct cp *p)
{
	return p->cat >= UTF8PROC_CATEGORY_LU && p->cat <= UTF8PROC_CATEGORY_LO;
}

static bool is_connector(utf8proc_int32_t c)
{
	return c == '.' || c == '_' || c == ':' || c == '-' || c == '/';
}

static bool is_apostrophe(utf8proc_int32_t c)
{
	return c == '\'' || c == 0x2019;
}

/* Append n bytes and a NUL to the list's pool; returns their offset. */
static size_t pool_put(struct tok_list *out, const char *s, size_t n)
{
	xgrow(&out->pool, &out->cap_pool, out->n_pool + n + 1, 1);
	size_t at = out->n_pool;
	memcpy(out->pool + at, s, n);
	out->pool[at + n] = '\0';
	out->n_pool += n + 1;
	return at;
}

/* Normalise text[0, n) into the pool (section 2 step 3); returns its
 * offset, and its length in *len. */
static size_t pool_normalise(struct tok_list *out, const char *s, size_t n, size_t *len)
{
	size_t i = 0;
	while (i < n && !((unsigned char)s[i] & 0x80))
		i++;
	if (i == n) {   /* ASCII: lower-casing is all of it */
		size_t at = pool_put(out, s, n);
		for (char *p = out->pool + at, *end = p + n; p < end; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		*len = n;
		return at;
	}
	char *norm = tokenize_normalise(s, n);
	*len = strlen(norm);
	size_t at = pool_put(out, norm, *len);
	free(norm);
	return at;
}

static uint32_t term_id(struct tokenizer *tz, const char *s, size_t n);

/* Append a tok; term_at 0 means no term (a stop word, len 0), else the
 * term is len bytes. A term longer than TOKEN_MAX_TERM drops the tok, and
 * the strings it added to the pool. */
static void add(struct tokenizer *tz, struct tok_list *out, size_t mark, size_t term_at, size_t len, uint32_t id,
	size_t norm_at, int pos, bool compound, bool whole)
{
	if (len > TOKEN_MAX_TERM) {
		out->n_pool = mark;
		return;
	}
	if (term_at && compound)
		id = term_id(tz, out->pool + term_at, len);
	struct tok *t = VEC_PUSH(out->v, out->n, out->cap);
	t->term = NULL;
	t->norm = NULL;
	t->term_at = term_at;
	t->norm_at = norm_at;
	t->pos = pos;
	t->compound = compound;
	t->whole = whole;
	t->term_id = term_at ? id : 0;
	t->token = out->tokens;
}

/* A term's offset in the pool: the pool never starts with one (offset 0 is
 * "none"), so a sentinel byte is put first. */
static void pool_start(struct tok_list *out)
{
	if (!out->n_pool)
		pool_put(out, "", 0);
}

static uint64_t hash_word(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h | 1;   /* never 0, the empty slot */
}

static uint32_t words_put(struct tokenizer *tz, const char *s, size_t n)
{
	xgrow(&tz->words, &tz->cap_words, tz->n_words + n + 1, 1);
	uint32_t at = (uint32_t)tz->n_words;
	memcpy(tz->words + at, s, n);
	tz->words[at + n] = '\0';
	tz->n_words += n + 1;
	return at;
}

static void term_slots_grow(struct tokenizer *tz)
{
	size_t cap = tz->n_term_slots ? tz->n_term_slots * 2 : 64;
	uint32_t *v = xcalloc(cap, sizeof *v);
	for (size_t i = 0; i < tz->n_terms; i++) {
		size_t at = tz->terms[i].h & (cap - 1);
		while (v[at])
			at = (at + 1) & (cap - 1);
		v[at] = (uint32_t)i + 1;
	}
	free(tz->term_slots);
	tz->term_slots = v;
	tz->n_term_slots = cap;
}

/* The number of term s (n bytes), added when new. */
static uint32_t term_id(struct tokenizer *tz, const char *s, size_t n)
{
	if (2 * (tz->n_terms + 1) > tz->n_term_slots)
		term_slots_grow(tz);
	uint64_t h = hash_word(s, n);
	size_t at = h & (tz->n_term_slots - 1);
	for (uint32_t k; (k = tz->term_slots[at]); at = (at + 1) & (tz->n_term_slots - 1)) {
		const struct term_ent *e = &tz->terms[k - 1];
		if (e->h == h && e->len == n && !memcmp(tz->words + e->at, s, n))
			return k - 1;
	}
	if (tz->n_words + n + 1 > UINT32_MAX || tz->n_terms >= UINT32_MAX - 1)
		die_oom();   /* 4 GiB of distinct terms */
	struct term_ent *e = VEC_PUSH(tz->terms, tz->n_terms, tz->cap_terms);
	e->h = h;
	e->len = (uint32_t)n;
	e->at = words_put(tz, s, n);
	tz->term_slots[at] = (uint32_t)tz->n_terms;
	return (uint32_t)tz->n_terms - 1;
}

const char *tokenize_term(const struct tokenizer *tz, uint32_t id, size_t *len)
{
	*len = tz->terms[id].len;
	return tz->words + tz->terms[id].at;
}

static void stems_grow(struct tokenizer *tz)
{
	size_t cap = tz->cap_stems ? tz->cap_stems * 2 : 64;
	struct stem_ent *v = xcalloc(cap, sizeof *v);
	for (size_t i = 0; i < tz->cap_stems; i++) {
		const struct stem_ent *e = &tz->stems[i];
		if (!e->h)
			continue;
		size_t at = e->h & (cap - 1);
		while (v[at].h)
			at = (at + 1) & (cap - 1);
		v[at] = *e;
	}
	free(tz->stems);
	tz->stems = v;
	tz->cap_stems = cap;
}

/* The stem of the normalised word s (n bytes, not empty) into the list's
 * pool: its offset, or 0 for a stop word; its term number into *id and
 * its length (0 for a stop word) into *len. Remembered per tokenizer. */
static size_t pool_stem(struct tokenizer *tz, struct tok_list *out, const char *s, size_t n, uint32_t *id,
	size_t *len)
{
	uint64_t h = hash_word(s, n);
	size_t at = 0;
	if (n <= UINT16_MAX && tz->cap_stems) {
		at = h & (tz->cap_stems - 1);
		for (const struct stem_ent *e; (e = &tz->stems[at])->h; at = (at + 1) & (tz->cap_stems - 1))
			if (e->h == h && e->wlen == n && !memcmp(tz->words + e->word, s, n)) {
				*len = e->slen;   /* 0 for a stop word */
				if (e->stop)
					return 0;
				*id = e->term_id;
				return pool_put(out, tz->words + e->stem, e->slen);
			}
	}
	bool stop = tokenize_is_stop(s);
	const char *st = NULL;
	size_t slen = 0;
	if (!stop) {
		st = (const char *)sb_stemmer_stem(tz->stemmer, (const sb_symbol *)s, (int)n);
		if (!st)
			die_oom();
		slen = (size_t)sb_stemmer_length(tz->stemmer);
		*id = term_id(tz, st, slen);
	}
	if (n <= UINT16_MAX && slen <= UINT16_MAX && tz->n_stems < STEM_CACHE_MAX &&
	    tz->n_words + n + slen + 2 <= UINT32_MAX) {
		if (2 * (tz->n_stems + 1) > tz->cap_stems) {
			stems_grow(tz);
			at = h & (tz->cap_stems - 1);
			while (tz->stems[at].h)
				at = (at + 1) & (tz->cap_stems - 1);
		}
		struct stem_ent *e = &tz->stems[at];
		e->h = h;
		e->wlen = (uint16_t)n;
		e->slen = (uint16_t)slen;
		e->stop = stop;
		e->word = words_put(tz, s, n);
		e->stem = stop ? 0 : words_put(tz, st, slen);
		e->term_id = stop ? 0 : *id;
		tz->n_stems++;
	}
	*len = slen;
	return stop ? 0 : pool_put(out, st, slen);
}

/* Emit one token: cps[a..b) with connectors. */
static void emit_token(struct tokenizer *tz, const char *text, const struct cp *cps, size_t a, size_t b,
	int *pos, struct tok_list *out)
{
	int first = *pos;
	size_t pieces = 0;
	size_t part_start = a;
	bool has_connector = false;
	for (size_t i = a; i <= b; i++) {
		bool end_part = i == b || is_connector(cps[i].c);
		if (!end_part)
			continue;
		if (i < b)
			has_connector = true;
		/* The part cps[part_start..i): cut at case boundaries. */
		size_t ps = part_start;
		size_t part_pieces = 0;
		int part_first = *pos;
		for (size_t j = part_start; j <= i; j++) {
			bool cut = j == i;
			if (!cut && j > ps) {
				utf8proc_category_t prev = cps[j - 1].cat, cur = cps[j].cat;
				if ((prev == UTF8PROC_CATEGORY_LL || prev == UTF8PROC_CATEGORY_ND) &&
				    cur == UTF8PROC_CATEGORY_LU)
					cut = true;
				else if (prev == UTF8PROC_CATEGORY_LU && cur == UTF8PROC_CATEGORY_LU &&
					 j + 1 < i && cps[j + 1].cat == UTF8PROC_CATEGORY_LL)
					cut = true;
			}
			if (!cut)
				continue;
			if (j > ps) {
				size_t off = cps[ps].off, end = cps[j - 1].off + cps[j - 1].len;
				size_t mark = out->n_pool, nlen, tlen = 0;   /* no stem: no term */
				size_t norm = pool_normalise(out, text + off, end - off, &nlen), term = 0;
				uint32_t id = 0;
				if (nlen)
					term = pool_stem(tz, out, out->pool + norm, nlen, &id, &tlen);
				add(tz, out, mark, term, tlen, id, norm, *pos, false, false);
				(*pos)++;
				pieces++;
				part_pieces++;
			}
			ps = j;
		}
		/* A part with several pieces is a compound of its own. */
		if (part_pieces > 1 && has_connector) {
			size_t off = cps[part_start].off, end = cps[i - 1].off + cps[i - 1].len;
			size_t mark = out->n_pool, nlen;
			size_t norm = pool_normalise(out, text + off, end - off, &nlen);
			add(tz, out, mark, norm, nlen, 0, norm, part_first, true, false);
		}
		part_start = i + 1;
	}
	if (pieces > 1) {
		size_t off = cps[a].off, end = cps[b - 1].off + cps[b - 1].len;
		size_t mark = out->n_pool, nlen;
		size_t norm = pool_normalise(out, text + off, end - off, &nlen);
		add(tz, out, mark, norm, nlen, 0, norm, first, true, true);
	}
	out->tokens++;
}

void tokenize(struct tokenizer *tz, const char *text, size_t n, int *pos, struct tok_list *out)
{
	/* Decode once; invalid bytes become separators. */
	size_t ncp = 0, i = 0;
	pool_start(out);
	size_t cap_before = out->cap_pool;   /* the pool moves only when it grows */
	size_t n_before = out->n;
	while (i < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;
		struct cp *p = VEC_PUSH(tz->cps, ncp, tz->cap_cps);
		if (!((unsigned char)text[i] & 0x80)) {   /* ASCII: no decoding, a table */
			c = (unsigned char)text[i];
			k = 1;
			p->cat = tz->ascii_cat[c];
		} else {
			k = utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(n - i), &c);
			if (k < 1) {
				c = ' ';
				k = 1;
			}
			p->cat = utf8proc_category(c);
		}
		p->c = c;
		p->off = i;
		p->len = (size_t)k;
		i += (size_t)k;
	}
	const struct cp *cps = tz->cps;
	size_t start = 0;
	bool in = false;
	for (size_t j = 0; j <= ncp; j++) {
		bool word = j < ncp && is_word(&cps[j]);
		if (!word && j < ncp && in) {
			/* Connectors and apostrophes join when a word character follows. */
			bool next_word = j + 1 < ncp && is_word(&cps[j + 1]);
			if (next_word && is_connector(cps[j].c))
				word = true;
			else if (next_word && is_apostrophe(cps[j].c) && is_letter(&cps[j - 1]) &&
				 is_letter(&cps[j + 1]))
				word = true;
		}
		if (word && !in) {
			start = j;
			in = true;
		} else if (!word && in) {
			emit_token(tz, text, cps, start, j, pos, out);
			in = false;
		}
	}
	/* Point this call's toks at their strings, and every earlier one too
	 * when the pool moved (it grows geometrically, so callers appending
	 * many short texts to one list stay linear). */
	for (size_t k = out->cap_pool == cap_before ? n_before : 0; k < out->n; k++) {
		struct tok *t = &out->v[k];
		t->term = t->term_at ? out->pool + t->term_at : NULL;
		t->norm = out->pool + t->norm_at;
	}
}

void tok_list_clear(struct tok_list *l)
{
	l->n = 0;
	l->tokens = 0;
	l->n_pool = 0;
}

void tok_list_free(struct tok_list *l)
{
	tok_list_clear(l);
	free(l->v);
	free(l->pool);
	l->v = NULL;
	l->pool = NULL;
	l->cap = l->cap_pool = 0;
}
