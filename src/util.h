/* util.h - allocation that aborts on failure, small string and file helpers.
 *
 * Out of memory is not an input error a user can act on, so every x*
 * allocator prints one line and aborts instead of returning NULL. Error
 * paths elsewhere are then about input and I/O only. */
#ifndef KBC_UTIL_H
#define KBC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct buf;

/* KBC_ASAN: built with AddressSanitizer (and so LeakSanitizer). gcc says
 * __SANITIZE_ADDRESS__; clang (the fuzz build) says it through
 * __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define KBC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KBC_ASAN 1
#endif
#endif

_Noreturn void die_oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow an array `*p` of `elem`-byte items so it holds at least `need`. */
void xgrow(void *p, size_t *cap, size_t need, size_t elem);
/* xgrow(), with the items it adds set to zero bytes. */
void xgrow_zeroed(void *p, size_t *cap, size_t need, size_t elem);
#define VEC_PUSH(arr, n, cap) \
	(xgrow(&(arr), &(cap), (n) + 1, sizeof *(arr)), &(arr)[(n)++])

bool str_eq(const char *a, const char *b);           /* NULL-safe */
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);
char *str_trim_dup(const char *s, size_t n);        /* copy without outer blanks */
/* Parse a whole decimal integer; 0 on success, -1 if `s` is not one. */
int str_to_long(const char *s, long *out);

/* Read a whole file into `out` (appended). 0 ok, -1 with errno set. */
int file_read(const char *path, struct buf *out);
/* Write `n` bytes to `path`, creating or truncating it. 0 ok, -1 errno. */
int file_write(const char *path, const void *data, size_t n);
/* "a" + "/" + "b" without doubling the slash; malloc'd. */
char *path_join(const char *a, const char *b);
/* Absolute, lexically normalised form of `path` relative to the cwd
 * (no symlink resolution, "." and ".." folded); malloc'd. */
char *path_absolute(const char *path);
/* Does directory `dir` equal `p` or contain it? Both absolute, normalised. */
bool path_within(const char *p, const char *dir);
/* The names in folder `dir`, hidden ones (leading '.') left out, sorted
 * by bytes so callers walk folders in the same order everywhere. On 0,
 * *names holds *n malloc'd names (free each, then the array); -1 with
 * errno set when the folder cannot be opened. */
int dir_list(const char *dir, char ***names, size_t *n);
/* mkdir -p; 0 ok, -1 errno. */
int mkdir_p(const char *path);
/* rm -rf limited to `path` itself; never follows symlinks. 0 ok, -1. */
int remove_tree(const char *path);
/* The same for `name` in folder `dfd` (or AT_FDCWD): names are unlinked
 * relative to their folder's descriptor, so no path is looked up again for
 * each of a site's thousands of files. 0, or -1 with errno set. */
int remove_tree_at(int dfd, const char *name);

#endif
