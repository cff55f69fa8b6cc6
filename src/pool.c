/* pool.c - per-item work on several threads; see pool.h. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>

#include "util.h"

struct pool {
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t n;
	atomic_size_t next;    /* the next item nobody has taken */
};

static void *pool_worker(void *p_)
{
	struct pool *p = p_;
	size_t i;
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->arg, i);
	return NULL;
}

void pool_for(size_t n, int jobs, void (*fn)(void *arg, size_t i), void *arg)
{
	struct pool p = { fn, arg, n, 0 };
	int threads = jobs < 1 ? 1 : jobs;
	if ((size_t)threads > n)
		threads = n ? (int)n : 1;
	pthread_t *tid = xcalloc((size_t)threads, sizeof *tid);
	int started = 0;
	for (int t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, pool_worker, &p) != 0)
			break;
		started = t;
	}
	pool_worker(&p);   /* this thread works too */
	for (int t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	free(tid);
}
