/* search.h - the C reader of the search index (docs/search-index.md),
 * behind `kbc search`. It answers queries exactly as the browser's reader
 * does: same tokens, same candidate terms, same integer scores, same order.
 *
 * search_open() reads and checks the meta block of a built site; term and
 * text shards are read when a query needs them. Every block is checked
 * (magic, version, kind, length, CRC, every varint and range) and a bad one
 * makes the call fail with a message in `why`, never a partial answer. */
#ifndef KBC_SEARCH_H
#define KBC_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct search_db;

struct search_hit {
	uint32_t doc;
	uint64_t score;
};

/* Open the index under `dir` (the site's search/ folder). NULL on failure
 * with the reason in why[0..n_why). */
struct search_db *search_open(const char *dir, char *why, size_t n_why);
void search_close(struct search_db *db);
/* Where index files come from: append file `name` ("meta.bin",
 * "t-000.bin", ...) to `out` and return 0, or return -1 with the reason in
 * why[0..n_why). */
struct buf;
typedef int (*search_read_fn)(void *ctx, const char *name, struct buf *out, char *why, size_t n_why);
/* search_open() with files from `read` (called with `ctx`, which must
 * outlive the db; the db does not own it). For tests and fuzzing, which
 * hand the index over from memory. */
struct search_db *search_open_with(search_read_fn read, void *ctx, char *why, size_t n_why);
/* Run `query`; `live` treats the last word as a prefix too (as-you-type).
 * On success *hits (malloc'd, ranked) and *n are set and 0 returned; -1
 * with `why` when an index file is bad. */
int search_query(struct search_db *db, const char *query, bool live,
	struct search_hit **hits, size_t *n, char *why, size_t n_why);
/* Document details for printing: the note's title and page URL, the
 * section's heading text and anchor ("" for an introduction). */
void search_doc(const struct search_db *db, uint32_t doc, const char **title, const char **url,
	const char **heading, const char **anchor);
size_t search_docs(const struct search_db *db);

#endif
