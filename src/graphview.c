/* graphview.c - global and local graph SVG; see graphview.h. */
#include "graphview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <graphviz/gvc.h>
#include <graphviz/graphviz_version.h>

#include "diag.h"
#include "diagram.h"
#include "graph.h"
#include "text.h"
#include "util.h"

#define FONT_PX 12.0
#define CHAR_EM 0.62          /* generous average glyph width of sans fonts */
#define LABEL_MAX 28
#define N_COLOURS 8

struct gnode {
	int note;
	size_t degree;
	int colour;
	char *label;
	int *adj;                 /* neighbours (note indexes), sorted, unique */
	size_t n_adj, cap_adj;
	int top[12];              /* the most linked neighbours, most first */
	size_t n_top;
	double x, y, w, h, r;     /* layout: centre of the box, box size, circle radius */
	/* graphview_prepare_note(): the start of its SVG element as drawn on
	 * a page of the root folder, its title and label HTML-escaped */
	struct buf head, title, lab;
};

struct graphview {
	const struct kb *kb;
	struct gnode *nodes;      /* one per note; note < 0 for skipped notes */
	size_t n;
};

/* Append; duplicates are removed once all links are in (sort_unique). */
static void add_adj(struct gnode *g, int to)
{
	*VEC_PUSH(g->adj, g->n_adj, g->cap_adj) = to;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Sort a short int array (insertion sort: the arrays here are a few dozen
 * entries, where qsort's calls cost more than the sorting). */
static void sort_ints(int *v, size_t n)
{
	if (n > 256) {
		qsort(v, n, sizeof *v, cmp_int);
		return;
	}
	/* Shell sort (gaps 1, 4, 13, 40, 121): no calls through a pointer */
	size_t gap = 1;
	while (gap * 3 + 1 < n)
		gap = gap * 3 + 1;
	for (; gap; gap /= 3)
		for (size_t i = gap; i < n; i++) {
			int x = v[i];
			size_t j = i;
			while (j >= gap && v[j - gap] > x) {
				v[j] = v[j - gap];
				j -= gap;
			}
			v[j] = x;
		}
}

/* Short label: the first alias when the title is long, else the title,
 * cut to LABEL_MAX characters. */
static char *short_label(const struct kb_note *n)
{
	const char *s = n->title;
	if (utf8_count(s, strlen(s)) > LABEL_MAX && n->n_aliases)
		s = n->aliases[0];
	size_t chars = utf8_count(s, strlen(s));
	if (chars <= LABEL_MAX)
		return xstrdup(s);
	struct buf b = BUF_INIT;
	size_t seen = 0;
	for (const char *p = s; *p && seen < LABEL_MAX - 1; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80)
			seen++;
		buf_putc(&b, *p);
	}
	while (*(s + b.len) && ((unsigned char)s[b.len] & 0xC0) == 0x80)
		buf_putc(&b, s[b.len]);
	buf_puts(&b, "\xE2\x80\xA6");
	return buf_detach(&b);
}

/* Are notes a and b linked (either way)? Binary search in a's list. */
static bool adjacent(const struct graphview *gv, int a, int b)
{
	const struct gnode *g = &gv->nodes[a];
	if (gv->nodes[b].n_adj < g->n_adj)
		g = &gv->nodes[b], b = a;
	return g->n_adj && bsearch(&b, g->adj, g->n_adj, sizeof *g->adj, cmp_int) != NULL;
}

/* Is note a more linked than note b (ties: the earlier note)? */
static bool better(const struct graphview *gv, int a, int b)
{
	size_t da = gv->nodes[a].n_adj, db = gv->nodes[b].n_adj;
	return da > db || (da == db && a < b);
}

struct graphview *graphview_new(const struct kb *kb)
{
	struct graphview *gv = xcalloc(1, sizeof *gv);
	gv->kb = kb;
	gv->n = kb->n_notes;
	gv->nodes = xcalloc(gv->n + 1, sizeof *gv->nodes);
	for (size_t i = 0; i < kb->n_notes; i++) {
		gv->nodes[i].note = kb->notes[i].skip ? -1 : (int)i;
		gv->nodes[i].colour = -1;
	}
	for (size_t i = 0; i < kb->n_notes; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (n->skip)
			continue;
		for (size_t l = 0; l < n->n_links; l++) {
			int t = n->links[l].to_note;
			if (t < 0 || t == (int)i || n->links[l].kind == KB_LINK_TAG)
				continue;
			add_adj(&gv->nodes[i], t);
			add_adj(&gv->nodes[t], (int)i);
		}
	}
	/* Colours: the first tag of each note, tags ranked by how many notes
	 * carry them first (ties by name), the top N_COLOURS - 1 get their own. */
	const char **tags = NULL;
	size_t *count = NULL, nt = 0, cap_t = 0, cap_c = 0;
	for (size_t i = 0; i < gv->n; i++) {
		struct gnode *g = &gv->nodes[i];
		if (g->note < 0)
			continue;
		if (g->n_adj)
			sort_ints(g->adj, g->n_adj);
		size_t u = 0;
		for (size_t k = 0; k < g->n_adj; k++)
			if (!u || g->adj[u - 1] != g->adj[k])
				g->adj[u++] = g->adj[k];
		g->n_adj = u;
		g->degree = g->n_adj;
		g->label = short_label(&kb->notes[i]);
		const struct kb_note *n = &kb->notes[i];
		if (!n->n_tags)
			continue;
		size_t k = 0;
		while (k < nt && strcmp(tags[k], n->tags[0]))
			k++;
		if (k == nt) {
			*VEC_PUSH(tags, nt, cap_t) = n->tags[0];
			nt--;
			*VEC_PUSH(count, nt, cap_c) = 0;
		}
		count[k]++;
	}
	for (size_t i = 0; i < gv->n; i++) {
		const struct kb_note *n = &kb->notes[i];
		if (gv->nodes[i].note < 0 || !n->n_tags)
			continue;
		size_t k = 0;
		while (strcmp(tags[k], n->tags[0]))
			k++;
		/* rank of tag k */
		int rank = 0;
		for (size_t j = 0; j < nt; j++)
			if (count[j] > count[k] || (count[j] == count[k] && strcmp(tags[j], tags[k]) < 0))
				rank++;
		gv->nodes[i].colour = rank < N_COLOURS - 1 ? rank : N_COLOURS - 1;
	}
	free(tags);
	free(count);
	/* Each note's most linked neighbours, for the rings of local graphs. */
	for (size_t i = 0; i < gv->n; i++) {
		struct gnode *g = &gv->nodes[i];
		for (size_t k = 0; k < g->n_adj; k++) {
			int c = g->adj[k];
			size_t at = g->n_top;
			while (at > 0 && better(gv, c, g->top[at - 1]))
				at--;
			if (at >= 12)
				continue;
			size_t end = g->n_top < 12 ? g->n_top : 11;
			memmove(&g->top[at + 1], &g->top[at], (end - at) * sizeof *g->top);
			g->top[at] = c;
			if (g->n_top < 12)
				g->n_top++;
		}
	}
	return gv;
}

void graphview_free(struct graphview *gv)
{
	if (!gv)
		return;
	for (size_t i = 0; i < gv->n; i++) {
		free(gv->nodes[i].adj);
		free(gv->nodes[i].label);
		buf_free(&gv->nodes[i].head);
		buf_free(&gv->nodes[i].title);
		buf_free(&gv->nodes[i].lab);
	}
	free(gv->nodes);
	free(gv);
}

static double radius(size_t degree)
{
	return 4.0 + 1.6 * sqrt((double)degree);
}

static double label_width(const char *s)
{
	return (double)utf8_count(s, strlen(s)) * FONT_PX * CHAR_EM;
}

/* Which notes the global graph shows: all, or the most linked. */
static size_t pick_nodes(const struct graphview *gv, int *out)
{
	size_t n = 0;
	for (size_t i = 0; i < gv->n; i++)
		if (gv->nodes[i].note >= 0)
			out[n++] = (int)i;
	if (n <= GRAPHVIEW_MAX_NODES)
		return n;
	/* Keep the highest degrees (ties: earlier notes), in note order. */
	for (size_t i = 0; i < GRAPHVIEW_MAX_NODES; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < n; j++) {
			const struct gnode *a = &gv->nodes[out[j]], *b = &gv->nodes[out[best]];
			if (a->degree > b->degree || (a->degree == b->degree && out[j] < out[best]))
				best = j;
		}
		int t = out[i];
		out[i] = out[best];
		out[best] = t;
	}
	qsort(out, GRAPHVIEW_MAX_NODES, sizeof *out, cmp_int);
	return GRAPHVIEW_MAX_NODES;
}

