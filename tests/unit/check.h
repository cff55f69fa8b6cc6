/* check.h - the assertion macro of kbc's C unit tests. Each test program
 * includes it, calls CHECK for every assertion (a failure prints its place
 * and message and the run goes on) and ends with check_summary(), which
 * prints "N passed, N failed" and gives the exit status. */
#ifndef KBC_TEST_CHECK_H
#define KBC_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (cond) {                                                 \
			passed++;                                           \
		} else {                                                    \
			failed++;                                           \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
			printf(__VA_ARGS__);                                \
			putchar('\n');                                      \
		}                                                           \
	} while (0)

static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
