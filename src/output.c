/* output.c - staging folder, atomic swap, safety rules; see output.h. */
#define _GNU_SOURCE
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "util.h"

#define MARKER ".kbc-site"
#define MARKER_TEXT "This folder was written by kbc; kbc replaces it on every build.\n"

int output_safe_relpath(const char *rel)
{
	if (!*rel || rel[0] == '/')
		return 0;
	const char *p = rel;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == '\\')
				return 0;
		p += n;
		if (*p == '/')
			p++;
		else
			break;
	}
	return rel[strlen(rel) - 1] != '/';
}

static bool is_kbc_dir(const char *dir)
{
	char *m = path_join(dir, MARKER);
	struct stat st;
	bool ok = stat(m, &st) == 0 && S_ISREG(st.st_mode);
	free(m);
	return ok;
}

/* Remove a site or staging folder written by kbc, its marker last: a
 * removal cut short (SIGKILL, power loss) leaves a folder that still
 * carries the marker, so the next build knows it may clear it. */
static int remove_site(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, MARKER))
			continue;
		if (remove_tree_at(fd, de->d_name) < 0)
			rc = -1;
	}
	if (unlinkat(fd, MARKER, 0) < 0 && errno != ENOENT)
		rc = -1;
	closedir(d);
	if (rmdir(dir) < 0)
		rc = -1;
	return rc;
}

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

/* Real path of `p`, or of its nearest existing ancestor plus the rest. */
static char *real_or_lexical(const char *p)
{
	char real[PATH_MAX];
	if (realpath(p, real))
		return xstrdup(real);
	char *copy = xstrdup(p);
	char *slash = strrchr(copy, '/');
	if (!slash || slash == copy) {
		free(copy);
		return xstrdup(p);
	}
	*slash = '\0';
	char *parent = real_or_lexical(copy);
	char *r = path_join(parent, slash + 1);
	free(parent);
	free(copy);
	return r;
}

int output_check(const struct kb_config *cfg, const char *out)
{
	char *o = real_or_lexical(out), *root = real_or_lexical(cfg->root),
		*notes = real_or_lexical(cfg->notes_dir);
	char *shown = kb_display_path(out);
	int rc = -1;
	if (!strcmp(o, "/")) {
		diag_sys("refusing to write the site to '/'");
	} else if (path_within(root, o)) {
		diag_sys("refusing output folder %s: it %s the project root; choose a folder such as 'site'",
			shown, strcmp(root, o) ? "contains" : "is");
	} else if (path_within(o, notes) || path_within(notes, o)) {
		diag_sys("refusing output folder %s: it %s the notes folder",
			shown, !strcmp(o, notes) ? "is" : path_within(o, notes) ? "lies inside" : "contains");
	} else {
		const char *sub[] = { "templates", "assets" };
		rc = 0;
		for (int i = 0; i < 2 && rc == 0; i++) {
			char *d = path_join(root, sub[i]);
			char *rd = real_or_lexical(d);
			if (path_within(o, rd) || path_within(rd, o)) {
				diag_sys("refusing output folder %s: it overlaps the project's %s/ folder", shown, sub[i]);
				rc = -1;
			}
			free(rd);
			free(d);
		}
		struct stat st;
		if (rc == 0 && stat(o, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				diag_sys("refusing output folder %s: it exists and is not a folder", shown);
				rc = -1;
			} else if (!is_kbc_dir(o) && !dir_empty(o)) {
				diag_sys("refusing output folder %s: it exists, is not empty and was not written by kbc "
					"(no %s file); remove it or choose another folder with -o", shown, MARKER);
				rc = -1;
			}
		}
	}
	free(o);
	free(root);
	free(notes);
	free(shown);
	return rc;
}

int output_begin(struct site_out *o, const struct kb_config *cfg)
{
	memset(o, 0, sizeof *o);
	if (output_check(cfg, cfg->output_dir) < 0)
		return -1;
	o->final = real_or_lexical(cfg->output_dir);
	o->shown = kb_display_path(cfg->output_dir);
	char *slash = strrchr(o->final, '/');
	struct buf b = BUF_INIT;
	buf_put(&b, o->final, (size_t)(slash - o->final + 1));
	buf_printf(&b, ".%s.kbc-new", slash + 1);
	o->stage = buf_detach(&b);
	char *parent = xstrndup(o->final, slash == o->final ? 1 : (size_t)(slash - o->final));
	if (mkdir_p(parent) < 0) {
		diag_sys("cannot create %s: %s", parent, strerror(errno));
		free(parent);
		goto fail;
	}
	free(parent);
	struct stat st;
	if (lstat(o->stage, &st) == 0) {
		/* Left by an interrupted build: ours only if it carries the marker. */
		if (!S_ISDIR(st.st_mode) || (!is_kbc_dir(o->stage) && !dir_empty(o->stage))) {
			diag_sys("%s exists and was not left by kbc; remove it", o->stage);
			goto fail;
		}
		if (remove_site(o->stage) < 0) {
			diag_sys("cannot remove the unfinished build %s: %s", o->stage, strerror(errno));
			goto fail;
		}
	}
	if (mkdir(o->stage, 0755) < 0) {
		diag_sys("cannot create %s: %s", o->stage, strerror(errno));
		goto fail;
	}
	o->has_previous = lstat(o->final, &st) == 0 && S_ISDIR(st.st_mode);
	if (output_write(o, MARKER, MARKER_TEXT, strlen(MARKER_TEXT)) < 0) {
		output_abort(o);
		return -1;
	}
	return 0;
fail:
	/* Nothing of ours to remove: just forget the names. */
	free(o->final);
	free(o->stage);
	free(o->shown);
	memset(o, 0, sizeof *o);
	return -1;
}

