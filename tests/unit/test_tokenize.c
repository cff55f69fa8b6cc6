/* test_tokenize.c - unit tests for what the tokenizer remembers
 * (src/tokenize.c): its per-tokenizer word -> stem cache and its term
 * numbers.
 *
 * The cache must never change a term: every piece's term is compared with
 * tokenize_stem() (the stemmer itself, no cache) and tokenize_is_stop(),
 * on text seen for the first time, seen again (cache hits), and past the
 * cache's capacity (300,000 distinct words). Term numbers must be dense
 * from 0 in the order first met, the same for the same string and only
 * for it, and tokenize_term() must give the string back. Prints one line
 * per failure and "N passed, N failed"; exit status 1 on any failure. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tokenize.h"
#include "util.h"

#include "check.h"

static const char sample[] =
	"The running runners ran quickly; connections CONNECTED connecting. "
	"Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9s, don\xE2\x80\x99t it's. "
	"parseHTTPRequest foo.bar-baz/qux snake_case_words x86_64 "
	"Generalizations generalized generalize generally general. "
	"the and of to a in is it that this with for as was on be by "
	"Stra\xC3\x9F" "e \xC4\xB0stanbul \xE2\x84\xAB ngstr\xC3\xB6m caresses ponies ties cats";

/* Check every tok of l against the uncached stemmer ref. */
static void check_terms(struct tokenizer *ref, const struct tok_list *l, const char *what)
{
	size_t wrong_stem = 0, wrong_stop = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct tok *t = &l->v[i];
		if (t->compound) {
			if (!t->term || strcmp(t->term, t->norm))
				wrong_stem++;
			continue;
		}
		bool stop = tokenize_is_stop(t->norm);
		if (stop != !t->term) {
			wrong_stop++;
			continue;
		}
		if (stop)
			continue;
		char *st = tokenize_stem(ref, t->norm, strlen(t->norm));
		if (strcmp(st, t->term))
			wrong_stem++;
		free(st);
	}
	CHECK(!wrong_stem, "%s: %zu terms differ from the stemmer's", what, wrong_stem);
	CHECK(!wrong_stop, "%s: %zu stop words misjudged", what, wrong_stop);
}

/* Term numbers: dense in the order first met, one per string. */
static void check_ids(const struct tokenizer *tz, const struct tok_list *l, uint32_t *next, char ***by_id,
	size_t *cap, const char *what)
{
	size_t bad = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct tok *t = &l->v[i];
		if (!t->term)
			continue;
		if (t->term_id == *next) {   /* a new number (no string twice: see distinct()) */
			xgrow(by_id, cap, (size_t)*next + 1, sizeof **by_id);
			(*by_id)[(*next)++] = xstrdup(t->term);
		} else if (t->term_id > *next || strcmp((*by_id)[t->term_id], t->term)) {
			bad++;
		}
		size_t len = 0;
		const char *s = tokenize_term(tz, t->term_id, &len);
		if (len != strlen(t->term) || memcmp(s, t->term, len) || s[len])
			bad++;
	}
	CHECK(!bad, "%s: %zu term numbers wrong", what, bad);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* No string has two numbers. */
static void distinct(char **by_id, uint32_t n)
{
	char **v = xcalloc(n + 1, sizeof *v);
	memcpy(v, by_id, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_str);
	size_t twice = 0;
	for (uint32_t k = 1; k < n; k++)
		twice += !strcmp(v[k - 1], v[k]);
	CHECK(!twice, "%zu strings have two term numbers", twice);
	free(v);
}

int main(void)
{
	struct tokenizer *tz = tokenizer_new(), *ref = tokenizer_new();
	struct tok_list l = { 0 };
	uint32_t next = 0;
	char **by_id = NULL;
	size_t cap = 0;

	/* first sight, then twice again: cache misses, then hits */
	for (int round = 0; round < 3; round++) {
		int pos = 0;
		tok_list_clear(&l);
		tokenize(tz, sample, strlen(sample), &pos, &l);
		CHECK(l.n > 50, "round %d: %zu toks", round, l.n);
		check_terms(ref, &l, round ? "sample again" : "sample");
		check_ids(tz, &l, &next, &by_id, &cap, "sample");
	}
	uint32_t after_sample = next;

	/* the same text gives the same terms and numbers on every round */
	struct tok_list a = { 0 }, b = { 0 };
	int pa = 0, pb = 0;
	tokenize(tz, sample, strlen(sample), &pa, &a);
	tokenize(tz, sample, strlen(sample), &pb, &b);
	bool same = a.n == b.n;
	for (size_t i = 0; same && i < a.n; i++)
		same = a.v[i].term_id == b.v[i].term_id && !a.v[i].term == !b.v[i].term &&
			(!a.v[i].term || !strcmp(a.v[i].term, b.v[i].term));
	CHECK(same, "the same text tokenized twice differs");
	CHECK(next == after_sample, "no new term numbers for known text (%u, %u)", next, after_sample);
	tok_list_free(&a);
	tok_list_free(&b);

	/* past the cache's capacity: 300,000 distinct words, some twice */
	struct buf text = BUF_INIT;
	for (unsigned i = 0; i < 300000; i++) {
		char w[16];
		unsigned v = i;
		size_t n = 0;
		do {
			w[n++] = (char)('a' + v % 26);
			v /= 26;
		} while (v);
		buf_put(&text, w, n);
		buf_puts(&text, i % 3 ? "ing " : "s ");
		if (i % 1000 == 0)
			buf_puts(&text, "running connections ");
	}
	int pos = 0;
	tok_list_clear(&l);
	tokenize(tz, text.data, text.len, &pos, &l);
	CHECK(l.n >= 300000, "%zu toks of 300,000 words", l.n);
	check_terms(ref, &l, "300,000 words");
	check_ids(tz, &l, &next, &by_id, &cap, "300,000 words");
	/* and the sample still right once the cache is full */
	pos = 0;
	tok_list_clear(&l);
	tokenize(tz, sample, strlen(sample), &pos, &l);
	check_terms(ref, &l, "sample after a full cache");
	check_ids(tz, &l, &next, &by_id, &cap, "sample after a full cache");

	CHECK(next > 200000, "%u term numbers", next);   /* stems of different words may meet */
	distinct(by_id, next);
	for (uint32_t k = 0; k < next; k++)
		free(by_id[k]);
	free(by_id);
	buf_free(&text);
	tok_list_free(&l);
	tokenizer_free(tz);
	tokenizer_free(ref);
	return check_summary();
}
