/* main.c - the command line: reads options, runs the stages in order and
 * turns the diagnostics count into the exit status.
 *
 * Exit status: 0 success, 1 content errors (notes, ledger, kb.yaml,
 * templates), 2 usage error, 3 I/O or system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef KBC_MIMALLOC
#include <mimalloc.h>
#endif

#include "buf.h"
#include "cache.h"
#include "config.h"
#include "diag.h"
#include "frontmatter.h"
#include "graph.h"
#include "kb.h"
#include "ledger.h"
#include "markdown.h"
#include "output.h"
#include "pool.h"
#include "render.h"
#include "scan.h"
#include "search.h"
#include "serve.h"
#include "store.h"
#include "text.h"
#include "index.h"
#include "template.h"
#include "util.h"
#include "version.h"

enum { EXIT_OK = 0, EXIT_CONTENT = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

struct options {
	const char *command;
	const char *root;
	const char *output;
	const char *base_url;
	bool drafts, quiet, verbose, strict;
	bool no_cache;          /* build: ignore the build cache (a full build) */
	bool live;              /* search: last word as a prefix too */
	bool tsv;               /* search: machine-readable output */
	long jobs;
	long limit;             /* search: results to print */
	const char *format;     /* graph: json or dot */
	struct buf words;       /* positional words after the command */
	const char *host;       /* serve: --host */
	long port;              /* serve: --port, -1 for the default */
};

static const char *usage_text =
	"usage: kbc <command> [options]\n"
	"\n"
	"Compile a folder of Markdown notes into a static HTML site.\n"
	"\n"
	"commands:\n"
	"  build          check the notes and write the site\n"
	"  check          report every problem in the notes, ledger, kb.yaml and\n"
	"                 templates; write nothing\n"
	"  search QUERY   query the search index of the built site\n"
	"  query SQL      run a read-only SQL query on the knowledge base database\n"
	"  graph          print the link graph (--format json or dot)\n"
	"  serve          build, serve the site on 127.0.0.1:8000 and rebuild and\n"
	"                 reload open pages when the notes change\n"
	"  help [CMD]     show help for kbc or for one command\n"
	"\n"
	"options:\n"
	"  -C DIR         project root (default: the current folder)\n"
	"  -o DIR         output folder (default: kb.yaml's output, else site)\n"
	"  --base-url URL absolute URL the site is published at (canonical links,\n"
	"                 sitemap.xml); pages link relatively either way\n"
	"  --drafts       include notes marked draft: true\n"
	"  --strict       treat warnings as errors\n"
	"  -j N           worker threads (default: number of cores)\n"
	"  --no-cache     build: rebuild everything, ignoring .kbc/cache.sqlite\n"
	"  -q             quiet: errors only, no warnings or summary\n"
	"  -v             verbose: print each stage and its time\n"
	"  -h, --help     this help;  -V, --version  print the version\n"
	"\n"
	"exit status: 0 ok, 1 content errors, 2 usage error, 3 I/O or system error\n"
	"See kbc(1) and README.md for kb.yaml, front matter, links and the ledger.\n";

static const char *help_build =
	"usage: kbc build [-C DIR] [-o DIR] [--base-url URL] [--drafts] [--strict] [-j N] [--no-cache] [-q] [-v]\n"
	"\n"
	"Reads kb.yaml (if present), every *.md under the notes folder and the\n"
	"topic ledger, checks everything, and writes the site. The site is built\n"
	"in a staging folder beside the output and swapped in at the end: when any\n"
	"error is found nothing is written and the previous site stays as it was.\n"
	"kbc refuses an output folder that overlaps the project root, the notes\n"
	"folder, templates/ or assets/, or that holds files kbc did not write.\n"
	"A build is incremental: notes unchanged since the last build are not parsed\n"
	"again and pages whose inputs did not change are taken from the previous\n"
	"site (.kbc/cache.sqlite; the site is the same as a full build's).\n"
	"--no-cache rebuilds everything.\n";

static const char *help_check =
	"usage: kbc check [-C DIR] [--drafts] [--strict] [-q] [-v]\n"
	"\n"
	"Runs every stage of a build except writing: reports each problem in the\n"
	"notes, the ledger, kb.yaml and the templates once, as\n"
	"path:line:col: error|warning: message, then one summary line. With\n"
	"GITHUB_ACTIONS=true each problem is also printed as a GitHub annotation.\n"
	"Exit status 1 when there is an error (or, with --strict, a warning).\n";

static const char *help_search =
	"usage: kbc search [-C DIR] [-o DIR] [--live] [-n N] [--tsv] QUERY...\n"
	"\n"
	"Answers QUERY from the search index of the built site (OUTPUT/search/),\n"
	"exactly as the site's search box does, and prints the ranked results.\n"
	"Query language (docs/search-index.md): words are all required (AND);\n"
	"\"exact phrase\"; -word or -\"phrase\" excludes; +word is accepted; field:word\n"
	"limits a word to title, heading, tag, topic, alias or body; prefix* matches\n"
	"the start of words; words of 5 or more letters also match one typo.\n"
	"  --live   treat the last word as a prefix too, as the search box does while\n"
	"           you type\n"
	"  -n N     print at most N results (default 10)\n"
	"  --tsv    print rank, document, score, URL and title separated by tabs\n";

