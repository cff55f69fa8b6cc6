/* util.c - allocation, strings, files and paths; contracts in util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "buf.h"

_Noreturn void die_oom(void)
{
	fputs("kbc: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void xgrow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > ((size_t)-1) / 2 / elem)
			die_oom();
		c *= 2;
	}
	*p = xrealloc(*p, c * elem);
	*cap = c;
}

void xgrow_zeroed(void *pp, size_t *cap, size_t need, size_t elem)
{
	size_t old = *cap;
	xgrow(pp, cap, need, elem);
	if (*cap > old)
		memset(*(char **)pp + old * elem, 0, (*cap - old) * elem);
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *str_trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

int str_to_long(const char *s, long *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	long v = strtol(s, NULL, 10);
	if (errno)
		return -1;
	*out = v;
	return 0;
}

int file_read(const char *path, struct buf *out)
{
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	/* Room for the file as fstat sizes it and one byte more, so that the
	 * read finding the end needs no growing, and no more (a note's source
	 * is kept until the parse: buf_grow's rounding up would copy it and
	 * hold up to twice its size). A file that grows meanwhile is read on,
	 * 64 KiB at a time. */
	if (st.st_size > 0 && (uintmax_t)st.st_size < SIZE_MAX / 2)
		buf_grow_exact(out, (size_t)st.st_size + 1);
	for (;;) {
		if (out->cap - out->len <= 1)
			buf_grow(out, 65536);
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	rc = 0;
out:;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int file_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) < 0)
		return -1;
	return 0;
}

char *path_join(const char *a, const char *b)
{
	struct buf r = BUF_INIT;
	if (!*a || b[0] == '/') {
		buf_puts(&r, b);
		return buf_detach(&r);
	}
	buf_puts(&r, a);
	if (r.len && r.data[r.len - 1] != '/')
		buf_putc(&r, '/');
	buf_puts(&r, b);
	return buf_detach(&r);
}

char *path_absolute(const char *path)
{
	struct buf in = BUF_INIT;
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd))
			strcpy(cwd, "/");
		buf_puts(&in, cwd);
		buf_putc(&in, '/');
	}
	buf_puts(&in, path);
	/* Fold components into a stack of offsets. */
	struct buf outp = BUF_INIT;
	const char *p = in.data;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(outp.data, '/');
			buf_truncate(&outp, slash ? (size_t)(slash - outp.data) : 0);
		} else {
			buf_putc(&outp, '/');
			buf_put(&outp, p, n);
		}
		p = e;
	}
	if (!outp.len)
		buf_putc(&outp, '/');
	buf_free(&in);
	return buf_detach(&outp);
}

bool path_within(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int mkdir_p(const char *path)
{
	char *tmp = xstrdup(path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
			free(tmp);
			return -1;
		}
		*p = '/';
	}
	int rc = (mkdir(tmp, 0755) < 0 && errno != EEXIST) ? -1 : 0;
	free(tmp);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_list(const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			*VEC_PUSH(*names, *n, cap) = xstrdup(de->d_name);
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof **names, cmp_name);
	return 0;
}

int remove_tree_at(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR ? remove_tree_at(fd, de->d_name) < 0 :
		    unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT && remove_tree_at(fd, de->d_name) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		rc = -1;
	return rc;
}

int remove_tree(const char *path)
{
	return remove_tree_at(AT_FDCWD, path);
}
