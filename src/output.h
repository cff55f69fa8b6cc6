/* output.h - writing the site safely.
 *
 * The site is written into a staging folder beside the output folder
 * (".NAME.kbc-new") and swapped in with one atomic rename at the end, so a
 * failed or interrupted build leaves the previous site exactly as it was.
 * output_begin() refuses an output folder that is, contains or lies inside
 * the notes folder, or is or contains the project root, and one that
 * exists but was not made by kbc (no ".kbc-site" marker inside), so kbc
 * never deletes a user's files. Paths given to output_write() are relative
 * to the site and must not escape it. All functions return 0, or -1 after
 * reporting the problem through diag_sys(). */
#ifndef KBC_OUTPUT_H
#define KBC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "kb.h"

struct site_out {
	char *final;     /* the output folder */
	char *stage;     /* where this build writes */
	char *shown;     /* output folder as shown to the user */
	bool has_previous; /* a previous site is at `final` */
};

/* Check that `out` is an acceptable output folder for this project;
 * reports and returns -1 when it is not. No file is touched. */
int output_check(const struct kb_config *cfg, const char *out);
int output_begin(struct site_out *o, const struct kb_config *cfg);
/* Write data[0..n) at `rel` in the site. When the previous site has a
 * file with exactly these bytes there, that file is hard-linked instead
 * (same bytes, no copy, the previous site left intact). */
int output_write(struct site_out *o, const char *rel, const void *data, size_t n);
/* Put the existing file `from` (in the previous site) at `rel` in the
 * site as a hard link, so it costs no copy and the previous site stays
 * intact. Returns 0, or -1 without a report (the caller then writes the
 * file itself). Thread-safe for different `rel`. */
int output_link(struct site_out *o, const char *rel, const char *from);
/* Copy every file under `src` (recursively, hidden files skipped) to
 * `dst_rel` in the site; files already written there are replaced. A
 * missing `src` is not an error. */
int output_copy_tree(struct site_out *o, const char *src, const char *dst_rel);
/* Put the new site in place. The old one is then removed on a thread of
 * its own: call output_wait() before exiting. */
int output_commit(struct site_out *o);
/* Wait until the old site of the last output_commit() is removed, and
 * report it if it could not be. A no-op when there is none. */
void output_wait(void);
void output_abort(struct site_out *o);
/* Is `rel` a safe site-relative path (no "..", no absolute, no empty
 * segment, no control characters)? Exposed for unit tests. */
int output_safe_relpath(const char *rel);

#endif
