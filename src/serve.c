/* serve.c - `kbc serve`: the preview server. See serve.h for the contracts.
 *
 * Threads: libmicrohttpd's own (a small epoll pool) answers requests; the
 * watcher thread reads inotify, debounces, runs builds and broadcasts their
 * outcome; the keeper thread wakes every second to cut off clients too slow
 * to send their headers and, every 15 s, to ping the event streams so dead
 * ones are noticed; the main thread waits for SIGINT/SIGTERM.
 *
 * Event streams use suspend/resume: when a stream has nothing to send its
 * connection is suspended (it then costs no polling and never times out),
 * and a broadcast resumes every suspended stream. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "serve.h"
#include "util.h"

extern char **environ;

/* libmicrohttpd is opened by serve_run(), not linked. Loading it, with the
 * TLS stack it brings (GnuTLS and its libraries, whose constructors run at
 * load), slowed every command for the one that serves: 5.5 ms at start
 * alone, and a full build of the 20 shipped notes took 0.16 s with it
 * linked against 0.11 s without (tools/bench/results.md, session 10).
 * Calls below go through these pointers, which the macros after
 * mhd_open() put in place of the names; the header still gives their
 * types. KBC_MHD_SONAME is the library's file name, which CMakeLists.txt
 * reads off the library itself. */
#define MHD_FUNCTIONS(X) X(MHD_add_response_header) X(MHD_create_response_from_buffer) \
	X(MHD_create_response_from_callback) X(MHD_create_response_from_fd) X(MHD_destroy_response) \
	X(MHD_get_connection_info) X(MHD_lookup_connection_value) X(MHD_queue_response) \
	X(MHD_resume_connection) X(MHD_set_connection_option) X(MHD_start_daemon) X(MHD_stop_daemon) \
	X(MHD_suspend_connection)
#define MHD_POINTER(f) static __typeof__(f) *mhd_##f;
MHD_FUNCTIONS(MHD_POINTER)
#undef MHD_POINTER

/* Open libmicrohttpd and find every function above; 0, or -1 after
 * saying what is missing. */
static int mhd_open(void)
{
	void *lib = dlopen(KBC_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "kbc: serve needs libmicrohttpd, which did not load (%s); "
			"install it (Debian: apt-get install libmicrohttpd12)\n", dlerror());
		return -1;
	}
