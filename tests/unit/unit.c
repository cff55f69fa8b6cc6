/* unit.c - unit tests for the pieces with sharp edges: slugs and keys, the
 * wikilink scanner, front matter positions, YAML limits, the template
 * engine, output-path safety and the thread pool's growing. Prints one
 * line per failure and a closing "N passed, N failed" line; exit status 1
 * on any failure. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "frontmatter.h"
#include "kb.h"
#include "markdown.h"
#include "output.h"
#include "pool.h"
#include "template.h"
#include "text.h"
#include "util.h"
#include "wikilink.h"
#include "ytree.h"

#include "check.h"

#define CHECK_STR(got, want) \
	CHECK((got) && !strcmp((got), (want)), "got '%s', want '%s'", (got) ? (got) : "(null)", (want))

static void test_slugs(void)
{
	struct { const char *in, *out; } cases[] = {
		{ "Hello World", "hello-world" },
		{ "Event loop phases", "event-loop-phases" },
		{ "Ünïcödé heading — kept letters", "ünïcödé-heading--kept-letters" },
		{ "process.nextTick() and setImmediate()", "processnexttick-and-setimmediate" },
		{ "C++ & Rust!", "c--rust" },
		{ "RSS vs heapUsed vs external", "rss-vs-heapused-vs-external" },
		{ "snake_case stays", "snake_case-stays" },
		{ "Ελληνικά κεφαλαία", "ελληνικά-κεφαλαία" },
		{ "日本語の見出し", "日本語の見出し" },
		{ "!!!", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *s = text_slug(cases[i].in);
		CHECK_STR(s, cases[i].out);
		free(s);
	}
	/* Keys: NFC and case folding make these equal. */
	char *a = text_key("  ÅNGSTRÖM   Unit "), *b = text_key("a\xCC\x8Angstro\xCC\x88m unit");
	CHECK_STR(a, b);
	free(a);
	free(b);
	CHECK(text_distance("kitten", "sitting", 5) == 3, "levenshtein kitten/sitting");
	CHECK(text_distance("abc", "abcdefgh", 2) == 3, "distance stops early above the limit");
}

