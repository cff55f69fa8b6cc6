/* pool.c - per-item work on several threads; see pool.h. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <time.h>

#include "util.h"

struct pool {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t n;
	atomic_size_t next;    /* the next item nobody has taken */
	const atomic_int *allowed; /* threads that may take items, or NULL: all */
};

/* One thread of a pool: its number among the pool's threads. */
struct pool_thread {
	struct pool *p;
	int t;
};

/* Nanoseconds spent inside pool_for(), wall clock and the process's CPU
 * time (all threads) during those calls; atomic: a caller on another
 * thread may read them while a pool runs. */
static atomic_llong pool_ns, pool_cpu_ns;

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long pool_process_cpu_ns(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void *pool_worker(void *w_)
{
	struct pool_thread *w = w_;
	struct pool *p = w->p;
	for (;;) {
		if (p->allowed && w->t >= atomic_load(p->allowed)) {
			if (atomic_load(&p->next) >= p->n)
				break;
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
			continue;
		}
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		p->fn(p->arg, i);
	}
	return NULL;
}

void pool_for_growing(size_t n, int jobs, const atomic_int *allowed, void (*fn)(void *arg, size_t i),
	void *arg)
{
	long long t0 = mono_ns(), c0 = pool_process_cpu_ns();
	struct pool p = { fn, arg, n, 0, allowed };
	int threads = jobs < 1 ? 1 : jobs;
	if ((size_t)threads > n)
		threads = n ? (int)n : 1;
	pthread_t *tid = xcalloc((size_t)threads, sizeof *tid);
	struct pool_thread *w = xcalloc((size_t)threads, sizeof *w);
	int started = 0;
	for (int t = 0; t < threads; t++)
		w[t] = (struct pool_thread){ &p, t };
	for (int t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, pool_worker, &w[t]) != 0)
			break;
		started = t;
	}
	pool_worker(&w[0]);   /* this thread works too */
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	free(tid);
	free(w);
	atomic_fetch_add(&pool_ns, mono_ns() - t0);
	/* Threads joined above count in RUSAGE_SELF. */
	atomic_fetch_add(&pool_cpu_ns, pool_process_cpu_ns() - c0);
}

void pool_for(size_t n, int jobs, void (*fn)(void *arg, size_t i), void *arg)
{
	pool_for_growing(n, jobs, NULL, fn, arg);
}

double pool_wall_ms(void)
{
	return (double)atomic_load(&pool_ns) / 1e6;
}

double pool_cpu_ms(void)
{
	return (double)atomic_load(&pool_cpu_ns) / 1e6;
}
