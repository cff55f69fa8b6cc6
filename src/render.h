/* render.h - pages from templates.
 *
 * render_site() renders every note's body (markdown_render), builds the
 * template data for each page and renders note pages, the home page, the
 * topic ledger, 404.html and sitemap.xml (when base_url is set), then the
 * assets. With `out` NULL nothing is written (kbc check): templates are
 * still compiled and exercised so their errors are reported. Returns 0, or
 * -1 after reporting errors. The template data is documented in
 * templates/README.md. */
#ifndef KBC_RENDER_H
#define KBC_RENDER_H

#include "kb.h"

struct site_out;
struct template_set;

/* Milliseconds the last render_site() spent building and drawing the
 * graph views (reported by kbc -v). */
extern double render_graph_ms, render_graph_global_ms;

/* `jobs` threads render note bodies and note pages; the output does not
 * depend on it. */
int render_site(struct kb *kb, struct template_set *ts, const char *const *asset_dirs,
	size_t n_asset_dirs, struct site_out *out, int jobs);

#endif
