/* scan.c - discover and read notes; see scan.h. */
#define _GNU_SOURCE
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "buf.h"
#include "cache.h"
#include "diag.h"
#include "pool.h"
#include "text.h"
#include "util.h"

struct found {
	char *abs;
	char *rel;
};

struct walk {
	const char *root_real;     /* realpath of the notes dir */
	struct found *files;
	size_t n, cap;
	int depth;
	bool failed;
};

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->rel, ((const struct found *)b)->rel);
}

static void walk_dir(struct walk *w, const char *abs, const char *rel)
{
	if (++w->depth > 64) {
		char *shown = kb_display_path(abs);
		diag_warning(shown, 0, 0, "folder nesting deeper than 64 levels; not scanned");
		free(shown);
		w->depth--;
		return;
	}
	DIR *d = opendir(abs);
	if (!d) {
		char *shown = kb_display_path(abs);
		if (w->depth == 1) {
			diag_sys("cannot read notes folder %s: %s", shown, strerror(errno));
			w->failed = true;
		} else {
			diag_error(shown, 0, 0, "cannot read folder: %s", strerror(errno));
		}
		free(shown);
		w->depth--;
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;       /* hidden files, ".", ".." and "..md" alike */
		char *cabs = path_join(abs, name);
		char *crel = *rel ? path_join(rel, name) : xstrdup(name);
		struct stat lst, st;
		/* The folder entry's type, where the file system gives it, saves
		 * a system call per note; the read checks the file anyway. */
		if (de->d_type == DT_REG || de->d_type == DT_DIR)
			lst.st_mode = de->d_type == DT_REG ? S_IFREG : S_IFDIR;
		else if (lstat(cabs, &lst) < 0)
			goto next;
		if (S_ISLNK(lst.st_mode)) {
			char real[PATH_MAX];
			char *shown = kb_display_path(cabs);
			if (!realpath(cabs, real)) {
				diag_warning(shown, 0, 0, "skipping symbolic link that cannot be followed (%s)",
					strerror(errno));
				free(shown);
				goto next;
			}
			if (!path_within(real, w->root_real)) {
				diag_warning(shown, 0, 0, "skipping symbolic link to '%s', outside the notes folder", real);
				free(shown);
				goto next;
			}
			if (stat(cabs, &st) < 0 || S_ISDIR(st.st_mode)) {
				/* Links to folders inside the tree would visit notes twice
				 * or loop; the notes are found through their real path. */
				diag_warning(shown, 0, 0, "skipping symbolic link to a folder");
				free(shown);
				goto next;
			}
			free(shown);
		} else {
			st = lst;
		}
		if (S_ISDIR(st.st_mode)) {
			walk_dir(w, cabs, crel);
		} else if (S_ISREG(st.st_mode) && str_ends(name, ".md")) {
			struct found *f = VEC_PUSH(w->files, w->n, w->cap);
			f->abs = cabs;
			f->rel = crel;
			cabs = crel = NULL;
		}
next:
		free(cabs);
		free(crel);
	}
	closedir(d);
	w->depth--;
}

/* Is every line of the note at most `max` bytes? Reports the first
 * longer line at its position. */
