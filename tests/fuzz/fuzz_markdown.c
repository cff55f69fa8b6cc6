/* fuzz_markdown.c - a whole note through the front matter and the Markdown
 * parse with the [[wikilink]] extension (markdown.c, wikilink.c), then
 * its links filled in, every other one resolved to the note itself.
 *
 * Checks: every link and heading has a file position inside the note
 * (line 1..lines, column >= 1; for wikilinks, the column is inside the
 * line), every link has a target, and headings have unique ids. Not
 * checked: that a wikilink's position is exactly its "[[" (escaped pipes
 * and nested brackets in one text node make cmark-gfm's unescaped text
 * drift from the source), and the columns of Markdown links that span
 * lines (cmark-gfm's inline positions drift there). */
#include <string.h>

#include "buf.h"
#include "frontmatter.h"
#include "fuzz.h"
#include "kb.h"
#include "markdown.h"
#include "text.h"
#include "util.h"

static void href(const struct kb *kb, int from, const struct kb_link *l, struct buf *out)
{
	(void)kb;
	(void)from;
	buf_puts(out, "self.html");
	if (l->heading) {
		buf_putc(out, '#');
		buf_puts(out, l->heading);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		markdown_init();
		ready = 1;
	}
	if (!fuzz_is_text(data, size))
		return 0;
	fuzz_begin();
	struct kb kb = { 0 };
	struct kb_note *n = VEC_PUSH(kb.notes, kb.n_notes, kb.cap_notes);
	memset(n, 0, sizeof *n);
	n->path = xstrdup("notes/fuzz.md");
	n->rel = xstrdup("fuzz.md");
	n->src = fuzz_note_text(data, size);
	n->len = size;
	frontmatter_parse(n);
	struct kb_config cfg = { 0 };
	markdown_parse(&cfg, n);

	int lines = 1;
	for (size_t i = 0; i < n->len; i++)
		lines += n->src[i] == '\n';
	for (size_t i = 0; i < n->n_links; i++) {
		struct kb_link *l = &n->links[i];
		FUZZ_CHECK(l->target != NULL);
		FUZZ_CHECK(l->line >= 1 && l->line <= lines && l->col >= 1);
		/* A wikilink's column is inside its line (or just past its end). */
		const char *bol = kb_line_start(n, l->line), *end = n->src + n->len;
		const char *eol = memchr(bol, '\n', (size_t)(end - bol));
		if (l->kind == KB_LINK_WIKI || l->kind == KB_LINK_EMBED)
			FUZZ_CHECK((size_t)l->col <= utf8_count(bol, (size_t)((eol ? eol : end) - bol)) + 1);
		l->to_note = i % 2 ? 0 : -1;
		l->to_heading = l->to_note == 0 && n->n_headings ? 0 : -1;
	}
	for (size_t i = 0; i < n->n_headings; i++) {
		const struct kb_heading *h = &n->headings[i];
		FUZZ_CHECK(h->text && h->id && h->level >= 1 && h->level <= 6);
		FUZZ_CHECK(h->line >= 1 && h->line <= lines && h->col >= 1);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(h->id, n->headings[j].id) != 0);
	}
	/* The body was rendered by the parse; links are filled in after
	 * resolution, and no mark may be left behind. */
	FUZZ_CHECK(n->html != NULL);
	struct buf out = BUF_INIT;
	markdown_links(&kb, 0, href, &out);
	FUZZ_CHECK(!out.len || !strstr(out.data, MARKDOWN_LINK_MARK));
	buf_free(&out);

	kb_free(&kb);
	fuzz_end();
	return 0;
}
