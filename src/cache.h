/* cache.h - incremental builds: what may be taken from the last build.
 *
 * Two kinds of entries live in the build cache (.kbc/cache.sqlite, through
 * store.c; layout in docs/kb-schema.md):
 *
 * - Notes. Everything the front matter and Markdown stages produce for a
 *   note (metadata, headings, links with their context, sections, word
 *   count, the body's HTML with link marks), packed, under a key that
 *   hashes all that output depends on: kbc's identity (a hash of its own
 *   executable, so any change to kbc is a change), the unsafe_html
 *   setting and the parse limits of kb.yaml, the note's path in the notes folder and its bytes. An entry
 *   can therefore never be stale. Only notes whose parse reported nothing
 *   are kept, so a restored note never owes the user a diagnostic.
 *
 * - Pages. For each page written through a template, a hash of
 *   everything its rendering consumed (kbc's identity, every file of the
 *   template folders, the template's name, the page's path and the whole
 *   template data, which carries the note's body, titles and headings of
 *   linked and embedded notes, backlinks with context, the sidebar, tags,
 *   ledger topics and the site settings), and the size, inode and mtime of
 *   the file written. When the hash matches and the previous site still
 *   holds that very file, the file is hard-linked into the staging folder
 *   instead of being rendered again. Anything else is rendered.
 *
 * Pages not made from a template (search index, previews.js, sitemap.xml,
 * assets) are always written. A damaged, foreign or other-version cache
 * is replaced by an empty one with a one-line note; --no-cache starts
 * from an empty one. Notes and pages go through one struct cache per
 * build; every function accepts NULL (no cache: nothing restored, all
 * rendered). */
#ifndef KBC_CACHE_H
#define KBC_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "kb.h"

struct buf;
struct cache;
struct site_out;
struct tval;

/* Open the cache of project `cfg` for a build of kb->n_notes notes, with
 * the given template folders. `fresh`: ignore what is there (--no-cache).
 * NULL when no cache can be used (a note was printed). */
struct cache *cache_open(const struct kb_config *cfg, const char *const *template_dirs, size_t n_dirs,
	bool fresh, bool verbose);

/* Note i (`n`, read but not yet parsed: path, rel and src set): restore
 * its parse products from the cache. 0 restored, -1 not there (parse it).
 * Main thread only. */
int cache_note_restore(struct cache *c, size_t i, struct kb_note *n);
/* Keep note i's parse products (call right after it was parsed, before
 * links are resolved). Main thread only. */
void cache_note_keep(struct cache *c, size_t i, const struct kb_note *n);

/* Pages of this build go to `out`; the previous site is out->final. */
void cache_pages_begin(struct cache *c, struct site_out *out);
/* The hash of a page: template `tmpl` rendered with `ctx` to `rel`. */
void cache_page_hash(const struct cache *c, const char *tmpl, const char *rel, const struct tval *ctx,
	unsigned char hash[16]);
/* If the previous site holds `rel` made from the same `hash`, link it
 * into the staging folder and return true; else false (render it). Either
 * way the page is recorded for the next build. Thread-safe. */
bool cache_page_reuse(struct cache *c, const char *rel, const unsigned char hash[16]);
/* After the new site is in place at `final`: record its pages. */
void cache_pages_commit(struct cache *c, const char *final);
/* Pages rendered and pages taken from the previous site in this build. */
void cache_page_counts(const struct cache *c, size_t *rendered, size_t *reused);

/* ---- search index (index.c) ----
 * A note's tokenized documents, kept under a hash of kbc's identity and
 * `input` (everything they were made from). */

/* Fill key with the hash of `input` (n bytes), then append the entry
 * kept under it to `out`: 0, or -1 when there is none (or it is damaged).
 * With c NULL, -1. Main thread only. */
int cache_index_get(struct cache *c, const void *input, size_t n, unsigned char key[16], struct buf *out);
/* Keep `data` (n bytes) under key (from cache_index_get). Main thread only. */
void cache_index_put(struct cache *c, const unsigned char key[16], const void *data, size_t n);
/* A hash of kbc's identity and the n bytes at data (all zeros with c
 * NULL), for cache_page_reuse() of files not made from a template. */
void cache_blob_hash(const struct cache *c, const void *data, size_t n, unsigned char hash[16]);

/* Save and close. `ok`: the build succeeded (entries no longer used are
 * dropped). */
void cache_close(struct cache *c, bool ok);

#endif
