/* template.c - the logic-less template language; see template.h. */
#include "template.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "diag.h"
#include "kb.h"
#include "text.h"
#include "util.h"

/* ---- values ---- */

struct tv_block {
	struct tv_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define TV_BLOCK_BYTES ((size_t)48 << 10)   /* under malloc's mmap threshold */

/* The arena values made on this thread go to, or NULL. */
static _Thread_local struct tv_arena *tv_cur;

struct tv_arena *tv_arena_use(struct tv_arena *a)
{
	struct tv_arena *old = tv_cur;
	tv_cur = a;
	return old;
}

void tv_arena_free(struct tv_arena *a)
{
	while (a->blocks) {
		struct tv_block *b = a->blocks;
		a->blocks = b->next;
		free(b);
	}
	for (size_t i = 0; i < a->n_owned; i++)
		free(a->owned[i]);
	free(a->owned);
	a->owned = NULL;
	a->n_owned = a->cap_owned = 0;
}

static void *arena_alloc(struct tv_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) / align * align;
	struct tv_block *b = a->blocks;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > TV_BLOCK_BYTES ? n : TV_BLOCK_BYTES;
		b = xmalloc(sizeof *b + cap);
		b->used = 0;
		b->cap = cap;
		b->next = a->blocks;
		a->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/* Room for `need` elements of `elem` bytes in *p (capacity *cap): from
 * v's arena when v is in one, else from the heap. */
static void tv_grow(const struct tval *v, void *p, size_t *cap, size_t need, size_t elem)
{
	if (!v->in_arena) {
		xgrow(p, cap, need, elem);
		return;
	}
	if (need <= *cap)
		return;
	if (!tv_cur)
		abort();   /* an arena value changed outside its arena (template.h) */
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > ((size_t)-1) / 2 / elem)
			die_oom();
		ncap *= 2;
	}
	void *old = *(void **)p;
	void *fresh = arena_alloc(tv_cur, ncap * elem);
	if (*cap)
		memcpy(fresh, old, *cap * elem);
	*(void **)p = fresh;
	*cap = ncap;
}

static struct tval *tv_new(enum tv_kind k)
{
	struct tval *v;
	if (tv_cur) {
		v = arena_alloc(tv_cur, sizeof *v);
		memset(v, 0, sizeof *v);
		v->in_arena = true;
	} else {
		v = xcalloc(1, sizeof *v);
	}
	v->kind = k;
	return v;
}

struct tval *tv_null(void) { return tv_new(TV_NULL); }

struct tval *tv_bool(bool b)
{
	struct tval *v = tv_new(TV_BOOL);
	v->b = b;
	return v;
}

struct tval *tv_str(const char *s)
{
	if (!s)
		return tv_null();
	struct tval *v = tv_new(TV_STR);
	v->len = strlen(s);
	char *copy = v->in_arena ? arena_alloc(tv_cur, v->len + 1) : xmalloc(v->len + 1);
	memcpy(copy, s, v->len + 1);
	v->s = copy;
	v->borrowed = v->in_arena;   /* freed with the arena */
	return v;
}

struct tval *tv_str_own(char *s)
{
	if (!s)
		return tv_null();
	struct tval *v = tv_new(TV_STR);
	v->s = s;
	v->len = strlen(s);
	if (v->in_arena) {
		*VEC_PUSH(tv_cur->owned, tv_cur->n_owned, tv_cur->cap_owned) = s;
		v->borrowed = true;   /* freed with the arena */
	}
	return v;
}

struct tval *tv_ref(const char *s)
{
	if (!s)
		return tv_null();
	struct tval *v = tv_new(TV_STR);
	v->s = s;
	v->len = strlen(s);
	v->borrowed = true;
	return v;
}

struct tval *tv_list(void) { return tv_new(TV_LIST); }
struct tval *tv_map(void) { return tv_new(TV_MAP); }

struct tval *tv_push(struct tval *list, struct tval *v)
{
	tv_grow(list, &list->items, &list->cap, list->n + 1, sizeof *list->items);
	list->items[list->n++] = v;
	return v;
}