/* Does the previous site hold exactly data[0..n) at `rel`? Then its path
 * goes to `*from` (the caller frees it). Compared in chunks, so a file of
 * another size costs one open and fstat. */
static bool same_in_previous(const struct site_out *o, const char *rel, const void *data, size_t n,
	char **from)
{
	char *f = path_join(o->final, rel);
	int fd = open(f, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	bool same = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == n;
	const char *want = data;
	char chunk[16384];
	for (size_t at = 0; same && at < n;) {
		ssize_t k = read(fd, chunk, n - at < sizeof chunk ? n - at : sizeof chunk);
		if (k < 0 && errno == EINTR)
			continue;
		same = k > 0 && !memcmp(chunk, want + at, (size_t)k);
		at += k > 0 ? (size_t)k : 0;
	}
	if (fd >= 0)
		close(fd);
	if (same)
		*from = f;
	else
		free(f);
	return same;
}

/* Create `p` (a path in the stage) for writing and return its descriptor,
 * or -1 with errno set. Most files go to a folder that exists under a name
 * not yet taken: one system call. A missing folder is made; a name already
 * taken (a file hard-linked from the previous site, or written twice) is
 * replaced, never written through. */
static int create_in_stage(char *p)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
	int fd = open(p, flags, 0644);
	if (fd < 0 && errno == ENOENT) {
		char *slash = strrchr(p, '/');
		*slash = '\0';
		int rc = mkdir_p(p);
		*slash = '/';
		if (rc == 0)
			fd = open(p, flags, 0644);
	}
	if (fd < 0 && errno == EEXIST && unlink(p) == 0)
		fd = open(p, flags, 0644);
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Close `fd`, written with result `rc` (0 or -1): -1 when either failed,
 * errno telling the first failure. */
static int close_file(int fd, int rc)
{
	int e = errno;
	if (close(fd) < 0 && rc == 0)
		return -1;
	errno = e;
	return rc;
}

/* Put a file holding data[0..n) at `p` through an unnamed file: O_TMPFILE
 * makes its inode in p's folder without taking the folder's lock, and
 * linkat() then names it, holding the lock only for the name. Creating a
 * named file holds that lock while the file system finds a free inode,
 * the slow part of a create (on ext4 with no journal, it steps over every
 * inode freed in the last half minute); so with two render threads
 * writing into the site's top folder, one waited on the other, spinning
 * in the kernel, for most of the build. The file also never exists half
 * written. Returns 0; -1 with errno set when the file could not be
 * written; 1, nothing done, when this file system or process cannot make
 * unnamed files (no O_TMPFILE support, or no /proc to name one through),
 * and then the caller writes it the usual way. */
static atomic_bool no_tmpfile;

static int write_unnamed(char *p, const void *data, size_t n)
{
	if (atomic_load_explicit(&no_tmpfile, memory_order_relaxed))
		return 1;
	char *slash = strrchr(p, '/');
	*slash = '\0';
	int fd = open(p, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT && mkdir_p(p) == 0)
		fd = open(p, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
	*slash = '/';
	if (fd < 0)
		return errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL ?
			(atomic_store(&no_tmpfile, true), 1) : -1;
	int rc = write_all(fd, data, n);
	if (rc == 0) {
		/* The /proc name works without the privilege that linkat's
		 * AT_EMPTY_PATH asks for. */
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, self, AT_FDCWD, p, AT_SYMLINK_FOLLOW);
		if (rc < 0 && errno == EEXIST && unlink(p) == 0)
			rc = linkat(AT_FDCWD, self, AT_FDCWD, p, AT_SYMLINK_FOLLOW);
		if (rc < 0 && errno == ENOENT && access("/proc/self/fd", X_OK) < 0) {
			atomic_store(&no_tmpfile, true);
			rc = 1;
		}
	}
	return close_file(fd, rc);
}

int output_write(struct site_out *o, const char *rel, const void *data, size_t n)
{
	if (!output_safe_relpath(rel)) {
		diag_sys("refusing to write '%s': not a path inside the site", rel);
		return -1;
	}
	/* The same bytes as the previous site's file: share that file (a hard
	 * link makes no new inode, which is most of a small rebuild's cost on
	 * some file systems); where links fail, write as usual. */
	char *from = NULL;
	if (o->has_previous && same_in_previous(o, rel, data, n, &from) && output_link(o, rel, from) == 0) {
		free(from);
		return 0;
	}
	free(from);
	char *p = path_join(o->stage, rel);
	int rc = write_unnamed(p, data, n);
	if (rc > 0) {
		int fd = create_in_stage(p);
		rc = fd < 0 ? -1 : close_file(fd, write_all(fd, data, n));
	}
	if (rc < 0)
		diag_sys("cannot write %s/%s: %s", o->shown, rel, strerror(errno));
	free(p);
	return rc;
}

int output_link(struct site_out *o, const char *rel, const char *from)
{
	if (!output_safe_relpath(rel))
		return -1;
	char *p = path_join(o->stage, rel);
	/* Most pages go to a folder that exists and a name not yet taken:
	 * one system call. */
	int rc = link(from, p);
	if (rc < 0 && errno == ENOENT) {
		char *slash = strrchr(p, '/');
		*slash = '\0';
		rc = mkdir_p(p);
		*slash = '/';
		if (rc == 0)
			rc = link(from, p);
	}
	if (rc < 0 && errno == EEXIST && unlink(p) == 0)
		rc = link(from, p);
	free(p);
	return rc < 0 ? -1 : 0;
}

static int copy_tree(struct site_out *o, const char *src, const char *rel, int depth)
{
	if (depth > 32)
		return 0;
	char **names;
	size_t n;
	if (dir_list(src, &names, &n) < 0)
		return errno == ENOENT ? 0 : (diag_sys("cannot read %s: %s", src, strerror(errno)), -1);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char *s = path_join(src, names[i]);
		char *r = *rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		struct stat st;
		if (stat(s, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				if (copy_tree(o, s, r, depth + 1) < 0)
					rc = -1;
			} else if (S_ISREG(st.st_mode)) {
				struct buf b = BUF_INIT;
				if (file_read(s, &b) < 0) {
					diag_sys("cannot read %s: %s", s, strerror(errno));
					rc = -1;
				} else if (output_write(o, r, b.data, b.len) < 0) {
					rc = -1;
				}
				buf_free(&b);
			}
		}
		free(s);
		free(r);
		free(names[i]);
	}
	free(names);
	return rc;
}

