/* buf.c - growable byte buffer; contracts in buf.h. */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

char buf_empty_[1];

void buf_init(struct buf *b)
{
	b->data = buf_empty_;
	b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	buf_truncate(b, 0);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* The bytes b needs to hold `extra` more and its NUL (dies on overflow). */
static size_t buf_need(const struct buf *b, size_t extra)
{
	if (extra >= (size_t)-1 - b->len - 1)
		die_oom();
	return b->len + extra + 1;
}

/* Make b's block `cap` bytes, more than it has. */
static void buf_resize(struct buf *b, size_t cap)
{
	if (b->cap) {
		b->data = xrealloc(b->data, cap);
	} else {
		b->data = xmalloc(cap);
		b->data[0] = '\0';
	}
	b->cap = cap;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = buf_need(b, extra);
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap < ((size_t)-1) / 2 ? cap * 2 : need;
	buf_resize(b, cap);
}

void buf_grow_exact(struct buf *b, size_t extra)
{
	size_t need = buf_need(b, extra);
	if (need > b->cap)
		buf_resize(b, need);
}

void buf_shrink(struct buf *b)
{
	if (b->cap > b->len + 1) {
		b->data = xrealloc(b->data, b->len + 1);
		b->cap = b->len + 1;
	}
}

void buf_put(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	buf_grow(b, n);
	memmove(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_putc(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *fmt_long(char *p, long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*p++ = '-';
	while (n)
		*p++ = tmp[--n];
	return p;
}

void buf_putint(struct buf *b, long v)
{
	char tmp[24];
	buf_put(b, tmp, (size_t)(fmt_long(tmp, v) - tmp));
	b->data[b->len] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->cap ? b->data : xstrdup("");
	buf_init(b);
	return p;
}