struct tval *tv_set(struct tval *map, const char *key, struct tval *v)
{
	for (size_t i = 0; i < map->n; i++)
		if (map->keys[i][0] == key[0] && !strcmp(map->keys[i], key)) {
			tv_free(map->items[i]);
			map->items[i] = v;
			return v;
		}
	/* keys and items grow in lockstep, so they share one capacity */
	size_t kcap = map->cap;
	tv_grow(map, &map->items, &map->cap, map->n + 1, sizeof *map->items);
	tv_grow(map, &map->keys, &kcap, map->n + 1, sizeof *map->keys);
	map->items[map->n] = v;
	map->keys[map->n++] = key;
	return v;
}

const struct tval *tv_get(const struct tval *map, const char *key)
{
	if (!map || map->kind != TV_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (map->keys[i][0] == key[0] && !strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

void tv_free(struct tval *v)
{
	if (!v || v->shared || v->in_arena)
		return;
	for (size_t i = 0; i < v->n; i++)
		tv_free(v->items[i]);
	free(v->items);
	free(v->keys);
	if (!v->borrowed)
		free((char *)v->s);
	free(v->esc);
	free(v);
}

/* Escape the strings of `v` and all it holds, for tv_share. */
static void tv_escape_all(struct tval *v)
{
	if (v->kind == TV_STR && !v->esc) {
		struct buf b = BUF_INIT;
		html_escape(&b, v->s, v->len);
		v->esc_len = b.len;
		v->esc = buf_detach(&b);
	}
	for (size_t i = 0; i < v->n; i++)
		tv_escape_all(v->items[i]);
}

struct tval *tv_share(struct tval *v)
{
	if (v) {
		tv_escape_all(v);
		v->shared = true;
	}
	return v;
}

void tv_free_shared(struct tval *v)
{
	if (!v)
		return;
	v->shared = false;
	tv_free(v);
}

/* ---- compiled templates ---- */

enum tk { TK_TEXT, TK_VAR, TK_RAW, TK_SECTION, TK_INVERTED, TK_PARTIAL, TK_END };

struct tnode {
	enum tk kind;
	char *s;            /* text, or the tag's name */
	size_t len;
	int line, col;
	size_t end;         /* for sections: index of the matching TK_END */
	bool reported;      /* an error at this tag was already reported */
};

struct template {
	char *name;
	char *path;         /* shown in diagnostics, NULL if not found */
	struct tnode *nodes;
	size_t n, cap;
	bool ok;
	bool too_big;       /* "expands too much" reported for it */
};

struct template_set {
	char **dirs;
	size_t n_dirs;
	struct template **t;  /* each template stays where it is while others
	                       * load: renders hold pointers to them */
	size_t n, cap;
	pthread_mutex_t lock;
};

struct template_set *template_set_new(const char *const *dirs, size_t n_dirs)
{
	struct template_set *ts = xcalloc(1, sizeof *ts);
	ts->dirs = xcalloc(n_dirs, sizeof *ts->dirs);
	for (size_t i = 0; i < n_dirs; i++)
		ts->dirs[i] = xstrdup(dirs[i]);
	ts->n_dirs = n_dirs;
	pthread_mutex_init(&ts->lock, NULL);
	return ts;
}

void template_set_free(struct template_set *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n_dirs; i++)
		free(ts->dirs[i]);
	free(ts->dirs);
	for (size_t i = 0; i < ts->n; i++) {
		struct template *t = ts->t[i];
		for (size_t j = 0; j < t->n; j++)
			free(t->nodes[j].s);
		free(t->nodes);
		free(t->name);
		free(t->path);
		free(t);
	}
	free(ts->t);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 1 && s[0] == '.')
		return true;
	if (!n || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (c == '.' && s[i + 1] != '.')))
			return false;
	}
	return true;
}

