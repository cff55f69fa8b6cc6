/* tokenize.h - text to search terms (utf8proc and libstemmer live here).
 *
 * Implements section 2 of docs/search-index.md, shared by the indexer and
 * the C search reader: tokens, pieces at connectors and case boundaries,
 * normalisation (NFKD, marks removed, case folded), stop words, Snowball
 * English stems, and compound terms. A tokenizer holds a stemmer and is not
 * thread-safe: use one per thread. */
#ifndef KBC_TOKENIZE_H
#define KBC_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX_TERM 64

struct tok {
	const char *term;  /* stem, or compound text; NULL for a stop word */
	const char *norm;  /* normalised piece or compound, unstemmed */
	int pos;           /* position */
	bool compound;     /* a compound term (not stemmed) */
	bool whole;        /* the compound of the whole token (not a part's) */
	int token;         /* index of the token this came from, from 0 */
	uint32_t term_id;  /* the tokenizer's number of term (see tokenize_term) */
	size_t term_at, norm_at; /* (internal) offsets in the list's pool, term_at 0 for none */
};

/* The strings of a list's toks live in its pool (one allocation that
 * grows), not in allocations of their own: they stay valid until the next
 * tokenize(), tok_list_clear() or tok_list_free() of the list. */
struct tok_list {
	struct tok *v;
	size_t n, cap;
	int tokens;        /* tokens seen */
	char *pool;        /* NUL-terminated strings, back to back */
	size_t n_pool, cap_pool;
};

struct tokenizer;

struct tokenizer *tokenizer_new(void);
void tokenizer_free(struct tokenizer *tz);
/* Append the terms of `text` (n bytes) to `out`, positions from *pos
 * (advanced past the text). Stop words appear with term NULL. */
void tokenize(struct tokenizer *tz, const char *text, size_t n, int *pos, struct tok_list *out);
void tok_list_clear(struct tok_list *l);   /* empties the list; keeps storage */
void tok_list_free(struct tok_list *l);
/* Normalise a string as section 2 step 3 does. malloc'd. */
char *tokenize_normalise(const char *s, size_t n);
/* Stem one normalised word (returns a malloc'd copy). */
char *tokenize_stem(struct tokenizer *tz, const char *word, size_t n);
bool tokenize_is_stop(const char *norm);
/* A tokenizer numbers the distinct terms it has produced from 0 up, in the
 * order first met, for its whole life: tok.term_id, the same number for
 * the same term string. tokenize_term() gives term `id`'s string (NUL-
 * terminated, valid until the next tokenize()) and its length. */
const char *tokenize_term(const struct tokenizer *tz, uint32_t id, size_t *len);

#endif
