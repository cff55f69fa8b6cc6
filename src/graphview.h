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
/* Global graph. `layout` holds a layout kept from an earlier call on a
 * graph with the same graphview_global_inputs(), or is empty: then the
 * notes are laid out anew and their layout left in it, for the caller to
 * keep. Returns 0, or -1 when Graphviz fails (reported). */
int graphview_global(struct graphview *gv, const char *from_slug, struct buf *svg, struct buf *layout);
/* Everything the global graph's layout depends on, appended to `out`
 * (bytes to hash, not to read): the notes shown, their box sizes, the
 * links between them and the Graphviz version. */
void graphview_global_inputs(struct graphview *gv, struct buf *out);
/* Make once what every drawing of note `ni` repeats (its link from a page
 * of the root folder, its title and label escaped), so that drawings copy
 * it. Optional: call it for each note at most once, from any thread (one
 * note per call), before any drawing. */
void graphview_prepare_note(struct graphview *gv, int ni);
/* Local graph of note `ni`; nothing is appended for a note without links. */
void graphview_local(const struct graphview *gv, int ni, struct buf *svg);

/* Most notes a local graph draws. */
#define GRAPHVIEW_LOCAL_MAX 25
/* The notes graphview_local(ni) draws, in the order it places them
 * (the note, its first ring, its second ring): stored in `out` (room for
 * GRAPHVIEW_LOCAL_MAX), their count returned, the first ring's in *n1.
 * 0 for a note without links. With graphview_node_inputs() of each of
 * them, this is all its drawing depends on. Thread-safe. */
size_t graphview_local_notes(const struct graphview *gv, int ni, int *out, size_t *n1);
/* What drawing note `ni` in a graph view shows of it (index, degree,
 * colour, label, title, slug, links), appended to `out` as bytes to hash.
 * Thread-safe. */
void graphview_node_inputs(const struct graphview *gv, int ni, struct buf *out);
/* A plain list of notes and what each links to, for screen readers and
 * readers without graphics. */
void graphview_list(struct graphview *gv, const char *from_slug, struct buf *html);

#endif
