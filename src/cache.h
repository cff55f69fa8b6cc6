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
 *   everything its rendering consumed: kbc's identity, every file of the
 *   template folders, the template's name, the page's path, and either the
 *   whole template data (the home page, whose figures change with almost any edit)
 *   or a key render.c computes from the model without building that data
 *   (note, tag, ledger, graph, 404, search and tags pages: see render.c
 *   "page keys"); and the size, inode and mtime of the file written. When
 *   the hash matches and the previous site still holds that very file, the
 *   file is hard-linked into the staging folder instead of being rendered
 *   again. Anything else is rendered.
 *
 * - Blobs: values render.c keeps under keys of its own (the global
 *   graph's Graphviz layout), in the notes table under keys hashed with a
 *   domain of their own, framed and checksummed like notes.
 *
 * Pages not made from a template: previews.js, its shards and sitemap.xml
 * are keyed like pages (cache_page_key() with no template); the search
 * index and assets are always written. A damaged, foreign or other-version cache
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

/* File signatures, like git's index: the size, modification and change
 * times, inode and device of each note's file when a build read it, with
 * the XXH3-128 of its bytes. Is `rel`'s file as the last build recorded
 * it? Then `content` gets the hash of its bytes and scan need not read it.
 * Thread-safe (read-only). */
bool cache_file_unchanged(const struct cache *c, const char *rel, const struct kb_file_sig *sig,
	unsigned char content[16]);
/* Record the files of the notes restored or kept this build (notes that
 * reported a problem are left out: their file is read again next time, to
 * report it again), except those changed less than two seconds before the
 * build began, whose next change could keep the same time stamps. */
void cache_files_commit(struct cache *c, const struct kb *kb);
/* Note i (`n`, not yet parsed: path, rel and content set, and src, unless
 * scan left it unread): restore its parse products from the cache, all
 * but the body's HTML (n->html stays NULL: see cache_note_body). 0
 * restored, -1 not there (read it if unread, and parse it). Main thread
 * only. */
int cache_note_restore(struct cache *c, size_t i, struct kb_note *n);
/* The body's HTML of note i, restored or kept in this build, read from
 * its entry into n->html when a page needs it. 0, or -1 when the cache cannot give it (that part
 * of the entry is damaged, or the note was not restored): then the note
 * is parsed again for it. Thread-safe. */
int cache_note_body(struct cache *c, size_t i, struct kb_note *n);
/* cache_note_restore() for every note of notes[0, n) not skipped, on up to
 * `jobs` threads, each reading through a connection of its own; restored[i]
 * is set for those restored. Returns how many. Main thread only, and only
 * while nothing writes the cache. */
size_t cache_notes_restore(struct cache *c, struct kb_note *notes, size_t n, int jobs, bool *restored);
/* Keep note i's parse products (call right after it was parsed, before
 * links are resolved). Thread-safe (after cache_note_restore() was called
 * for every note), so the parse workers keep their own notes. True when
 * the entry was stored: cache_note_body() can then give the body back,
 * so the caller may free it until a page needs it. */
bool cache_note_keep(struct cache *c, size_t i, const struct kb_note *n);

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

/* ---- page keys (render.c): knowing a page is unchanged without
 * building its template data ----
 *
 * A key is an XXH3-128 of values fed in order; render.c feeds a page
 * everything its template data is made from (see render.c "page keys").
 * cache_page_key() then adds kbc's identity, the templates, the template's
 * name and the page's path, and the result goes to cache_page_reuse() like
 * a hash of the template data. Keys and data hashes never meet: each page
 * path uses one of them, and a key starts with a domain string. */
struct cache_key;
/* A new key for `domain` (a fixed string naming what is keyed). */
struct cache_key *cache_key_new(const char *domain);
void cache_key_bytes(struct cache_key *k, const void *p, size_t n);
/* A string; NULL and "" are different values. */
void cache_key_str(struct cache_key *k, const char *s);
void cache_key_int(struct cache_key *k, long long v);
/* XXH3-128 of n bytes, for a value keyed in many places. */
void cache_hash(const void *p, size_t n, unsigned char out[16]);
/* The key's value; frees `k`. */
void cache_key_done(struct cache_key *k, unsigned char out[16]);
/* The hash of page `rel` made from template `tmpl` (NULL: a file written
 * without a template) whose data depends on nothing but `deps`. */
void cache_page_key(const struct cache *c, const char *tmpl, const char *rel, const unsigned char deps[16],
	unsigned char hash[16]);
/* The cache key of note i's parse products (its path and bytes, kbc and
 * the parse settings), or NULL when none was computed. */
const unsigned char *cache_note_content_key(const struct cache *c, size_t i);
/* A blob stored under a key of the caller's (e.g. the global graph's
 * layout): 0 and `out` filled, or -1 (none, or damaged). Kept for the next
 * build when used or put in this one. Main thread only. */
int cache_blob_get(struct cache *c, const unsigned char key[16], struct buf *out);
void cache_blob_put(struct cache *c, const unsigned char key[16], const void *data, size_t n);

/* ---- search index (index.c) ----
 * A note's tokenized documents, kept under a hash of kbc's identity and
 * `input` (everything they were made from). */

/* Fill key with the hash of `input` (n bytes), then append the entry
 * kept under it to `out`: 0, or -1 when there is none (or it is damaged).
 * With c NULL, -1. Main thread only. */
int cache_index_get(struct cache *c, const void *input, size_t n, unsigned char key[16], struct buf *out);
/* cache_index_get() in two steps: the key of `input` (c not NULL), and
 * the entry under a key (c NULL: -1). */
void cache_index_key(const struct cache *c, const void *input, size_t n, unsigned char key[16]);
int cache_index_read(struct cache *c, const unsigned char key[16], struct buf *out);
/* Keep the entry under key (if any) in the cache without reading it: an
 * entry neither read nor written in a build is dropped at its end. */
void cache_index_keep(struct cache *c, const unsigned char key[16]);
/* Keep `data` (n bytes) under key (from cache_index_get). Main thread only. */
void cache_index_put(struct cache *c, const unsigned char key[16], const void *data, size_t n);

/* Save and close. `ok`: the build succeeded (entries no longer used are
 * dropped). */
void cache_close(struct cache *c, bool ok);

#endif
