/* graphview.h - the link graph drawn as inline SVG at build time.
 *
 * graphview_global() lays the notes out with Graphviz (neato, overlap
 * removal on label-sized boxes, fixed seed) and returns an <svg> of the
 * whole graph: one circle per note sized by degree and coloured by its
 * first tag, one line per linked pair, each note a link to its page. On
 * sites of more than GRAPHVIEW_MAX_NODES notes it shows the most linked
 * ones. graphview_local() draws a note, its neighbours and theirs (capped)
 * on two rings, without Graphviz, so it stays cheap on every page.
 * Both are deterministic; graphview_local() only reads the graphview, so
 * pages can be drawn on several threads. Label boxes do not overlap in the global graph
 * at the default zoom. URLs are relative to the page `from_slug`. */
#ifndef KBC_GRAPHVIEW_H
#define KBC_GRAPHVIEW_H

#include "buf.h"
#include "kb.h"

#define GRAPHVIEW_MAX_NODES 300

struct graphview;

/* Adjacency and degrees for the notes of `kb` (skipped notes left out). */
struct graphview *graphview_new(const struct kb *kb);
void graphview_free(struct graphview *gv);
/* Global graph. Returns 0, or -1 when Graphviz fails (reported). */
int graphview_global(struct graphview *gv, const char *from_slug, struct buf *svg);
/* Local graph of note `ni`; nothing is appended for a note without links. */
void graphview_local(const struct graphview *gv, int ni, struct buf *svg);
/* A plain list of notes and what each links to, for screen readers and
 * readers without graphics. */
void graphview_list(struct graphview *gv, const char *from_slug, struct buf *html);

#endif