/* Append v as printf("%.1f") would, without printf: v * 10 rounded to the
 * nearest integer, then split. printf rounds the exact binary value,
 * halfway cases to even; v * 10 is rounded once more by the multiply, so
 * when its fraction is near .5 (or v is huge, or not finite) snprintf
 * decides. */
static void put_fixed1(struct buf *b, double v)
{
	double a = fabs(v), t = a * 10.0, f = floor(t), frac = t - f;
	if (!(a < 1e14) || fabs(frac - 0.5) < 1e-6) {
		buf_printf(b, "%.1f", v);
		return;
	}
	long long q = (long long)f + (frac > 0.5);
	if (signbit(v))
		buf_putc(b, '-');
	buf_putint(b, (long)(q / 10));
	buf_putc(b, '.');
	buf_putc(b, (char)('0' + q % 10));
}

/* Copy string literal `lit` to p; the expression is the new end. */
#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* The start of note g's element, up to its colour class. */
static void svg_head(struct buf *svg, const struct graphview *gv, const struct gnode *g, const char *from_slug)
{
	const struct kb_note *n = &gv->kb->notes[g->note];
	buf_puts(svg, "<a href=\"");
	struct buf u = BUF_INIT;
	graph_url(&u, from_slug, n->slug, NULL);
	html_escape(svg, u.data, u.len);
	buf_free(&u);
	buf_puts(svg, "\"><g class=\"gn c");
	buf_putint(svg, g->colour < 0 ? N_COLOURS - 1 : g->colour);
}

