/* markdown.h - cmark-gfm set-up, parse and render (cmark-gfm lives here and
 * in wikilink.c).
 *
 * markdown_parse() parses a note's body (GFM tables, strikethrough,
 * autolinks, task lists, footnotes, tag filter, smart punctuation, and
 * [[wikilinks]]) and fills the note's headings (with unique GitHub-style
 * ids), links (wikilinks and links to other .md files), word count and, if
 * the front matter gave none, its title from the first H1. Raw HTML is
 * dropped with a warning unless unsafe_html is on; links and images with
 * script-capable URL schemes or absolute paths (/etc/passwd) are
 * neutralised with a warning. Lists and block quotes nested deeper than
 * cfg->max_nesting are an error at the first one too deep. Returns 0, or
 * -1 when the note had errors (reported).
 *
 * markdown_render() turns the parsed document into the note's HTML body
 * once links are resolved; `href` gives the URL for each link of the note.
 * markdown_free() releases the parsed document. */
#ifndef KBC_MARKDOWN_H
#define KBC_MARKDOWN_H

#include "kb.h"

struct buf;

/* An embed ![[...]] that stands alone in its paragraph is rendered as
 * MARKDOWN_EMBED_MARK "<link index>-->" for render.c to replace. */
#define MARKDOWN_EMBED_MARK "<!--kbc-embed:"

void markdown_init(void);
int markdown_parse(const struct kb_config *cfg, struct kb_note *note);
typedef void (*markdown_href_fn)(const struct kb *kb, int from, const struct kb_link *l,
	struct buf *out);
int markdown_render(const struct kb *kb, int note, markdown_href_fn href);
void markdown_free(struct kb_note *note);

/* Unique id for `text` among note->headings[0..count) ids. malloc'd. */
char *markdown_unique_id(const struct kb_note *note, size_t count, const char *text);

#endif