static void test_wikilink_split(void)
{
	struct { const char *in, *t, *h, *l; int rc; } cases[] = {
		{ "Note", "Note", NULL, NULL, 0 },
		{ "Note|label", "Note", NULL, "label", 0 },
		{ "Note#Heading", "Note", "Heading", NULL, 0 },
		{ "Note#Heading|label", "Note", "Heading", "label", 0 },
		{ "#Heading", "", "Heading", NULL, 0 },
		{ " Spaced Note # Spaced Heading | spaced label ", "Spaced Note", "Spaced Heading", "spaced label", 0 },
		{ "Note\\|escaped pipe", "Note", NULL, "escaped pipe", 0 },
		{ "C# notes#Section", "C", "notes#Section", NULL, 0 },
		{ "", NULL, NULL, NULL, -1 },
		{ "|label only", NULL, NULL, NULL, -1 },
		{ "Note|", "Note", NULL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *t, *h, *l;
		int rc = wikilink_split(cases[i].in, strlen(cases[i].in), &t, &h, &l);
		CHECK(rc == cases[i].rc, "split '%s' rc %d", cases[i].in, rc);
		if (rc == 0) {
			CHECK_STR(t, cases[i].t);
			CHECK(cases[i].h ? (h && !strcmp(h, cases[i].h)) : !h, "heading of '%s': '%s'", cases[i].in, h ? h : "(null)");
			CHECK(cases[i].l ? (l && !strcmp(l, cases[i].l)) : !l, "label of '%s': '%s'", cases[i].in, l ? l : "(null)");
		}
		free(t);
		free(h);
		free(l);
	}
}

/* Parse a note from text; captured diagnostics land in `diags`. */
static struct kb_note *parse_note(const char *src, struct buf *diags)
{
	struct kb_note *n = xcalloc(1, sizeof *n);
	n->path = xstrdup("t.md");
	n->rel = xstrdup("t.md");
	n->src = xstrdup(src);
	n->len = strlen(src);
	diag_capture(diags);
	frontmatter_parse(n);
	struct kb_config cfg = { 0 };
	markdown_parse(&cfg, n);
	diag_capture(NULL);
	return n;
}

static void free_note(struct kb_note *n)
{
	struct kb kb = { 0 };
	kb.notes = n;
	kb.n_notes = 1;
	kb_free(&kb);   /* frees the note and its fields */
}

static void test_frontmatter_positions(void)
{
	struct buf d = BUF_INIT;
	struct kb_note *n = parse_note("---\ntitle: T\norder: x\ntags: [a, \"b c\"]\n---\n\nText [[Target#Head]] and `[[code]]`.\n", &d);
	CHECK(strstr(d.data, "t.md:3:8: error: 'order' must be an integer"), "order position: %s", d.data);
	CHECK(strstr(d.data, "t.md:4:11: error: tag 'b c'"), "tag position: %s", d.data);
	CHECK(n->body_line == 6, "body line %d", n->body_line);
	CHECK(n->n_links == 1, "one wikilink, code span ignored (%zu)", n->n_links);
	if (n->n_links == 1) {
		CHECK(n->links[0].line == 7 && n->links[0].col == 6, "link at %d:%d", n->links[0].line, n->links[0].col);
		CHECK_STR(n->links[0].target, "Target");
		CHECK_STR(n->links[0].heading, "Head");
	}
	free_note(n);

	/* A BOM, CRLF endings and a multi-byte prefix keep columns in characters. */
	buf_reset(&d);
	n = parse_note("\xEF\xBB\xBF---\r\ntitle: T\r\n---\r\nÄÖ [[X]] ![[Y#Z]]\r\n", &d);
	CHECK(n->n_links == 2, "two links (%zu)", n->n_links);
	if (n->n_links == 2) {
		CHECK(n->links[0].line == 4 && n->links[0].col == 4, "link 1 at %d:%d", n->links[0].line, n->links[0].col);
		CHECK(n->links[1].kind == KB_LINK_EMBED && n->links[1].col == 10, "embed at col %d", n->links[1].col);
	}
	free_note(n);

	buf_reset(&d);
	n = parse_note("---\ntitle: T\n", &d);
	CHECK(strstr(d.data, "t.md:1:1: error: front matter is never closed"), "unclosed: %s", d.data);
	free_note(n);

	buf_reset(&d);
	n = parse_note("No front matter\n\n---\n\ntitle: not yaml\n", &d);
	CHECK(d.len == 0 && n->body_line == 1 && !n->title, "--- later in the body is not front matter: %s", d.data);
	free_note(n);

	buf_reset(&d);
	n = parse_note("# From H1\n\n## Sub\n\n## Sub\n", &d);
	CHECK_STR(n->title, "From H1");
	CHECK(n->n_headings == 2, "headings %zu", n->n_headings);
	if (n->n_headings == 2) {
		CHECK_STR(n->headings[0].id, "sub");
		CHECK_STR(n->headings[1].id, "sub-1");
	}
	free_note(n);
	buf_free(&d);
}

static void test_yaml_limits(void)
{
	struct buf d = BUF_INIT, doc = BUF_INIT;
	bool ok;
	/* Billion laughs: each level refers to the previous one ten times. */
	buf_puts(&doc, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++)
		buf_printf(&doc, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
			c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	diag_capture(&d);
	struct ynode *root = ytree_parse(doc.data, doc.len, "bomb.yaml", 1, NULL, &ok);
	diag_capture(NULL);
	CHECK(!ok && !root && strstr(d.data, "bomb.yaml:5:36: error: YAML aliases expand to more than 100000 nodes"), "alias bomb stopped: %s", d.data);

	buf_reset(&d);
	buf_reset(&doc);
	for (int i = 0; i < 100; i++)
		buf_putc(&doc, '[');
	diag_capture(&d);
	root = ytree_parse(doc.data, doc.len, "deep.yaml", 1, NULL, &ok);
	diag_capture(NULL);
	CHECK(!ok && strstr(d.data, "nesting deeper than 64"), "deep nesting stopped: %s", d.data);

	buf_reset(&d);
	diag_capture(&d);
	root = ytree_parse("a: 1\nb: 2\na: 3\n", 15, "dup.yaml", 1, NULL, &ok);
	diag_capture(NULL);
	CHECK(!ok && strstr(d.data, "dup.yaml:3:1: error: duplicate key 'a' (first at line 1)"), "duplicate: %s", d.data);

	/* A large mapping is checked by sorting: the first repeat in document
	 * order is still the one reported. */
	buf_reset(&d);
	buf_reset(&doc);
	for (int i = 0; i < 300; i++)
		buf_printf(&doc, "k%d: %d\n", i == 250 ? 7 : i == 200 ? 150 : i, i);
	diag_capture(&d);
	root = ytree_parse(doc.data, doc.len, "big.yaml", 1, NULL, &ok);
	diag_capture(NULL);
	CHECK(!ok && strstr(d.data, "big.yaml:201:1: error: duplicate key 'k150' (first at line 151)"),
		"duplicate in a large mapping: %s", d.data);
	ytree_free(root);

	buf_reset(&d);
	diag_capture(&d);
	root = ytree_parse("x: !!binary aGk=\n", 16, "tag.yaml", 1, NULL, &ok);
	diag_capture(NULL);
	CHECK(!ok && strstr(d.data, "unsupported YAML tag '!!binary'"), "binary tag: %s", d.data);

	root = ytree_parse("n: 42\nb: true\ns: '42'\nl: [1]\n", 29, "t.yaml", 1, NULL, &ok);
	CHECK(ok && root, "plain document parses");
	if (root) {
		CHECK_STR(ytype(ymap_get(root, "n")), "integer");
		CHECK_STR(ytype(ymap_get(root, "b")), "boolean");
		CHECK_STR(ytype(ymap_get(root, "s")), "string");
		CHECK_STR(ytype(ymap_get(root, "l")), "list");
	}
	ytree_free(root);
	buf_free(&d);
	buf_free(&doc);
}

static char tmpdir[64];

static void write_template(const char *name, const char *text)
{
	char *p = path_join(tmpdir, name);
	file_write(p, text, strlen(text));
	free(p);
}

static char *render(const char *name, struct tval *ctx, struct buf *diags, int *rc)
{
	const char *dirs[] = { tmpdir };
	struct template_set *ts = template_set_new(dirs, 1);
	struct buf out = BUF_INIT;
	diag_capture(diags);
	*rc = template_render(ts, name, ctx, &out);
	diag_capture(NULL);
	template_set_free(ts);
	return buf_detach(&out);
}

static void test_templates(void)
{
	strcpy(tmpdir, "/tmp/kbc-unit-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	struct tval *ctx = tv_map();
	tv_set(ctx, "title", tv_str("<T & \"q\">"));
	tv_set(ctx, "html", tv_str("<b>raw</b>"));
	tv_set(ctx, "yes", tv_bool(true));
	tv_set(ctx, "no", tv_bool(false));
	tv_set(ctx, "none", tv_null());
	struct tval *items = tv_set(ctx, "items", tv_list());
	for (int i = 0; i < 3; i++) {
		struct tval *m = tv_push(items, tv_map());
		char s[8];
		snprintf(s, sizeof s, "i%d", i);
		tv_set(m, "name", tv_str(s));
	}
	struct tval *page = tv_set(ctx, "page", tv_map());
	tv_set(page, "url", tv_str("a.html"));

	write_template("t1.html", "[{{title}}][{{{html}}}][{{& html}}]{{! comment }}");
	write_template("t2.html", "{{#items}}<{{name}}:{{title}}>{{/items}}{{^items}}none{{/items}}");
	write_template("t3.html", "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}!N{{/no}}{{#none}}X{{/none}}{{^none}}!X{{/none}}");
	write_template("t4.html", "{{page.url}} {{#page}}{{url}}{{/page}} {{none.field}}");
	write_template("t5.html", "a {{> part}} b");
	write_template("part.html", "<{{title}}>");
	write_template("bad1.html", "line one\n  {{#open}}never closed\n");
	write_template("bad2.html", "{{#a}}x{{/b}}");
	write_template("bad3.html", "ok\nxx {{missing}} and {{%bad}}");
	write_template("bad4.html", "{{> nothere}}");
	write_template("bad5.html", "{{title");

	struct buf d = BUF_INIT;
	int rc;
	char *o = render("t1.html", ctx, &d, &rc);
	CHECK(rc == 0, "t1 rc");
	CHECK_STR(o, "[&lt;T &amp; &quot;q&quot;&gt;][<b>raw</b>][<b>raw</b>]");
	free(o);
	o = render("t2.html", ctx, &d, &rc);
	CHECK_STR(o, "<i0:&lt;T &amp; &quot;q&quot;&gt;><i1:&lt;T &amp; &quot;q&quot;&gt;><i2:&lt;T &amp; &quot;q&quot;&gt;>");
	free(o);
	o = render("t3.html", ctx, &d, &rc);
	CHECK_STR(o, "Y!N!X");
	free(o);
	o = render("t4.html", ctx, &d, &rc);
	CHECK_STR(o, "a.html a.html ");
	free(o);
	o = render("t5.html", ctx, &d, &rc);
	CHECK_STR(o, "a <&lt;T &amp; &quot;q&quot;&gt;> b");
	free(o);
	CHECK(d.len == 0, "no diagnostics so far: %s", d.data);

	free(render("bad1.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad1.html:2:3: error: section '{{#open}}' is never closed"), "bad1: %s", d.data);
	buf_reset(&d);
	free(render("bad2.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad2.html:1:8: error: '{{/b}}' does not match"), "bad2: %s", d.data);
	buf_reset(&d);
	free(render("bad3.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad3.html:2:20: error: unknown template tag '{{%'"), "bad3: %s", d.data);
	buf_reset(&d);
	write_template("bad6.html", "ok\nxx {{missing}}");
	free(render("bad6.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad6.html:2:4: error: unknown template variable 'missing'"), "bad6: %s", d.data);
	buf_reset(&d);
	free(render("bad4.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad4.html:1:1: error: no template file for partial 'nothere'"), "bad4: %s", d.data);
	buf_reset(&d);
	free(render("bad5.html", ctx, &d, &rc));
	CHECK(rc < 0 && strstr(d.data, "bad5.html:1:1: error: template tag '{{' is not closed"), "bad5: %s", d.data);
	buf_free(&d);
	tv_free(ctx);
	remove_tree(tmpdir);
}

/* Values made in an arena, borrowed strings and shared values render as
 * heap-made ones do, and each is freed exactly once (ASan checks). */
static void test_template_values(void)
{
	strcpy(tmpdir, "/tmp/kbc-unit-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	write_template("v.html", "{{title}}|{{{title}}}|{{#items}}[{{name}}{{#current}}*{{/current}}]{{/items}}|{{n}}");
	static const char borrowed[] = "b<&>";
	/* A value shown on several pages: escaped once, freed by its maker. */
	struct tval *shared = tv_share(tv_map());
	tv_set(shared, "name", tv_str("s\"1"));
	tv_set(shared, "current", tv_bool(false));
	char *outs[2];
	for (int mode = 0; mode < 2; mode++) {
		struct tv_arena arena = TV_ARENA_INIT;
		struct tv_arena *prev = tv_arena_use(mode ? &arena : NULL);
		struct tval *ctx = tv_map();
		tv_set(ctx, "title", tv_ref(borrowed));
		struct tval *items = tv_set(ctx, "items", tv_list());
		for (int i = 0; i < 100; i++) {   /* past any first capacity */
			if (i % 10 == 3) {
				tv_push(items, shared);
				continue;
			}
			struct tval *m = tv_push(items, tv_map());
			char name[16];
			snprintf(name, sizeof name, "i%d", i);
			tv_set(m, "name", i % 2 ? tv_str(name) : tv_str_own(xstrdup(name)));
			tv_set(m, "current", tv_bool(i == 7));
		}
		tv_set(ctx, "n", tv_str("first"));
		tv_set(ctx, "n", tv_str("1"));   /* replaced */
		struct buf d = BUF_INIT;
		int rc;
		outs[mode] = render("v.html", ctx, &d, &rc);
		CHECK(rc == 0 && d.len == 0, "values render (mode %d): %s", mode, d.data ? d.data : "");
		buf_free(&d);
		tv_free(ctx);   /* leaves `shared` alone; nothing for arena values */
		tv_arena_use(prev);
		tv_arena_free(&arena);
	}
	CHECK_STR(outs[1], outs[0]);
	const char *start = "b&lt;&amp;&gt;|b<&>|[i0][i1][i2][s&quot;1][i4][i5][i6][i7*][i8]";
	CHECK(!strncmp(outs[0], start, strlen(start)), "values: %.80s", outs[0]);
	CHECK(strstr(outs[0], "[i99]|1") != NULL, "values end: %s", outs[0]);
	free(outs[0]);
	free(outs[1]);
	tv_free_shared(shared);
	remove_tree(tmpdir);
}

static void test_output_paths(void)
{
	const char *good[] = { "index.html", "a/b.html", "assets/kbc.css", "..a.html", "a..b/c" };
	const char *bad[] = { "", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "x\ny", "a\\b" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK(output_safe_relpath(good[i]), "'%s' should be safe", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!output_safe_relpath(bad[i]), "'%s' should be refused", bad[i]);

	char root[] = "/tmp/kbc-out-XXXXXX";
	if (!mkdtemp(root))
		return;
	struct kb_config cfg = { 0 };
	cfg.root = xstrdup(root);
	cfg.notes_dir = path_join(root, "notes");
	mkdir(cfg.notes_dir, 0755);
	char *site = path_join(root, "site");
	char *sub = path_join(root, "notes/site");
	char *up = path_join(root, "..");
	char *parent = path_absolute(up);
	free(up);
	char *foreign = path_join(root, "mine");
	mkdir(foreign, 0755);
	char *keep = path_join(foreign, "keep.txt");
	file_write(keep, "x", 1);
	struct buf d = BUF_INIT;
	diag_capture(&d);
	CHECK(output_check(&cfg, site) == 0, "site/ is fine");
	CHECK(output_check(&cfg, root) < 0 && strstr(d.data, "is the project root"), "root refused: %s", d.data);
	CHECK(output_check(&cfg, parent) < 0 && strstr(d.data, "contains the project root"), "parent refused");
	CHECK(output_check(&cfg, cfg.notes_dir) < 0 && strstr(d.data, "is the notes folder"), "notes refused");
	CHECK(output_check(&cfg, sub) < 0 && strstr(d.data, "lies inside the notes folder"), "inside notes refused");
	CHECK(output_check(&cfg, foreign) < 0 && strstr(d.data, "was not written by kbc"), "foreign refused");
	CHECK(output_check(&cfg, "/") < 0, "/ refused");
	diag_capture(NULL);
	struct stat st;
	CHECK(stat(keep, &st) == 0, "the user's file is untouched");
	buf_free(&d);
	remove_tree(root);
	free(site);
	free(sub);
	free(parent);
	free(foreign);
	free(keep);
	free(cfg.root);
	free(cfg.notes_dir);
}

/* A rebuild shares the previous site's files whose bytes are unchanged
 * (hard links: no new inode) and writes the others; the previous site is
 * never written through. */
static void test_output_shares_unchanged(void)
{
	char root[] = "/tmp/kbc-share-XXXXXX";
	if (!mkdtemp(root))
		return;
	struct kb_config cfg = { 0 };
	cfg.root = xstrdup(root);
	cfg.notes_dir = path_join(root, "notes");
	cfg.output_dir = path_join(root, "site");
	mkdir(cfg.notes_dir, 0755);
	struct site_out o;
	struct stat a1, b1, a2, b2, c2;
	CHECK(output_begin(&o, &cfg) == 0 && output_write(&o, "a.txt", "same", 4) == 0 &&
		output_write(&o, "d/b.txt", "old!", 4) == 0 && output_commit(&o) == 0, "first build");
	char *a = path_join(cfg.output_dir, "a.txt"), *b = path_join(cfg.output_dir, "d/b.txt");
	char *c = path_join(cfg.output_dir, "c.txt");
	CHECK(stat(a, &a1) == 0 && stat(b, &b1) == 0, "first build wrote its files");
	CHECK(output_begin(&o, &cfg) == 0 && output_write(&o, "a.txt", "same", 4) == 0 &&
		output_write(&o, "d/b.txt", "new!", 4) == 0 && output_write(&o, "c.txt", "same", 4) == 0,
		"second build");
	/* Before the swap: the previous site still has its own bytes. */
	struct buf got = BUF_INIT;
	CHECK(file_read(b, &got) == 0 && !strcmp(got.data, "old!"), "previous site untouched");
	buf_reset(&got);
	CHECK(output_commit(&o) == 0, "second swap");
	CHECK(stat(a, &a2) == 0 && a2.st_ino == a1.st_ino, "unchanged a.txt is the same file (shared)");
	CHECK(stat(b, &b2) == 0 && b2.st_ino != b1.st_ino, "changed b.txt is a new file");
	CHECK(file_read(b, &got) == 0 && !strcmp(got.data, "new!"), "b.txt has the new bytes");
	buf_free(&got);
	CHECK(stat(c, &c2) == 0 && c2.st_ino != a2.st_ino, "a new path is never linked to another path's file");
	free(a);
	free(b);
	free(c);
	remove_tree(root);
	free(cfg.root);
	free(cfg.notes_dir);
	free(cfg.output_dir);
}

/* pool_for_growing(): held to *allowed threads, it takes up more as soon
 * as *allowed grows, while an item is still running. */
struct grow_test {
	atomic_int allowed;
	pthread_t caller;
	atomic_int by_caller, by_other;
	atomic_bool widened_in_time;   /* item 0 saw another thread start an item */
};

static void grow_item(void *arg, size_t i)
{
	struct grow_test *g = arg;
	bool caller = pthread_equal(pthread_self(), g->caller);
	atomic_fetch_add(caller ? &g->by_caller : &g->by_other, 1);
	if (i != 0 || atomic_load(&g->allowed) > 1)
		return;
	/* Item 0, on the only thread allowed: 20 ms on, when the second
	 * thread has long been started and held back, widen; then wait (2 s
	 * at most) for it to take one of the items left. */
	struct timespec held = { 0, 20000000 };
	nanosleep(&held, NULL);
	atomic_store(&g->allowed, 2);
	for (int k = 0; k < 2000 && !atomic_load(&g->by_other); k++) {
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	atomic_store(&g->widened_in_time, atomic_load(&g->by_other) > 0);
}

/* An item long enough (1 ms) that a second thread, if let, takes some. */
static void count_item(void *arg, size_t i)
{
	(void)i;
	struct grow_test *g = arg;
	atomic_fetch_add(pthread_equal(pthread_self(), g->caller) ? &g->by_caller : &g->by_other, 1);
	struct timespec ms = { 0, 1000000 };
	nanosleep(&ms, NULL);
}

static void test_pool_growing(void)
{
	/* held to one thread: the caller does every item */
	struct grow_test g = { .caller = pthread_self() };
	atomic_store(&g.allowed, 1);
	pool_for_growing(32, 2, &g.allowed, count_item, &g);
	CHECK(atomic_load(&g.by_caller) == 32 && atomic_load(&g.by_other) == 0,
		"one thread allowed: caller %d, other %d items, want 32 and 0", atomic_load(&g.by_caller),
		atomic_load(&g.by_other));
	/* widened while item 0 runs: the second thread starts on the rest */
	struct grow_test w = { .caller = pthread_self() };
	atomic_store(&w.allowed, 1);
	pool_for_growing(8, 2, &w.allowed, grow_item, &w);
	CHECK(atomic_load(&w.widened_in_time), "after widening, no item ran on the second thread within 2 s");
	CHECK(atomic_load(&w.by_caller) + atomic_load(&w.by_other) == 8, "widened pool ran %d of 8 items",
		atomic_load(&w.by_caller) + atomic_load(&w.by_other));
}

int main(void)
{
	markdown_init();
	test_slugs();
	test_wikilink_split();
	test_frontmatter_positions();
	test_yaml_limits();
	test_templates();
	test_template_values();
	test_output_paths();
	test_output_shares_unchanged();
	test_pool_growing();
	return check_summary();
}