void graphview_prepare_note(struct graphview *gv, int ni)
{
	struct gnode *g = &gv->nodes[ni];
	if (g->note < 0)
		return;
	svg_head(&g->head, gv, g, "index");
	html_escape_str(&g->title, gv->kb->notes[ni].title);
	html_escape_str(&g->lab, g->label);
}

/* Where a label sits: 0 right of the circle, 1 left of it, 2 above, 3 below.
 * The neighbours listed are those of `drawn` (increasing note order) that
 * are adjacent to the note: linked[k] tells for drawn[k] when given, else
 * adjacent() is asked. */
static void svg_node(struct buf *svg, const struct graphview *gv, const struct gnode *g, double x, double y,
	double r, const char *from_slug, int id, bool centre, int side, const int *drawn, size_t n_drawn,
	const bool *linked)
{
	const struct kb_note *n = &gv->kb->notes[g->note];
	/* every page of a folder links a note alike: the root's is kept */
	if (g->head.len && !strchr(from_slug, '/'))
		buf_put(svg, g->head.data, g->head.len);
	else
		svg_head(svg, gv, g, from_slug);
	if (centre)
		buf_puts(svg, " here");
	buf_puts(svg, "\" data-n=\"");
	buf_putint(svg, id);
	buf_puts(svg, "\" data-adj=\"");
	/* Only the neighbours drawn in this SVG matter to the highlighting. */
	bool first = true;
	for (size_t k = 0; k < n_drawn; k++) {
		if (drawn[k] == id || !(linked ? linked[k] : adjacent(gv, id, drawn[k])))
			continue;
		char num[24], *p = num;
		if (!first)
			*p++ = ' ';
		p = fmt_long(p, drawn[k]);
		buf_put(svg, num, (size_t)(p - num));
		first = false;
	}
	buf_puts(svg, "\"><title>");
	if (g->title.len)
		buf_put(svg, g->title.data, g->title.len);
	else
		html_escape_str(svg, n->title);
	buf_puts(svg, "</title><circle cx=\"");
	buf_putint(svg, lround(x));
	buf_puts(svg, "\" cy=\"");
	buf_putint(svg, lround(y));
	buf_puts(svg, "\" r=\"");
	put_fixed1(svg, r);
	buf_puts(svg, "\"/><text x=\"");
	double tx = side == 1 ? x - r - 3 : side == 0 ? x + r + 3 : x;
	double ty = side == 2 ? y - r - 4 : side == 3 ? y + r + FONT_PX : y + FONT_PX * 0.35;
	put_fixed1(svg, tx);
	buf_puts(svg, "\" y=\"");
	put_fixed1(svg, ty);
	buf_puts(svg, side == 1 ? "\" text-anchor=\"end\">" : side >= 2 ? "\" text-anchor=\"middle\">" : "\">");
	if (g->lab.len)
		buf_put(svg, g->lab.data, g->lab.len);
	else
		html_escape_str(svg, g->label);
	buf_puts(svg, "</text></g></a>\n");
}

