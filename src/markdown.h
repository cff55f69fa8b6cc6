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
 * markdown_parse() also renders the body to HTML (n->html) at once and
 * frees the parsed tree, so no tree outlives its note's parse and the
 * parse of different notes can run on different threads. The HTML of a
 * body depends on nothing but the note and the configuration: where a
 * link's opening tag would depend on where the link resolves, the HTML
 * holds a mark, MARKDOWN_LINK_MARK "<link index>-->", which
 * markdown_links() replaces once links are resolved. */
#ifndef KBC_MARKDOWN_H
#define KBC_MARKDOWN_H

#include "kb.h"

struct buf;

/* An embed ![[...]] that stands alone in its paragraph is rendered as
 * MARKDOWN_EMBED_MARK "<link index>-->" for render.c to replace. */
#define MARKDOWN_EMBED_MARK "<!--kbc-embed:"

/* A link's opening tag in a body, before resolution. */
#define MARKDOWN_LINK_MARK "<!--kbc-link:"

/* Set up cmark-gfm's extensions; call once before any markdown_parse(). */
void markdown_init(void);
/* Parse and render `note` (see above). Safe to call for different notes
 * on several threads at once. 0, or -1 when the note had errors. */
int markdown_parse(const struct kb_config *cfg, struct kb_note *note);
typedef void (*markdown_href_fn)(const struct kb *kb, int from, const struct kb_link *l,
	struct buf *out);
/* Append note `note`'s HTML to `out` with every link mark replaced by the
 * link's opening tag (`href` gives its URL). Reads only the model. */
void markdown_links(const struct kb *kb, int note, markdown_href_fn href, struct buf *out);

/* Unique id for `text` among note->headings[0..count) ids. malloc'd. */
char *markdown_unique_id(const struct kb_note *note, size_t count, const char *text);

#endif
