/* tokdump.c - print the C tokenizer's terms, for the JS tokenizer's parity
 * test (tests/search/tokens.mjs).
 *
 * Reads all of stdin and tokenizes it (src/tokenize.c, docs/search-index.md
 * section 2) as one text with positions from 0; with --lines, each line
 * separately, positions from 0 for each, and a line "#" after each input
 * line; with --unassigned, only the ranges of code points utf8proc does not
 * know (category Cn), one "FIRST LAST" line each in hex, so the JS test can
 * tell Unicode version gaps from real differences. Prints one line per
 * term, in the tokenizer's order:
 *     token <TAB> pos <TAB> kind <TAB> term <TAB> norm
 * kind is "p" for a piece with a term, "s" for a piece without one (a stop
 * word or an empty normalised piece; term is then empty), "c" for a part's
 * compound and "w" for the whole token's compound.
 * Exit status 0 on success, 1 on a read or write error.
 *
 * Build: gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Isrc src/tokenize.c src/util.c
 *        src/buf.c tests/search/tokdump.c -lutf8proc -lstemmer -o tokdump
 * (utf8proc is used directly only for --unassigned.) */
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "tokenize.h"
#include "util.h"

static void dump(struct tokenizer *tz, const char *text, size_t n, struct tok_list *l)
{
	int pos = 0;
	tok_list_clear(l);
	tokenize(tz, text, n, &pos, l);
	for (size_t i = 0; i < l->n; i++) {
		const struct tok *t = &l->v[i];
		const char *kind = t->compound ? (t->whole ? "w" : "c") : t->term ? "p" : "s";
		printf("%d\t%d\t%s\t%s\t%s\n", t->token, t->pos, kind, t->term ? t->term : "", t->norm);
	}
}

static void unassigned(void)
{
	long first = -1;
	for (long c = 0; c <= 0x110000; c++) {
		bool cn = c < 0x110000 && utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_CN;
		if (cn && first < 0)
			first = c;
		if (!cn && first >= 0) {
			printf("%lX %lX\n", first, c - 1);
			first = -1;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--unassigned")) {
		unassigned();
		return fflush(stdout) != 0 || ferror(stdout);
	}
	bool lines = argc > 1 && !strcmp(argv[1], "--lines");
	struct buf in = BUF_INIT;
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_put(&in, chunk, k);
	if (ferror(stdin)) {
		perror("tokdump: stdin");
		buf_free(&in);
		return 1;
	}
	struct tokenizer *tz = tokenizer_new();
	struct tok_list l = { 0 };
	if (lines) {
		size_t at = 0;
		while (at < in.len) {
			const char *nl = memchr(in.data + at, '\n', in.len - at);
			size_t end = nl ? (size_t)(nl - in.data) : in.len;
			dump(tz, in.data + at, end - at, &l);
			puts("#");
			at = end + 1;
		}
	} else {
		dump(tz, in.data, in.len, &l);
	}
	tok_list_free(&l);
	tokenizer_free(tz);
	buf_free(&in);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("tokdump: stdout");
		return 1;
	}
	return 0;
}