/* Circle radius and label box of each picked note. */
static void size_nodes(struct graphview *gv, const int *pick, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gnode *gn = &gv->nodes[pick[i]];
		gn->r = radius(gn->degree);
		gn->w = 2 * gn->r + 3 + label_width(gn->label) + 4;
		gn->h = fmax(2 * gn->r, FONT_PX * 1.4);
	}
}

void graphview_global_inputs(struct graphview *gv, struct buf *out)
{
	int *pick = xcalloc(gv->n + 1, sizeof *pick);
	size_t n = pick_nodes(gv, pick);
	size_nodes(gv, pick, n);
	buf_puts(out, "graphviz " PACKAGE_VERSION);
	buf_put(out, &n, sizeof n);
	bool *shown = xcalloc(gv->n + 1, sizeof *shown);
	for (size_t i = 0; i < n; i++)
		shown[pick[i]] = true;
	for (size_t i = 0; i < n; i++) {
		const struct gnode *gn = &gv->nodes[pick[i]];
		buf_put(out, &pick[i], sizeof pick[i]);
		buf_put(out, &gn->w, sizeof gn->w);
		buf_put(out, &gn->h, sizeof gn->h);
		for (size_t k = 0; k < gn->n_adj; k++)
			if (gn->adj[k] > pick[i] && shown[gn->adj[k]])
				buf_put(out, &gn->adj[k], sizeof gn->adj[k]);
		int end = -1;
		buf_put(out, &end, sizeof end);
	}
	free(shown);
	free(pick);
}

/* A layout as kept by graphview_global(): per picked note, its index and
 * centre. */
struct laid {
	int note;
	double x, y;
};

/* Above this many notes, neato's stress majorization stops once an
 * iteration lowers the stress by less than LARGE_EPSILON of it instead of
 * Graphviz's 0.0001. On the 10k benchmark vault's 300 notes the default
 * ran 188 iterations (0.3 s of the layout's 0.4 s); 0.003 stops after 18,
 * at a stress 10% higher, a picture of the same shape whose boxes still do
 * not overlap (prism runs after it either way). Smaller graphs converge
 * in a few milliseconds and keep the default. */
#define LARGE_GRAPH 100
#define LARGE_EPSILON "0.003"

