/* fuzz_frontmatter.c - the front-matter splitter and YAML reader
 * (frontmatter.c, ytree.c) on one note's text.
 *
 * Checks: the body offset and line stay inside the note and agree with
 * each other (the body starts right after a line break, at the end, or at the top
 * past a BOM), and every list field holds its count of strings (an invalid tag
 * only with an error reported). */
#include <string.h>

#include "diag.h"
#include "frontmatter.h"
#include "fuzz.h"
#include "kb.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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

	FUZZ_CHECK(n->body_off <= n->len);
	FUZZ_CHECK(n->body_line >= 1);
	int lines = 1;
	for (size_t i = 0; i < n->body_off; i++)
		lines += n->src[i] == '\n';
	FUZZ_CHECK(n->body_line == lines);
	FUZZ_CHECK(n->body_off <= 3 || n->body_off == n->len || n->src[n->body_off - 1] == '\n');
	for (size_t i = 0; i < n->n_aliases; i++)
		FUZZ_CHECK(n->aliases[i] != NULL);
	for (size_t i = 0; i < n->n_tags; i++)
		FUZZ_CHECK(n->tags[i] != NULL && (frontmatter_valid_tag(n->tags[i]) || diag_errors() > 0));

	kb_free(&kb);
	fuzz_end();
	return 0;
}
