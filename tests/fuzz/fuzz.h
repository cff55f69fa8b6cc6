/* fuzz.h - what kbc's fuzz targets share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput(), the libFuzzer
 * entry point: it feeds one input to one parser of user input and checks
 * the parser's contract on the result (a broken contract aborts, which the
 * fuzzer reports as a crash). The same file links either with libFuzzer
 * (clang, -DKBC_FUZZ=ON: tools/fuzz) or with replay.c, a plain main()
 * that feeds files to it (gcc, every build: ctest fuzz-regress).
 *
 * Contract of a target: no state survives a call (diagnostics go to a
 * buffer that is freed before returning, the diag counters are reset, every
 * allocation is freed), so runs neither leak nor depend on each other. */
#ifndef KBC_FUZZ_H
#define KBC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A contract check that holds in release builds too (NDEBUG or not). */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz contract broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* Start and end one run: diagnostics are captured into a private buffer
 * (the parsers report through diag.c) and the counters are zeroed. */
void fuzz_begin(void);
void fuzz_end(void);

/* Would scan.c hand these bytes to the parsers? (valid UTF-8, no NUL:
 * notes that fail this are refused before front matter or Markdown see
 * them, so the targets skip them too.) */
int fuzz_is_text(const uint8_t *data, size_t size);
/* A note's source as scan.c hands it to the parsers: a NUL-terminated
 * copy with lone CRs read as LF (text_lone_cr_to_lf). malloc'd. */
char *fuzz_note_text(const uint8_t *data, size_t size);

/* Split data[0..size) at each occurrence of `sep` into at most `max`
 * parts (the last part keeps any further separators). Parts point into
 * `data`; returns the number of parts (at least 1). */
struct fuzz_part {
	const uint8_t *p;
	size_t n;
};
size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, struct fuzz_part *parts, size_t max);

#endif