/* Lay the picked notes out with neato: 0, or -1 (reported). */
static int layout(struct graphview *gv, const int *pick, size_t n, const bool *shown)
{
	GVC_t *gvc = diagram_neato_context();
	Agraph_t *g = agopen("kb", Agundirected, NULL);
	agattr(g, AGRAPH, "overlap", "prism");
	agattr(g, AGRAPH, "sep", "+6");
	agattr(g, AGRAPH, "start", "1");
	if (n > LARGE_GRAPH)
		agattr(g, AGRAPH, "epsilon", LARGE_EPSILON);
	agattr(g, AGRAPH, "splines", "false");
	agattr(g, AGNODE, "shape", "box");
	agattr(g, AGNODE, "fixedsize", "true");
	agattr(g, AGNODE, "label", "");
	agattr(g, AGNODE, "width", "1");
	agattr(g, AGNODE, "height", "0.3");
	agattr(g, AGEDGE, "len", "1.6");
	Agnode_t **an = xcalloc(gv->n + 1, sizeof *an);
	for (size_t i = 0; i < n; i++) {
		struct gnode *gn = &gv->nodes[pick[i]];
		char name[32], w[32], h[32];
		snprintf(name, sizeof name, "n%d", pick[i]);
		snprintf(w, sizeof w, "%.4f", gn->w / 72.0);
		snprintf(h, sizeof h, "%.4f", gn->h / 72.0);
		an[pick[i]] = agnode(g, name, 1);
		agset(an[pick[i]], "width", w);
		agset(an[pick[i]], "height", h);
	}
	for (size_t i = 0; i < n; i++) {
		const struct gnode *gn = &gv->nodes[pick[i]];
		for (size_t k = 0; k < gn->n_adj; k++)
			if (gn->adj[k] > pick[i] && shown[gn->adj[k]])
				agedge(g, an[pick[i]], an[gn->adj[k]], NULL, 1);
	}
	int rc = -1;
	if (gvLayout(gvc, g, "neato") != 0) {
		diag_sys("graph layout failed (Graphviz neato)");
		goto out;
	}
	char *dot = NULL;
	unsigned int len = 0;
	gvRenderData(gvc, g, "dot", &dot, &len);   /* attaches "pos" */
	gvFreeRenderData(dot);
	for (size_t i = 0; i < n; i++) {
		struct gnode *gn = &gv->nodes[pick[i]];
		double x = 0, y = 0;
		sscanf(agget(an[pick[i]], "pos"), "%lf,%lf", &x, &y);
		gn->x = x;
		gn->y = -y;    /* SVG's y grows downwards */
	}
	gvFreeLayout(gvc, g);
	rc = 0;
out:
	agclose(g);
	gvFreeContext(gvc);
	free(an);
	return rc;
}

