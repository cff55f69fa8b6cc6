/* scan.h - find the notes and read them.
 *
 * scan_notes() walks kb->cfg.notes_dir recursively and adds every regular
 * `*.md` file (hidden files and folders skipped) to kb->notes in byte order
 * of the path relative to the notes dir, so the order never depends on the
 * file system. Symbolic links are followed only when they stay inside the
 * notes dir and do not loop; others are skipped with a warning. Each note's
 * source is read whole and checked: over the size limit, invalid UTF-8 or
 * NUL bytes are errors at their position and the note is marked skip. A
 * lone CR (old Mac line ending) is read as LF, as CommonMark and YAML read
 * it, so that every stage counts the same lines.
 * Files are read on `jobs` threads (pool.h); diagnostics are sorted
 * before they are printed, so the output does not depend on -j.
 * With a build cache, a file whose signature (cache.h) is the one the last
 * build recorded is not read: its note gets `unread`, its size as len and
 * the recorded hash as content, and no src; scan_read_note() reads it
 * when the cache cannot restore it after all. Each note read gets its
 * signature and the XXH3-128 of its bytes (content).
 * Returns 0, or -1 when the notes dir itself cannot be read (reported);
 * *unread (when not NULL) is the number of notes left unread. */
#ifndef KBC_SCAN_H
#define KBC_SCAN_H

#include "kb.h"

struct cache;

int scan_notes(struct kb *kb, int jobs, const struct cache *cache, size_t *unread);
/* Read note i now (one scan_notes() left unread); 0, or -1 when it turned
 * out unreadable or invalid (reported, and the note is skipped). */
int scan_read_note(struct kb *kb, size_t i);
/* The same for any note struct `n` with path and rel set (a copy of one
 * of kb's notes, say): its file read into n's src, len, sig and content,
 * or n->skip set after a report. 0, or -1. */
int scan_read_into(struct kb *kb, struct kb_note *n);

#endif
