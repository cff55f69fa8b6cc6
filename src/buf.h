/* buf.h - the one growable byte buffer used everywhere in kbc.
 *
 * Invariants: after buf_init() (or BUF_INIT) `data` is never NULL and is
 * always NUL-terminated at data[len]; `len` never counts the terminator.
 * Allocation failure aborts the program (see util.h), so no function here
 * can fail. buf_detach() hands the bytes to the caller, who frees them with
 * free(), and leaves the buffer empty and reusable. */
#ifndef KBC_BUF_H
#define KBC_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* the bytes, NUL-terminated */
	size_t len;   /* bytes used, terminator excluded */
	size_t cap;   /* bytes allocated (0: data points at a static "") */
};

extern char buf_empty_[1];
#define BUF_INIT { buf_empty_, 0, 0 }

void buf_init(struct buf *b);
/* Free the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
void buf_reset(struct buf *b);              /* len = 0, keeps storage */
void buf_grow(struct buf *b, size_t extra); /* room for `extra` more bytes */
/* Room for `extra` more bytes, exactly (no rounding up): for a block
 * whose final size is known, such as a file read whole. */
void buf_grow_exact(struct buf *b, size_t extra);
/* Give back the room beyond the bytes held: for a buffer kept long after
 * it was filled, which growth may have left twice as large as it is. */
void buf_shrink(struct buf *b);
void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Append a decimal integer (faster than buf_printf on hot paths). */
void buf_putint(struct buf *b, long v);
/* Write v's decimal digits (after '-' when negative) at p, which must have
 * room for 21 bytes; no NUL. Returns the end. */
char *fmt_long(char *p, long v);
/* Return the bytes (malloc'd, NUL-terminated) and leave `b` empty. */
char *buf_detach(struct buf *b);
void buf_truncate(struct buf *b, size_t len);

#endif