/* Compile `src` into t->nodes; reports every error; sets t->ok. */
static void compile(struct template *t, const char *src, size_t len)
{
	const char *p = src, *end = src + len;
	int line = 1;
	const char *bol = src;
	size_t *stack = NULL, depth = 0, cap = 0;
	t->ok = true;
#define COL(ptr) ((int)utf8_count(bol, (size_t)((ptr) - bol)) + 1)
	while (p < end) {
		const char *open = strstr(p, "{{");
		const char *stop = open ? open : end;
		if (stop > p) {
			struct tnode *n = VEC_PUSH(t->nodes, t->n, t->cap);
			memset(n, 0, sizeof *n);
			n->kind = TK_TEXT;
			n->s = xstrndup(p, (size_t)(stop - p));
			n->len = (size_t)(stop - p);
			for (const char *q = p; q < stop; q++)
				if (*q == '\n') {
					line++;
					bol = q + 1;
				}
		}
		if (!open)
			break;
		int tline = line, tcol = COL(open);
		bool triple = open + 2 < end && open[2] == '{';
		const char *close = strstr(open + 2, triple ? "}}}" : "}}");
		const char *nl = memchr(open, '\n', (size_t)((close ? close : end) - open));
		if (!close || nl) {
			diag_error(t->path, tline, tcol, "template tag '{{' is not closed on the same line");
			t->ok = false;
			p = nl ? nl : end;
			continue;
		}
		const char *in = open + (triple ? 3 : 2);
		const char *in_end = close;
		p = close + (triple ? 3 : 2);
		enum tk kind = triple ? TK_RAW : TK_VAR;
		if (!triple && in < in_end) {
			switch (*in) {
			case '#': kind = TK_SECTION; in++; break;
			case '^': kind = TK_INVERTED; in++; break;
			case '/': kind = TK_END; in++; break;
			case '>': kind = TK_PARTIAL; in++; break;
			case '&': kind = TK_RAW; in++; break;
			case '!': continue;   /* comment */
			default:
				if (!valid_name(in, 1) && !(*in >= 'a' && *in <= 'z') &&
				    !(*in >= 'A' && *in <= 'Z') && *in != '_' && *in != '.') {
					diag_error(t->path, tline, tcol, "unknown template tag '{{%c'", *in);
					t->ok = false;
					continue;
				}
			}
		}
		while (in < in_end && (*in == ' ' || *in == '\t'))
			in++;
		while (in_end > in && (in_end[-1] == ' ' || in_end[-1] == '\t'))
			in_end--;
		size_t nlen = (size_t)(in_end - in);
		bool name_ok = kind == TK_PARTIAL ? nlen > 0 && !memchr(in, '/', nlen) && in[0] != '.'
			: valid_name(in, nlen);
		if (!name_ok) {
			diag_error(t->path, tline, tcol, "invalid name '%.*s' in template tag",
				(int)(nlen > 60 ? 60 : nlen), in);
			t->ok = false;
			continue;
		}
		struct tnode *n = VEC_PUSH(t->nodes, t->n, t->cap);
		memset(n, 0, sizeof *n);
		n->kind = kind;
		n->s = xstrndup(in, nlen);
		n->len = nlen;
		n->line = tline;
		n->col = tcol;
		if (kind == TK_SECTION || kind == TK_INVERTED) {
			*VEC_PUSH(stack, depth, cap) = t->n - 1;
		} else if (kind == TK_END) {
			if (!depth) {
				diag_error(t->path, tline, tcol, "'{{/%s}}' closes no open section", n->s);
				t->ok = false;
			} else {
				struct tnode *o = &t->nodes[stack[depth - 1]];
				if (strcmp(o->s, n->s)) {
					diag_error(t->path, tline, tcol,
						"'{{/%s}}' does not match the open section '%s' (line %d)",
						n->s, o->s, o->line);
					t->ok = false;
				}
				o->end = t->n - 1;
				depth--;
			}
		}
	}
	for (size_t i = depth; i-- > 0;) {
		struct tnode *o = &t->nodes[stack[i]];
		diag_error(t->path, o->line, o->col, "section '{{#%s}}' is never closed", o->s);
		t->ok = false;
	}
	free(stack);
#undef COL
}

static struct template *load(struct template_set *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i]->name, name))
			return ts->t[i];
	struct template *t = xcalloc(1, sizeof *t);
	*VEC_PUSH(ts->t, ts->n, ts->cap) = t;
	t->name = xstrdup(name);
	for (size_t d = 0; d < ts->n_dirs; d++) {
		char *p = path_join(ts->dirs[d], name);
		struct buf src = BUF_INIT;
		if (file_read(p, &src) == 0) {
			t->path = kb_display_path(p);
			compile(t, src.data, src.len);
			free(p);
			buf_free(&src);
			return t;
		}
		int e = errno;
		free(p);
		buf_free(&src);
		if (e != ENOENT) {
			diag_sys("cannot read template %s: %s", name, strerror(e));
			t->ok = false;
			return t;
		}
	}
	t->ok = false;
	return t;
}