static const char *help_query =
	"usage: kbc query [-C DIR] [--tsv] SQL\n"
	"\n"
	"Runs one read-only SQL statement on the knowledge base that 'kbc build'\n"
	"writes to .kbc/kb.sqlite (tables notes, aliases, tags, headings, links,\n"
	"topics, topic_aliases; view backlinks; schema in docs/kb-schema.md) and\n"
	"prints the rows as a table, or tab-separated with --tsv. Example:\n"
	"  kbc query \"SELECT title, words FROM notes ORDER BY words DESC LIMIT 5\"\n";

static const char *help_graph =
	"usage: kbc graph [-C DIR] [--drafts] [--format json|dot]\n"
	"\n"
	"Checks the notes like 'kbc check' and prints the graph of resolved links\n"
	"between notes: JSON (nodes with title, page, tags, in and out degree;\n"
	"edges with a count) or Graphviz DOT (default json).\n";

static const char *help_serve =
	"usage: kbc serve [-C DIR] [-o DIR] [--host H] [--port P] [--drafts] [-j N] [-q] [-v]\n"
	"\n"
	"Builds the site, serves the output folder over HTTP and watches notes/,\n"
	"templates/, assets/ and kb.yaml: each change rebuilds the site (by running\n"
	"'kbc build') and reloads the open pages. When a build fails, the previous\n"
	"site keeps being served and the pages show its errors over the content.\n"
	"Pages get a live-reload script in the response only; the files written\n"
	"are exactly those of 'kbc build'. Ctrl-C stops.\n"
	"  --host H  address to listen on (default 127.0.0.1; a warning is printed\n"
	"            for any address that is not a loopback one)\n"
	"  --port P  port (default 8000, or the next free one; 0 for any free port)\n";

static void print_graph(const struct kb *kb, const char *format);

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kbc: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'kbc help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->root = ".";
	o->limit = 10;
	buf_init(&o->words);
	o->port = -1;
	o->jobs = sysconf(_SC_NPROCESSORS_ONLN);
	if (o->jobs < 1)
		o->jobs = 1;
	bool options_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (!options_done && !strcmp(a, "--")) {
			options_done = true;
			continue;
		}
		if (options_done && o->command) {
			if (o->words.len)
				buf_putc(&o->words, ' ');
			buf_puts(&o->words, a);
			continue;
		}
#define NEED_VALUE()                                                   \
	do {                                                           \
		if (i + 1 >= argc)                                     \
			return usage_error("option '%s' needs a value", a); \
		val = argv[++i];                                       \
	} while (0)
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			/* "kbc build --help" is "kbc help build". */
			if (o->command && strcmp(o->command, "help")) {
				buf_reset(&o->words);
				buf_puts(&o->words, o->command);
			}
			o->command = "help";
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			o->command = "version";
		} else if (!strcmp(a, "-C")) {
			NEED_VALUE();
			o->root = val;
		} else if (!strcmp(a, "-o")) {
			NEED_VALUE();
			o->output = val;
		} else if (!strcmp(a, "--base-url")) {
			NEED_VALUE();
			o->base_url = val;
		} else if (str_starts(a, "--base-url=")) {
			o->base_url = a + 11;
		} else if (!strcmp(a, "--drafts")) {
			o->drafts = true;
		} else if (!strcmp(a, "--strict")) {
			o->strict = true;
		} else if (!strcmp(a, "-j") || (str_starts(a, "-j") && a[2])) {
			if (a[2])
				val = a + 2;
			else
				NEED_VALUE();
			if (str_to_long(val, &o->jobs) < 0 || o->jobs < 1 || o->jobs > 256)
				return usage_error("-j needs a number of threads from 1 to 256, not '%s'", val);
		} else if (!strcmp(a, "--format") || str_starts(a, "--format=")) {
			if (a[8] == '=')
				val = a + 9;
			else
				NEED_VALUE();
			if (strcmp(val, "json") && strcmp(val, "dot"))
				return usage_error("--format must be json or dot, not '%s'", val);
			o->format = val;
		} else if (!strcmp(a, "--host")) {
			NEED_VALUE();
			o->host = val;
		} else if (!strcmp(a, "--port")) {
			NEED_VALUE();
			if (str_to_long(val, &o->port) < 0 || o->port < 0 || o->port > 65535)
				return usage_error("--port needs a port number from 0 to 65535, not '%s'", val);
		} else if (!strcmp(a, "--no-cache")) {
			o->no_cache = true;
		} else if (!strcmp(a, "--live")) {
			o->live = true;
		} else if (!strcmp(a, "--tsv")) {
			o->tsv = true;
		} else if (!strcmp(a, "-n")) {
			NEED_VALUE();
			if (str_to_long(val, &o->limit) < 0 || o->limit < 1)
				return usage_error("-n needs a positive number, not '%s'", val);
		} else if (!strcmp(a, "-q")) {
			o->quiet = true;
		} else if (!strcmp(a, "-v")) {
			o->verbose = true;
		} else if (a[0] == '-' && a[1] && !(o->command && !strcmp(o->command, "search") && o->words.len)) {
			return usage_error("unknown option '%s'", a);
		} else if (!o->command) {
			o->command = a;
		} else if (!strcmp(o->command, "search") || !strcmp(o->command, "query") ||
			   (!strcmp(o->command, "help") && !o->words.len)) {
			if (o->words.len)
				buf_putc(&o->words, ' ');
			buf_puts(&o->words, a);
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
#undef NEED_VALUE
	}
	return -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Under -v, the stage just ended: its wall and CPU time, and the part of
 * both outside pool_for(). `beside` (or NULL) names work that ran on a
 * thread of its own during the stage: its CPU counts in the stage's, and
 * its pool time cannot be told from the stage's, so no part is shown. */
