/* store.h - the knowledge base as a sqlite database (sqlite3 lives here).
 *
 * store_write() writes the whole graph of a build — notes, aliases, tags,
 * headings, links with their source positions and context, topics — to
 * the database file (default .kbc/kb.sqlite under the project root), so
 * that sqlite3 or any tool can query it. The file is written beside the
 * target and renamed over it, so readers never see half a database. The
 * schema is documented in docs/kb-schema.md; its version is PRAGMA
 * user_version. store_query() runs one read-only SQL statement and prints
 * the rows as an aligned table (or tab-separated). Both return 0, or -1
 * after reporting the problem. */
#ifndef KBC_STORE_H
#define KBC_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kb.h"

struct buf;

#define STORE_SCHEMA_VERSION 1

int store_write(const struct kb *kb, const char *path);
/* store_write() in two steps, so that the database can be written on a
 * thread of its own while the site is built: store_prepare() writes the
 * database to `path`.new (0, or -1 after reporting, the .new file
 * removed); store_install() renames it over `path` (0, or -1 after
 * reporting); store_discard() removes it (a build that failed after it
 * was prepared). store_prepare() reads the notes' metadata, headings,
 * links and topics, never their html: nothing after the resolve stage
 * changes what it reads.
 *
 * `record` (when not NULL) receives what store_install() needs to describe
 * the file it installs, and store_install() completes it: keep it for the
 * next build, which passes it as `last`. When the file at `path` is still
 * the one `last` describes and only some notes' rows changed, with as many
 * rows as before, store_prepare() updates a copy of that file instead of
 * writing every row: the rows are then the same as a whole write's, not
 * the file's bytes. *in_place (when not NULL) is then the number of notes
 * whose rows were updated, else -1. */
int store_prepare(const struct kb *kb, const char *path, const struct buf *last, struct buf *record,
	long *in_place);
int store_install(const char *path, struct buf *record);
void store_discard(const char *path);

/* The build cache: a second database (.kbc/cache.sqlite, documented in
 * docs/kb-schema.md) that only kbc reads. Notes' parse products are kept
 * under a key that hashes everything they depend on, so an entry can
 * never be stale, only unused; pages keep the hash of what they were
 * rendered from and the identity of the file written. The functions here
 * store and fetch bytes; cache.c decides what they mean. */
struct store_cache;
struct store_reader;
struct store_page {
	unsigned char hash[16];  /* hash of everything the page was made from */
	long long size, ino, mtime;  /* the file as written (mtime in ns) */
};
/* Open or create the cache at `path`. A file that is not a cache of this
 * format made by the kbc `identity` names, or is damaged, is replaced by
 * an empty one with a one-line note on stderr (so is any file when `fresh`
 * is set: --no-cache). NULL, after a note, when no cache can be created:
 * the build goes on without one. Everything until store_cache_close() is
 * one transaction. */
struct store_cache *store_cache_open(const char *path, const char *identity, bool fresh, bool verbose);
/* Append the note entry under `key` to `out` and mark it used: 0, or -1
 * when there is none (or the cache failed: a note says so once, and
 * every later call misses). */
int store_cache_note_get(struct store_cache *c, const void *key, size_t key_len, struct buf *out);
/* Part of an entry: store_cache_note_open() finds the entry under `key`,
 * marks it used and returns its size in bytes (-1 when there is none, or
 * the cache failed); store_cache_note_read() appends bytes [off, off + n)
 * of the entry found last to `out` (0, or -1). Only those bytes are read
 * from the file. */
long long store_cache_note_open(struct store_cache *c, const void *key, size_t key_len);
int store_cache_note_read(struct store_cache *c, size_t off, size_t n, struct buf *out);
int store_cache_note_put(struct store_cache *c, const void *key, size_t key_len, const void *data, size_t n);
/* A connection of its own that reads note entries, for one thread while
 * no other writes the cache (the build's first stages). It holds one read
 * transaction, and so the file's shared lock, from here to
 * store_reader_close(): the cache's own connection cannot commit (or
 * spill written pages) until every reader is closed. NULL when it cannot
 * be opened: use store_cache_note_get() then. */
struct store_reader *store_cache_reader(struct store_cache *c);
/* Like store_cache_note_get(), except that the entry is not marked used:
 * mark it with store_cache_note_used() on the cache's own connection. */
int store_reader_note_get(struct store_reader *r, const void *key, size_t key_len, struct buf *out);
/* store_cache_note_open() and store_cache_note_read() for a reader (the
 * entry is not marked used). */
long long store_reader_note_open(struct store_reader *r, const void *key, size_t key_len);
int store_reader_note_read(struct store_reader *r, size_t off, size_t n, struct buf *out);
void store_reader_close(struct store_reader *r);
void store_cache_note_used(struct store_cache *c, const void *key, size_t key_len);
/* fn(arg, rel, record) for every page recorded by the last build (rel
 * is site-relative; both valid during the call only). 0, or -1. */
int store_cache_pages_each(struct store_cache *c, void (*fn)(void *arg, const char *rel, const struct store_page *p),
	void *arg);
/* Replace all page records by these n. */
int store_cache_pages_set(struct store_cache *c, const char *const *rels, const struct store_page *pages, size_t n);
/* The notes' files as the last build read them (cache.h, signatures). */
struct store_file {
	const char *rel;         /* relative to the notes folder */
	struct kb_file_sig sig;
	unsigned char content[16];
};
/* fn(arg, file) for every file recorded by the last build, in byte order
 * of rel (valid during the call only). 0, or -1. */
int store_cache_files_each(struct store_cache *c, void (*fn)(void *arg, const struct store_file *f), void *arg);
/* Replace all file records by these n. */
int store_cache_files_set(struct store_cache *c, const struct store_file *files, size_t n);
/* Commit and close; with `prune`, drop note entries this build did not
 * use. On failure the file is removed (the next build is a full one) and
 * -1 returned. NULL is a no-op. Not thread-safe: the whole cache is used
 * from one thread at a time. */
int store_cache_close(struct store_cache *c, bool prune);
int store_query(const char *path, const char *sql, bool tsv);

#endif