int graphview_global(struct graphview *gv, const char *from_slug, struct buf *svg, struct buf *kept)
{
	int *pick = xcalloc(gv->n + 1, sizeof *pick);
	size_t n = pick_nodes(gv, pick);
	if (!n) {
		free(pick);
		return 0;
	}
	bool *shown = xcalloc(gv->n + 1, sizeof *shown);
	for (size_t i = 0; i < n; i++)
		shown[pick[i]] = true;
	size_nodes(gv, pick, n);
	bool reuse = kept->len == n * sizeof(struct laid);
	for (size_t i = 0; reuse && i < n; i++) {
		struct laid l;
		memcpy(&l, kept->data + i * sizeof l, sizeof l);
		reuse = l.note == pick[i] && isfinite(l.x) && isfinite(l.y);
	}
	int rc = -1;
	if (reuse) {
		for (size_t i = 0; i < n; i++) {
			struct laid l;
			memcpy(&l, kept->data + i * sizeof l, sizeof l);
			gv->nodes[pick[i]].x = l.x;
			gv->nodes[pick[i]].y = l.y;
		}
	} else {
		buf_reset(kept);
		if (layout(gv, pick, n, shown) < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			struct laid l;
			memset(&l, 0, sizeof l);
			l.note = pick[i];
			l.x = gv->nodes[pick[i]].x;
			l.y = gv->nodes[pick[i]].y;
			buf_put(kept, &l, sizeof l);
		}
	}
	double minx = 1e18, miny = 1e18, maxx = -1e18, maxy = -1e18;
	for (size_t i = 0; i < n; i++) {
		struct gnode *gn = &gv->nodes[pick[i]];
		minx = fmin(minx, gn->x - gn->w / 2);
		maxx = fmax(maxx, gn->x + gn->w / 2);
		miny = fmin(miny, gn->y - gn->h / 2);
		maxy = fmax(maxy, gn->y + gn->h / 2);
	}
	double pad = 10;
	buf_printf(svg, "<svg class=\"kbc-graph global\" viewBox=\"%.1f %.1f %.1f %.1f\" width=\"%.0f\" height=\"%.0f\" "
		"aria-labelledby=\"kbc-graph-title\" xmlns=\"http://www.w3.org/2000/svg\">"
		"<title id=\"kbc-graph-title\">Graph of %zu notes and the links between them</title>\n",
		minx - pad, miny - pad, maxx - minx + 2 * pad, maxy - miny + 2 * pad,
		maxx - minx + 2 * pad, maxy - miny + 2 * pad, n);
	buf_puts(svg, "<g class=\"edges\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct gnode *a = &gv->nodes[pick[i]];
		for (size_t k = 0; k < a->n_adj; k++) {
			int t = a->adj[k];
			if (t <= pick[i] || !shown[t])
				continue;
			const struct gnode *b = &gv->nodes[t];
			double ax = a->x - a->w / 2 + a->r, bx = b->x - b->w / 2 + b->r;
			buf_puts(svg, "<line data-a=\"");
			buf_putint(svg, pick[i]);
			buf_puts(svg, "\" data-b=\"");
			buf_putint(svg, t);
			const double xy[4] = { ax, a->y, bx, b->y };
			static const char *const attr[4] = { "\" x1=\"", "\" y1=\"", "\" x2=\"", "\" y2=\"" };
			for (int c = 0; c < 4; c++) {
				buf_puts(svg, attr[c]);
				put_fixed1(svg, xy[c]);
			}
			buf_puts(svg, "\"/>\n");
		}
	}
	buf_puts(svg, "</g>\n<g class=\"nodes\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct gnode *gn = &gv->nodes[pick[i]];
		svg_node(svg, gv, gn, gn->x - gn->w / 2 + gn->r, gn->y, gn->r, from_slug, pick[i], false, 0, pick, n,
			NULL);
	}
	buf_puts(svg, "</g></svg>\n");
	rc = 0;
out:
	free(shown);
	free(pick);
	return rc;
}

/* Where note t stands in the drawn list. */
static int slot_of(const int *all, size_t na, int t)
{
	for (size_t i = 0; i < na; i++)
		if (all[i] == t)
			return (int)i;
	return 0;
}

/* The rings of note ni's local graph: r1 (n1 notes) and r2 (n2), each in
 * increasing note order. */
static void local_rings(const struct graphview *gv, int ni, int *r1, size_t *n1_out, int *r2, size_t *n2_out)
{
	const struct gnode *c = &gv->nodes[ni];
	/* First ring: the note's most linked neighbours; second ring: the
	 * most linked neighbours of those, not already drawn. Everything here
	 * is local, so pages can be drawn on several threads at once. */
	size_t n1 = c->n_top, n2 = 0;
	memcpy(r1, c->top, n1 * sizeof *r1);
	sort_ints(r1, n1);
	int cand[144];
	size_t nc = 0;
	for (size_t i = 0; i < n1; i++) {
		const struct gnode *g = &gv->nodes[r1[i]];
		for (size_t k = 0; k < g->n_top; k++) {
			int t = g->top[k];
			bool drawn = t == ni || bsearch(&t, r1, n1, sizeof *r1, cmp_int);
			if (!drawn)
				cand[nc++] = t;
		}
	}
	if (nc)
		sort_ints(cand, nc);
	size_t u = 0;
	for (size_t i = 0; i < nc; i++)
		if (!u || cand[u - 1] != cand[i])
			cand[u++] = cand[i];
	nc = u;
	for (size_t i = 0; i < nc; i++) {
		/* keep the 12 most linked candidates */
		size_t at = n2;
		while (at > 0 && better(gv, cand[i], r2[at - 1]))
			at--;
		if (at >= 12)
			continue;
		size_t end = n2 < 12 ? n2 : 11;
		memmove(&r2[at + 1], &r2[at], (end - at) * sizeof *r2);
		r2[at] = cand[i];
		if (n2 < 12)
			n2++;
	}
	sort_ints(r2, n2);
	*n1_out = n1;
	*n2_out = n2;
}