#define MHD_FIND(f) \
	if (!(*(void **)&mhd_##f = dlsym(lib, #f))) { \
		fprintf(stderr, "kbc: serve: %s has no %s (%s)\n", KBC_MHD_SONAME, #f, dlerror()); \
		return -1; \
	}
	MHD_FUNCTIONS(MHD_FIND)
#undef MHD_FIND
	return 0;   /* kept open: the server uses it until the process ends */
}

#define MHD_add_response_header (*mhd_MHD_add_response_header)
#define MHD_create_response_from_buffer (*mhd_MHD_create_response_from_buffer)
#define MHD_create_response_from_callback (*mhd_MHD_create_response_from_callback)
#define MHD_create_response_from_fd (*mhd_MHD_create_response_from_fd)
#define MHD_destroy_response (*mhd_MHD_destroy_response)
#define MHD_get_connection_info (*mhd_MHD_get_connection_info)
#define MHD_lookup_connection_value (*mhd_MHD_lookup_connection_value)
#define MHD_queue_response (*mhd_MHD_queue_response)
#define MHD_resume_connection (*mhd_MHD_resume_connection)
#define MHD_set_connection_option (*mhd_MHD_set_connection_option)
#define MHD_start_daemon (*mhd_MHD_start_daemon)
#define MHD_stop_daemon (*mhd_MHD_stop_daemon)
#define MHD_suspend_connection (*mhd_MHD_suspend_connection)

enum { EXIT_OK = 0, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

enum {
	MAX_CONNECTIONS = 512,          /* all connections, event streams included */
	MAX_STREAMS = 64,               /* event streams (open tabs) */
	MEMORY_LIMIT = 16 * 1024,       /* per connection: request line + headers */
	PING_EVERY = 15,                /* seconds between event-stream pings */
	DEBOUNCE_MS = 40,               /* quiet time that ends a burst of changes */
	DEBOUNCE_WRITTEN_MS = 10,       /* ... when its last change finished a file */
	DEBOUNCE_MAX_MS = 400,          /* build at the latest this long after the first */
	MAX_BUILD_LOG = 256 * 1024,     /* stderr kept from one build */
};

/* The script every HTML page gets in serve mode, one line per string (ISO C
 * caps a literal's length); joined once into S.live_js and served from
 * memory. It updates the page in place when it can and reloads it when it
 * cannot, and builds the error overlay with textContent only. */
static const char *const live_js_lines[] = {
	"// kbc serve: keep this page in step with the builds (served only by kbc\n",
	"// serve). After a good build the page is fetched again; when only a few\n",
	"// parts of its body changed, and none of them is something the page's own\n",
	"// scripts set up (code blocks, graphs, headings, forms, scripts), just\n",
	"// those parts are replaced: no reload, so scroll, focus and loaded scripts\n",
	"// stay. Anything else reloads the page. A failed build lists its errors\n",
	"// over the page.\n",
	"(function () {\n",
	"  'use strict';\n",
	"  var me = document.currentScript;\n",
	"  var since = (me && me.getAttribute('data-kbc-build')) || '0';\n",
	"  var box = null;\n",
	"  var es = null;\n",
	"  var busy = false, again = false;\n",
	"  // The page as served: this script runs where the parser reaches it, at\n",
	"  // the end of the body, before any deferred script has changed the page.\n",
	"  var served = snapshot(document);\n",
	"  var scripts = document.scripts.length;\n",
	"  // Parts the page's scripts enhance (code blocks get copy buttons,\n",
	"  // headings are followed by the table of contents, graphs are\n",
	"  // interactive), that run code or hold state: never patched.\n",
	"  var SPECIAL = 'script,noscript,svg,pre,iframe,object,embed,video,audio,canvas,' +\n",
	"    'form,input,button,select,textarea,details,dialog,template,h1,h2,h3,h4,h5,h6';\n",
	"\n",
	"  // The head and body of `doc` without this script and what follows it\n",
	"  // (not yet parsed when the snapshot of the served page is taken).\n",
	"  function snapshot(doc) {\n",
	"    var body = doc.body.cloneNode(true);\n",
	"    var own = body.querySelector('script[src=\"/__kbc/live.js\"]');\n",
	"    while (own && own.parentNode) {\n",
	"      while (own.nextSibling) own.nextSibling.remove();\n",
	"      var up = own.parentNode;\n",
	"      if (own.tagName === 'SCRIPT') own.remove();\n",
	"      own = up === body ? null : up;\n",
	"    }\n",
	"    return { head: doc.head.cloneNode(true), body: body };\n",
	"  }\n",
	"  function hide() { if (box) { box.remove(); box = null; } }\n",
	"  function show(lines) {\n",
	"    hide();\n",
	"    box = document.createElement('div');\n",
	"    box.id = 'kbc-overlay';\n",
	"    box.setAttribute('role', 'alert');\n",
	"    var s = box.style;\n",
	"    s.position = 'fixed'; s.left = '0'; s.right = '0'; s.top = '0';\n",
	"    s.maxHeight = '60vh'; s.overflow = 'auto'; s.zIndex = '2147483647';\n",
	"    s.background = '#2b0b0b'; s.color = '#ffe9e9'; s.padding = '1em 1.5em';\n",
	"    s.font = '14px/1.5 ui-monospace, monospace'; s.borderBottom = '4px solid #e53935';\n",
	"    var h = document.createElement('strong');\n",
	"    h.textContent = 'kbc: the build failed; this is the last good page';\n",
	"    box.appendChild(h);\n",
	"    var list = document.createElement('ul');\n",
	"    list.style.margin = '0.5em 0 0'; list.style.paddingLeft = '1.2em';\n",
	"    lines.forEach(function (line) {\n",
	"      var li = document.createElement('li');\n",
	"      li.textContent = line;\n",
	"      li.style.whiteSpace = 'pre-wrap';\n",
	"      list.appendChild(li);\n",
	"    });\n",
	"    box.appendChild(list);\n",
	"    document.body.appendChild(box);\n",
	"  }\n",
	"\n",
	"  // Safe to swap: text, or an element with nothing special in it.\n",
	"  function plain(n) {\n",
	"    if (n.nodeType !== 1) return n.nodeType === 3 || n.nodeType === 8;\n",
	"    return !n.matches(SPECIAL) && !n.querySelector(SPECIAL);\n",
	"  }\n",
	"  function sameShell(a, b) {\n",
	"    if (a.nodeType !== 1 || b.nodeType !== 1 || a.tagName !== b.tagName) return false;\n",
	"    if (a.matches('script,noscript,svg,template') || a.attributes.length !== b.attributes.length) return false;\n",
	"    for (var i = 0; i < a.attributes.length; i++) {\n",
	"      var x = a.attributes[i];\n",
	"      if (b.getAttribute(x.name) !== x.value) return false;\n",
	"    }\n",
	"    return true;\n",
	"  }\n",
	"  // The live node standing for each child of `a` (its served form). Nodes\n",
	"  // the page's scripts added (copy buttons, popups) are stepped over.\n",
	"  function pair(live, a) {\n",
	"    var out = [], l = live.firstChild;\n",
	"    for (var n = a.firstChild; n; n = n.nextSibling) {\n",
	"      while (l && l.nodeName !== n.nodeName) l = l.nextSibling;\n",
	"      if (!l) return null;\n",
	"      out.push(l);\n",
	"      l = l.nextSibling;\n",
	"    }\n",
	"    return out;\n",
	"  }\n",
	"  // Plan how `live`, served as `a`, comes to show `b`: push the runs to\n",
	"  // replace onto `ops`. Returns false when that cannot be done in place.\n",
	"  function diff(live, a, b, ops) {\n",
	"    var ak = a.childNodes, bk = b.childNodes, lk = pair(live, a);\n",
	"    if (!lk) return false;\n",
	"    var i = 0, ja = ak.length, jb = bk.length;\n",
	"    while (i < ja && i < jb && ak[i].isEqualNode(bk[i])) i++;\n",
	"    while (ja > i && jb > i && ak[ja - 1].isEqualNode(bk[jb - 1])) { ja--; jb--; }\n",
	"    if (i === ja && i === jb) return true;\n",
	"    if (ja - i === 1 && jb - i === 1 && sameShell(ak[i], bk[i])) return diff(lk[i], ak[i], bk[i], ops);\n",
	"    var k, old = [], add = [];\n",
	"    for (k = i; k < ja; k++) {\n",
	"      if (!plain(ak[k]) || !lk[k].isEqualNode(ak[k])) return false;\n",
	"      old.push(lk[k]);\n",
	"    }\n",
	"    for (k = i; k < jb; k++) {\n",
	"      if (!plain(bk[k])) return false;\n",
	"      add.push(bk[k]);\n",
	"    }\n",
	"    var at = ja < ak.length ? lk[ja] : (ak.length ? lk[ak.length - 1].nextSibling : live.firstChild);\n",
	"    ops.push({ parent: live, at: at, old: old, add: add });\n",
	"    return ops.length <= 16;\n",
	"  }\n",
	"  // Show the page as the server now has it, in place if possible.\n",
	"  function update() {\n",
	"    if (busy) { again = true; return; }\n",
	"    busy = true;\n",
	"    fetch(location.href.split('#')[0], { cache: 'no-store' }).then(function (r) {\n",
	"      if (!r.ok) throw new Error('status ' + r.status);\n",
	"      return r.text();\n",
	"    }).then(function (text) {\n",
	"      var doc = new DOMParser().parseFromString(text, 'text/html');\n",
	"      var next = snapshot(doc);\n",
	"      var ops = [];\n",
	"      if (document.scripts.length !== scripts) throw new Error('scripts were loaded since');\n",
	"      if (!served.head.isEqualNode(next.head)) throw new Error('the head changed');\n",
	"      if (!diff(document.body, served.body, next.body, ops)) throw new Error('the change is not plain content');\n",
	"      ops.forEach(function (op) {\n",
	"        op.old.forEach(function (n) { n.remove(); });\n",
	"        op.add.forEach(function (n) { op.parent.insertBefore(document.importNode(n, true), op.at); });\n",
	"      });\n",
	"      served = next;\n",
	"      busy = false;\n",
	"      if (again) { again = false; update(); }\n",
	"    }).catch(function (e) {\n",
	"      console.info('kbc: reloading the page: ' + e.message);\n",
	"      location.reload();\n",
	"    });\n",
	"  }\n",
	"  function listen() {\n",
	"    es = new EventSource('/__kbc/events?since=' + encodeURIComponent(since));\n",
	"    es.addEventListener('reload', function (e) {\n",
	"      hide();\n",
	"      update();\n",
	"    });\n",
	"    es.addEventListener('errors', function (e) {\n",
	"      show(e.data.split('\\n').filter(function (l) { return l.length > 0; }));\n",
	"    });\n",
	"  }\n",
	"  listen();\n",
	"})();\n",
};

/* A page for a missing file when the site has no 404.html (before the
 * first good build, for instance). */
static const char missing_html[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>\n"
	"<body><h1>Not found</h1><p>kbc serve has no page at this address.</p></body></html>\n";

/* One connection, from accept to close (libmicrohttpd's socket context). */
struct conn {
	int fd;                 /* the socket (closed by libmicrohttpd only) */
	double deadline;        /* headers must be in by then (busy: ignored) */
	bool busy;              /* a request is being answered */
	struct buf uri;         /* raw request target of the current request */
	struct conn *prev, *next;
};

/* One event stream (the reader callback's closure). */
struct stream {
	struct MHD_Connection *mc;
	unsigned long seen;     /* last event sequence number sent */
	unsigned long pinged;   /* last ping number sent */
	bool suspended;
	struct buf out;         /* bytes still to send, from `off` */
	size_t off;
	struct stream *prev, *next;
};

static struct {
	char *site;             /* output folder, absolute */
	bool loopback;          /* bound to a loopback address: check Host */
	unsigned timeout;       /* seconds */
	bool quiet, verbose;
	struct buf live_js;     /* live_js_lines joined (read-only once serving) */

	pthread_mutex_t lock;   /* guards everything below */
	struct conn *conns;
	struct stream *streams;
	size_t n_streams;
	unsigned long seq;      /* incremented by each broadcast */
	unsigned long ping;     /* incremented by each ping */
	unsigned long build;    /* number of the last good build */
	bool failed;            /* the last build failed */
	struct buf errors;      /* its diagnostics, one per line */
	bool stopping;

	int wake[2];            /* pipe: tells the watcher and keeper to stop */
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = { -1, -1 } };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Tell the watcher and the keeper to stop (the pipe stays readable). */
static void wake_all(void)
{
	while (write(S.wake[1], "x", 1) < 0 && errno == EINTR)
		;
}

static bool stopping(void)
{
	pthread_mutex_lock(&S.lock);
	bool s = S.stopping;
	pthread_mutex_unlock(&S.lock);
	return s;
}

/* ---- event streams ---- */

/* The event for the current state, appended to `b`. Called locked. */
static void state_event(struct buf *b)
{
	if (S.failed) {
		buf_puts(b, "event: errors\n");
		const char *p = S.errors.data;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			buf_puts(b, "data: ");
			buf_put(b, p, n);
			buf_putc(b, '\n');
			p += n + (nl != NULL);
		}
		buf_putc(b, '\n');
	} else {
		buf_printf(b, "event: reload\ndata: %lu\n\n", S.build);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct stream *st = cls;
	ssize_t n;
	pthread_mutex_lock(&S.lock);
	if (S.stopping) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
		goto out;
	}
	if (st->off == st->out.len) {
		buf_reset(&st->out);
		st->off = 0;
		if (st->seen != S.seq) {
			st->seen = S.seq;
			state_event(&st->out);
		} else if (st->pinged != S.ping) {
			st->pinged = S.ping;
			buf_puts(&st->out, ": ping\n\n");
		}
	}
	if (st->off == st->out.len) {
		/* Nothing to say: park the connection until a broadcast. */
		st->suspended = true;
		MHD_suspend_connection(st->mc);
		n = 0;
		goto out;
	}
	size_t k = st->out.len - st->off;
	if (k > max)
		k = max;
	memcpy(out, st->out.data + st->off, k);
	st->off += k;
	n = (ssize_t)k;
out:
	pthread_mutex_unlock(&S.lock);
	return n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	pthread_mutex_lock(&S.lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		S.streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	S.n_streams--;
	pthread_mutex_unlock(&S.lock);
	buf_free(&st->out);
	free(st);
}

/* Wake every parked stream. Called locked. */
static void resume_streams(void)
{
	for (struct stream *st = S.streams; st; st = st->next)
		if (st->suspended) {
			st->suspended = false;
			MHD_resume_connection(st->mc);
		}
}

/* After a build: remember the outcome and tell every open page. */
static void broadcast(bool ok, const char *errors)
{
	pthread_mutex_lock(&S.lock);
	S.failed = !ok;
	buf_reset(&S.errors);
	if (ok)
		S.build++;
	else
		buf_puts(&S.errors, errors);
	S.seq++;
	resume_streams();
	pthread_mutex_unlock(&S.lock);
}

/* ---- connections: slow clients ---- */

static void on_connection(void *cls, struct MHD_Connection *mc, void **ctx,
	enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *c = xcalloc(1, sizeof *c);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci ? ci->connect_fd : -1;
		c->deadline = now_s() + S.timeout;
		buf_init(&c->uri);
		pthread_mutex_lock(&S.lock);
		c->next = S.conns;
		if (S.conns)
			S.conns->prev = c;
		S.conns = c;
		pthread_mutex_unlock(&S.lock);
		*ctx = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *ctx) {
		/* libmicrohttpd closes the socket after this returns, so the
		 * keeper (which holds the lock) never touches a reused fd. */
		struct conn *c = *ctx;
		pthread_mutex_lock(&S.lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			S.conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&S.lock);
		buf_free(&c->uri);
		free(c);
		*ctx = NULL;
	}
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Called with the raw request target as soon as the request line is in. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)cls;
	struct conn *c = conn_of(mc);
	if (c) {
		pthread_mutex_lock(&S.lock);
		buf_reset(&c->uri);
		buf_puts(&c->uri, uri);
		pthread_mutex_unlock(&S.lock);
	}
	return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req,
	enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)req;
	(void)code;
	struct conn *c = conn_of(mc);
	if (c) {
		pthread_mutex_lock(&S.lock);
		c->busy = false;
		c->deadline = now_s() + S.timeout;
		pthread_mutex_unlock(&S.lock);
	}
}

