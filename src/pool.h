/* pool.h - running independent per-item work on several threads.
 *
 * pool_for() calls fn(arg, i) for every i in [0, n), handing out items
 * one at a time to `jobs` threads (the calling thread is one of them), and
 * returns when all calls have returned. Calls for different items may run
 * at the same time and in any order, so fn must touch only item i's data
 * and state that is itself thread-safe; the result must not depend on the
 * order. With jobs <= 1, or when a thread cannot be started, the work runs
 * on fewer threads, never fails.
 *
 * pool_wall_ms() tells how long the process has spent inside pool_for()
 * calls so far (wall-clock time, summed over calls), pool_cpu_ms() the
 * process's CPU time (user + system, all threads) during them. A stage's
 * time minus the growth of these figures over the stage is the part of
 * the stage that runs on one thread whatever -j says: `kbc build -v`
 * prints it, so the serial remainder of a build can be read off a run
 * (the CPU figure holds also on a busy machine, where wall time waits for
 * a core). Calls that overlap, as the search index's do beside render's,
 * are each counted, so the figure means something only for a stage that
 * runs alone; -v prints none for render. */
#ifndef KBC_POOL_H
#define KBC_POOL_H

#include <stdatomic.h>
#include <stddef.h>

void pool_for(size_t n, int jobs, void (*fn)(void *arg, size_t i), void *arg);

/* pool_for() for work that starts beside another stage and may get more
 * threads when that stage ends: `jobs` threads are started, but thread t
 * takes an item only while t < *allowed (the calling thread, t = 0,
 * always does). A thread held back checks again every millisecond until
 * *allowed grows past it or no item is left; it never takes an item back
 * from a thread that has one, so an item is best far smaller than the
 * whole. allowed NULL is pool_for(). */
void pool_for_growing(size_t n, int jobs, const atomic_int *allowed, void (*fn)(void *arg, size_t i),
	void *arg);

/* Milliseconds spent inside pool_for() since the process started. */
double pool_wall_ms(void);
/* The process's CPU milliseconds (all threads) during those calls. */
double pool_cpu_ms(void);
/* The process's CPU time so far (user + system, all threads), in ns. */
long long pool_process_cpu_ns(void);

#endif