size_t graphview_local_notes(const struct graphview *gv, int ni, int *out, size_t *n1)
{
	*n1 = 0;
	if (!gv->nodes[ni].n_adj)
		return 0;
	int r1[12], r2[12];
	size_t n2;
	local_rings(gv, ni, r1, n1, r2, &n2);
	out[0] = ni;
	memcpy(out + 1, r1, *n1 * sizeof *out);
	memcpy(out + 1 + *n1, r2, n2 * sizeof *out);
	return 1 + *n1 + n2;
}

void graphview_node_inputs(const struct graphview *gv, int ni, struct buf *out)
{
	const struct gnode *g = &gv->nodes[ni];
	const struct kb_note *n = &gv->kb->notes[ni];
	long long v[4] = { ni, g->note, (long long)g->degree, g->colour };
	buf_put(out, v, sizeof v);
	if (g->note < 0)
		return;
	const char *str[3] = { g->label, n->title, n->slug };
	for (int i = 0; i < 3; i++) {
		size_t len = strlen(str[i]);
		buf_put(out, &len, sizeof len);
		buf_put(out, str[i], len);
	}
	buf_put(out, &g->n_adj, sizeof g->n_adj);
	buf_put(out, g->adj, g->n_adj * sizeof *g->adj);
}

void graphview_local(const struct graphview *gv, int ni, struct buf *svg)
{
	const struct gnode *c = &gv->nodes[ni];
	if (!c->n_adj)
		return;
	const char *from = gv->kb->notes[ni].slug;
	int r1[12], r2[12];
	size_t n1, n2;
	local_rings(gv, ni, r1, &n1, r2, &n2);
	/* Rings wide enough that neighbours' labels, set outwards, keep apart. */
	double R1 = fmax(80, 15.0 * (double)n1), R2 = fmax(R1 + 80, 17.0 * (double)n2);
	double W = 2 * (R2 + 190), H = 2 * (R2 + 30);
	double cx = W / 2, cy = H / 2;
	/* The drawn notes: centre, first ring, second ring (at most 25). */
	int all[32];
	double x[32], y[32];
	int side[32];
	size_t na = 0;
	all[na] = ni;
	x[na] = cx;
	y[na] = cy;
	side[na++] = 3;
	for (size_t i = 0; i < n1; i++, na++) {
		double a = -M_PI / 2 + 2 * M_PI * (double)i / (double)n1;
		all[na] = r1[i];
		x[na] = cx + R1 * cos(a);
		y[na] = cy + R1 * sin(a);
		side[na] = cos(a) < -0.2 ? 1 : cos(a) > 0.2 ? 0 : sin(a) < 0 ? 2 : 3;
	}
	for (size_t i = 0; i < n2; i++, na++) {
		double a = -M_PI / 2 + M_PI / (double)n2 + 2 * M_PI * (double)i / (double)n2;
		all[na] = r2[i];
		x[na] = cx + R2 * cos(a);
		y[na] = cy + R2 * sin(a);
		side[na] = cos(a) < -0.2 ? 1 : cos(a) > 0.2 ? 0 : sin(a) < 0 ? 2 : 3;
	}
	buf_printf(svg, "<svg class=\"kbc-graph local\" viewBox=\"0 0 %.0f %.0f\" "
		"aria-label=\"Notes linked with this one, and their links\" xmlns=\"http://www.w3.org/2000/svg\">\n<g class=\"edges\">\n",
		W, H);
	/* The drawn notes in increasing order, for the edges and data-adj. */
	int sorted[32];
	memcpy(sorted, all, na * sizeof *all);
	sort_ints(sorted, na);
	bool linked[32][32];   /* linked[a][b]: sorted[a] and sorted[b] are adjacent */
	for (size_t a = 0; a < na; a++) {
		linked[a][a] = false;
		for (size_t b = a + 1; b < na; b++)
			linked[a][b] = linked[b][a] = adjacent(gv, sorted[a], sorted[b]);
	}
	for (size_t a = 0; a < na; a++) {
		for (size_t b = a + 1; b < na; b++) {
			if (!linked[a][b])
				continue;
			int i = slot_of(all, na, sorted[a]), j = slot_of(all, na, sorted[b]);
			/* one line element, made on the stack: 6 numbers of at most
			 * 20 bytes and 50 bytes of markup */
			char line[192], *p = line;
			p = PUT_LIT(p, "<line data-a=\"");
			p = fmt_long(p, sorted[a]);
			p = PUT_LIT(p, "\" data-b=\"");
			p = fmt_long(p, sorted[b]);
			p = PUT_LIT(p, "\" x1=\"");
			p = fmt_long(p, lround(x[i]));
			p = PUT_LIT(p, "\" y1=\"");
			p = fmt_long(p, lround(y[i]));
			p = PUT_LIT(p, "\" x2=\"");
			p = fmt_long(p, lround(x[j]));
			p = PUT_LIT(p, "\" y2=\"");
			p = fmt_long(p, lround(y[j]));
			p = PUT_LIT(p, "\"/>\n");
			buf_put(svg, line, (size_t)(p - line));
		}
	}
	buf_puts(svg, "</g>\n<g class=\"nodes\">\n");
	for (size_t i = 0; i < na; i++) {
		const struct gnode *g = &gv->nodes[all[i]];
		double r = fmin(radius(g->degree), 12);
		size_t row = 0;
		while (sorted[row] != all[i])
			row++;
		svg_node(svg, gv, g, x[i], y[i], r, from, all[i], all[i] == ni, side[i], sorted, na, linked[row]);
	}
	buf_puts(svg, "</g></svg>\n");
}