/* Cut off every connection whose request headers are late. */
static void reap_slow(void)
{
	double t = now_s();
	pthread_mutex_lock(&S.lock);
	for (struct conn *c = S.conns; c; c = c->next)
		if (!c->busy && c->fd >= 0 && t > c->deadline) {
			shutdown(c->fd, SHUT_RDWR);
			c->deadline = t + 3600;   /* once is enough */
			if (S.verbose)
				fprintf(stderr, "kbc: serve: cut off a client too slow to send its request\n");
		}
	pthread_mutex_unlock(&S.lock);
}

/* ---- answering requests ---- */

static void common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result reply_mem(struct MHD_Connection *mc, unsigned status, const char *type,
	void *data, size_t n, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, data, mode);
	if (!r)
		return MHD_NO;
	common_headers(r);
	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *mc, unsigned status, const char *text)
{
	return reply_mem(mc, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
		MHD_RESPMEM_PERSISTENT);
}

static const char *content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".json", "application/json" },
		{ ".xml", "application/xml" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".webp", "image/webp" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".woff", "font/woff" },
		{ ".bin", "application/octet-stream" },
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (!strcasecmp(dot, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* Insert the live-reload script before the last </body> (or at the end),
 * in place: the page's bytes move once, by the length of the tag. */
static void inject(struct buf *html)
{
	char tag[96];
	unsigned long build;
	pthread_mutex_lock(&S.lock);
	build = S.build;
	pthread_mutex_unlock(&S.lock);
	size_t n = (size_t)snprintf(tag, sizeof tag, "<script src=\"/__kbc/live.js\" data-kbc-build=\"%lu\"></script>",
		build);
	size_t at = html->len;
	for (size_t i = html->len; i >= 7; i--)
		if (!strncasecmp(html->data + i - 7, "</body>", 7)) {
			at = i - 7;
			break;
		}
	buf_grow(html, n);
	memmove(html->data + at + n, html->data + at, html->len - at + 1);
	memcpy(html->data + at, tag, n);
	html->len += n;
}

/* With a loopback bind, only requests that name this machine are
 * answered: a web page whose host name an attacker re-points at 127.0.0.1
 * (DNS rebinding) must not read the notes. No Host (HTTP/1.0) is fine. */
static bool host_allowed(const char *host)
{
	if (!S.loopback || !host)
		return true;
	char name[256];
	size_t n;
	if (host[0] == '[') {
		n = strcspn(host, "]");
		return n == 4 && !strncmp(host, "[::1", 4);
	}
	n = strcspn(host, ":");
	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!strcmp(name, "localhost") || str_ends(name, ".localhost"))
		return true;
	struct in_addr a;
	return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the path of a raw request target into `rel` (site-relative, no
 * leading slash, segments joined by '/'). Returns 0, or the HTTP status
 * that refuses it. `*dir` says whether the path ended in '/'. */
static unsigned decode_path(const char *raw, struct buf *rel, bool *dir)
{
	size_t end = strcspn(raw, "?#");
	if (raw[0] != '/')
		return MHD_HTTP_BAD_REQUEST;
	struct buf dec = BUF_INIT;
	unsigned status = 0;
	for (size_t i = 0; i < end; i++) {
		int c = (unsigned char)raw[i];
		if (c == '%') {
			int h = i + 2 < end ? hexval(raw[i + 1]) : -1;
			int l = i + 2 < end ? hexval(raw[i + 2]) : -1;
			if (h < 0 || l < 0) {
				status = MHD_HTTP_BAD_REQUEST;
				goto out;
			}
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0 || c < 0x20 || c == 0x7f) {
			status = MHD_HTTP_BAD_REQUEST;
			goto out;
		}
		buf_putc(&dec, c);
	}
	*dir = dec.len > 0 && dec.data[dec.len - 1] == '/';
	buf_reset(rel);
	for (const char *p = dec.data; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (!n)
			break;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			status = MHD_HTTP_FORBIDDEN;
			goto out;
		}
		if (p[0] == '.') {   /* hidden files (.kbc-site) are not part of the site */
			status = MHD_HTTP_NOT_FOUND;
			goto out;
		}
		if (rel->len)
			buf_putc(rel, '/');
		buf_put(rel, p, n);
		p += n;
	}
out:
	buf_free(&dec);
	return status;
}

/* Open `rel` inside the site. Returns an open regular file (fd) and its
 * real path in `real`, or -1 with the HTTP status in `*status` (301 with
 * `*status` when it is a folder asked for without its slash). */
static int open_in_site(const char *rel, bool dir_slash, char **real, unsigned *status)
{
	char site_real[PATH_MAX], file_real[PATH_MAX];
	*real = NULL;
	if (!realpath(S.site, site_real)) {
		*status = MHD_HTTP_NOT_FOUND;
		return -1;
	}
	char *path = path_join(site_real, rel);
	int fd = -1;
	for (int round = 0; round < 2; round++) {
		if (!realpath(path, file_real)) {
			*status = errno == EACCES ? MHD_HTTP_FORBIDDEN : MHD_HTTP_NOT_FOUND;
			goto out;
		}
		if (!path_within(file_real, site_real)) {
			*status = MHD_HTTP_FORBIDDEN;
			goto out;
		}
		struct stat st;
		if (stat(file_real, &st) < 0) {
			*status = MHD_HTTP_NOT_FOUND;
			goto out;
		}
		if (!S_ISDIR(st.st_mode))
			break;
		if (round == 1 || (!dir_slash && *rel)) {
			*status = round == 1 ? MHD_HTTP_NOT_FOUND : MHD_HTTP_MOVED_PERMANENTLY;
			goto out;
		}
		free(path);
		path = path_join(file_real, "index.html");
	}
	fd = open(file_real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		fd = -1;
		*status = MHD_HTTP_NOT_FOUND;
		goto out;
	}
	*real = xstrdup(file_real);
out:
	free(path);
	return fd;
}

/* Read the rest of `fd` (closing it) into `b`, with room for `extra`
 * more bytes so the caller can add to it without a copy. */
static int slurp(int fd, struct buf *b, size_t extra)
{
	int rc = 0;
	struct stat st;
	size_t want = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : 65536;
	buf_grow(b, want + extra + 1);
	for (;;) {
		if (b->cap - b->len < 4096 + extra)
			buf_grow(b, 65536 + extra);
		ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1 - extra);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	close(fd);
	return rc;
}

static enum MHD_Result reply_html(struct MHD_Connection *mc, unsigned status, int fd)
{
	struct buf html = BUF_INIT;
	if (fd >= 0) {
		if (slurp(fd, &html, 128) < 0) {
			buf_free(&html);
			return reply_text(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the page\n");
		}
	} else {
		buf_puts(&html, missing_html);
	}
	inject(&html);
	size_t n = html.len;
	return reply_mem(mc, status, "text/html; charset=utf-8", buf_detach(&html), n, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result reply_not_found(struct MHD_Connection *mc)
{
	char *real = NULL;
	unsigned st = 0;
	int fd = open_in_site("404.html", false, &real, &st);
	free(real);
	return reply_html(mc, MHD_HTTP_NOT_FOUND, fd);
}

static enum MHD_Result reply_events(struct MHD_Connection *mc, const char *query)
{
	unsigned long since = 0;
	bool have_since = false;
	const char *p = query ? strstr(query, "since=") : NULL;
	if (p) {
		char *end;
		errno = 0;
		since = strtoul(p + 6, &end, 10);
		have_since = end != p + 6 && errno == 0;
	}
	struct stream *st = xcalloc(1, sizeof *st);
	buf_init(&st->out);
	st->mc = mc;
	pthread_mutex_lock(&S.lock);
	if (S.n_streams >= MAX_STREAMS || S.stopping) {
		pthread_mutex_unlock(&S.lock);
		buf_free(&st->out);
		free(st);
		return reply_text(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "too many open pages\n");
	}
	st->seen = S.seq;
	st->pinged = S.ping;
	buf_puts(&st->out, "retry: 1000\n\n");
	/* A page served by an older build, or while the build is broken,
	 * learns it at once. */
	if (S.failed || (have_since && since != S.build))
		state_event(&st->out);
	st->next = S.streams;
	if (S.streams)
		S.streams->prev = st;
	S.streams = st;
	S.n_streams++;
	pthread_mutex_unlock(&S.lock);

	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	common_headers(r);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	/* Long-lived by design: no idle timeout (pings find dead ones). */
	MHD_set_connection_option(mc, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	enum MHD_Result ret = MHD_queue_response(mc, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size, void **req)
{
	(void)cls;
	(void)version;
	(void)upload;
	static int seen_marker;
	if (!*req) {
		/* The first call only says the headers are in; answer on the next. */
		*req = &seen_marker;
		struct conn *c0 = conn_of(mc);
		if (c0) {
			pthread_mutex_lock(&S.lock);
			c0->busy = true;
			pthread_mutex_unlock(&S.lock);
		}
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;   /* a body on GET/HEAD is ignored */
		return MHD_YES;
	}
	struct conn *c = conn_of(mc);
	struct buf raw = BUF_INIT;
	if (c) {
		pthread_mutex_lock(&S.lock);
		c->busy = true;
		buf_puts(&raw, c->uri.data);
		pthread_mutex_unlock(&S.lock);
	} else {
		buf_puts(&raw, url);
	}
	struct buf rel = BUF_INIT;
	enum MHD_Result ret;
	bool dir = false;
	unsigned status;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		ret = reply_text(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
		goto out;
	}
	if (!host_allowed(MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) {
		ret = reply_text(mc, MHD_HTTP_FORBIDDEN, "kbc serve answers requests for localhost only\n");
		goto out;
	}
	status = decode_path(raw.data, &rel, &dir);
	if (status == MHD_HTTP_NOT_FOUND) {
		ret = reply_not_found(mc);
		goto out;
	}
	if (status) {
		ret = reply_text(mc, status, status == MHD_HTTP_FORBIDDEN ? "forbidden\n" : "bad request\n");
		goto out;
	}
	if (!strcmp(rel.data, "__kbc/live.js")) {
		ret = reply_mem(mc, MHD_HTTP_OK, "text/javascript; charset=utf-8", S.live_js.data,
			S.live_js.len, MHD_RESPMEM_PERSISTENT);
		goto out;
	}
	if (!strcmp(rel.data, "__kbc/events")) {
		const char *q = strchr(raw.data, '?');
		ret = reply_events(mc, q);
		goto out;
	}
	char *real = NULL;
	int fd = open_in_site(rel.data, dir, &real, &status);
	if (fd < 0) {
		if (status == MHD_HTTP_NOT_FOUND) {
			ret = reply_not_found(mc);
		} else if (status == MHD_HTTP_MOVED_PERMANENTLY) {
			struct buf loc = BUF_INIT;
			size_t end = strcspn(raw.data, "?#");
			buf_put(&loc, raw.data, end);
			buf_putc(&loc, '/');
			buf_puts(&loc, raw.data + end);
			struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
			common_headers(r);
			MHD_add_response_header(r, "Location", loc.data);
			ret = MHD_queue_response(mc, status, r);
			MHD_destroy_response(r);
			buf_free(&loc);
		} else {
			ret = reply_text(mc, status, "forbidden\n");
		}
		goto out;
	}
	const char *type = content_type(real);
	if (str_starts(type, "text/html")) {
		ret = reply_html(mc, MHD_HTTP_OK, fd);
	} else {
		/* Other files may be revalidated: a reload asks again, and an
		 * unchanged file (same inode, size and time: a rebuild's swap
		 * makes new files) costs a 304. Pages are never cached. */
		struct stat sb;
		struct MHD_Response *r = NULL;
		char etag[80] = "";
		if (fstat(fd, &sb) == 0)
			snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", (unsigned long long)sb.st_ino,
				(unsigned long long)sb.st_size,
				(unsigned long long)sb.st_mtim.tv_sec * 1000000000ull + (unsigned long long)sb.st_mtim.tv_nsec);
		const char *inm = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
		bool fresh = *etag && inm && strstr(inm, etag);
		if (fresh) {
			close(fd);
			r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		} else if (*etag) {
			r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		}
		if (!r) {
			if (!fresh)
				close(fd);
			ret = MHD_NO;
		} else {
			MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
			MHD_add_response_header(r, "Cache-Control", "no-cache");
			MHD_add_response_header(r, "ETag", etag);
			if (!fresh)
				MHD_add_response_header(r, "Content-Type", type);
			ret = MHD_queue_response(mc, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, r);
			MHD_destroy_response(r);
		}
	}
	free(real);
out:
	buf_free(&rel);
	buf_free(&raw);
	return ret;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!S.verbose)
		return;
	fputs("kbc: serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}
#pragma GCC diagnostic pop

/* ---- building ---- */

/* A build child: `kbc build` started ahead of time, waiting for one byte
 * on its fd GO_FD before it starts (main.c, KBC_SERVE_GO_FD), so a rebuild
 * does not wait for exec and the dynamic loader. */
struct child {
	pid_t pid;              /* 0: none */
	int go;                 /* write end of its go pipe */
	int err;                /* read end of its stderr */
};

enum { GO_FD = 3 };

struct builder {
	const struct serve_options *o;
	char *root;
	char *jobs;
	char **envp;            /* environ with KBC_SERVE_GO_FD=3 */
	pid_t child;            /* running build, or 0 */
	struct child next;      /* the next build, waiting for its go */
};

/* The diagnostics worth showing in the page: every "...: error: ..."
 * line, or the last lines when the build failed without one. */
static void pick_errors(const char *log, int status, struct buf *out)
{
	for (const char *p = log; *p;) {
		size_t n = strcspn(p, "\n");
		const char *e = memmem(p, n, ": error: ", 9);
		if (e) {
			for (size_t i = 0; i < n; i++)
				buf_putc(out, p[i] == '\r' ? ' ' : p[i]);
			buf_putc(out, '\n');
		}
		p += n + (p[n] == '\n');
	}
	if (out->len)
		return;
	if (WIFSIGNALED(status))
		buf_printf(out, "kbc build was killed by signal %d\n", WTERMSIG(status));
	else
		buf_printf(out, "kbc build failed (exit status %d)\n", WEXITSTATUS(status));
	size_t lines = 0, i = strlen(log);
	while (i > 0 && lines < 6)
		if (log[--i] == '\n')
			lines++;
	for (const char *p = log + i; *p; p++)
		buf_putc(out, *p == '\r' ? ' ' : *p);
}

/* Start `kbc build` waiting for its go in `*c`. Returns 0, or -1 with the
 * reason in `log`. */
static int spawn_build(struct builder *b, struct child *c, struct buf *log)
{
	const struct serve_options *o = b->o;
	char *argv[12];
	int k = 0;
	argv[k++] = "kbc";
	argv[k++] = "build";
	argv[k++] = "-C";
	argv[k++] = b->root;
	argv[k++] = "-o";
	argv[k++] = S.site;
	argv[k++] = "-j";
	argv[k++] = b->jobs;
	if (o->drafts)
		argv[k++] = "--drafts";
	if (o->quiet)
		argv[k++] = "-q";
	if (o->verbose)
		argv[k++] = "-v";
	argv[k] = NULL;

	int efd[2], gfd[2];
	if (pipe2(efd, O_CLOEXEC) < 0) {
		buf_printf(log, "kbc: error: cannot start a build: %s\n", strerror(errno));
		return -1;
	}
	if (pipe2(gfd, O_CLOEXEC) < 0) {
		buf_printf(log, "kbc: error: cannot start a build: %s\n", strerror(errno));
		close(efd[0]);
		close(efd[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, efd[1], 2);
	posix_spawn_file_actions_adddup2(&fa, gfd[0], GO_FD);
	posix_spawnattr_init(&at);
	sigset_t none, deflt;
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &deflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int err = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, b->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(efd[1]);
	close(gfd[0]);
	if (err) {
		close(efd[0]);
		close(gfd[1]);
		buf_printf(log, "kbc: error: cannot start a build: %s\n", strerror(err));
		return -1;
	}
	c->pid = pid;
	c->go = gfd[1];
	c->err = efd[0];
	return 0;
}

/* Let a waiting child go without building (it exits at once), and reap it. */
static void release_child(struct child *c)
{
	if (c->pid <= 0)
		return;
	close(c->go);
	close(c->err);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
}

/* Run a build (the waiting child, else a new one) and capture its stderr.
 * Returns true when it succeeded; `log` gets its stderr. */
static bool run_build(struct builder *b, struct buf *log, int *status)
{
	*status = -1;
	struct child c = b->next;
	b->next.pid = 0;
	for (int tries = 0;; tries++) {
		if (c.pid <= 0 && spawn_build(b, &c, log) < 0)
			return false;
		/* Known before it goes, so that a stop can end it. */
		pthread_mutex_lock(&S.lock);
		b->child = c.pid;
		pthread_mutex_unlock(&S.lock);
		if (write(c.go, "g", 1) == 1)
			break;
		/* Gone before its go (killed meanwhile): start a fresh one. */
		int e = errno;
		pthread_mutex_lock(&S.lock);
		b->child = 0;
		pthread_mutex_unlock(&S.lock);
		release_child(&c);
		if (tries == 1) {
			buf_printf(log, "kbc: error: cannot start a build: %s\n", strerror(e));
			return false;
		}
	}
	close(c.go);
	pid_t pid = c.pid;
	int efd = c.err;
	char chunk[4096];
	for (;;) {
		ssize_t n = read(efd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (log->len < MAX_BUILD_LOG)
			buf_put(log, chunk, (size_t)n);
	}
	close(efd);
	/* The user sees what the build says, except where to open the site. */
	for (const char *p = log->data; *p;) {
		size_t len = strcspn(p, "\n");
		len += p[len] == '\n';
		if (!str_starts(p, "kbc: site written to "))
			fwrite(p, 1, len, stderr);
		p += len;
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&S.lock);
	b->child = 0;
	pthread_mutex_unlock(&S.lock);
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

int serve_build_wait(void)
{
	const char *v = getenv("KBC_SERVE_GO_FD");
	long fd;
	if (!v || str_to_long(v, &fd) < 0 || fd < 0 || fd > INT_MAX)
		return 0;
	char go;
	ssize_t n;
	while ((n = read((int)fd, &go, 1)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return 0;   /* not a pipe from serve (EBADF...): an ordinary build */
	close((int)fd);
	unsetenv("KBC_SERVE_GO_FD");
	return n == 1 ? 0 : -1;
}

/* Build, tell the open pages, and return the build's exit status (-1 when
 * it could not start or was killed). */
static int build_and_tell(struct builder *b, bool first)
{
	struct buf log = BUF_INIT, errors = BUF_INIT;
	int status;
	double t = now_s();
	bool ok = run_build(b, &log, &status);
	if (!ok && stopping())
		goto out;
	if (!ok)
		pick_errors(log.data, status, &errors);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	bool stops = first && code != 0 && code != 1;   /* the caller says why */
	/* The log line comes before the pages hear of the build, so whoever
	 * reads both sees them in the order they happened. */
	if (!S.quiet && !stops)
		fprintf(stderr, "kbc: serve: %s in %.0f ms\n",
			ok ? (first ? "built" : "rebuilt") : "build failed; still serving the last good site",
			(now_s() - t) * 1000);
	broadcast(ok, errors.data);
	if (stops)
		goto out;
	/* The next build starts now, off the path of the next save, and waits
	 * for its go (without one it just exits at the stop). */
	if (!stopping() && b->next.pid <= 0) {
		struct buf why = BUF_INIT;
		if (spawn_build(b, &b->next, &why) < 0)
			b->next.pid = 0;   /* the next build starts the usual way */
		buf_free(&why);
	}
out:
	buf_free(&log);
	buf_free(&errors);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- watching ---- */

struct watch {
	int wd;
	char *path;
};

struct watcher {
	int fd;                 /* inotify */
	struct watch *w;
	size_t n, cap;
	char *root;
	char *notes_name;       /* notes folder's name when it sits in the root */
	char *ledger_dir;       /* folder of a ledger outside the notes folder */
	char *ledger_name;
	char *trees[3];         /* the notes folder, templates/, assets/ */
	bool rescan;            /* events were lost: walk the trees again */
	bool written;           /* the last change that counts finished writing a file */
	struct builder *b;
};

static const uint32_t WATCH_MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
	IN_DELETE | IN_ONLYDIR | IN_EXCL_UNLINK;

/* Watch `dir` and every folder below it (hidden ones skipped). */
static void watch_tree(struct watcher *wt, const char *dir)
{
	int wd = inotify_add_watch(wt->fd, dir, WATCH_MASK);
	if (wd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			fprintf(stderr, "kbc: warning: cannot watch %s: %s\n", dir, strerror(errno));
		return;
	}
	bool known = false;
	for (size_t i = 0; i < wt->n; i++)
		if (wt->w[i].wd == wd) {
			known = true;
			free(wt->w[i].path);
			wt->w[i].path = xstrdup(dir);
		}
	if (!known) {
		struct watch *w = VEC_PUSH(wt->w, wt->n, wt->cap);
		w->wd = wd;
		w->path = xstrdup(dir);
	}
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sub = path_join(dir, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			watch_tree(wt, sub);
		free(sub);
	}
	closedir(d);
}

static const char *watch_path(struct watcher *wt, int wd)
{
	for (size_t i = 0; i < wt->n; i++)
		if (wt->w[i].wd == wd)
			return wt->w[i].path;
	return NULL;
}

/* Editors' scratch files: swap files, backups, lock files. */
static bool scratch_name(const char *name)
{
	return name[0] == '.' || name[0] == '#' || str_ends(name, "~") || str_ends(name, ".swp") ||
	       str_ends(name, ".swx") || str_ends(name, ".tmp") || !strcmp(name, "4913");
}

/* Did this event finish a file: closed after writing, or renamed into
 * place (as editors save)? Anything else (a file created, moved away or
 * deleted, a folder) may be the first step of a save still under way. */
static bool finished_file(const struct inotify_event *ev)
{
	return (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && !(ev->mask & IN_ISDIR);
}

/* Read pending events; returns true when one of them matters, and sets
 * wt->written from the last one that does. */
static bool read_events(struct watcher *wt)
{
	char chunk[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	for (;;) {
		ssize_t n = read(wt->fd, chunk, sizeof chunk);
		if (n <= 0)
			break;
		for (char *p = chunk; p < chunk + n;) {
			struct inotify_event *ev = (struct inotify_event *)(void *)p;
			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Events were lost: rebuild, and watch any folder made meanwhile. */
				relevant = true;
				wt->rescan = true;
				wt->written = false;
				continue;
			}
			const char *dir = watch_path(wt, ev->wd);
			if (ev->mask & IN_IGNORED) {
				for (size_t i = 0; i < wt->n; i++)
					if (wt->w[i].wd == ev->wd) {
						free(wt->w[i].path);
						wt->w[i] = wt->w[--wt->n];
						break;
					}
				continue;
			}
			if (!dir || !ev->len)
				continue;
			const char *name = ev->name;
			if (!strcmp(dir, wt->root)) {
				/* In the root only kb.yaml and the watched folders count. */
				bool folder = !strcmp(name, "templates") || !strcmp(name, "assets") ||
					      str_eq(name, wt->notes_name);
				if (!strcmp(name, "kb.yaml")) {
					relevant = true;
					wt->written = finished_file(ev);
				} else if (folder && (ev->mask & IN_ISDIR)) {
					relevant = true;
					wt->written = false;
					if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
						char *sub = path_join(dir, name);
						watch_tree(wt, sub);
						free(sub);
					}
				}
				if (!(wt->ledger_dir && !strcmp(dir, wt->ledger_dir)))
					continue;
			}
			if (wt->ledger_dir && !strcmp(dir, wt->ledger_dir)) {
				if (!strcmp(name, wt->ledger_name)) {
					relevant = true;
					wt->written = finished_file(ev);
				}
				continue;
			}
			if (scratch_name(name))
				continue;
			relevant = true;
			wt->written = finished_file(ev);
			if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
				char *sub = path_join(dir, name);
				watch_tree(wt, sub);
				free(sub);
			}
		}
	}
	return relevant;
}

static int wait_readable(int fd, int wake, int ms)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { wake, POLLIN, 0 } };
	int n = poll(p, 2, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (p[1].revents)
		return 2;
	return p[0].revents ? 1 : 0;
}

static void *watcher_main(void *arg)
{
	struct watcher *wt = arg;
	for (;;) {
		int r = wait_readable(wt->fd, S.wake[0], -1);
		if (r == 2 || r < 0)
			break;
		if (r == 0 || !read_events(wt))
			continue;
		/* A burst: wait until it has been quiet for a moment, a shorter
		 * one when the last change finished writing a file. */
		double first = now_s(), last = first;
		for (;;) {
			double t = now_s();
			double until = last + (wt->written ? DEBOUNCE_WRITTEN_MS : DEBOUNCE_MS) / 1000.0;
			if (until > first + DEBOUNCE_MAX_MS / 1000.0)
				until = first + DEBOUNCE_MAX_MS / 1000.0;
			if (t >= until)
				break;
			r = wait_readable(wt->fd, S.wake[0], (int)((until - t) * 1000) + 1);
			if (r == 2 || r < 0)
				goto done;
			if (r == 1 && read_events(wt))
				last = now_s();
		}
		if (wt->rescan) {
			wt->rescan = false;
			for (int i = 0; i < 3; i++)
				watch_tree(wt, wt->trees[i]);
		}
		build_and_tell(wt->b, false);
	}
done:
	return NULL;
}

static void *keeper_main(void *arg)
{
	(void)arg;
	double next_ping = now_s() + PING_EVERY;
	for (;;) {
		struct pollfd p = { S.wake[0], POLLIN, 0 };
		if (poll(&p, 1, 1000) > 0)
			break;
		reap_slow();
		if (now_s() >= next_ping) {
			next_ping = now_s() + PING_EVERY;
			pthread_mutex_lock(&S.lock);
			S.ping++;
			resume_streams();
			pthread_mutex_unlock(&S.lock);
		}
	}
	return NULL;
}

/* ---- listening ---- */

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

/* Bind and listen on host:port. Returns the socket, or -1 with errno
 * (EADDRINUSE when the port is taken) and `why` set for other failures. */
static int listen_on(const char *host, long port, struct sockaddr_storage *bound, socklen_t *blen,
	char *why, size_t whylen)
{
	char ps[24];
	snprintf(ps, sizeof ps, "%ld", port);
	struct addrinfo hints = { 0 }, *ai = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int gai = getaddrinfo(host, ps, &hints, &ai);
	if (gai) {
		snprintf(why, whylen, "cannot resolve host '%s': %s", host, gai_strerror(gai));
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot listen on %s port %ld: %s", host, port, strerror(e));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		errno = e;
		return -1;
	}
	freeaddrinfo(ai);
	*blen = sizeof *bound;
	getsockname(fd, (struct sockaddr *)bound, blen);
	return fd;
}

static void url_of(const struct sockaddr_storage *ss, struct buf *url)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		buf_printf(url, "http://[%s]:%u/", host, port);
	} else {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		buf_printf(url, "http://%s:%u/", host, port);
	}
}

/* ---- the command ---- */

/* Listen on `host` at --port, or at 8000 or the next free port up to
 * 8020. Returns the socket, or -1 after saying why. */
static int open_listener(const struct serve_options *o, const char *host, struct sockaddr_storage *bound)
{
	socklen_t blen;
	char why[512];
	long port = o->port >= 0 ? o->port : 8000;
	for (int tries = 0;; tries++) {
		int fd = listen_on(host, port, bound, &blen, why, sizeof why);
		if (fd >= 0) {
			if (o->port < 0 && port != 8000 && !o->quiet)
				fprintf(stderr, "kbc: port 8000 is in use; using %ld\n", port);
			return fd;
		}
		if (errno == EADDRINUSE && o->port < 0 && tries < 20) {
			port++;
			continue;
		}
		if (errno == EADDRINUSE)
			fprintf(stderr, "kbc: error: %s:%ld is already in use (another kbc serve?); pick another with --port, or --port 0 for any free port\n",
				host, port);
		else
			fprintf(stderr, "kbc: error: %s\n", why);
		return -1;
	}
}


/* Watch the project: its root (kb.yaml, folders appearing), the notes
 * folder, templates/ and assets/ with every folder below, and the ledger
 * when it lives elsewhere. Returns 0, or -1 when inotify is unavailable. */
static int watch_project(struct watcher *wt, const struct kb_config *cfg)
{
	wt->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (wt->fd < 0) {
		fprintf(stderr, "kbc: error: cannot watch the project (inotify): %s\n", strerror(errno));
		return -1;
	}
	/* The root itself (kb.yaml, folders appearing), then each tree. */
	int rwd = inotify_add_watch(wt->fd, wt->root, WATCH_MASK);
	if (rwd >= 0) {
		struct watch *w = VEC_PUSH(wt->w, wt->n, wt->cap);
		w->wd = rwd;
		w->path = xstrdup(wt->root);
	}
	char *slash = strrchr(cfg->notes_dir, '/');
	if (slash && (size_t)(slash - cfg->notes_dir) == strlen(wt->root) &&
	    !strncmp(cfg->notes_dir, wt->root, strlen(wt->root)))
		wt->notes_name = xstrdup(slash + 1);
	wt->trees[0] = xstrdup(cfg->notes_dir);
	wt->trees[1] = path_join(wt->root, "templates");
	wt->trees[2] = path_join(wt->root, "assets");
	for (int i = 0; i < 3; i++)
		watch_tree(wt, wt->trees[i]);
	if (cfg->ledger_path && !path_within(cfg->ledger_path, cfg->notes_dir)) {
		char *ls = strrchr(cfg->ledger_path, '/');
		if (ls && ls != cfg->ledger_path) {
			wt->ledger_dir = xstrndup(cfg->ledger_path, (size_t)(ls - cfg->ledger_path));
			wt->ledger_name = xstrdup(ls + 1);
			if (strcmp(wt->ledger_dir, wt->root)) {
				int wd = inotify_add_watch(wt->fd, wt->ledger_dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR);
				if (wd >= 0) {
					struct watch *w = VEC_PUSH(wt->w, wt->n, wt->cap);
					w->wd = wd;
					w->path = xstrdup(wt->ledger_dir);
				}
			}
		}
	}
	return 0;
}


static unsigned timeout_setting(void)
{
	long t = 10;
	const char *e = getenv("KBC_SERVE_TIMEOUT");
	if (e && *e && (str_to_long(e, &t) < 0 || t < 1 || t > 3600)) {
		fprintf(stderr, "kbc: warning: KBC_SERVE_TIMEOUT must be 1 to 3600 seconds; using 10\n");
		t = 10;
	}
	return (unsigned)t;
}

int serve_run(const struct serve_options *o)
{
	int status = EXIT_SYSTEM;
	struct kb_config cfg;
	struct buf sink = BUF_INIT, url = BUF_INIT;
	struct watcher wt = { .fd = -1 };
	struct builder b = { .o = o };
	struct MHD_Daemon *d = NULL;
	pthread_t watch_thread, keep_thread;
	bool threads = false;
	int lfd = -1;

	if (mhd_open() < 0)
		return EXIT_SYSTEM;
	/* Where the site goes (the builds report any kb.yaml problem). */
	struct diag_options dopt = { true, false, false };
	diag_setup(&dopt);
	diag_capture(&sink);
	memset(&cfg, 0, sizeof cfg);
	config_load(&cfg, o->root);
	diag_capture(NULL);
	diag_reset();
	S.site = o->output ? path_absolute(o->output) : xstrdup(cfg.output_dir);
	S.timeout = timeout_setting();
	S.quiet = o->quiet;
	S.verbose = o->verbose;
	buf_init(&S.errors);
	buf_init(&S.live_js);
	for (size_t i = 0; i < sizeof live_js_lines / sizeof live_js_lines[0]; i++)
		buf_puts(&S.live_js, live_js_lines[i]);
	b.root = xstrdup(o->root);   /* as given: the build's messages read as the user's own build's */
	b.jobs = xmalloc(24);
	snprintf(b.jobs, 24, "%ld", o->jobs);
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	b.envp = xcalloc(nenv + 2, sizeof *b.envp);
	nenv = 0;
	for (char **e = environ; *e; e++)
		if (!str_starts(*e, "KBC_SERVE_GO_FD="))
			b.envp[nenv++] = *e;
	b.envp[nenv] = "KBC_SERVE_GO_FD=3";
	wt.b = &b;
	wt.root = xstrdup(cfg.root);

	/* Signals: handled by sigwait in this thread only; builds get the
	 * defaults back. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* A shell starts background jobs with SIGINT ignored, and an ignored
	 * signal is never pending: take both back so sigwait sees them. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);

	struct stat rst;
	if (stat(o->root, &rst) < 0 || !S_ISDIR(rst.st_mode)) {
		fprintf(stderr, "kbc: error: project root '%s' is not a folder\n", o->root);
		goto out;
	}
	char exe[PATH_MAX];
	if (readlink("/proc/self/exe", exe, sizeof exe) < 0) {
		fprintf(stderr, "kbc: error: serve needs /proc/self/exe to run builds: %s\n", strerror(errno));
		goto out;
	}

	/* Listen first: a port that is taken is reported before any work. */
	const char *host = o->host ? o->host : "127.0.0.1";
	struct sockaddr_storage bound;
	lfd = open_listener(o, host, &bound);
	if (lfd < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	S.loopback = is_loopback((const struct sockaddr *)&bound);
	if (!S.loopback)
		fprintf(stderr, "kbc: warning: serving on %s, which is not a loopback address: anyone who can reach this machine can read the site\n",
			host);

	if (pipe2(S.wake, O_CLOEXEC) < 0) {
		fprintf(stderr, "kbc: error: pipe: %s\n", strerror(errno));
		goto out;
	}
	if (watch_project(&wt, &cfg) < 0)
		goto out;

	/* The first build, before anyone is told where to look. Content
	 * errors are shown in the pages; a refused output folder or a system
	 * error is not something to serve. */
	int first = build_and_tell(&b, true);
	if (first != 0 && first != 1) {
		fprintf(stderr, "kbc: error: not serving: the first build failed (%s)\n",
			first == 2 ? "usage error" : "system error");
		status = first == 2 ? EXIT_USAGE : EXIT_SYSTEM;
		goto out;
	}

	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned pool = ncpu < 2 ? 1 : ncpu > 4 ? 4 : (unsigned)ncpu;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
				     MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
		MHD_OPTION_THREAD_POOL_SIZE, pool,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, S.timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "kbc: error: cannot start the HTTP server (libmicrohttpd)\n");
		goto out;
	}
	lfd = -1;   /* libmicrohttpd closes it when it stops */
	if (pthread_create(&watch_thread, NULL, watcher_main, &wt) != 0) {
		fprintf(stderr, "kbc: error: cannot start the watcher thread\n");
		goto out;
	}
	if (pthread_create(&keep_thread, NULL, keeper_main, NULL) != 0) {
		fprintf(stderr, "kbc: error: cannot start the keeper thread\n");
		wake_all();
		pthread_join(watch_thread, NULL);
		goto out;
	}
	threads = true;
	url_of(&bound, &url);
	printf("kbc: serving %s at %s (Ctrl-C to stop)\n", S.site, url.data);
	fflush(stdout);

	int sig = 0;
	while (sigwait(&sigs, &sig) != 0)
		;
	if (!o->quiet)
		fprintf(stderr, "kbc: serve: stopping\n");
	status = EXIT_OK;

out:
	pthread_mutex_lock(&S.lock);
	S.stopping = true;
	if (b.child > 0)
		kill(b.child, SIGTERM);
	pthread_mutex_unlock(&S.lock);
	if (threads) {
		wake_all();
		pthread_join(watch_thread, NULL);
		pthread_join(keep_thread, NULL);
	}
	if (d) {
		/* Every parked stream must be running again before the stop. */
		pthread_mutex_lock(&S.lock);
		resume_streams();
		pthread_mutex_unlock(&S.lock);
		MHD_stop_daemon(d);
	}
	if (lfd >= 0)
		close(lfd);
	release_child(&b.next);
	for (size_t i = 0; i < wt.n; i++)
		free(wt.w[i].path);
	free(wt.w);
	if (wt.fd >= 0)
		close(wt.fd);
	for (int i = 0; i < 2; i++)
		if (S.wake[i] >= 0)
			close(S.wake[i]);
	free(wt.root);
	free(wt.notes_name);
	free(wt.ledger_dir);
	free(wt.ledger_name);
	for (int i = 0; i < 3; i++)
		free(wt.trees[i]);
	free(b.root);
	free(b.jobs);
	free(b.envp);
	free(S.site);
	buf_free(&S.errors);
	buf_free(&S.live_js);
	buf_free(&sink);
	buf_free(&url);
	config_free(&cfg);
	return status;
}
