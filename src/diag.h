/* diag.h - the one diagnostics path.
 *
 * Every message reaches the user as `path:line:col: error|warning: text`
 * on stderr (line and col 1-based; 0 means unknown and is left out), and as
 * a GitHub Actions annotation as well when GITHUB_ACTIONS=true. The module
 * counts errors and warnings so that main() can turn them into the exit
 * status; a stage reports and carries on with the next note.
 *
 * Messages may be collected instead of printed (diag_collect) so that a
 * parallel stage can report in a deterministic order: see diag_flush. */
#ifndef KBC_DIAG_H
#define KBC_DIAG_H

#include <stdbool.h>
#include <stddef.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag_options {
	bool quiet;       /* suppress warnings (errors still print) */
	bool github;      /* also print ::error/::warning annotations */
	bool werror;      /* warnings count as errors (--strict) */
};

void diag_setup(const struct diag_options *o);
void diag_at(enum diag_level lvl, const char *path, int line, int col,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define diag_error(path, line, col, ...) diag_at(DIAG_ERROR, path, line, col, __VA_ARGS__)
#define diag_warning(path, line, col, ...) diag_at(DIAG_WARNING, path, line, col, __VA_ARGS__)
#define diag_note(path, line, col, ...) diag_at(DIAG_NOTE, path, line, col, __VA_ARGS__)
/* A system-level error with no file position ("kbc: ..."). */
void diag_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How many messages (of any level, shown or not) the calling thread has
 * reported so far: lets a stage tell whether one note's work reported
 * anything while other threads report about other notes. */
size_t diag_thread_reports(void);

size_t diag_errors(void);
size_t diag_warnings(void);
size_t diag_sys_errors(void);
void diag_reset(void);

/* Tests: append every formatted message to `sink` instead of printing
 * (NULL restores printing). */
struct buf;
void diag_capture(struct buf *sink);

/* While collecting, messages are stored; diag_flush() prints them sorted
 * by (path, line, col, order of report) and stops collecting. */
void diag_collect(void);
void diag_flush(void);

#endif
