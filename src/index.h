/* index.h - building the search index (docs/search-index.md).
 *
 * index_build() turns the parsed and resolved knowledge base into the
 * index's blocks: term shards and text shards, written under search/ in
 * the site as they are made (16 to a .bin file and its .js twin for
 * file:// pages), so that they are never all in memory at once, and the
 * meta block, which index_write() writes last. The build is deterministic:
 * documents follow note order, terms byte order. */
#ifndef KBC_INDEX_H
#define KBC_INDEX_H

#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"
#include "kb.h"

struct cache;
struct site_out;

struct search_index {
	struct buf meta;          /* the meta block */
	size_t n_terms, n_texts;  /* term shards, text shards (written by index_build) */
	bool failed;              /* a shard's file could not be written (reported) */
	size_t n_docs, n_distinct; /* documents, distinct terms */
	size_t n_notes, n_tokenized; /* notes indexed, of them tokenized (not from the cache) */
	size_t n_runs, n_runs_cached; /* runs of notes merged, of them taken from the cache */
};

/* Build the index of kb's notes, tokenizing documents and making and
 * writing the shards on up to `jobs` threads (the bytes do not depend on
 * the number). With `threads` (may be NULL: jobs), each step that splits
 * work (a batch of notes to tokenize, the merge, the shards) uses
 * *threads of them, read when the step starts: a caller that shares the
 * cores with other work raises it once that work is done.
 * With a build cache (may be NULL), each note's tokenized documents are
 * taken from it when its documents' field values are unchanged, and kept
 * in it otherwise, and so are each run of notes' merged postings (index.c,
 * struct run); the bytes are the same either way. Main thread only as
 * far as the cache's entries go. The shards' files (search/t-bNNN.*,
 * x-bNNN.*) go to `out` (NULL: nowhere); with a cache (cache_pages_begin()
 * called), a file whose bytes the previous site already holds is linked
 * from there instead of written (cache_page_reuse()). */
void index_build(const struct kb *kb, struct search_index *ix, int jobs, const atomic_int *threads,
	struct cache *cache, struct site_out *out);
/* Write search/meta.bin and meta.js, like the shards. 0 ok, -1 reported
 * (here or, for a shard, by index_build()). */
int index_write(const struct search_index *ix, struct site_out *out, struct cache *cache);
void index_free(struct search_index *ix);

#endif