static bool check_lines(const char *path, const char *s, size_t len, long max)
{
	int line = 1;
	for (const char *p = s, *end = s + len; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n > (size_t)max) {
			diag_error(path, line, 1, "line is %zu bytes long; the limit is %ld (limits: line_bytes in kb.yaml)",
				n, max);
			return false;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return true;
}

/* Report the first invalid UTF-8 or NUL byte of a note; true if clean. */
static bool check_encoding(const char *path, const char *s, size_t n)
{
	size_t bad = utf8_invalid_at(s, n);
	size_t nul = memchr(s, '\0', n) ? (size_t)((const char *)memchr(s, '\0', n) - s) : n;
	size_t at = bad < nul ? bad : nul;
	if (at == n)
		return true;
	int line = 1;
	size_t bol = 0;
	for (size_t i = 0; i < at; i++)
		if (s[i] == '\n') {
			line++;
			bol = i + 1;
		}
	int col = (int)utf8_count(s + bol, at - bol) + 1;
	if (at == nul && nul <= bad)
		diag_error(path, line, col, "NUL byte in note; notes must be UTF-8 text");
	else
		diag_error(path, line, col, "invalid UTF-8 byte 0x%02X; notes must be UTF-8 text",
			(unsigned char)s[at]);
	return false;
}

/* The signature of the file at `path` (stat, following links as the read
 * does). 0, or -1. */
static int file_sig(const char *path, struct kb_file_sig *sig)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	*sig = (struct kb_file_sig){ (long long)st.st_size,
		(long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
		(long long)st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec, (long long)st.st_ino,
		(long long)st.st_dev };
	return 0;
}

/* Read and check note n's file at `path`: src, len, content and sig set,
 * or skip set after a diagnostic. */
static void read_note(struct kb *kb, struct kb_note *n, const char *path)
{
	struct buf b = BUF_INIT;
	n->unread = false;
	/* The signature is taken before the bytes: a change in between
	 * leaves a signature that no longer matches, never a stale one. */
	if (file_sig(path, &n->sig) < 0)
		memset(&n->sig, 0, sizeof n->sig);
	if (strchr(n->rel, '\n') || strchr(n->rel, '\r')) {
		diag_error(n->path, 0, 0, "file name contains a line break; rename the note");
		n->skip = true;
	} else if (file_read(path, &b) < 0) {
		diag_error(n->path, 0, 0, "cannot read note: %s", strerror(errno));
		n->skip = true;
	} else if ((long)b.len > kb->cfg.max_note_bytes) {
		diag_error(n->path, 0, 0, "note is %zu bytes; the limit is %ld (limits: note_bytes in kb.yaml)",
			b.len, kb->cfg.max_note_bytes);
		n->skip = true;
	} else if (!check_lines(n->path, b.data, b.len, kb->cfg.max_line_bytes)) {
		n->skip = true;
	} else if (!check_encoding(n->path, b.data, b.len)) {
		n->skip = true;
	} else {
		text_lone_cr_to_lf(b.data, b.len);
	}
	n->len = n->skip ? 0 : b.len;
	/* file_read sizes the block to the file: only a file that changed
	 * size while it was read leaves much room to spare, given back here,
	 * since every note's source is held until the parse. */
	if (n->skip)
		n->src = xstrdup("");
	else if (b.cap > n->len + 64)
		n->src = xrealloc(buf_detach(&b), n->len + 1);
	else
		n->src = buf_detach(&b);
	XXH128_hash_t h = XXH3_128bits(n->src, n->len);
	XXH128_canonicalFromHash((XXH128_canonical_t *)n->content, h);
	buf_free(&b);
}

struct read_job {
	struct kb *kb;
	struct found *files;
	size_t first;           /* the files' first note in kb->notes */
	const struct cache *cache;   /* file signatures, or NULL: read all */
	atomic_size_t unread;   /* notes left unread */
};

/* Read file i into its note and check it against the limits; a note that
 * fails is reported and left out (skip). Runs on the pool's threads: it
 * touches note first + i and thread-safe diag only. */
static void read_one(void *arg, size_t i)
{
	struct read_job *j = arg;
	struct kb *kb = j->kb;
	struct kb_note *n = &kb->notes[j->first + i];
	if ((long)i >= kb->cfg.max_notes) {
		n->skip = true;
		n->src = xstrdup("");
	} else if (j->cache && !strchr(n->rel, '\n') && !strchr(n->rel, '\r') &&
		file_sig(j->files[i].abs, &n->sig) == 0 &&
		cache_file_unchanged(j->cache, n->rel, &n->sig, n->content)) {
		n->unread = true;
		n->len = (size_t)n->sig.size;
		atomic_fetch_add(&j->unread, 1);
	} else {
		read_note(kb, n, j->files[i].abs);
	}
	free(j->files[i].abs);
}

int scan_read_note(struct kb *kb, size_t i)
{
	return scan_read_into(kb, &kb->notes[i]);
}

int scan_read_into(struct kb *kb, struct kb_note *n)
{
	char *p = path_join(kb->cfg.notes_dir, n->rel);
	read_note(kb, n, p);
	free(p);
	return n->skip ? -1 : 0;
}

int scan_notes(struct kb *kb, int jobs, const struct cache *cache, size_t *unread)
{
	struct walk w = { 0 };
	char real[PATH_MAX];
	if (!realpath(kb->cfg.notes_dir, real)) {
		char *shown = kb_display_path(kb->cfg.notes_dir);
		diag_sys("cannot open notes folder %s: %s", shown, strerror(errno));
		free(shown);
		return -1;
	}
	w.root_real = real;
	walk_dir(&w, real, "");
	if (w.failed) {
		for (size_t i = 0; i < w.n; i++) {
			free(w.files[i].abs);
			free(w.files[i].rel);
		}
		free(w.files);
		return -1;
	}
	if (w.n)
		qsort(w.files, w.n, sizeof *w.files, cmp_found);
	if ((long)w.n > kb->cfg.max_notes) {
		char *shown = kb_display_path(kb->cfg.notes_dir);
		diag_error(shown, 0, 0, "%zu notes found; the limit is %ld (limits: notes in kb.yaml)",
			w.n, kb->cfg.max_notes);
		free(shown);
	}
	kb->cap_notes = kb->n_notes + w.n;
	kb->notes = xrealloc(kb->notes, (kb->cap_notes ? kb->cap_notes : 1) * sizeof *kb->notes);
	char cwd_buf[PATH_MAX];
	const char *cwd = getcwd(cwd_buf, sizeof cwd_buf);
	for (size_t i = 0; i < w.n; i++) {
		/* Diagnostics name the note under the notes dir as the user
		 * spelled it, not through symlinks resolved above. */
		char *logical = path_join(kb->cfg.notes_dir, w.files[i].rel);
		struct kb_note *n = &kb->notes[kb->n_notes++];
		memset(n, 0, sizeof *n);
		n->path = kb_display_path_in(logical, cwd);
		n->rel = w.files[i].rel;
		free(logical);
	}
	struct read_job j = { kb, w.files, kb->n_notes - w.n, cache, 0 };
	pool_for(w.n, jobs, read_one, &j);
	if (unread)
		*unread = atomic_load(&j.unread);
	free(w.files);
	return 0;
}
