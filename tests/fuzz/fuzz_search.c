/* fuzz_search.c - the search-index reader (search.c, index_format.c): an
 * index handed over from memory, opened and queried.
 *
 * Input layout: byte 0 holds flags (bit 0: the parts are whole files,
 * header and all; otherwise each is a block payload and the target wraps
 * it in a header with the right length and CRC, so mutations reach the
 * decoders behind the checksum; bit 1: as-you-type query). Then the query
 * up to the first '\n'. The rest is split at FUZZ_SEARCH_SEP into
 * meta.bin and term shards 0, 1, ... (at most 16, so they are all in
 * t-b000.bin, one after the other).
 *
 * Checks: open and query either succeed or fail with a reason; hits name
 * existing documents, are ranked by non-increasing score, and every
 * document's strings are there. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "index_format.h"
#include "search.h"
#include "util.h"

#define FUZZ_SEARCH_SEP "\n@@kbc-file@@\n"
#define MAX_FILES 17

struct files {
	struct buf f[MAX_FILES];
	size_t n;
};

static int read_mem(void *ctx, const char *name, struct buf *out, char *why, size_t n_why)
{
	struct files *fs = ctx;
	if (!strcmp(name, "meta.bin") && fs->n) {
		buf_put(out, fs->f[0].data, fs->f[0].len);
		return 0;
	}
	if (!strcmp(name, "t-b000.bin") && fs->n > 1) {
		for (size_t i = 1; i < fs->n; i++)
			buf_put(out, fs->f[i].data, fs->f[i].len);
		return 0;
	}
	snprintf(why, n_why, "cannot read %s: no such file", name);
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int raw = data[0] & 1;
	bool live = data[0] & 2;
	data++;
	size--;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t qlen = nl ? (size_t)(nl - data) : size;
	char *query = xstrndup((const char *)data, qlen);
	size_t skip = nl ? qlen + 1 : size;
	data += skip;
	size -= skip;

	fuzz_begin();
	struct fuzz_part parts[MAX_FILES];
	struct files fs = { .n = fuzz_split(data, size, FUZZ_SEARCH_SEP, parts, MAX_FILES) };
	for (size_t i = 0; i < fs.n; i++) {
		buf_init(&fs.f[i]);
		struct buf payload = BUF_INIT;
		buf_put(&payload, parts[i].p, parts[i].n);
		if (raw)
			buf_put(&fs.f[i], payload.data, payload.len);
		else
			index_block(&fs.f[i], i ? INDEX_TERMS : INDEX_META, &payload);
		buf_free(&payload);
	}

	char why[256] = "";
	struct search_db *db = search_open_with(read_mem, &fs, why, sizeof why);
	if (!db) {
		FUZZ_CHECK(why[0] != '\0');
	} else {
		struct search_hit *hits = NULL;
		size_t n = 0;
		if (search_query(db, query, live, &hits, &n, why, sizeof why) == 0) {
			for (size_t i = 0; i < n; i++) {
				FUZZ_CHECK(hits[i].doc < search_docs(db));
				FUZZ_CHECK(i == 0 || hits[i - 1].score >= hits[i].score);
				const char *title, *url, *heading, *anchor;
				search_doc(db, hits[i].doc, &title, &url, &heading, &anchor);
				FUZZ_CHECK(title && url && heading && anchor);
			}
		} else {
			FUZZ_CHECK(why[0] != '\0');
		}
		free(hits);
		search_close(db);
	}
	for (size_t i = 0; i < fs.n; i++)
		buf_free(&fs.f[i]);
	free(query);
	fuzz_end();
	return 0;
}
