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
 * Returns 0, or -1 when the notes dir itself cannot be read (reported). */
#ifndef KBC_SCAN_H
#define KBC_SCAN_H

#include "kb.h"

int scan_notes(struct kb *kb, int jobs);

#endif
