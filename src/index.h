/* index.h - building the search index (docs/search-index.md).
 *
 * index_build() turns the parsed and resolved knowledge base into the
 * index's blocks: one meta block, term shards and text shards, all in
 * memory. index_write() writes them under search/ in the site, each as a
 * .bin file and a .js twin for file:// pages. The build is deterministic:
 * documents follow note order, terms byte order. */
#ifndef KBC_INDEX_H
#define KBC_INDEX_H

#include <stddef.h>

#include "buf.h"
#include "kb.h"

struct cache;
struct site_out;

struct search_index {
	struct buf meta;          /* the meta block */
	struct buf *terms;        /* term shard blocks */
	size_t n_terms;
	struct buf *texts;        /* text shard blocks */
	size_t n_texts;
	size_t n_docs, n_distinct; /* documents, distinct terms */
	size_t n_notes, n_tokenized; /* notes indexed, of them tokenized (not from the cache) */
	int jobs;                 /* threads index_write() may use, as index_build() was given */
};

/* Build the index of kb's notes, tokenizing documents on `jobs` threads
 * (the bytes do not depend on jobs). With a build cache (may be NULL),
 * each note's tokenized documents are taken from it when its documents'
 * field values are unchanged, and kept in it otherwise; the bytes are the
 * same either way. Main thread only as far as the cache goes. */
void index_build(const struct kb *kb, struct search_index *ix, int jobs, struct cache *cache);
/* Write search/meta.bin, meta.js, t-NNN.*, x-NNN.*, on ix->jobs threads.
 * 0 ok, -1 reported.
 * With a build cache (may be NULL; cache_pages_begin() called), a file
 * whose bytes the previous site already holds is linked from there
 * instead of written (cache_page_reuse()). */
int index_write(const struct search_index *ix, struct site_out *out, struct cache *cache);
void index_free(struct search_index *ix);

#endif