static void stage_beside(const struct options *o, const char *name, double *t, const char *beside)
{
	double n = now();
	/* Time inside pool_for() at the previous stage's end: what a stage
	 * spent outside it ran on one thread whatever -j says. */
	static double pool_before, pool_cpu_before, cpu_before;
	double pool_now = pool_wall_ms(), pool_cpu_now = pool_cpu_ms();
	double cpu_now = (double)pool_process_cpu_ns() / 1e6;
	if (o->verbose) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "kbc: %-10s %7.1f ms\n", name, (n - *t) * 1000);
		if (beside)
			fprintf(stderr, "kbc: %s CPU %.1f ms, %s\n", name, cpu_now - cpu_before, beside);
		else
			fprintf(stderr, "kbc: %s CPU %.1f ms, outside the thread pool: %.1f ms wall, %.1f ms CPU\n", name,
				cpu_now - cpu_before, (n - *t) * 1000 - (pool_now - pool_before),
				(cpu_now - cpu_before) - (pool_cpu_now - pool_cpu_before));
		fprintf(stderr, "kbc: peak RSS after %s: %ld MiB\n", name, ru.ru_maxrss / 1024);
	}
	pool_before = pool_now;
	pool_cpu_before = pool_cpu_now;
	cpu_before = cpu_now;
	*t = n;
}

static void stage(const struct options *o, const char *name, double *t)
{
	stage_beside(o, name, t, NULL);
}

/* Where kbc's default templates/ and assets/ live: $KBC_DATA_DIR, then
 * ../share/kbc beside the executable, then the source tree it was built
 * from. */
static char *find_data_dir(void)
{
	const char *env = getenv("KBC_DATA_DIR");
	struct stat st;
	if (env && *env)
		return xstrdup(env);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char *d = path_join(exe, "../share/kbc");
			char *t = path_join(d, "templates/note.html");
			bool ok = stat(t, &st) == 0;
			free(t);
			if (ok) {
				char *a = path_absolute(d);
				free(d);
				return a;
			}
			free(d);
		}
	}
	return xstrdup(KBC_SOURCE_DIR);
}

static bool same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

/* ---- the knowledge base database, written beside the build ---- */

/* store_prepare() on a thread of its own: it reads only what the resolve
 * stage finished (store.h), so it runs while pages and the index are
 * built, and the build installs the result once the site is in place.
 * The build cache keeps the record of the file installed (store.h), so
 * that the next build can update it instead of writing it whole. */
struct store_job {
	const struct kb *kb;
	struct cache *cache;
	char *path;             /* .kbc/kb.sqlite under the project root */
	struct buf last;        /* the record the last build kept, or empty */
	struct buf record;      /* this build's */
	int rc;                 /* store_prepare()'s result */
	long in_place;          /* notes whose rows were updated in place, or -1 */
	pthread_t thread;
	bool running;           /* the thread was started and not yet joined */
};

static void record_key(unsigned char key[16])
{
	static const char what[] = "kb.sqlite record";
	cache_hash(what, sizeof what - 1, key);
}

static void *store_job_run(void *arg)
{
	struct store_job *j = arg;
	j->rc = store_prepare(j->kb, j->path, &j->last, &j->record, &j->in_place);
	return NULL;
}

static void store_job_start(struct store_job *j, const struct kb *kb, struct cache *cache)
{
	j->kb = kb;
	j->cache = cache;
	j->path = path_join(kb->cfg.root, ".kbc/kb.sqlite");
	buf_init(&j->last);
	buf_init(&j->record);
	unsigned char key[16];
	record_key(key);
	if (cache_blob_get(cache, key, &j->last) < 0)
		buf_reset(&j->last);
	j->rc = -1;
	j->in_place = -1;
	j->running = pthread_create(&j->thread, NULL, store_job_run, j) == 0;
}

/* Wait for the database; then install it when the site was built, keeping
 * its record for the next build (doing the whole write here if no thread
 * could be started), else remove it. */
static void store_job_finish(struct store_job *j, bool built)
{
	if (!j->path)
		return;
	if (j->running) {
		pthread_join(j->thread, NULL);
		j->running = false;
		if (built && j->rc == 0 && store_install(j->path, &j->record) == 0 && j->record.len) {
			unsigned char key[16];
			record_key(key);
			cache_blob_put(j->cache, key, j->record.data, j->record.len);
		} else if (!built && j->rc == 0) {
			store_discard(j->path);
		}
	} else if (built) {
		store_write(j->kb, j->path);
	}
	buf_free(&j->last);
	buf_free(&j->record);
	free(j->path);
	j->path = NULL;
}

/* One build of a project at a time: another `kbc build` of it (or a `kbc
 * serve` rebuild) waits here until the first has finished, instead of
 * reading and replacing .kbc/cache.sqlite and .kbc/kb.sqlite while the
 * first writes them. An flock() on .kbc/lock, held until the process
 * exits; where the lock file cannot be made, the build goes on without. */
static void lock_project(const struct kb_config *cfg, bool quiet)
{
	char *dir = path_join(cfg->root, ".kbc");
	char *path = path_join(dir, "lock");
	int fd = mkdir_p(dir) == 0 ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		if (!quiet)
			fprintf(stderr, "kbc: waiting for another build of this project to finish (%s)\n", path);
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	}
	free(path);
	free(dir);
}

