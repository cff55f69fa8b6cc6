/* diag.c - diagnostics: formatting, counting, ordering; see diag.h. */
#include "diag.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static struct diag_options opts;
static size_t n_errors, n_warnings, n_sys;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct held {
	char *path;
	int line, col;
	size_t seq;
	char *text;   /* the whole formatted output, newline included */
};
static struct held *held;
static size_t n_held, cap_held;
static bool collecting;
static struct buf *capture;

void diag_capture(struct buf *sink)
{
	capture = sink;
}

void diag_setup(const struct diag_options *o)
{
	opts = *o;
}

static const char *level_name(enum diag_level l)
{
	return l == DIAG_ERROR ? "error" : l == DIAG_WARNING ? "warning" : "note";
}

/* GitHub annotation values escape %, CR and LF; properties also , and :. */
static void gh_escape(struct buf *b, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_puts(b, "%25");
		else if (*s == '\r')
			buf_puts(b, "%0D");
		else if (*s == '\n')
			buf_puts(b, "%0A");
		else if (property && *s == ',')
			buf_puts(b, "%2C");
		else if (property && *s == ':')
			buf_puts(b, "%3A");
		else
			buf_putc(b, *s);
	}
}

/* Messages reported by this thread (diag_thread_reports). */
static _Thread_local size_t thread_reports;

size_t diag_thread_reports(void)
{
	return thread_reports;
}

void diag_at(enum diag_level lvl, const char *path, int line, int col,
	const char *fmt, ...)
{
	if (lvl == DIAG_WARNING && opts.werror)
		lvl = DIAG_ERROR;
	struct buf msg = BUF_INIT, out = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	bool show = !(opts.quiet && lvl != DIAG_ERROR);
	if (show) {
		buf_puts(&out, path ? path : "kbc");
		if (line > 0) {
			buf_printf(&out, ":%d", line);
			if (col > 0)
				buf_printf(&out, ":%d", col);
		}
		buf_printf(&out, ": %s: %s\n", level_name(lvl), msg.data);
		if (opts.github && lvl != DIAG_NOTE) {
			buf_printf(&out, "::%s ", lvl == DIAG_ERROR ? "error" : "warning");
			if (path) {
				buf_puts(&out, "file=");
				gh_escape(&out, path, true);
				if (line > 0)
					buf_printf(&out, ",line=%d", line);
				if (col > 0)
					buf_printf(&out, ",col=%d", col);
			}
			buf_puts(&out, "::");
			gh_escape(&out, msg.data, false);
			buf_putc(&out, '\n');
		}
	}

	thread_reports++;
	pthread_mutex_lock(&lock);
	if (lvl == DIAG_ERROR)
		n_errors++;
	else if (lvl == DIAG_WARNING)
		n_warnings++;
	if (show) {
		if (capture) {
			buf_puts(capture, out.data);
		} else if (collecting) {
			struct held *h = VEC_PUSH(held, n_held, cap_held);
			h->path = xstrdup(path ? path : "");
			h->line = line;
			h->col = col;
			h->seq = n_held;
			h->text = buf_detach(&out);
		} else {
			fputs(out.data, stderr);
		}
	}
	pthread_mutex_unlock(&lock);
	buf_free(&msg);
	buf_free(&out);
}

void diag_sys(const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&lock);
	n_sys++;
	if (capture) {
		buf_printf(capture, "kbc: error: %s\n", msg.data);
	} else {
		fprintf(stderr, "kbc: error: %s\n", msg.data);
	}
	if (opts.github && !capture) {
		struct buf g = BUF_INIT;
		gh_escape(&g, msg.data, false);
		fprintf(stderr, "::error::%s\n", g.data);
		buf_free(&g);
	}
	pthread_mutex_unlock(&lock);
	buf_free(&msg);
}

size_t diag_errors(void) { return n_errors; }
size_t diag_warnings(void) { return n_warnings; }
size_t diag_sys_errors(void) { return n_sys; }

void diag_reset(void)
{
	n_errors = n_warnings = n_sys = 0;
}

void diag_collect(void)
{
	collecting = true;
}

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_flush(void)
{
	pthread_mutex_lock(&lock);
	if (n_held)
		qsort(held, n_held, sizeof *held, held_cmp);
	for (size_t i = 0; i < n_held; i++) {
		fputs(held[i].text, stderr);
		free(held[i].text);
		free(held[i].path);
	}
	free(held);
	held = NULL;
	n_held = cap_held = 0;
	collecting = false;
	pthread_mutex_unlock(&lock);
}
