/* diagram.h - offline diagrams: Mermaid flowcharts and Graphviz DOT graphs
 * laid out by Graphviz at build time and turned into inline <svg> elements
 * (Graphviz's libgvc and libcgraph live here and nowhere else).
 *
 * Mermaid subset (one statement per line, or several separated by `;`):
 *   header      `flowchart` or `graph`, optional direction TD TB BT LR RL
 *               (default TD); a leading `---` ... `---` front matter block
 *               is skipped (its `title:` becomes the SVG title)
 *   nodes       `id`, `id[Label]`, `id(Label)`, `id([Label])`,
 *               `id((Label))`, `id(((Label)))`, `id{Label}`, `id{{Label}}`,
 *               `id[[Label]]`, `id[(Label)]`, `id>Label]`, `id[/Label/]`,
 *               `id[\Label\]`, `id[/Label\]`, `id[\Label/]`, an optional
 *               `:::class` suffix (ignored). Labels may be "quoted"; `<br>`
 *               and `<br/>` break lines; `#quot;`-style entities (quot amp
 *               lt gt apos nbsp, and `#123;` numbers) are decoded.
 *   edges       `-->` `---` `-.->` `-.-` `==>` `===` `--o` `--x`, longer
 *               forms (`--->` ranks further apart), a `<` prefix for both
 *               ends (`<-->`), chains `A --> B --> C`, groups `A & B --> C`,
 *               labels `A -->|text| B` and `A -- text --> B`
 *   subgraphs   `subgraph id [Title]`, `subgraph id`, `subgraph Title`
 *               ... `end`, nested; an edge to a subgraph id ends at its box
 *   ignored     `%%` comment lines, blank lines, `direction X`, and the
 *               styling statements classDef, class, style, linkStyle, click
 * Anything else is an error with a 1-based line and column (columns count
 * characters). A node belongs to the innermost subgraph it is first
 * mentioned in.
 *
 * SVG contract: one <svg> element with role="img", an aria-label summary
 * and a <title>; no XML declaration, DOCTYPE, comments, Graphviz version,
 * scripts, links or images. Every id starts with `id_prefix` (gradients
 * are renumbered "<prefix>g1", "<prefix>g2", ... in document order).
 * Colours the page should theme are `currentColor` (black) or dropped
 * (white backgrounds, "none"); light grey fills become a translucent
 * currentColor. Node and cluster order follows the source.
 * Class hooks for CSS: dg (the svg), dg-mermaid / dg-dot, dg-graph,
 * dg-cluster, dg-node, dg-edge, dg-label (every <text>). Fonts: the svg
 * says font-family="system-ui,sans-serif" and texts carry no family of
 * their own (Courier becomes monospace). All text is XML-escaped; label
 * text from Mermaid appears exactly as written (after <br> and entities).
 * Output is byte-identical for the same input and never depends on the
 * Graphviz version string, installed fonts or the time.
 *
 * Layout uses only Graphviz's "core" and "dot" plugins, loaded from
 * Graphviz's plugin folder ($GVBINDIR, else "graphviz/" beside libgvc), so
 * text widths come from Graphviz's built-in Helvetica metrics rather than
 * from whatever fonts the machine has. If those plugins cannot be loaded,
 * the module falls back to gvContext() and its plugin configuration (text
 * widths then come from the installed fonts); with no "dot" layout at all,
 * every call fails with an error (no crash).
 *
 * Limits per diagram: 64 KiB of source, 500 nodes, 2000 edges (also 500
 * subgraphs and 32 levels of nesting for Mermaid), checked while parsing.
 * Graphs inside those limits can still take dot minutes (long edges become
 * chains of virtual nodes), so the layout size is estimated first: above
 * about 5000 layout nodes the diagram is refused, above 1000 dot's search
 * effort is capped. Accepted diagrams lay out in about a second at most.
 *
 * Threads: Graphviz is not thread-safe, so every Graphviz call runs under
 * one static mutex; the functions may be called from any thread. Graphviz
 * messages never reach stderr: errors become diagram_error, warnings are
 * dropped. */
#ifndef KBC_DIAGRAM_H
#define KBC_DIAGRAM_H

#include <stddef.h>

struct buf;

/* Where and why a diagram was refused. line and col are 1-based within
 * the diagram source (col counts characters); errors about the diagram as
 * a whole (limits, layout failures) are at 1:1. */
struct diagram_error {
	int line, col;        /* position of the problem in the block */
	char msg[256];        /* one line, no trailing period, NUL-terminated */
};

/* Render a Mermaid flowchart (src[0..n), the subset above) to an <svg>
 * element appended to `svg`. `id_prefix` (letters, digits, '-' and '_'
 * only; NULL means "") starts every element id, so several diagrams can
 * share a page, e.g. "d3-". Returns 0, or -1 with *err filled and nothing
 * appended when the source is outside the subset, invalid, over the
 * limits, or Graphviz fails. */
int diagram_mermaid(const char *src, size_t n, const char *id_prefix, struct buf *svg,
	struct diagram_error *err);

/* Same for a Graphviz DOT graph: anything Graphviz's parser accepts, laid
 * out with "dot" whatever its `layout` attribute says. Links (URL, href),
 * tooltips, images, shape files, style sheets, `concentrate` (it crashes
 * dot 2.43) and the search-effort attributes (mclimit, nslimit, nslimit1,
 * searchsize) are ignored; peripheries and sides are capped; an
 * HTML-like label with <IMG> is an error, and so is a second graph in the
 * source. Syntax errors carry Graphviz's line and the column of the
 * offending token. */
int diagram_dot(const char *src, size_t n, const char *id_prefix, struct buf *svg,
	struct diagram_error *err);

/* Free the shared Graphviz context (created lazily by the first diagram).
 * Safe to call more than once, or when no diagram was drawn; a later
 * diagram call creates a new context. (A context from the gvContext()
 * fallback is kept: Graphviz's pango plugin caches pointers into it.) */
void diagram_shutdown(void);
/* A Graphviz context for a neato layout (graphview.c): only the core and
 * neato plugins are loaded, which costs a fraction of gvContext() (that
 * loads every plugin installed); gvContext() itself where those two
 * cannot be found. Free it with gvFreeContext(). Thread-safe. */
struct GVC_s *diagram_neato_context(void);

#endif
