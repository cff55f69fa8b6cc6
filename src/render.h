/* render.h - pages from templates.
 *
 * render_site() turns every note's body into its final HTML (link marks
 * resolved, embeds expanded), builds the
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

/* Template pages the last render_site() made, and how many of them it
 * rendered anew rather than took from the previous site (kbc -v). */
extern size_t render_pages, render_pages_rendered;

struct cache;

/* Gives note i, whose body's HTML waits in the build cache (restored
 * without it, or kept there after its parse: kb->notes[i].html NULL),
 * that HTML: 0, or -1 after reporting why not. Called for the notes whose
 * body a page shows or whose embeds are walked, on the main thread or,
 * for different notes at once, on the pool's threads. */
typedef int (*render_body_fn)(struct kb *kb, size_t i, void *arg);

/* `jobs` threads render note bodies and note pages; the output does not
 * depend on it. With a `cache` (cache.h), a page whose template data and
 * templates are those the previous site's file was made from is linked
 * from there instead of rendered. `load_body(kb, i, load_arg)` fills in
 * the bodies of restored notes that are needed. */
int render_site(struct kb *kb, struct template_set *ts, const char *const *asset_dirs,
	size_t n_asset_dirs, struct site_out *out, int jobs, struct cache *cache, render_body_fn load_body,
	void *load_arg);

#endif