int template_set_add(struct template_set *ts, const char *name, const char *path, const char *src,
	size_t len)
{
	pthread_mutex_lock(&ts->lock);
	int rc = -1;
	for (size_t i = 0; i < ts->n; i++)
		if (!strcmp(ts->t[i]->name, name))
			goto out;
	struct template *t = xcalloc(1, sizeof *t);
	*VEC_PUSH(ts->t, ts->n, ts->cap) = t;
	t->name = xstrdup(name);
	t->path = xstrdup(path);
	char *copy = xstrndup(src, len);   /* compile() needs the terminator */
	compile(t, copy, len);
	free(copy);
	rc = 0;
out:
	pthread_mutex_unlock(&ts->lock);
	return rc;
}

const char *template_path(struct template_set *ts, const char *name)
{
	pthread_mutex_lock(&ts->lock);
	const char *p = load(ts, name)->path;
	pthread_mutex_unlock(&ts->lock);
	return p;
}

/* ---- rendering ---- */

struct frame {
	const struct tval *v;
	const struct frame *up;
};

/* Steps (template nodes visited) one render may take. Partials and
 * sections nested in each other multiply: three partials that each
 * include the next twice, 16 deep, are 43 million steps for a few bytes of
 * template. Real pages take far fewer (a list of 100,000 notes, each
 * with a link, a title and a few tags, is about 2 million), so a render
 * that gets here is stopped with an error instead of running for minutes
 * (10 million steps take under a second). */
#define TEMPLATE_MAX_STEPS 10000000u
/* Bytes one render may write: the same blow-up with a kilobyte of text in
 * each partial fills memory long before the step limit. A page of the
 * 100,000-note graph with its inline SVG is about 50 MB. */
#define TEMPLATE_MAX_BYTES ((size_t)256 << 20)

struct rctx {
	struct template_set *ts;
	struct buf *out;
	int depth;           /* partial nesting */
	bool failed;
	size_t steps;        /* nodes visited so far */
	size_t start;        /* out->len when the render began */
	bool stopped;        /* over a limit: render nothing more */
};

/* Is map key `key` the n bytes at `name`? */
static bool key_is(const char *key, const char *name, size_t n)
{
	return key[0] == name[0] && !strncmp(key, name, n) && key[n] == '\0';
}

/* Where map m holds its value under the n bytes at `name`, or NULL. */
static struct tval *const *map_slot(const struct tval *m, const char *name, size_t n)
{
	for (size_t i = 0; i < m->n; i++)
		if (key_is(m->keys[i], name, n))
			return &m->items[i];
	return NULL;
}

/* Names longer than this (a segment of one) are found nowhere. */
#define NAME_SEGMENT_MAX 127

static const struct tval *lookup(const struct frame *f, const char *name, bool *found)
{
	*found = true;
	if (name[0] == '.' && name[1] == '\0')
		return f ? f->v : NULL;
	const char *dot = strchr(name, '.');
	size_t first = dot ? (size_t)(dot - name) : strlen(name);
	if (first > NAME_SEGMENT_MAX) {
		*found = false;
		return NULL;
	}
	struct tval *const *slot = NULL;
	for (; f && !slot; f = f->up)
		if (f->v && f->v->kind == TV_MAP)
			slot = map_slot(f->v, name, first);
	if (!slot) {
		*found = false;
		return NULL;
	}
	const struct tval *v = *slot;
	while (dot) {
		const char *seg = dot + 1;
		dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		if (n > NAME_SEGMENT_MAX || !v || v->kind != TV_MAP) {
			/* a.b where a is null: null, not an error */
			return NULL;
		}
		slot = map_slot(v, seg, n);
		if (!slot) {
			*found = false;
			return NULL;
		}
		v = *slot;
	}
	return v;
}

static bool truthy(const struct tval *v)
{
	if (!v)
		return false;
	switch (v->kind) {
	case TV_NULL: return false;
	case TV_BOOL: return v->b;
	case TV_STR: return v->s[0] != '\0';
	case TV_LIST: return v->n > 0;
	case TV_MAP: return true;
	}
	return false;
}

static void tag_error(struct rctx *r, struct template *t, struct tnode *n, const char *msg)
{
	r->failed = true;
	/* Pages render on several threads: report each tag once. */
	pthread_mutex_lock(&r->ts->lock);
	bool first = !n->reported;
	n->reported = true;
	pthread_mutex_unlock(&r->ts->lock);
	if (first)
		diag_error(t->path, n->line, n->col, "%s '%s'", msg, n->s);
}