/* ---- the search index, built beside the pages ---- */

/* index_build() and index_write() read only what the parse and resolve
 * stages finished (a note's sections, title, aliases, topics; never the
 * html that render rewrites) and write only search/ files, through the
 * thread-safe site and cache calls. So they run on a thread of their own
 * while the pages render: the two stages' parts that run on one thread
 * (render's global graph layout, sitemap and previews; the index's merge
 * and write) then overlap instead of following each other. */
struct index_job {
	const struct kb *kb;
	struct site_out *out;
	struct cache *cache;
	int jobs;               /* the most threads it may use */
	atomic_int threads;     /* the threads it uses now (index_build()) */
	struct search_index ix;
	int rc;                 /* index_write()'s result */
	double built_ms, written_ms;   /* wall time of index_build, index_write */
	pthread_t thread;
	bool running;           /* the thread was started and not yet joined */
};

static void *index_job_run(void *arg)
{
	struct index_job *j = arg;
	double t0 = now();
	index_build(j->kb, &j->ix, j->jobs, &j->threads, j->cache, j->out);
	double t1 = now();
	j->rc = index_write(&j->ix, j->out, j->cache);
	j->built_ms = (t1 - t0) * 1000;
	j->written_ms = (now() - t1) * 1000;
	return NULL;
}

/* Start the index on a thread of its own, unless -j 1 asks for one
 * thread: then index_job_finish() builds it after render, on every
 * thread. Beside render, which keeps all `jobs` threads busy, the index
 * tokenizes on half of them (at least one): each tokenizing thread warms
 * its own stem cache and has its terms renumbered into the index's, so a
 * second one beside two render threads added work rather than speed (10k
 * notes at -j 2, 6 interleaved pairs: 4.85 s wall and 9.33 s CPU with two,
 * 4.23 s and 7.97 s with one). Once render is done, index_job_widen()
 * gives it all of them for the steps still to come. The output is the
 * same for any number. */
static void index_job_start(struct index_job *j, const struct kb *kb, struct site_out *out, struct cache *cache,
	int jobs)
{
	*j = (struct index_job){ .kb = kb, .out = out, .cache = cache, .jobs = jobs, .rc = -1 };
	atomic_init(&j->threads, jobs / 2 > 1 ? jobs / 2 : 1);
	j->running = jobs > 1 && pthread_create(&j->thread, NULL, index_job_run, j) == 0;
	if (!j->running)
		atomic_store(&j->threads, jobs);
}

/* The cores render used are free: let the index use every thread. */
static void index_job_widen(struct index_job *j)
{
	atomic_store(&j->threads, j->jobs);
}

/* Wait for the index (or build it here, when it has no thread) and report
 * it under -v; returns index_write()'s result. Frees the index. */
static int index_job_finish(struct index_job *j, const struct options *o)
{
	if (j->running)
		pthread_join(j->thread, NULL);
	else
		index_job_run(j);
	bool beside = j->running;
	j->running = false;
	if (o->verbose) {
		fprintf(stderr, "kbc: index      %7.1f ms\n", j->built_ms);
		fprintf(stderr, "kbc: index-out  %7.1f ms\n", j->written_ms);
		if (beside)
			fprintf(stderr, "kbc: (index and index-out ran on their own thread, beside render)\n");
		if (j->rc == 0)
			fprintf(stderr, "kbc: search index: %zu documents, %zu terms, %zu term shards, %zu text shards; "
				"%zu of %zu notes tokenized, %zu of %zu runs of notes merged afresh\n", j->ix.n_docs,
				j->ix.n_distinct, j->ix.n_terms, j->ix.n_texts, j->ix.n_tokenized, j->ix.n_notes,
				j->ix.n_runs - j->ix.n_runs_cached, j->ix.n_runs);
	}
	index_free(&j->ix);
	return j->rc;
}

/* Which malloc serves this process, for -v: "mimalloc 2.0.9" when the
 * build links it and the loader did pick its malloc (a block from malloc
 * lies in mimalloc's heap), else the C library's (or an LD_PRELOADed
 * one: malloc cannot tell). */
static void describe_allocator(char *out, size_t n)
{
#ifdef KBC_MIMALLOC
	void *probe = malloc(64);
	bool ours = probe && mi_is_in_heap_region(probe);
	free(probe);
	if (ours) {
		int v = mi_version();
		snprintf(out, n, "mimalloc %d.%d.%d", v / 100, v / 10 % 10, v % 10);
		return;
	}
#endif
	snprintf(out, n, "the C library's malloc, or one preloaded");
}

/* ---- the parse stage: front matter and Markdown, note by note ---- */

struct parse_job {
	struct kb *kb;
	struct cache *cache;    /* where a cleanly parsed note is kept, or NULL */
	bool *parsed;           /* per note: parsed in this build */
	bool *clean;            /* per note: its parse reported nothing */
};

