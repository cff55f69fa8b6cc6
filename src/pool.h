/* pool.h - running independent per-item work on several threads.
 *
 * pool_for() calls fn(arg, i) for every i in [0, n), handing out items
 * one at a time to `jobs` threads (the calling thread is one of them), and
 * returns when all calls have returned. Calls for different items may run
 * at the same time and in any order, so fn must touch only item i's data
 * and state that is itself thread-safe; the result must not depend on the
 * order. With jobs <= 1, or when a thread cannot be started, the work runs
 * on fewer threads, never fails. */
#ifndef KBC_POOL_H
#define KBC_POOL_H

#include <stddef.h>

void pool_for(size_t n, int jobs, void (*fn)(void *arg, size_t i), void *arg);

#endif
