/* graph.h - from notes to a linked graph: page names, link and topic
 * resolution, and the URLs between pages.
 *
 * graph_assign() gives every note its final title (front matter, else
 * first H1, else file name) and slug (its folder plus the slugified file
 * name, or the front matter's slug), picks the home page, and reports
 * slugs that collide after case folding and normalisation.
 *
 * graph_resolve() resolves every link and ledger topic. A target names a
 * note by title, alias or file name (with or without folders and ".md"):
 * exact matches first, then after Unicode NFC and case folding. Several
 * candidates is an error listing them; none is an error with the closest
 * names. A heading matches its text (exact, then folded) or its id.
 * The notes' links are resolved on `jobs` threads (the names table is
 * read-only by then and each note's links are written by one thread);
 * the result does not depend on `jobs`. Returns 0, or -1 when anything
 * failed to resolve (all reported). */
#ifndef KBC_GRAPH_H
#define KBC_GRAPH_H

#include "kb.h"

struct buf;

int graph_assign(struct kb *kb);
int graph_resolve(struct kb *kb, int jobs);
/* Warnings about the shape of the graph: orphan notes (no links in or
 * out), notes no chain of links reaches from the home page, and ledger
 * topics whose section no other note links to. Returns how many. */
int graph_warnings(const struct kb *kb);
/* Relative URL from page `from_slug` to page `to_slug` (".html" added),
 * with `#id` when id is non-NULL. `from_slug` NULL means the site root. */
void graph_url(struct buf *out, const char *from_slug, const char *to_slug, const char *id);
/* markdown_href_fn for note links. */
void graph_link_href(const struct kb *kb, int from, const struct kb_link *l, struct buf *out);
/* Page name (no ".html") of the page listing the notes tagged `tag`. */
void graph_tag_page(struct buf *out, const char *tag);
/* Prefix from page `slug` back to the site root ("", "../", ...). */
void graph_root_prefix(struct buf *out, const char *slug);

#endif