static void parse_one(void *arg, size_t i)
{
	struct parse_job *j = arg;
	struct kb_note *n = &j->kb->notes[i];
	if (n->skip || !n->src)
		return;
	size_t before = diag_thread_reports();
	frontmatter_parse_limits(n, &j->kb->cfg.yaml);
	if (n->draft && !j->kb->cfg.drafts) {
		n->skip = true;
		return;
	}
	markdown_parse(&j->kb->cfg, n);
	j->parsed[i] = true;
	j->clean[i] = diag_thread_reports() == before;
	/* Kept here, on the worker: packing and storing 10,000 notes took a
	 * quarter of a second on one thread after the pool. Its body's HTML
	 * then waits in the cache's entry, not in memory, until its page is
	 * made (render.c, late_body()): the bodies are the largest thing a
	 * build of a large vault would otherwise hold from here to the end of
	 * render. */
	if (j->clean[i] && cache_note_keep(j->cache, i, n)) {
		free(n->html);
		n->html = NULL;
	}
	/* No later stage reads the source; on a large vault it is a good
	 * part of the memory, so it goes as soon as its note is parsed. */
	free(n->src);
	n->src = NULL;
	free(n->line_off);
	n->line_off = NULL;
	n->n_lines = 0;
}

/* Restore what the cache holds, parse the rest on `jobs` threads, keep
 * what was parsed cleanly, and free every source (no later stage reads
 * them; parse_one frees those it parsed). */
static void parse_notes(struct kb *kb, struct cache *cache, int jobs, bool verbose)
{
	struct parse_job j = { kb, cache, xcalloc(kb->n_notes + 1, sizeof *j.parsed),
		xcalloc(kb->n_notes + 1, sizeof *j.clean) };
	size_t restored = 0;
	bool *from_cache = xcalloc(kb->n_notes + 1, sizeof *from_cache);
	restored = cache_notes_restore(cache, kb->notes, kb->n_notes, jobs, from_cache);
	for (size_t i = 0; i < kb->n_notes; i++)
		if (from_cache[i] && kb->notes[i].draft && !kb->cfg.drafts)
			kb->notes[i].skip = true;
	/* A note left unread whose entry is gone (pruned, or the cache
	 * broke) is read now, as scan would have. */
	for (size_t i = 0; i < kb->n_notes; i++)
		if (kb->notes[i].unread && !from_cache[i] && !kb->notes[i].skip) {
			scan_read_note(kb, i);
			if (!kb->notes[i].skip && cache_note_restore(cache, i, &kb->notes[i]) == 0) {
				from_cache[i] = true;
				restored++;
				if (kb->notes[i].draft && !kb->cfg.drafts)
					kb->notes[i].skip = true;
			}
		}
	/* Restored notes have no src to parse: hide them from the workers. */
	char **src = xcalloc(kb->n_notes + 1, sizeof *src);
	for (size_t i = 0; i < kb->n_notes; i++)
		if (from_cache[i]) {
			src[i] = kb->notes[i].src;
			kb->notes[i].src = NULL;
		}
	pool_for(kb->n_notes, jobs, parse_one, &j);
	for (size_t i = 0; i < kb->n_notes; i++) {
		struct kb_note *n = &kb->notes[i];
		if (from_cache[i])
			n->src = src[i];
		free(n->src);
		n->src = NULL;
		free(n->line_off);
		n->line_off = NULL;
		n->n_lines = 0;
	}
	if (verbose && cache)
		fprintf(stderr, "kbc: %zu of %zu notes unchanged since the last build, not parsed again\n", restored,
			kb->n_notes);
	free(src);
	free(from_cache);
	free(j.parsed);
	free(j.clean);
}

/* render_site()'s body loader: the body's HTML of note i, which waits in
 * the build cache (restored without it, or kept there after its parse).
 * Read from the note's cache entry; when that part of the entry is
 * damaged, the note is read and parsed again for it, on a copy (its parse
 * was clean when its entry was kept, and an unchanged file parses the
 * same; a file that changed since the scan fails the build, which the
 * next one sees through). Called from several threads at once (render.h):
 * it touches only note i. */
static int load_body(struct kb *kb, size_t i, void *arg)
{
	struct kb_note *n = &kb->notes[i];
	if (cache_note_body(arg, i, n) == 0)
		return 0;
	struct kb_note t = { .path = n->path, .rel = n->rel };
	int rc = -1;
	if (scan_read_into(kb, &t) < 0) {
		/* reported */
	} else if (memcmp(t.content, n->content, sizeof t.content)) {
		diag_error(n->path, 0, 0, "the note changed while kbc was building; build again");
	} else {
		frontmatter_parse_limits(&t, &kb->cfg.yaml);
		markdown_parse(&kb->cfg, &t);
		n->html = t.html;
		t.html = NULL;
		rc = n->html ? 0 : -1;
	}
	t.path = t.rel = NULL;   /* n's */
	kb_note_clear_parsed(&t);
	free(t.src);
	free(t.line_off);
	return rc;
}

/* Where run() leaves the model for the process's exit (not static, so the
 * store is kept). */
struct kb kb_at_exit;

