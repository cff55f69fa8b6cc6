/* store.c - sqlite knowledge base; see store.h and docs/kb-schema.md. */
#define _GNU_SOURCE   /* copy_file_range() */
#include "store.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdint.h>
#include <sqlite3.h>
#include <xxhash.h>

#include "buf.h"
#include "diag.h"
#include "text.h"
#include "util.h"
#include "version.h"

static const char *schema =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE notes(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, title TEXT NOT NULL,\n"
	"  slug TEXT NOT NULL, url TEXT NOT NULL, purpose TEXT, reading_order INTEGER, draft INTEGER NOT NULL,\n"
	"  date TEXT, words INTEGER NOT NULL, is_home INTEGER NOT NULL);\n"
	"CREATE TABLE aliases(note INTEGER NOT NULL REFERENCES notes(id), alias TEXT NOT NULL);\n"
	"CREATE TABLE tags(note INTEGER NOT NULL REFERENCES notes(id), tag TEXT NOT NULL);\n"
	"CREATE TABLE headings(note INTEGER NOT NULL REFERENCES notes(id), idx INTEGER NOT NULL,\n"
	"  level INTEGER NOT NULL, text TEXT NOT NULL, anchor TEXT NOT NULL, line INTEGER NOT NULL,\n"
	"  PRIMARY KEY(note, idx));\n"
	"CREATE TABLE links(id INTEGER PRIMARY KEY, source INTEGER NOT NULL REFERENCES notes(id),\n"
	"  line INTEGER NOT NULL, col INTEGER NOT NULL, kind TEXT NOT NULL, target_text TEXT NOT NULL,\n"
	"  heading_text TEXT, label TEXT, target INTEGER REFERENCES notes(id), target_heading INTEGER,\n"
	"  context TEXT);\n"
	"CREATE TABLE topics(id INTEGER PRIMARY KEY, grp TEXT NOT NULL, term TEXT NOT NULL UNIQUE,\n"
	"  summary TEXT NOT NULL, target_text TEXT NOT NULL, note INTEGER REFERENCES notes(id),\n"
	"  heading INTEGER, line INTEGER NOT NULL);\n"
	"CREATE TABLE topic_aliases(topic INTEGER NOT NULL REFERENCES topics(id), alias TEXT NOT NULL);\n"
	"CREATE VIEW backlinks AS SELECT t.title AS note, s.title AS linked_from, l.line, l.context\n"
	"  FROM links l JOIN notes s ON s.id = l.source JOIN notes t ON t.id = l.target\n"
	"  WHERE l.source <> l.target;\n";

/* Made after the rows are in: one sort instead of a b-tree insert per row. */
static const char *indexes =
	"CREATE INDEX links_by_target ON links(target);\n"
	"CREATE INDEX links_by_source ON links(source);\n";

static const char *kind_name(enum kb_link_kind k)
{
	switch (k) {
	case KB_LINK_WIKI: return "wikilink";
	case KB_LINK_EMBED: return "embed";
	case KB_LINK_MARKDOWN: return "markdown";
	case KB_LINK_TAG: return "tag";
	}
	return "?";
}

/* ---- writing the knowledge base ----
 *
 * Every row goes through row(), which inserts it, updates the row of the
 * same rowid in a copy of the last build's file, or only hashes it. A
 * full build inserts every row in order, so each table's rowids are
 * 1, 2, 3... (notes and topics: their id, note ids leaving a gap for a
 * skipped note). A note whose rows changed but kept their shape (as many
 * aliases, tags, headings and links, still in or out) keeps its rowids,
 * so the last build's file with those rows updated holds exactly the rows
 * a full build would write: that is the in-place update. */

enum table { T_META, T_NOTES, T_ALIASES, T_TAGS, T_HEADINGS, T_LINKS, T_TOPICS, T_TOPIC_ALIASES, N_TABLES };

static const struct {
	const char *name, *cols;
	int n;
} table_def[N_TABLES] = {
	{ "meta", "key,value", 2 },
	{ "notes", "id,path,title,slug,url,purpose,reading_order,draft,date,words,is_home", 11 },
	{ "aliases", "note,alias", 2 },
	{ "tags", "note,tag", 2 },
	{ "headings", "note,idx,level,text,anchor,line", 6 },
	{ "links", "id,source,line,col,kind,target_text,heading_text,label,target,target_heading,context", 11 },
	{ "topics", "id,grp,term,summary,target_text,note,heading,line", 8 },
	{ "topic_aliases", "topic,alias", 2 },
};

/* A note's shape: the rows it has in the tables where rows carry no id
 * of their own. */
#define SHAPED 4   /* aliases, tags, headings, links */
struct note_shape {
	bool skip;
	uint32_t rows[SHAPED];
	unsigned char hash[16];
};

enum mode { M_INSERT, M_UPDATE, M_HASH };

struct writer {
	sqlite3 *db;
	const char *path;
	bool failed;
	enum mode mode;
	sqlite3_stmt *st[N_TABLES];  /* INSERT or UPDATE ... WHERE rowid = ?, per mode */
	long long rowid[N_TABLES];   /* the last row's, per table */
	XXH3_state_t *hash;          /* M_HASH: the rows so far */
};

static void report(struct writer *w, const char *what)
{
	if (!w->failed)
		diag_sys("knowledge base %s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
	w->failed = true;
}

static void hash_value(XXH3_state_t *h, char type, const void *p, size_t n)
{
	uint64_t len = n;
	XXH3_128bits_update(h, &type, 1);
	XXH3_128bits_update(h, &len, sizeof len);
	XXH3_128bits_update(h, p, n);
}

/* One row of table t: one argument per fmt char, i (long long), t (text
 * or NULL), n (a long long written as NULL: lets one call serve rows where
 * a number is missing). Tables with an id column are given it (notes,
 * links, topics); it is their rowid. */
static void row(struct writer *w, enum table t, const char *fmt, ...)
{
	if (w->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	long long rowid = ++w->rowid[t];
	sqlite3_stmt *st = w->st[t];
	if (w->mode == M_HASH)
		XXH3_128bits_update(w->hash, &t, sizeof t);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i') {
			long long v = va_arg(ap, long long);
			if (i == 0 && (t == T_NOTES || t == T_TOPICS))
				rowid = w->rowid[t] = v;
			if (w->mode == M_HASH)
				hash_value(w->hash, 'i', &v, sizeof v);
			else
				sqlite3_bind_int64(st, i + 1, v);
		} else if (fmt[i] == 't') {
			const char *s = va_arg(ap, const char *);
			if (w->mode == M_HASH)
				hash_value(w->hash, s ? 't' : '0', s ? s : "", s ? strlen(s) : 0);
			else if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC);   /* lives until the step */
			else
				sqlite3_bind_null(st, i + 1);
		} else {
			(void)va_arg(ap, long long);
			if (w->mode == M_HASH)
				hash_value(w->hash, '0', "", 0);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	if (w->mode == M_HASH)
		return;
	if (w->mode == M_UPDATE)
		sqlite3_bind_int64(st, table_def[t].n + 1, rowid);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE || (w->mode == M_UPDATE && sqlite3_changes(w->db) != 1))
		report(w, w->mode == M_UPDATE ? "update" : "insert");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* The statements of w->mode. */
static void statements(struct writer *w)
{
	for (int t = 0; t < N_TABLES && !w->failed; t++) {
		struct buf sql = BUF_INIT;
		if (w->mode == M_INSERT) {
			buf_printf(&sql, "INSERT INTO %s VALUES(?", table_def[t].name);
			for (int c = 1; c < table_def[t].n; c++)
				buf_puts(&sql, ",?");
			buf_putc(&sql, ')');
		} else {
			buf_printf(&sql, "UPDATE %s SET (%s) = (?", table_def[t].name, table_def[t].cols);
			for (int c = 1; c < table_def[t].n; c++)
				buf_puts(&sql, ",?");
			buf_printf(&sql, ") WHERE rowid = ?%d", table_def[t].n + 1);
		}
		if (sqlite3_prepare_v2(w->db, sql.data, -1, &w->st[t], NULL) != SQLITE_OK)
			report(w, "prepare");
		buf_free(&sql);
	}
}

static void close_db(struct writer *w)
{
	for (int t = 0; t < N_TABLES; t++) {
		sqlite3_finalize(w->st[t]);
		w->st[t] = NULL;
	}
	if (w->db && sqlite3_close(w->db) != SQLITE_OK && !w->failed) {
		diag_sys("knowledge base %s: cannot close", w->path);
		w->failed = true;
	}
	w->db = NULL;
}

static void meta_rows(struct writer *w, const struct kb *kb)
{
	row(w, T_META, "tt", "generator", "kbc " KBC_VERSION);
	row(w, T_META, "tt", "schema_version", "1");
	row(w, T_META, "tt", "site_title", kb->cfg.title ? kb->cfg.title : "");
}

/* Note i's rows (none when it is skipped). */
static void note_rows(struct writer *w, const struct kb *kb, size_t i)
{
	const struct kb_note *n = &kb->notes[i];
	if (n->skip)
		return;
	struct buf url = BUF_INIT;
	buf_printf(&url, "%s.html", n->slug);
	row(w, T_NOTES, n->has_order ? "itttttiitii" : "itttttnitii", (long long)i + 1, n->rel, n->title,
		n->slug, url.data, n->purpose, (long long)n->order, (long long)n->draft, n->date,
		(long long)n->words, (long long)((int)i == kb->home));
	buf_free(&url);
	for (size_t a = 0; a < n->n_aliases; a++)
		row(w, T_ALIASES, "it", (long long)i + 1, n->aliases[a]);
	for (size_t t = 0; t < n->n_tags; t++)
		row(w, T_TAGS, "it", (long long)i + 1, n->tags[t]);
	for (size_t h = 0; h < n->n_headings; h++) {
		const struct kb_heading *hd = &n->headings[h];
		row(w, T_HEADINGS, "iiitti", (long long)i + 1, (long long)h, (long long)hd->level, hd->text, hd->id,
			(long long)hd->line);
	}
	for (size_t l = 0; l < n->n_links; l++) {
		const struct kb_link *lk = &n->links[l];
		row(w, T_LINKS, lk->to_note >= 0 ? "iiiittttiit" : "iiiittttnnt", w->rowid[T_LINKS] + 1,
			(long long)i + 1, (long long)lk->line, (long long)lk->col, kind_name(lk->kind), lk->target,
			lk->heading, lk->label, (long long)lk->to_note + 1, (long long)lk->to_heading, lk->context);
	}
}

static void topic_rows(struct writer *w, const struct kb *kb)
{
	for (size_t i = 0; i < kb->n_topics; i++) {
		const struct kb_topic *t = &kb->topics[i];
		row(w, T_TOPICS, t->note >= 0 ? "ittttiii" : "ittttnni", (long long)i + 1, kb->groups[t->group].name,
			t->term, t->summary, t->target, (long long)t->note + 1, (long long)t->heading, (long long)t->line);
		for (size_t a = 0; a < t->n_aliases; a++)
			row(w, T_TOPIC_ALIASES, "it", (long long)i + 1, t->aliases[a]);
	}
}

/* ---- the record of what was written ----
 * Kept in the build cache (main.c), so the next build can tell which rows
 * changed: the installed file's signature (size, inode, mtime, ctime),
 * then the meta and topics rows' hashes and counts, then every note's
 * shape. */

#define RECORD_MAGIC "KBDB"
/* The file's signature: its size, inode, mtime and ctime, and the first
 * 100 bytes, SQLite's header, whose change counter moves with every write
 * (a change made within the same clock tick as the build is still seen). */
#define RECORD_SIG (4 * 8 + 100)

struct record {
	unsigned char meta[16], topics[16];
	uint64_t n_topics, n_topic_aliases, n_notes;
	struct note_shape *notes;
};

static void record_put(struct buf *b, const struct record *r)
{
	buf_put(b, (const char[RECORD_SIG]){ 0 }, RECORD_SIG);   /* filled by store_install() */
	buf_puts(b, RECORD_MAGIC);
	uint64_t head[4] = { STORE_SCHEMA_VERSION, r->n_topics, r->n_topic_aliases, r->n_notes };
	buf_put(b, head, sizeof head);
	buf_put(b, r->meta, 16);
	buf_put(b, r->topics, 16);
	for (size_t i = 0; i < r->n_notes; i++) {
		const struct note_shape *s = &r->notes[i];
		buf_putc(b, s->skip);
		buf_put(b, s->rows, sizeof s->rows);
		buf_put(b, s->hash, 16);
	}
}

#define SHAPE_BYTES (1 + SHAPED * 4 + 16)

/* The last record's header into r (notes left NULL): 0, or -1 when it is
 * not one (or of another schema). */
static int record_get(const struct buf *b, struct record *r)
{
	const size_t head = RECORD_SIG + 4 + 4 * 8 + 32;
	uint64_t v[4];
	if (b->len < head || memcmp(b->data + RECORD_SIG, RECORD_MAGIC, 4))
		return -1;
	memcpy(v, b->data + RECORD_SIG + 4, sizeof v);
	if (v[0] != STORE_SCHEMA_VERSION || v[3] > (b->len - head) / SHAPE_BYTES ||
	    b->len != head + v[3] * SHAPE_BYTES)
		return -1;
	r->n_topics = v[1];
	r->n_topic_aliases = v[2];
	r->n_notes = v[3];
	memcpy(r->meta, b->data + head - 32, 16);
	memcpy(r->topics, b->data + head - 16, 16);
	r->notes = NULL;
	return 0;
}

static void shape_get(const struct buf *b, size_t i, struct note_shape *s)
{
	const char *p = b->data + RECORD_SIG + 4 + 4 * 8 + 32 + i * SHAPE_BYTES;
	s->skip = p[0] != 0;
	memcpy(s->rows, p + 1, sizeof s->rows);
	memcpy(s->hash, p + 1 + sizeof s->rows, 16);
}

/* The signature of the file at path into out: 0, or -1 when it cannot be
 * read (or is no regular file). */
static int file_sig(const char *path, unsigned char out[RECORD_SIG])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	memset(out, 0, RECORD_SIG);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || pread(fd, out + 32, 100, 0) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	int64_t v[4] = { (int64_t)st.st_size, (int64_t)st.st_ino,
		(int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
		(int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec };
	memcpy(out, v, sizeof v);
	return 0;
}

/* This build's rows, hashed: the record (r->notes allocated). */
static void hash_rows(const struct kb *kb, struct record *r)
{
	struct writer w = { .mode = M_HASH, .hash = XXH3_createState() };
	if (!w.hash)
		die_oom();
	XXH128_canonical_t c;
	XXH3_128bits_reset(w.hash);
	meta_rows(&w, kb);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w.hash));
	memcpy(r->meta, c.digest, 16);
	XXH3_128bits_reset(w.hash);
	topic_rows(&w, kb);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w.hash));
	memcpy(r->topics, c.digest, 16);
	r->n_topics = (uint64_t)w.rowid[T_TOPICS];
	r->n_topic_aliases = (uint64_t)w.rowid[T_TOPIC_ALIASES];
	r->n_notes = kb->n_notes;
	r->notes = xcalloc(kb->n_notes + 1, sizeof *r->notes);
	for (size_t i = 0; i < kb->n_notes; i++) {
		long long before[SHAPED];
		for (int k = 0; k < SHAPED; k++)
			before[k] = w.rowid[T_ALIASES + k];
		XXH3_128bits_reset(w.hash);
		note_rows(&w, kb, i);
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(w.hash));
		struct note_shape *s = &r->notes[i];
		s->skip = kb->notes[i].skip;
		for (int k = 0; k < SHAPED; k++)
			s->rows[k] = (uint32_t)(w.rowid[T_ALIASES + k] - before[k]);
		memcpy(s->hash, c.digest, 16);
	}
	XXH3_freeState(w.hash);
}