void graphview_list(struct graphview *gv, const char *from_slug, struct buf *html)
{
	buf_puts(html, "<ul class=\"graph-list\">\n");
	for (size_t i = 0; i < gv->n; i++) {
		const struct gnode *g = &gv->nodes[i];
		if (g->note < 0)
			continue;
		const struct kb_note *n = &gv->kb->notes[i];
		struct buf u = BUF_INIT;
		graph_url(&u, from_slug, n->slug, NULL);
		buf_puts(html, "<li><a href=\"");
		html_escape_str(html, u.data);
		buf_puts(html, "\">");
		html_escape_str(html, n->title);
		buf_puts(html, "</a> (");
		buf_putint(html, (long)g->degree);
		buf_puts(html, g->degree == 1 ? " link)" : " links)");
		buf_free(&u);
		if (g->n_adj) {
			buf_puts(html, ": ");
			for (size_t k = 0; k < g->n_adj; k++) {
				const struct kb_note *t = &gv->kb->notes[g->adj[k]];
				struct buf tu = BUF_INIT;
				graph_url(&tu, from_slug, t->slug, NULL);
				buf_puts(html, k ? ", <a href=\"" : "<a href=\"");
				html_escape_str(html, tu.data);
				buf_puts(html, "\">");
				html_escape_str(html, t->title);
				buf_puts(html, "</a>");
				buf_free(&tu);
			}
		}
		buf_puts(html, "</li>\n");
	}
	buf_puts(html, "</ul>\n");
}