static int run(const struct options *o, bool write)
{
	struct kb kb = { 0 };
	double t = now();
	int status = EXIT_OK;
	char *written = NULL;   /* output folder, once the site is in place */
	bool refused = false;   /* the output folder was refused: a usage error */
	struct cache *cache = NULL;  /* the build cache (build only) */
	bool built = false;     /* the new site is in place */
	struct diag_options dopt = { o->quiet, str_eq(getenv("GITHUB_ACTIONS"), "true"), o->strict };
	diag_setup(&dopt);
	diag_collect();   /* printed sorted by file and position at the end */

	struct stat st;
	if (stat(o->root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		diag_sys("project root '%s' is not a folder", o->root);
		return EXIT_SYSTEM;
	}
	/* A bad kb.yaml is reported and its defaults used, so one run still
	 * reports every other problem; only an unreadable one stops here. */
	if (config_load(&kb.cfg, o->root) < 0 && diag_sys_errors())
		goto done;
	if (o->output) {
		/* -o is relative to the current folder, like any path argument. */
		free(kb.cfg.output_dir);
		kb.cfg.output_dir = path_absolute(o->output);
	}
	if (o->base_url) {
		char *u = config_normalise_base_url(o->base_url);
		if (!u) {
			fprintf(stderr, "kbc: --base-url must be an absolute http:// or https:// URL, not '%s'\n",
				o->base_url);
			kb_free(&kb);
			return EXIT_USAGE;
		}
		free(kb.cfg.base_url);
		kb.cfg.base_url = u;
	}
	kb.cfg.drafts = o->drafts;
	if (o->verbose) {
		char alloc[64];
		describe_allocator(alloc, sizeof alloc);
		fprintf(stderr, "kbc: kbc %s, memory allocator: %s\n", KBC_VERSION, alloc);
	}
	stage(o, "config", &t);

	if (write && output_check(&kb.cfg, kb.cfg.output_dir) < 0) {
		refused = true;
		goto done;
	}
	markdown_init();
	char *data = find_data_dir();
	char *proj_t = path_join(kb.cfg.root, "templates"), *data_t = path_join(data, "templates");
	char *proj_a = path_join(kb.cfg.root, "assets"), *data_a = path_join(data, "assets");
	const char *tdirs[2] = { proj_t, data_t };
	const char *adirs[2] = { data_a, proj_a };
	size_t n_t = same_dir(proj_t, data_t) ? 1 : 2;
	size_t n_a = same_dir(proj_a, data_a) ? 1 : 2;
	/* Opened before the scan: its file signatures spare reading the
	 * notes that did not change. */
	if (write) {
		lock_project(&kb.cfg, o->quiet);
		cache = cache_open(&kb.cfg, tdirs, n_t, o->no_cache, o->verbose);
	}
	size_t unread = 0;
	if (scan_notes(&kb, (int)o->jobs, cache, &unread) < 0)
		goto free_dirs;
	if (o->verbose && cache)
		fprintf(stderr, "kbc: %zu of %zu note files unchanged on disk (size, times, inode), not read\n", unread,
			kb.n_notes);
	stage(o, "scan", &t);

	parse_notes(&kb, cache, (int)o->jobs, o->verbose);
	stage(o, "parse", &t);

	char *ledger_default = path_join(kb.cfg.notes_dir, "ledger.yaml");
	ledger_load(&kb, strcmp(ledger_default, kb.cfg.ledger_path) != 0);
	free(ledger_default);
	graph_assign(&kb);
	graph_resolve(&kb, (int)o->jobs);
	graph_warnings(&kb);
	stage(o, "resolve", &t);

	if (!strcmp(o->command, "graph")) {
		if (diag_errors() == 0 && diag_sys_errors() == 0)
			print_graph(&kb, o->format);
		goto free_dirs;
	}
	struct template_set *ts = template_set_new(tdirs, n_t);

	struct site_out out = { 0 };
	bool writing = write && diag_errors() == 0 && diag_sys_errors() == 0;
	if (writing && output_begin(&out, &kb.cfg) < 0)
		writing = false;
	struct store_job db = { 0 };
	if (writing) {
		cache_pages_begin(cache, &out);
		store_job_start(&db, &kb, cache);
	}
	struct index_job ij = { 0 };
	if (writing)
		index_job_start(&ij, &kb, &out, cache, (int)o->jobs);
	render_site(&kb, ts, adirs, n_a, writing ? &out : NULL, (int)o->jobs, writing ? cache : NULL, load_body,
		cache);
	stage_beside(o, "render", &t, ij.running ? "with the search index's, built beside it" : NULL);
	if (o->verbose && writing)
		fprintf(stderr, "kbc: rendered %zu of %zu pages (the others are unchanged)\n", render_pages_rendered,
			render_pages);
	if (o->verbose)
		fprintf(stderr, "kbc: graph      %7.1f ms (inside render: graph views, %.1f ms of it the global layout)\n",
			render_graph_ms, render_graph_global_ms);
	if (writing) {
		index_job_widen(&ij);
		index_job_finish(&ij, o);
		if (o->jobs > 1)
			stage_beside(o, "index-wait", &t, "the search index's thread finishing");
		else
			stage(o, "index+out", &t);
	}
	if (writing) {
		if (diag_errors() == 0 && diag_sys_errors() == 0) {
			written = xstrdup(out.shown);
			char *final = xstrdup(out.final);
			int committed = output_commit(&out);
			stage(o, "swap", &t);
			if (committed < 0) {
				free(written);
				written = NULL;
			} else {
				cache_pages_commit(cache, final);
				cache_files_commit(cache, &kb);
				built = true;
			}
			store_job_finish(&db, built);
			if (o->verbose && built && db.rc == 0 && db.in_place >= 0)
				fprintf(stderr, "kbc: knowledge base updated in place: %ld of %zu notes' rows changed\n",
					db.in_place, kb.n_notes);
			else if (o->verbose && built && db.rc == 0)
				fprintf(stderr, "kbc: knowledge base written whole\n");
			free(final);
		} else {
			store_job_finish(&db, false);
			output_abort(&out);
		}
		stage(o, "write", &t);
	}
	template_set_free(ts);
	cache_close(cache, built);
	cache = NULL;
	if (writing)
		stage(o, "cache", &t);
	if (built) {
		output_wait();   /* the old site's removal ran meanwhile */
		stage(o, "old-site", &t);
	}
free_dirs:
	free(proj_t);
	free(data_t);
	free(proj_a);
	free(data_a);
	free(data);
done:;
	cache_close(cache, built);
	diag_flush();
	size_t notes = 0;
	for (size_t i = 0; i < kb.n_notes; i++)
		notes += !kb.notes[i].skip;
	if (!o->quiet || diag_errors() || diag_sys_errors())
		fprintf(stderr, "kbc: %zu note%s, %zu error%s, %zu warning%s\n", notes, notes == 1 ? "" : "s",
			diag_errors() + diag_sys_errors(), diag_errors() + diag_sys_errors() == 1 ? "" : "s",
			diag_warnings(), diag_warnings() == 1 ? "" : "s");
	if (written && !o->quiet)
		fprintf(stderr, "kbc: site written to %s/; open %s/index.html\n", written, written);
	free(written);
	if (refused)
		status = EXIT_USAGE;
	else if (diag_sys_errors())
		status = EXIT_SYSTEM;
	else if (diag_errors())
		status = EXIT_CONTENT;
	/* A large model takes a while to free (10,000 notes: about 50 ms, all
	 * on this thread) and the process ends now, which frees it at once: it
	 * is left to the exit, still reachable through kb_at_exit so leak
	 * checkers do not count it. */
	kb_at_exit = kb;
	return status;
}

/* kbc query: one read-only statement on the knowledge base database. */
static int run_query(const struct options *o)
{
	struct diag_options dopt = { o->quiet, false, false };
	diag_setup(&dopt);
	if (!o->words.len)
		return usage_error("query needs an SQL statement (try: kbc query \"SELECT title FROM notes\")");
	char *root = path_absolute(o->root);
	char *db = path_join(root, ".kbc/kb.sqlite");
	int rc = store_query(db, o->words.data, o->tsv);
	free(db);
	free(root);
	if (rc == 0)
		return EXIT_OK;
	return diag_sys_errors() ? EXIT_SYSTEM : EXIT_CONTENT;
}

/* kbc graph: the resolved link graph as JSON or DOT on stdout. */
static void print_graph(const struct kb *kb, const char *format)
{
	bool dot = format && !strcmp(format, "dot");
	size_t n = kb->n_notes;
	/* edge counts: dense for small graphs would be n*n; use a sorted list */
	struct edge { int from, to; size_t count; } *e = NULL;
	size_t ne = 0, cap = 0;
	size_t *in = xcalloc(n + 1, sizeof *in), *out = xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		const struct kb_note *note = &kb->notes[i];
		if (note->skip)
			continue;
		size_t first = ne;
		for (size_t l = 0; l < note->n_links; l++) {
			int to = note->links[l].to_note;
			if (to < 0 || to == (int)i || note->links[l].kind == KB_LINK_TAG)
				continue;
			size_t k = first;
			while (k < ne && e[k].to != to)
				k++;
			if (k == ne) {
				struct edge *x = VEC_PUSH(e, ne, cap);
				x->from = (int)i;
				x->to = to;
				x->count = 0;
				out[i]++;
				in[to]++;
			}
			e[k].count++;
		}
	}
	struct buf b = BUF_INIT;
	if (dot) {
		buf_puts(&b, "digraph kb {\n");
		for (size_t i = 0; i < n; i++) {
			if (kb->notes[i].skip)
				continue;
			buf_printf(&b, "  n%zu [label=\"", i);
			for (const char *p = kb->notes[i].title; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_putc(&b, '\\');
				buf_putc(&b, *p);
			}
			buf_puts(&b, "\"];\n");
		}
		for (size_t k = 0; k < ne; k++)
			buf_printf(&b, "  n%d -> n%d [weight=%zu];\n", e[k].from, e[k].to, e[k].count);
		buf_puts(&b, "}\n");
	} else {
		buf_puts(&b, "{\"nodes\":[");
		bool first = true;
		for (size_t i = 0; i < n; i++) {
			const struct kb_note *note = &kb->notes[i];
			if (note->skip)
				continue;
			buf_printf(&b, "%s\n{\"id\":%zu,\"title\":\"", first ? "" : ",", i);
			json_escape(&b, note->title);
			buf_puts(&b, "\",\"page\":\"");
			json_escape(&b, note->slug);
			buf_puts(&b, ".html\",\"tags\":[");
			for (size_t t = 0; t < note->n_tags; t++) {
				buf_printf(&b, "%s\"", t ? "," : "");
				json_escape(&b, note->tags[t]);
				buf_putc(&b, '"');
			}
			buf_printf(&b, "],\"in\":%zu,\"out\":%zu}", in[i], out[i]);
			first = false;
		}
		buf_puts(&b, "],\n\"edges\":[");
		for (size_t k = 0; k < ne; k++)
			buf_printf(&b, "%s\n{\"source\":%d,\"target\":%d,\"count\":%zu}", k ? "," : "", e[k].from,
				e[k].to, e[k].count);
		buf_puts(&b, "]}\n");
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	free(e);
	free(in);
	free(out);
}

/* kbc search: read the built site's index and print ranked results. */
static int run_search(const struct options *o)
{
	struct kb_config cfg;
	struct diag_options dopt = { o->quiet, false, false };
	diag_setup(&dopt);
	if (!o->words.len)
		return usage_error("search needs a query (try: kbc search event loop)");
	if (config_load(&cfg, o->root) < 0) {
		config_free(&cfg);
		return diag_sys_errors() ? EXIT_SYSTEM : EXIT_CONTENT;
	}
	char *site = o->output ? path_absolute(o->output) : xstrdup(cfg.output_dir);
	char *dir = path_join(site, "search");
	char why[512];
	int status = EXIT_OK;
	struct search_db *db = search_open(dir, why, sizeof why);
	if (!db) {
		fprintf(stderr, "kbc: error: search index: %s%s\n", why,
			strstr(why, "cannot read") ? " (build the site first with 'kbc build')" : "");
		status = EXIT_SYSTEM;
		goto out;
	}
	struct search_hit *hits;
	size_t n;
	if (search_query(db, o->words.data, o->live, &hits, &n, why, sizeof why) < 0) {
		fprintf(stderr, "kbc: error: search index: %s\n", why);
		status = EXIT_SYSTEM;
		search_close(db);
		goto out;
	}
	for (size_t i = 0; i < n && (long)i < o->limit; i++) {
		const char *title, *url, *heading, *anchor;
		search_doc(db, hits[i].doc, &title, &url, &heading, &anchor);
		if (o->tsv)
			printf("%zu\t%u\t%llu\t%s%s%s\t%s%s%s\n", i + 1, hits[i].doc,
				(unsigned long long)hits[i].score, url, *anchor ? "#" : "", anchor, title,
				*heading ? " > " : "", heading);
		else
			printf("%2zu. %s%s%s\n    %s%s%s\n", i + 1, title, *heading ? " \xE2\x80\xBA " : "", heading,
				url, *anchor ? "#" : "", anchor);
	}
	if (!o->tsv && !o->quiet)
		fprintf(stderr, "kbc: %zu result%s for '%s'\n", n, n == 1 ? "" : "s", o->words.data);
	free(hits);
	search_close(db);
out:
	free(dir);
	free(site);
	config_free(&cfg);
	return status;
}

/* Run the command `po` names; returns the exit status. */
static int dispatch(const struct options *po)
{
	struct options o = *po;
	if (!o.command) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(o.command, "version")) {
		printf("kbc %s\n", KBC_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(o.command, "help")) {
		const char *topic = o.words.len ? o.words.data : NULL;
		if (!topic)
			fputs(usage_text, stdout);
		else if (!strcmp(topic, "build"))
			fputs(help_build, stdout);
		else if (!strcmp(topic, "check"))
			fputs(help_check, stdout);
		else if (!strcmp(topic, "search"))
			fputs(help_search, stdout);
		else if (!strcmp(topic, "query"))
			fputs(help_query, stdout);
		else if (!strcmp(topic, "graph"))
			fputs(help_graph, stdout);
		else if (!strcmp(topic, "serve"))
			fputs(help_serve, stdout);
		else if (!strcmp(topic, "help"))
			fputs("usage: kbc help [COMMAND]\n\nShows help for kbc or one of its commands.\n", stdout);
		else
			return usage_error("no help for '%s' (commands: build, check, serve, search, query, graph, help)", topic);
		return EXIT_OK;
	}
	if (!strcmp(o.command, "build"))
		return run(&o, true);
	if (!strcmp(o.command, "check"))
		return run(&o, false);
	if (!strcmp(o.command, "search"))
		return run_search(&o);
	if (!strcmp(o.command, "query"))
		return run_query(&o);
	if (!strcmp(o.command, "graph"))
		return run(&o, false);
	if (!strcmp(o.command, "serve")) {
		struct serve_options so = { o.root, o.output, o.host, o.port, o.jobs, o.drafts, o.quiet, o.verbose };
		return serve_run(&so);
	}
	return usage_error("unknown command '%s' (commands: build, check, serve, search, query, graph, help)", o.command);
}

/* mimalloc backs its heap with 2 MiB pages (transparent huge pages,
 * asked for with madvise) unless MIMALLOC_LARGE_OS_PAGES says otherwise.
 * A build first-touches most of the memory it ever holds, and on this
 * project's benchmark host each 4 KiB page fault is dear: a one-note
 * rebuild of the 10k vault took a quarter less CPU with 2 MiB pages, for
 * 5-20% more peak memory on the benchmark vaults and 77% more on one 50 MB
 * note, whose freed memory 2 MiB pages do not give back piecemeal
 * (tools/bench/results.md). */
static void use_large_pages(void)
{
#ifdef KBC_MIMALLOC
	if (!getenv("MIMALLOC_LARGE_OS_PAGES"))
		mi_option_set(mi_option_large_os_pages, 1);
	/* mimalloc commits a thread's first segment a page at a time, in
	 * 4 KiB faults, by default. A -j 2 build of the 10k vault starts
	 * some thirty threads, one pool after another: committing their first
	 * segments whole, in 2 MiB pages, took its page faults from some
	 * 40,000 to under 1,000 and its CPU time down by a tenth, for some
	 * 60 MiB more peak memory (tools/bench/results.md, session 12). */
	if (!getenv("MIMALLOC_EAGER_COMMIT_DELAY"))
		mi_option_set(mi_option_eager_commit_delay, 0);
#endif
}

int main(int argc, char **argv)
{
	use_large_pages();
	struct options o;
	int rc = parse_args(argc, argv, &o);
	/* serve: a build started ahead of time waits for its go (serve.h). */
	if (rc < 0 && str_eq(o.command, "build") && serve_build_wait() < 0)
		rc = EXIT_OK;
	if (rc < 0)
		rc = dispatch(&o);
	buf_free(&o.words);   /* the query, search or help words */
	return rc;
}
