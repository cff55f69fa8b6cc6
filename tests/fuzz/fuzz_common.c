/* fuzz_common.c - helpers shared by the fuzz targets; see fuzz.h. */
#include "fuzz.h"

#include <string.h>

#include "diag.h"
#include "text.h"
#include "util.h"

static struct buf sink = BUF_INIT;

void fuzz_begin(void)
{
	static const struct diag_options quiet = { 0 };
	diag_setup(&quiet);
	diag_reset();
	buf_reset(&sink);
	diag_capture(&sink);
}

void fuzz_end(void)
{
	diag_capture(NULL);
	diag_reset();
	buf_free(&sink);
}

int fuzz_is_text(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	return utf8_invalid_at(s, size) == size && !memchr(s, '\0', size);
}

size_t fuzz_split(const uint8_t *data, size_t size, const char *sep, struct fuzz_part *parts, size_t max)
{
	size_t k = strlen(sep), n = 0, start = 0;
	for (size_t i = 0; n + 1 < max && k && i + k <= size;) {
		if (!memcmp(data + i, sep, k)) {
			parts[n].p = data + start;
			parts[n++].n = i - start;
			i += k;
			start = i;
		} else {
			i++;
		}
	}
	parts[n].p = data + start;
	parts[n++].n = size - start;
	return n;
}

char *fuzz_note_text(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	text_lone_cr_to_lf(s, size);
	return s;
}
