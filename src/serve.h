/* serve.h - `kbc serve`: build, then serve the site over HTTP while
 * watching the project and rebuilding it, and reload the open pages.
 *
 * The HTTP side is libmicrohttpd (one module: microhttpd.h is included only
 * in serve.c). Every rebuild runs this same executable as a child process
 * (`/proc/self/exe build ...`) with its stderr captured, so a crash or leak
 * in a build never takes the server down, and the build's atomic swap keeps
 * the previous good site in place when a build fails. The next build's
 * child is started ahead of time and waits for a byte on a pipe
 * (serve_build_wait), so a rebuild does not wait for exec and the dynamic
 * loader; it reads the project only after its go.
 *
 * Contracts:
 * - Only files inside the output folder are served: the request path is
 *   percent-decoded once, "." and ".." segments are refused (403), hidden
 *   names, NUL and control characters are refused, and the resolved path
 *   (symlinks followed) must lie inside the output folder (403 otherwise).
 * - GET and HEAD only (405 otherwise); every response says
 *   X-Content-Type-Options: nosniff and Cache-Control: no-store.
 * - Only text/html responses are changed: a same-origin
 *   <script src="/__kbc/live.js"> is inserted before the last </body>.
 *   The files on disk are exactly what `kbc build` writes.
 * - /__kbc/events is a server-sent event stream: `reload` after a good
 *   build, `errors` (one diagnostic per data line) after a failed one.
 *   On `reload` live.js fetches its page and replaces the changed parts in
 *   place when they are plain content, else it reloads the page.
 * - Slow clients are cut off: a request's headers must arrive within the
 *   connection timeout (KBC_SERVE_TIMEOUT seconds, default 10) of the
 *   connection opening or of the previous response; event streams are
 *   capped in number and never count against that. */
#ifndef KBC_SERVE_H
#define KBC_SERVE_H

#include <stdbool.h>

struct serve_options {
	const char *root;     /* project root (-C) */
	const char *output;   /* -o, or NULL for kb.yaml's output */
	const char *host;     /* --host, or NULL for 127.0.0.1 */
	long port;            /* --port, or -1 for the default (8000, or the next free one) */
	long jobs;            /* -j for the builds */
	bool drafts, quiet, verbose;
};

/* Build, serve and watch until SIGINT or SIGTERM. Returns the exit status:
 * 0 after a clean stop, 2 when the address cannot be used (port taken, bad
 * host), 3 on a system error (no inotify, no /proc/self/exe). */
int serve_run(const struct serve_options *o);

/* For `kbc build`: when kbc serve started this build ahead of time (it sets
 * KBC_SERVE_GO_FD to a pipe it holds), wait until serve says go. Returns 0
 * to build (the go came, or this is no such build), -1 when serve let the
 * build go unneeded (the pipe closed): exit 0 without building. */
int serve_build_wait(void);

#endif
