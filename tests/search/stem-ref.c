/* stem-ref.c - reference stems from libstemmer, for the JS stemmer's parity test.
 *
 * Reads words one per line on stdin (a trailing "\r" is dropped) and prints
 * "word<TAB>stem" for each, in input order, using libstemmer's "english"
 * (Porter2) stemmer in UTF-8: the same library and algorithm kbc's indexer
 * uses. Empty lines give "<TAB>" lines so output lines match input lines.
 * Exit status 0 on success, 1 if the stemmer cannot be created, memory runs
 * out, or stdin/stdout fails.
 *
 * Build: gcc -O2 -o /tmp/stem-ref tests/search/stem-ref.c -lstemmer */
#define _POSIX_C_SOURCE 200809L

#include <libstemmer.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

int main(void)
{
	int rc = 1;
	struct sb_stemmer *st = sb_stemmer_new("english", NULL);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (st == NULL) {
		fputs("stem-ref: libstemmer has no \"english\" stemmer\n", stderr);
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) != -1) {
		const sb_symbol *stem;
		size_t len = (size_t)n;

		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > INT_MAX) {
			fputs("stem-ref: line too long\n", stderr);
			goto out;
		}
		stem = sb_stemmer_stem(st, (const sb_symbol *)line, (int)len);
		if (stem == NULL) {
			fputs("stem-ref: out of memory\n", stderr);
			goto out;
		}
		fwrite(line, 1, len, stdout);
		putchar('\t');
		fwrite(stem, 1, (size_t)sb_stemmer_length(st), stdout);
		putchar('\n');
	}
	if (ferror(stdin)) {
		perror("stem-ref: stdin");
		goto out;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("stem-ref: stdout");
		goto out;
	}
	rc = 0;
out:
	free(line);
	sb_stemmer_delete(st);
	return rc;
}