static void render_range(struct rctx *r, struct template *t, size_t from, size_t to,
	const struct frame *f);

static void render_template(struct rctx *r, struct template *t, const struct frame *f)
{
	if (!t->ok) {
		r->failed = true;
		return;
	}
	render_range(r, t, 0, t->n, f);
}

static void render_range(struct rctx *r, struct template *t, size_t from, size_t to,
	const struct frame *f)
{
	for (size_t i = from; i < to && !r->stopped; i++) {
		struct tnode *n = &t->nodes[i];
		bool found;
		const struct tval *v;
		if (++r->steps > TEMPLATE_MAX_STEPS || r->out->len - r->start > TEMPLATE_MAX_BYTES) {
			r->stopped = true;
			r->failed = true;
			pthread_mutex_lock(&r->ts->lock);
			bool first = !t->too_big;
			t->too_big = true;
			pthread_mutex_unlock(&r->ts->lock);
			if (first)
				diag_error(t->path, n->line, n->col, "template expands too much: over %u steps "
					"or %zu MiB (partials or sections nested in each other?)", TEMPLATE_MAX_STEPS,
					TEMPLATE_MAX_BYTES >> 20);
			break;
		}
		switch (n->kind) {
		case TK_TEXT:
			buf_put(r->out, n->s, n->len);
			break;
		case TK_VAR:
		case TK_RAW:
			v = lookup(f, n->s, &found);
			if (!found) {
				tag_error(r, t, n, "unknown template variable");
				break;
			}
			if (v && v->kind == TV_STR) {
				if (n->kind == TK_RAW)
					buf_put(r->out, v->s, v->len);
				else if (v->esc)
					buf_put(r->out, v->esc, v->esc_len);
				else
					html_escape(r->out, v->s, v->len);
			} else if (v && v->kind == TV_BOOL) {
				buf_puts(r->out, v->b ? "true" : "false");
			} else if (v && (v->kind == TV_LIST || v->kind == TV_MAP)) {
				tag_error(r, t, n, "cannot print a list or map; use a section for");
			}
			break;
		case TK_SECTION:
		case TK_INVERTED: {
			v = lookup(f, n->s, &found);
			if (!found) {
				tag_error(r, t, n, "unknown template variable");
				i = n->end;
				break;
			}
			bool on = truthy(v);
			if (n->kind == TK_INVERTED) {
				if (!on)
					render_range(r, t, i + 1, n->end, f);
			} else if (on && v->kind == TV_LIST) {
				for (size_t k = 0; k < v->n; k++) {
					struct frame inner = { v->items[k], f };
					render_range(r, t, i + 1, n->end, &inner);
				}
			} else if (on) {
				struct frame inner = { v, f };
				render_range(r, t, i + 1, n->end, v->kind == TV_BOOL ? f : &inner);
			}
			i = n->end;
			break;
		}
		case TK_PARTIAL: {
			if (r->depth >= 16) {
				tag_error(r, t, n, "partials nested more than 16 deep at");
				break;
			}
			char name[256];
			snprintf(name, sizeof name, "%s.html", n->s);
			pthread_mutex_lock(&r->ts->lock);
			struct template *p = load(r->ts, name);
			pthread_mutex_unlock(&r->ts->lock);
			if (!p->path) {
				tag_error(r, t, n, "no template file for partial");
				break;
			}
			r->depth++;
			render_template(r, p, f);
			r->depth--;
			break;
		}
		case TK_END:
			break;
		}
	}
}

int template_render(struct template_set *ts, const char *name, const struct tval *ctx,
	struct buf *out)
{
	pthread_mutex_lock(&ts->lock);
	struct template *t = load(ts, name);
	pthread_mutex_unlock(&ts->lock);
	if (!t->path) {
		diag_sys("template '%s' not found in any template folder", name);
		return -1;
	}
	struct rctx r = { ts, out, 0, false, 0, out->len, false };
	struct frame f = { ctx, NULL };
	render_template(&r, t, &f);
	return r.failed ? -1 : 0;
}

int template_check(struct template_set *ts, const char *name)
{
	pthread_mutex_lock(&ts->lock);
	struct template *t = load(ts, name);
	pthread_mutex_unlock(&ts->lock);
	return t->path && t->ok ? 0 : -1;
}
