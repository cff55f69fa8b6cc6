/* index_format.h - the byte-level pieces of the search index format shared
 * by the writer (index.c) and the reader (search.c): block header, varints,
 * CRC-32. The format itself is specified in docs/search-index.md. */
#ifndef KBC_INDEX_FORMAT_H
#define KBC_INDEX_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define INDEX_MAGIC "KBCX"
#define INDEX_VERSION 2
#define INDEX_HEADER 16
/* Shards per file: term shards 0-15 are, in order, search/t-b000.bin (and
 * its twin t-b000.js), text shards 16-31 are x-b001.bin... A shard's
 * offset in its file is the sum of the sizes the meta block gives for the
 * shards before it in the same file. */
#define INDEX_RUN 16
enum index_kind { INDEX_META = 1, INDEX_TERMS = 2, INDEX_TEXT = 3 };
enum index_field { F_TITLE, F_TOPIC, F_ALIAS, F_HEADING, F_TAG, F_BODY, N_FIELDS };
extern const char *const index_field_names[N_FIELDS];
#define INDEX_K1_MILLI 1200
#define INDEX_FIELD_GAP 10
#define INDEX_KIND_EXACT 4
#define INDEX_KIND_PREFIX 2
#define INDEX_KIND_TYPO 1
#define INDEX_BONUS_PAGE 10   /* results whose rank the bonuses must get right */

uint32_t index_crc32(const void *data, size_t n);
void index_put_varint(struct buf *b, uint32_t v);
void index_put_str(struct buf *b, const char *s, size_t n);
/* Wrap `payload` in a block of `kind`: header + payload into `out`. */
void index_block(struct buf *out, enum index_kind kind, const struct buf *payload);

/* A bounds-checked reader over one payload. Every get fails (returns -1
 * and sets `bad`) instead of reading past the end. */
struct index_cursor {
	const unsigned char *p, *end;
	int bad;
};
int index_get_varint(struct index_cursor *c, uint32_t *v);
int index_get_u8(struct index_cursor *c, uint8_t *v);
/* A string: points into the payload (not NUL-terminated). */
int index_get_str(struct index_cursor *c, const char **s, uint32_t *n);
/* Check a block's header and CRC; on success sets *payload and *n.
 * On failure returns -1 and writes a reason into `why` (size n_why). */
int index_open_block(const unsigned char *data, size_t size, enum index_kind kind,
	const unsigned char **payload, size_t *n, char *why, size_t n_why);

#endif