int output_copy_tree(struct site_out *o, const char *src, const char *dst_rel)
{
	return copy_tree(o, src, dst_rel, 0);
}

/* The old site being removed after a swap. */
static struct {
	pthread_t tid;
	bool busy;              /* tid runs */
	char *dir;
	int rc;
} old_site;

static void *remove_old(void *arg)
{
	(void)arg;
	old_site.rc = remove_site(old_site.dir);
	return NULL;
}

static void report_old(void)
{
	if (old_site.rc < 0)
		diag_sys("the new site is in place, but the old one could not be removed from %s", old_site.dir);
	free(old_site.dir);
	old_site.dir = NULL;
}

void output_wait(void)
{
	if (!old_site.busy)
		return;
	pthread_join(old_site.tid, NULL);
	old_site.busy = false;
	report_old();
}

int output_commit(struct site_out *o)
{
	int rc = -1;
	struct stat st;
	if (lstat(o->final, &st) < 0) {
		if (rename(o->stage, o->final) < 0) {
			diag_sys("cannot move the new site into place at %s: %s", o->shown, strerror(errno));
			goto out;
		}
		rc = 0;
		goto out;
	}
	/* Swap old and new in one step; the old site ends up at o->stage. */
	if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->final, RENAME_EXCHANGE) < 0) {
		if (errno != EINVAL && errno != ENOSYS) {
			diag_sys("cannot swap the new site into place at %s: %s", o->shown, strerror(errno));
			goto out;
		}
		/* No atomic exchange on this file system: two renames. */
		struct buf old = BUF_INIT;
		buf_printf(&old, "%s.old", o->stage);
		remove_site(old.data);
		if (rename(o->final, old.data) < 0 || rename(o->stage, o->final) < 0) {
			diag_sys("cannot move the new site into place at %s: %s", o->shown, strerror(errno));
			rename(old.data, o->final);
			buf_free(&old);
			goto out;
		}
		remove_site(old.data);
		buf_free(&old);
		rc = 0;
		goto out;
	}
	/* The old site goes on a thread of its own while the build writes
	 * its database; output_wait() reports how that went. */
	if (old_site.busy)
		output_wait();
	old_site.dir = xstrdup(o->stage);
	old_site.rc = 0;
	if (pthread_create(&old_site.tid, NULL, remove_old, NULL) == 0) {
		old_site.busy = true;
	} else {
		remove_old(NULL);
		report_old();
	}
	rc = 0;
out:
	free(o->final);
	free(o->stage);
	free(o->shown);
	memset(o, 0, sizeof *o);
	return rc;
}

void output_abort(struct site_out *o)
{
	if (o->stage)
		remove_site(o->stage);
	free(o->final);
	free(o->stage);
	free(o->shown);
	memset(o, 0, sizeof *o);
}