/* Copy the file `from` to `to` (created, or truncated). 0, or -1. */
static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	int rc = 0;
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			break;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		/* no copy_file_range here (an old kernel, some file systems): by hand,
		 * from where it stopped */
		char b[1 << 16];
		ssize_t r;
		while (rc == 0 && (r = read(in, b, sizeof b)) != 0) {
			if (r < 0) {
				rc = errno == EINTR ? 0 : -1;
				continue;
			}
			for (ssize_t done = 0, m; rc == 0 && done < r; done += m > 0 ? m : 0)
				if ((m = write(out, b + done, (size_t)(r - done))) < 0 && errno != EINTR)
					rc = -1;
		}
		break;
	}
	if (close(out) < 0)
		rc = -1;
	close(in);
	return rc;
}

/* Update a copy of the last build's file, at tmp, to this build's rows:
 * 1 done, 0 not possible (the file or the rows' shapes differ: write it
 * whole), -1 failed after reporting. */
static int update_copy(const struct kb *kb, const char *path, const char *tmp, const struct buf *last,
	const struct record *now, long *in_place)
{
	struct record was;
	unsigned char sig[RECORD_SIG];
	if (!last || record_get(last, &was) < 0 || file_sig(path, sig) < 0)
		return 0;
	if (memcmp(sig, last->data, sizeof sig) || was.n_notes != now->n_notes || was.n_topics != now->n_topics ||
	    was.n_topic_aliases != now->n_topic_aliases)
		return 0;
	size_t changed = 0;
	for (size_t i = 0; i < now->n_notes; i++) {
		struct note_shape old;
		shape_get(last, i, &old);
		const struct note_shape *s = &now->notes[i];
		if (old.skip != s->skip || memcmp(old.rows, s->rows, sizeof old.rows))
			return 0;
		changed += memcmp(old.hash, s->hash, 16) != 0;
	}
	if (changed > now->n_notes / 4 + 1)
		return 0;   /* a good part of the file changes: writing it whole is no slower */
	if (copy_file(path, tmp) < 0) {
		unlink(tmp);
		return 0;
	}
	struct writer w = { .path = path, .mode = M_UPDATE };
	if (sqlite3_open_v2(tmp, &w.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(w.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; BEGIN;",
		NULL, NULL, NULL) != SQLITE_OK)
		report(&w, "update");
	statements(&w);
	if (memcmp(was.meta, now->meta, 16))
		meta_rows(&w, kb);
	if (memcmp(was.topics, now->topics, 16))
		topic_rows(&w, kb);
	/* each changed note's rows where the full build would put them: after
	 * the rows of the notes before it */
	long long at[SHAPED] = { 0 };
	for (size_t i = 0; i < now->n_notes && !w.failed; i++) {
		const struct note_shape *s = &now->notes[i];
		struct note_shape old;
		shape_get(last, i, &old);
		if (memcmp(old.hash, s->hash, 16)) {
			for (int k = 0; k < SHAPED; k++)
				w.rowid[T_ALIASES + k] = at[k];
			note_rows(&w, kb, i);
		}
		for (int k = 0; k < SHAPED; k++)
			at[k] += s->rows[k];
	}
	if (!w.failed && sqlite3_exec(w.db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		report(&w, "commit");
	close_db(&w);
	*in_place = (long)changed;
	return w.failed ? -1 : 1;
}

int store_prepare(const struct kb *kb, const char *path, const struct buf *last, struct buf *record,
	long *in_place)
{
	struct writer w = { .path = path, .mode = M_INSERT };
	long changed = -1;
	if (!in_place)
		in_place = &changed;
	*in_place = -1;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (mkdir_p(dir) < 0) {
			diag_sys("cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
	}
	free(dir);
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.new", path);
	unlink(tmp.data);
	int updated = 0;
	if (record || last) {   /* store_write() keeps no record: nothing to hash */
		struct record now;
		hash_rows(kb, &now);
		if (record) {
			buf_reset(record);
			record_put(record, &now);
		}
		updated = update_copy(kb, path, tmp.data, last, &now, in_place);
		free(now.notes);
	}
	if (updated != 0) {
		if (updated < 0)
			unlink(tmp.data);
		buf_free(&tmp);
		return updated < 0 ? -1 : 0;
	}
	unlink(tmp.data);
	if (sqlite3_open_v2(tmp.data, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		diag_sys("cannot create %s: %s", tmp.data, w.db ? sqlite3_errmsg(w.db) : "out of memory");
		sqlite3_close(w.db);
		buf_free(&tmp);
		return -1;
	}
	char *err = NULL;
	struct buf ddl = BUF_INIT;
	buf_printf(&ddl, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;\n"
		"PRAGMA cache_size=-32768; BEGIN;\n%s"
		"PRAGMA user_version=%d;", schema, STORE_SCHEMA_VERSION);
	if (sqlite3_exec(w.db, ddl.data, NULL, NULL, &err) != SQLITE_OK) {
		diag_sys("knowledge base %s: schema: %s", path, err ? err : "?");
		sqlite3_free(err);
		w.failed = true;
	}
	buf_free(&ddl);
	statements(&w);
	meta_rows(&w, kb);
	for (size_t i = 0; i < kb->n_notes; i++)
		note_rows(&w, kb, i);
	topic_rows(&w, kb);
	if (!w.failed && sqlite3_exec(w.db, indexes, NULL, NULL, NULL) != SQLITE_OK)
		report(&w, "index");
	if (!w.failed && sqlite3_exec(w.db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
		report(&w, "commit");
	close_db(&w);
	if (w.failed)
		unlink(tmp.data);
	buf_free(&tmp);
	return w.failed ? -1 : 0;
}

int store_install(const char *path, struct buf *record)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.new", path);
	int rc = rename(tmp.data, path);
	if (rc < 0) {
		diag_sys("cannot move %s into place: %s", path, strerror(errno));
		unlink(tmp.data);
	}
	buf_free(&tmp);
	if (record && record->len >= RECORD_SIG &&
	    (rc < 0 || file_sig(path, (unsigned char *)record->data) < 0))
		buf_reset(record);   /* nothing the next build could update */
	return rc;
}

void store_discard(const char *path)
{
	struct buf tmp = BUF_INIT;
	buf_printf(&tmp, "%s.new", path);
	unlink(tmp.data);
	buf_free(&tmp);
}

int store_write(const struct kb *kb, const char *path)
{
	return store_prepare(kb, path, NULL, NULL, NULL) == 0 ? store_install(path, NULL) : -1;
}

static size_t display_width(const char *s)
{
	return utf8_count(s, strlen(s));
}

int store_query(const char *path, const char *sql, bool tsv)
{
	sqlite3 *db = NULL;
	struct stat st;
	if (stat(path, &st) < 0) {
		diag_sys("no knowledge base at %s (run 'kbc build' first)", path);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		diag_sys("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	int rc = -1;
	sqlite3_stmt *q = NULL;
	int version = -1;
	sqlite3_stmt *v = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &v, NULL) == SQLITE_OK &&
	    sqlite3_step(v) == SQLITE_ROW)
		version = sqlite3_column_int(v, 0);
	sqlite3_finalize(v);
	if (version != STORE_SCHEMA_VERSION) {
		diag_sys("%s is not a kbc knowledge base of schema %d (found %d); run 'kbc build' to rebuild it",
			path, STORE_SCHEMA_VERSION, version);
		goto out;
	}
	const char *tail = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &q, &tail) != SQLITE_OK) {
		diag_error("query", 0, 0, "%s", sqlite3_errmsg(db));
		goto out;
	}
	if (!q) {
		diag_error("query", 0, 0, "empty query");
		goto out;
	}
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
		tail++;
	if (tail && *tail) {
		diag_error("query", 0, 0, "only one SQL statement is allowed");
		goto out;
	}
	if (!sqlite3_stmt_readonly(q)) {
		diag_error("query", 0, 0, "only read-only statements are allowed (SELECT, WITH, read-only PRAGMA)");
		goto out;
	}
	int cols = sqlite3_column_count(q);
	char ***rows = NULL;
	size_t n_rows = 0, cap = 0;
	int s;
	while ((s = sqlite3_step(q)) == SQLITE_ROW) {
		char **row = xcalloc((size_t)cols, sizeof *row);
		for (int c = 0; c < cols; c++) {
			const unsigned char *t = sqlite3_column_text(q, c);
			row[c] = xstrdup(t ? (const char *)t : (tsv ? "" : "NULL"));
			for (char *p = row[c]; *p; p++)
				if (*p == '\n' || *p == '\t')
					*p = ' ';
		}
		*VEC_PUSH(rows, n_rows, cap) = row;
	}
	if (s != SQLITE_DONE) {
		diag_error("query", 0, 0, "%s", sqlite3_errmsg(db));
	} else {
		size_t *w = xcalloc((size_t)cols + 1, sizeof *w);
		for (int c = 0; c < cols; c++) {
			w[c] = display_width(sqlite3_column_name(q, c));
			for (size_t r = 0; r < n_rows; r++)
				if (display_width(rows[r][c]) > w[c])
					w[c] = display_width(rows[r][c]);
		}
		for (int c = 0; c < cols; c++) {
			const char *name = sqlite3_column_name(q, c);
			if (tsv)
				printf("%s%s", c ? "\t" : "", name);
			else
				printf("%s%s%*s", c ? "  " : "", name, c + 1 < cols ? (int)(w[c] - display_width(name)) : 0, "");
		}
		putchar('\n');
		if (!tsv) {
			for (int c = 0; c < cols; c++) {
				printf("%s", c ? "  " : "");
				for (size_t k = 0; k < w[c]; k++)
					putchar('-');
			}
			putchar('\n');
		}
		for (size_t r = 0; r < n_rows; r++) {
			for (int c = 0; c < cols; c++) {
				if (tsv)
					printf("%s%s", c ? "\t" : "", rows[r][c]);
				else
					printf("%s%s%*s", c ? "  " : "", rows[r][c],
						c + 1 < cols ? (int)(w[c] - display_width(rows[r][c])) : 0, "");
			}
			putchar('\n');
		}
		if (!tsv)
			printf("(%zu row%s)\n", n_rows, n_rows == 1 ? "" : "s");
		free(w);
		rc = 0;
	}
	for (size_t r = 0; r < n_rows; r++) {
		for (int c = 0; c < cols; c++)
			free(rows[r][c]);
		free(rows[r]);
	}
	free(rows);
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return rc;
}

/* ---- the build cache (.kbc/cache.sqlite; docs/kb-schema.md) ---- */

#define CACHE_FORMAT "kbc-cache 3"

struct store_cache {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *get_note, *put_note, *get_page, *use_note;
	sqlite3_blob *entry;   /* the last note entry read (read_entry) */
	bool broken;           /* a query failed: treat as a miss from now on */
};

static const char *cache_schema =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS notes(key BLOB PRIMARY KEY, data BLOB NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS pages(path TEXT PRIMARY KEY, hash BLOB NOT NULL, size INTEGER NOT NULL,\n"
	"  ino INTEGER NOT NULL, mtime INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL,\n"
	"  ctime INTEGER NOT NULL, ino INTEGER NOT NULL, dev INTEGER NOT NULL, content BLOB NOT NULL);\n";

static void cache_close_db(struct store_cache *c)
{
	sqlite3_blob_close(c->entry);
	c->entry = NULL;
	sqlite3_finalize(c->get_note);
	sqlite3_finalize(c->put_note);
	sqlite3_finalize(c->get_page);
	sqlite3_finalize(c->use_note);
	c->get_note = c->put_note = c->get_page = c->use_note = NULL;
	sqlite3_close(c->db);
	c->db = NULL;
}

static const char *cache_meta(struct store_cache *c, const char *key, struct buf *out)
{
	sqlite3_stmt *st = NULL;
	const char *r = NULL;
	buf_reset(out);
	if (sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			buf_puts(out, (const char *)sqlite3_column_text(st, 0));
			r = out->data;
		}
	}
	sqlite3_finalize(st);
	return r;
}

/* Open (creating) the file and check that it is a cache of this format
 * made by this kbc: 0 yes (or new), 1 foreign or other version, -1 not a
 * usable database. */
static int cache_try_open(struct store_cache *c, const char *identity)
{
	if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(c->db, 2000);
	if (sqlite3_exec(c->db, "PRAGMA page_size=65536; PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=OFF;", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_stmt *st = NULL;
	int tables = -1;
	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;   /* finalized again below when the schema cannot be made */
	if (tables < 0)
		return -1;
	struct buf v = BUF_INIT;
	int rc = 0;
	if (tables == 0) {
		char *err = NULL;
		struct buf ddl = BUF_INIT;
		/* The identity is bound below, not spliced into SQL. */
		buf_printf(&ddl, "BEGIN; %s INSERT INTO meta VALUES('format', '" CACHE_FORMAT "'); COMMIT;",
			cache_schema);
		if (sqlite3_exec(c->db, ddl.data, NULL, NULL, &err) != SQLITE_OK)
			rc = -1;
		sqlite3_free(err);
		buf_free(&ddl);
		if (rc == 0 && (sqlite3_prepare_v2(c->db, "INSERT INTO meta VALUES('identity', ?)", -1, &st, NULL) !=
			SQLITE_OK || sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC) != SQLITE_OK ||
			sqlite3_step(st) != SQLITE_DONE))
			rc = -1;
		sqlite3_finalize(st);
	} else if (!str_eq(cache_meta(c, "format", &v), CACHE_FORMAT) ||
		   !str_eq(cache_meta(c, "identity", &v), identity)) {
		rc = 1;
	}
	buf_free(&v);
	/* Which entries this build used is kept in memory, so that marking
	 * one never rewrites the table's pages (entries are large). */
	if (rc == 0 && sqlite3_exec(c->db, "PRAGMA temp_store=MEMORY;"
		"CREATE TEMP TABLE IF NOT EXISTS used(key BLOB PRIMARY KEY);", NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	if (rc == 0 &&
	    (sqlite3_prepare_v2(c->db, "SELECT rowid FROM notes WHERE key = ?", -1, &c->get_note, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO notes VALUES(?, ?)", -1, &c->put_note, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(c->db, "INSERT OR IGNORE INTO temp.used VALUES(?)", -1, &c->use_note, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(c->db, "SELECT path, hash, size, ino, mtime FROM pages ORDER BY path", -1, &c->get_page,
		NULL) != SQLITE_OK))
		rc = -1;
	return rc;
}

/* Give up on the cache: the build goes on without one. */
static struct store_cache *cache_give_up(struct store_cache *c)
{
	cache_close_db(c);
	free(c->path);
	free(c);
	return NULL;
}

struct store_cache *store_cache_open(const char *path, const char *identity, bool fresh, bool verbose)
{
	struct store_cache *c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdir_p(dir);
	}
	free(dir);
	int rc = fresh ? 1 : cache_try_open(c, identity);
	if (rc < 0 && c->db && sqlite3_errcode(c->db) == SQLITE_BUSY) {
		/* Another program holds it (kbc's own builds wait for each
		 * other on .kbc/lock): not ours to replace. */
		fprintf(stderr, "kbc: note: build cache %s is locked by another program; building without it\n", path);
		return cache_give_up(c);
	}
	if (rc != 0) {
		if (!fresh)
			fprintf(stderr, "kbc: note: build cache %s %s; building everything\n", path,
				rc > 0 ? "was made by another kbc or format" : "is damaged or unreadable");
		else if (verbose)
			fprintf(stderr, "kbc: note: --no-cache: building everything\n");
		cache_close_db(c);
		unlink(path);
		struct buf j = BUF_INIT;
		buf_printf(&j, "%s-journal", path);
		unlink(j.data);
		buf_free(&j);
		if (cache_try_open(c, identity) != 0) {
			fprintf(stderr, "kbc: note: cannot create the build cache %s; building without it\n", path);
			return cache_give_up(c);
		}
	}
	sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	return c;
}

/* A query failed mid-build: the rest of this build does without. */
static void cache_broke(struct store_cache *c)
{
	if (!c->broken)
		fprintf(stderr, "kbc: note: build cache %s: %s; building the rest without it\n", c->path,
			sqlite3_errmsg(c->db));
	c->broken = true;
}

static void cache_use(struct store_cache *c, const void *key, size_t key_len)
{
	sqlite3_bind_blob(c->use_note, 1, key, (int)key_len, SQLITE_STATIC);
	if (sqlite3_step(c->use_note) != SQLITE_DONE)
		cache_broke(c);
	sqlite3_reset(c->use_note);
	sqlite3_clear_bindings(c->use_note);
}

/* Note entries are read through `db`'s `find` ("SELECT rowid FROM notes
 * WHERE key = ?") and an incremental blob handle (*entry: opened on first
 * use, then moved from row to row), which copies the entry's pages
 * straight into the caller's buffer (a SELECT of the column would first
 * assemble each entry, 17 KiB on average over overflow pages, in a buffer
 * of SQLite's own) and can read part of an entry without the rest. */

/* Point *entry at the entry under `key`: its size (0 or more), -1 when
 * there is no such entry, -2 when the database failed. */
static long long open_entry(sqlite3 *db, sqlite3_stmt *find, sqlite3_blob **entry, const void *key,
	size_t key_len)
{
	sqlite3_bind_blob(find, 1, key, (int)key_len, SQLITE_STATIC);
	int s = sqlite3_step(find);
	sqlite3_int64 row = s == SQLITE_ROW ? sqlite3_column_int64(find, 0) : 0;
	sqlite3_reset(find);
	sqlite3_clear_bindings(find);
	if (s != SQLITE_ROW)
		return s == SQLITE_DONE ? -1 : -2;
	/* A handle whose row was rewritten has expired, and one that failed
	 * to move is aborted: either way a new one is opened. */
	if (*entry && sqlite3_blob_reopen(*entry, row) != SQLITE_OK) {
		sqlite3_blob_close(*entry);
		*entry = NULL;
	}
	if (!*entry && sqlite3_blob_open(db, "main", "notes", "data", row, 0, entry) != SQLITE_OK) {
		sqlite3_blob_close(*entry);
		*entry = NULL;
		return -2;
	}
	return sqlite3_blob_bytes(*entry);
}

/* Append bytes [off, off + n) of the entry *entry points at to `out`:
 * 0, or -1 (the handle is then closed). */
static int read_entry(sqlite3_blob **entry, size_t off, size_t n, struct buf *out)
{
	if (!*entry || off > INT_MAX || n > (size_t)INT_MAX - off)
		return -1;
	buf_grow(out, n);
	if (n && sqlite3_blob_read(*entry, out->data + out->len, (int)n, (int)off) != SQLITE_OK) {
		sqlite3_blob_close(*entry);
		*entry = NULL;
		return -1;
	}
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

long long store_cache_note_open(struct store_cache *c, const void *key, size_t key_len)
{
	if (!c || c->broken)
		return -1;
	long long size = open_entry(c->db, c->get_note, &c->entry, key, key_len);
	if (size == -2)
		cache_broke(c);
	if (size < 0)
		return -1;
	cache_use(c, key, key_len);
	return size;
}

int store_cache_note_read(struct store_cache *c, size_t off, size_t n, struct buf *out)
{
	if (!c || c->broken)
		return -1;
	if (read_entry(&c->entry, off, n, out) < 0) {
		cache_broke(c);
		return -1;
	}
	return 0;
}

int store_cache_note_get(struct store_cache *c, const void *key, size_t key_len, struct buf *out)
{
	long long size = store_cache_note_open(c, key, key_len);
	return size > 0 ? store_cache_note_read(c, 0, (size_t)size, out) : -1;
}

struct store_reader {
	sqlite3 *db;
	sqlite3_stmt *get_note;
	sqlite3_blob *entry;
	bool broken;
};

struct store_reader *store_cache_reader(struct store_cache *c)
{
	if (!c || c->broken)
		return NULL;
	struct store_reader *r = xcalloc(1, sizeof *r);
	if (sqlite3_open_v2(c->path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(r->db, 2000) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "SELECT rowid FROM notes WHERE key = ?", -1, &r->get_note, NULL) != SQLITE_OK ||
	    /* One read transaction for all its lookups: each lookup on its
	     * own would take the file's lock, look for a hot journal and
	     * check the file's change counter again (six system calls). BEGIN
	     * alone defers all that to the first read; the SELECT takes the
	     * lock here, so that failing to get it means no reader (and the
	     * caller's fallback to the cache's own connection). */
	    sqlite3_exec(r->db, "BEGIN; SELECT 1 FROM notes LIMIT 1", NULL, NULL, NULL) != SQLITE_OK) {
		store_reader_close(r);
		return NULL;
	}
	return r;
}

int store_reader_note_get(struct store_reader *r, const void *key, size_t key_len, struct buf *out)
{
	long long size = store_reader_note_open(r, key, key_len);
	return size > 0 ? store_reader_note_read(r, 0, (size_t)size, out) : -1;
}

long long store_reader_note_open(struct store_reader *r, const void *key, size_t key_len)
{
	if (r->broken)
		return -1;
	long long size = open_entry(r->db, r->get_note, &r->entry, key, key_len);
	if (size == -2)
		r->broken = true;   /* a miss from now on: the notes are parsed instead */
	return size < 0 ? -1 : size;
}

int store_reader_note_read(struct store_reader *r, size_t off, size_t n, struct buf *out)
{
	if (r->broken)
		return -1;
	if (read_entry(&r->entry, off, n, out) < 0) {
		r->broken = true;
		return -1;
	}
	return 0;
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	sqlite3_blob_close(r->entry);
	sqlite3_finalize(r->get_note);
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(r->db);
	free(r);
}

void store_cache_note_used(struct store_cache *c, const void *key, size_t key_len)
{
	if (c && !c->broken)
		cache_use(c, key, key_len);
}

int store_cache_note_put(struct store_cache *c, const void *key, size_t key_len, const void *data, size_t n)
{
	if (!c || c->broken)
		return -1;
	sqlite3_stmt *st = c->put_note;
	sqlite3_bind_blob(st, 1, key, (int)key_len, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 2, data, n, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	if (rc < 0)
		cache_broke(c);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == 0)
		cache_use(c, key, key_len);
	return rc;
}

int store_cache_pages_each(struct store_cache *c, void (*fn)(void *arg, const char *rel, const struct store_page *p),
	void *arg)
{
	if (!c || c->broken)
		return -1;
	sqlite3_stmt *st = c->get_page;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_page p;
		const char *rel = (const char *)sqlite3_column_text(st, 0);
		if (!rel || sqlite3_column_bytes(st, 1) != (int)sizeof p.hash)
			continue;
		memcpy(p.hash, sqlite3_column_blob(st, 1), sizeof p.hash);
		p.size = sqlite3_column_int64(st, 2);
		p.ino = sqlite3_column_int64(st, 3);
		p.mtime = sqlite3_column_int64(st, 4);
		fn(arg, rel, &p);
	}
	sqlite3_reset(st);
	if (s != SQLITE_DONE) {
		cache_broke(c);
		return -1;
	}
	return 0;
}

/* Replace every row of `table` (of `cols` columns) by n rows, row i's
 * values bound by bind(). 0, or -1 (and the cache stops being used). */
static int replace_rows(struct store_cache *c, const char *table, int cols, size_t n,
	void (*bind)(sqlite3_stmt *st, size_t i, const void *arg), const void *arg)
{
	if (!c || c->broken)
		return -1;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "DELETE FROM %s", table);
	int rc = sqlite3_exec(c->db, sql.data, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	buf_reset(&sql);
	buf_printf(&sql, "INSERT OR REPLACE INTO %s VALUES(?", table);
	for (int k = 1; k < cols; k++)
		buf_puts(&sql, ", ?");
	buf_putc(&sql, ')');
	sqlite3_stmt *st = NULL;
	if (rc == 0 && sqlite3_prepare_v2(c->db, sql.data, -1, &st, NULL) != SQLITE_OK)
		rc = -1;
	buf_free(&sql);
	for (size_t i = 0; i < n && rc == 0; i++) {
		bind(st, i, arg);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		cache_broke(c);
	return rc;
}

struct page_rows {
	const char *const *rels;
	const struct store_page *pages;
};

static void bind_page(sqlite3_stmt *st, size_t i, const void *arg)
{
	const struct page_rows *r = arg;
	const struct store_page *p = &r->pages[i];
	sqlite3_bind_text(st, 1, r->rels[i], -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p->hash, (int)sizeof p->hash, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, p->size);
	sqlite3_bind_int64(st, 4, p->ino);
	sqlite3_bind_int64(st, 5, p->mtime);
}

int store_cache_pages_set(struct store_cache *c, const char *const *rels, const struct store_page *pages, size_t n)
{
	struct page_rows r = { rels, pages };
	return replace_rows(c, "pages", 5, n, bind_page, &r);
}

int store_cache_files_each(struct store_cache *c, void (*fn)(void *arg, const struct store_file *f), void *arg)
{
	if (!c || c->broken)
		return -1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, "SELECT path, size, mtime, ctime, ino, dev, content FROM files ORDER BY path", -1,
		&st, NULL) != SQLITE_OK) {
		cache_broke(c);
		return -1;
	}
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_file f;
		f.rel = (const char *)sqlite3_column_text(st, 0);
		if (!f.rel || sqlite3_column_bytes(st, 6) != (int)sizeof f.content)
			continue;
		f.sig = (struct kb_file_sig){ sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5) };
		memcpy(f.content, sqlite3_column_blob(st, 6), sizeof f.content);
		fn(arg, &f);
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE) {
		cache_broke(c);
		return -1;
	}
	return 0;
}

static void bind_file(sqlite3_stmt *st, size_t i, const void *arg)
{
	const struct store_file *f = (const struct store_file *)arg + i;
	sqlite3_bind_text(st, 1, f->rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->sig.size);
	sqlite3_bind_int64(st, 3, f->sig.mtime);
	sqlite3_bind_int64(st, 4, f->sig.ctime);
	sqlite3_bind_int64(st, 5, f->sig.ino);
	sqlite3_bind_int64(st, 6, f->sig.dev);
	sqlite3_bind_blob(st, 7, f->content, (int)sizeof f->content, SQLITE_STATIC);
}

int store_cache_files_set(struct store_cache *c, const struct store_file *files, size_t n)
{
	return replace_rows(c, "files", 7, n, bind_file, files);
}

int store_cache_close(struct store_cache *c, bool prune)
{
	if (!c)
		return 0;
	int rc = c->broken ? -1 : 0;
	sqlite3_blob_close(c->entry);   /* no handle open across the commit */
	c->entry = NULL;
	/* The unused keys are found in the key index: scanning the table
	 * itself would read every entry's bytes (200 MB on 10k notes) to
	 * delete the few that went stale. */
	if (rc == 0 && prune && sqlite3_exec(c->db, "DELETE FROM notes WHERE rowid IN (SELECT rowid FROM notes "
			"INDEXED BY sqlite_autoindex_notes_1 WHERE key NOT IN (SELECT key FROM temp.used))",
			NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	if (rc == 0 && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -1;
	if (rc < 0) {
		/* Never leave a cache that may disagree with itself. */
		cache_close_db(c);
		unlink(c->path);
	}
	cache_close_db(c);
	free(c->path);
	free(c);
	return rc;
}
