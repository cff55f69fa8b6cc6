/* replay.c - a plain main() for the fuzz targets: feeds each file named on
 * the command line (or each file inside a named folder, in name order) to
 * LLVMFuzzerTestOneInput once, as libFuzzer would replay a corpus. Built
 * with the normal compiler in every build, so `ctest -R fuzz-regress`
 * replays the seed corpora and every input that once crashed, under ASan
 * and UBSan in the sanitizer build. A broken contract aborts; otherwise
 * prints how many inputs ran and exits 0 (1 if a path cannot be read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "buf.h"
#include "fuzz.h"
#include "util.h"

/* An input must not make the code under test allocate without bound (as
 * libFuzzer's -rss_limit_mb and its malloc limit check): past 1 GiB an
 * allocation fails, and xmalloc() then stops the replay. ASan builds
 * cannot take a data limit (ASan maps its shadow memory), so ASan is told
 * the same limit instead. */
#define REPLAY_MAX_MB 1024
#define STR_(x) #x
#define STR(x) STR_(x)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=" STR(REPLAY_MAX_MB);
}

static void limit_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return;
#endif
#endif
	struct rlimit rl = { (rlim_t)REPLAY_MAX_MB << 20, (rlim_t)REPLAY_MAX_MB << 20 };
	setrlimit(RLIMIT_DATA, &rl);
}

static int run_file(const char *path, size_t *count)
{
	struct buf b = BUF_INIT;
	if (file_read(path, &b) < 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		buf_free(&b);
		return -1;
	}
	/* An exact-size copy, so reading past the input is caught. */
	uint8_t *copy = xmalloc(b.len ? b.len : 1);
	memcpy(copy, b.data, b.len);
	LLVMFuzzerTestOneInput(copy, b.len);
	free(copy);
	buf_free(&b);
	(*count)++;
	return 0;
}

static int run_dir(const char *dir, size_t *count)
{
	char **names;
	size_t n;
	if (dir_list(dir, &names, &n) < 0) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char *p = path_join(dir, names[i]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && run_file(p, count) < 0)
			rc = -1;
		free(p);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	limit_memory();
	size_t count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: no such file or folder: %s\n", argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) < 0 : run_file(argv[i], &count) < 0) {
			rc = 1;
		}
	}
	printf("%s: replayed %zu inputs\n", argv[0], count);
	return rc;
}
