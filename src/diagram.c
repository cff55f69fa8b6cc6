/* diagram.c - Mermaid flowcharts and DOT graphs to inline SVG through
 * Graphviz; contracts in diagram.h.
 *
 * Pipeline: (Mermaid) parse the subset into a small model, then build a
 * cgraph graph from it; (DOT) read with cgraph through our own read and
 * id disciplines, then neutralise links, images and effort attributes.
 * Both: lay out with "dot", render "svg" into memory, and rewrite that SVG
 * into the clean fragment diagram.h promises. Everything between the
 * first and the last Graphviz call runs under gv_lock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* dladdr() */
#endif
#include "diagram.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gvc.h>

#include "buf.h"
#include "util.h"

#define DG_MAX_SRC (64 * 1024)
#define DG_MAX_NODES 500
#define DG_MAX_EDGES 2000
#define DG_MAX_SUBS 500
#define DG_MAX_DEPTH 32
#define DG_MAX_SVG (8 << 20)       /* bytes of SVG from Graphviz */
#define DG_FONT "Helvetica"        /* Graphviz has built-in metrics for it */
#define DG_WJ "\xE2\x81\xA0"       /* U+2060 WORD JOINER, see gv_escape() */

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static bool id_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c >= 0x80;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters (not bytes) in s[0..n). */
static int char_count(const char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

static void set_err(struct diagram_error *err, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_err(struct diagram_error *err, int line, int col, const char *fmt, ...)
{
	va_list ap;
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	/* A diagnostic is one line, whatever a quoted name holds (a label's
	 * <br/> is a line break by then). */
	for (char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* Line and column (1-based, characters) of byte `at` in s. */
static void position_of(const char *s, size_t at, int *line, int *col)
{
	size_t bol = 0;
	int l = 1;
	for (size_t i = 0; i < at; i++)
		if (s[i] == '\n') {
			l++;
			bol = i + 1;
		}
	*line = l;
	*col = 1 + char_count(s + bol, at - bol);
}

/* Append UTF-8 for code point cp (assumed valid). */
static void put_utf8(struct buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		buf_putc(b, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (int)(0xC0 | (cp >> 6)));
		buf_putc(b, (int)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (int)(0xE0 | (cp >> 12)));
		buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (int)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (int)(0xF0 | (cp >> 18)));
		buf_putc(b, (int)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (int)(0x80 | (cp & 0x3F)));
	}
}

/* A code point fit for text: not a control, surrogate or out of range. */
static bool cp_ok(uint32_t cp)
{
	return (cp >= 0x20 && cp < 0x7F) || (cp >= 0xA0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
}

/* XML-escape s[0..n) for text (quotes too when `attr`). */
static void xml_escape(struct buf *b, const char *s, size_t n, bool attr)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '&')
			buf_puts(b, "&amp;");
		else if (c == '<')
			buf_puts(b, "&lt;");
		else if (c == '>')
			buf_puts(b, "&gt;");
		else if (attr && c == '"')
			buf_puts(b, "&quot;");
		else if (attr && c == '\'')
			buf_puts(b, "&#39;");
		else if (attr && (c == '\n' || c == '\t'))
			buf_putc(b, ' ');
		else
			buf_putc(b, c);
	}
}

/* Copy of s[0..n) cut to at most `max` bytes on a character boundary,
 * for quoting user text in messages. */
static void quote_cut(char *dst, size_t dstsz, const char *s, size_t n, size_t max)
{
	if (max > dstsz - 4)
		max = dstsz - 4;
	size_t k = n < max ? n : max;
	while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	memcpy(dst, s, k);
	if (k < n)
		memcpy(dst + k, "...", 4);
	else
		dst[k] = '\0';
}

/* ------------------------------------------------------------------ */
/* Mermaid model                                                        */

enum shape {
	SH_BOX, SH_ROUND, SH_STADIUM, SH_CIRCLE, SH_DCIRCLE, SH_DIAMOND, SH_HEXAGON,
	SH_SUBROUTINE, SH_CYLINDER, SH_ASYM, SH_PARA, SH_PARA_ALT, SH_TRAP, SH_INVTRAP
};

enum ehead { EH_NONE, EH_ARROW, EH_CIRCLE, EH_CROSS };
enum estyle { ES_SOLID, ES_DOTTED, ES_THICK };

struct mnode {
	char *id;              /* Mermaid id */
	char *label;           /* display text ('\n' breaks lines); NULL: the id */
	enum shape shape;
	int sub;               /* innermost subgraph of the first mention, -1: none */
	bool shaped;           /* given a shape or label somewhere */
	int cluster;           /* >= 0: the id names this subgraph, not a node */
	int line, col;         /* first mention */
	Agnode_t *gv;
};

struct medge {
	int from, to;          /* node indices */
	enum estyle style;
	enum ehead head;
	bool both;             /* arrow head at the tail as well */
	int len;               /* rank distance (minlen) */
	char *label;           /* display text or NULL */
};

struct msub {
	char *id;              /* NULL when the header was a free-text title */
	char *title;           /* display text */
	int parent;            /* enclosing subgraph or -1 */
	int line, col;
	int rep;               /* first node inside (any depth), -1: empty */
	Agraph_t *gv;
	Agnode_t *placeholder; /* invisible node keeping an empty box drawn */
};

struct mgraph {
	const char *rankdir;   /* TB BT LR RL */
	char *title;           /* front matter title or NULL */
	struct mnode *nodes;
	size_t nnodes, capnodes;
	struct medge *edges;
	size_t nedges, capedges;
	struct msub *subs;
	size_t nsubs, capsubs;
};

static void mgraph_free(struct mgraph *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].id);
		free(g->nodes[i].label);
	}
	for (size_t i = 0; i < g->nedges; i++)
		free(g->edges[i].label);
	for (size_t i = 0; i < g->nsubs; i++) {
		free(g->subs[i].id);
		free(g->subs[i].title);
	}
	free(g->nodes);
	free(g->edges);
	free(g->subs);
	free(g->title);
}

/* ------------------------------------------------------------------ */
/* Mermaid parser                                                       */

struct mp {
	const char *s;         /* whole source */
	size_t n;
	size_t bol, eol;       /* current line s[bol..eol), '\r' excluded */
	size_t pos;            /* cursor inside the line */
	int line;              /* 1-based */
	struct mgraph *g;
	int cur;               /* innermost open subgraph, -1: none */
	int depth;
	struct diagram_error *err;
};

static int perr(struct mp *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct mp *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	if (at < p->bol)
		at = p->bol;
	if (at > p->eol)
		at = p->eol;
	p->err->line = p->line;
	p->err->col = 1 + char_count(p->s + p->bol, at - p->bol);
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static void skip_blank(struct mp *p)
{
	while (p->pos < p->eol && is_blank(p->s[p->pos]))
		p->pos++;
}

static bool at_end(const struct mp *p)
{
	return p->pos >= p->eol || p->s[p->pos] == ';';
}

/* Length of the id starting at i ('-' allowed inside, before an id byte). */
static size_t id_len(const struct mp *p, size_t i)
{
	size_t j = i;
	while (j < p->eol) {
		unsigned char c = (unsigned char)p->s[j];
		if (id_byte(c)) {
			j++;
			continue;
		}
		if (c == '-' && j > i && j + 1 < p->eol && id_byte((unsigned char)p->s[j + 1])) {
			j++;
			continue;
		}
		break;
	}
	return j - i;
}

/* The token at `at` (up to a blank) quoted for a message. */
static const char *tok(const struct mp *p, size_t at, char *tmp, size_t tmpsz)
{
	size_t j = at;
	while (j < p->eol && !is_blank(p->s[j]))
		j++;
	quote_cut(tmp, tmpsz, p->s + at, j - at, 24);
	return tmp;
}

static bool word_is(const struct mp *p, size_t at, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(p->s + at, w, len);
}

/* Display text of a label s[0..n): `<br>` forms become '\n', `#name;` and
 * `#123;` entities are decoded, controls become spaces. */
static char *label_text(const char *s, size_t n)
{
	static const struct { const char *name, *text; } ents[] = {
		{ "quot", "\"" }, { "amp", "&" }, { "lt", "<" }, { "gt", ">" },
		{ "apos", "'" }, { "nbsp", "\xC2\xA0" }, { "num", "#" }, { "semi", ";" },
	};
	struct buf b = BUF_INIT;
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '<' && i + 3 < n && (s[i + 1] == 'b' || s[i + 1] == 'B') &&
			(s[i + 2] == 'r' || s[i + 2] == 'R')) {
			size_t j = i + 3;
			while (j < n && is_blank(s[j]))
				j++;
			if (j < n && s[j] == '/')
				j++;
			if (j < n && s[j] == '>') {
				buf_putc(&b, '\n');
				i = j + 1;
				continue;
			}
		}
		if (c == '#') {
			size_t j = i + 1;
			while (j < n && j - i <= 10 && id_byte((unsigned char)s[j]) && (unsigned char)s[j] < 0x80)
				j++;
			if (j < n && s[j] == ';' && j > i + 1) {
				const char *name = s + i + 1;
				size_t len = j - i - 1;
				bool done = false;
				if (name[0] >= '0' && name[0] <= '9') {
					uint32_t cp = 0;
					bool digits = len <= 7;
					for (size_t k = 0; digits && k < len; k++) {
						if (name[k] < '0' || name[k] > '9')
							digits = false;
						else
							cp = cp * 10 + (uint32_t)(name[k] - '0');
					}
					if (digits && cp_ok(cp)) {
						put_utf8(&b, cp);
						done = true;
					}
				} else {
					for (size_t k = 0; k < sizeof ents / sizeof *ents; k++)
						if (strlen(ents[k].name) == len && !memcmp(ents[k].name, name, len)) {
							buf_puts(&b, ents[k].text);
							done = true;
							break;
						}
				}
				if (done) {
					i = j + 1;
					continue;
				}
			}
		}
		buf_putc(&b, (unsigned char)c < 0x20 ? ' ' : c);
		i++;
	}
	return buf_detach(&b);
}

/* Trimmed display text of s[a..b). */
static char *label_trim(const char *s, size_t a, size_t b)
{
	while (a < b && is_blank(s[a]))
		a++;
	while (b > a && is_blank(s[b - 1]))
		b--;
	return label_text(s + a, b - a);
}

static size_t find_in_line(const struct mp *p, size_t from, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = from; i + nl <= p->eol; i++)
		if (!memcmp(p->s + i, needle, nl))
			return i;
	return (size_t)-1;
}

/* A label starting at p->pos and closed by `close` (or `close2`, when not
 * NULL): "quoted" or raw up to the first closer. Sets *label (display
 * text) and *which (0 or 1: the closer found); moves past the closer.
 * Returns 0, 1 when no closer exists (nothing consumed), or -1. */
static int scan_label(struct mp *p, const char *close, const char *close2, char **label, int *which)
{
	size_t i = p->pos, j = p->pos;
	while (j < p->eol && is_blank(p->s[j]))
		j++;
	if (j < p->eol && p->s[j] == '"') {
		const char *q = memchr(p->s + j + 1, '"', p->eol - j - 1);
		if (!q)
			return perr(p, j, "unterminated string: expected '\"'");
		size_t qe = (size_t)(q - p->s), k = qe + 1;
		while (k < p->eol && is_blank(p->s[k]))
			k++;
		for (int w = 0; w < 2; w++) {
			const char *c = w ? close2 : close;
			if (c && k + strlen(c) <= p->eol && !memcmp(p->s + k, c, strlen(c))) {
				*label = label_text(p->s + j + 1, qe - j - 1);
				*which = w;
				p->pos = k + strlen(c);
				return 0;
			}
		}
		return 1;
	}
	size_t k1 = find_in_line(p, i, close);
	size_t k2 = close2 ? find_in_line(p, i, close2) : (size_t)-1;
	if (k1 == (size_t)-1 && k2 == (size_t)-1)
		return 1;
	*which = k2 < k1;
	size_t k = *which ? k2 : k1;
	*label = label_trim(p->s, i, k);
	p->pos = k + strlen(*which ? close2 : close);
	return 0;
}

static int find_node(const struct mgraph *g, const char *id, size_t len)
{
	for (size_t i = 0; i < g->nnodes; i++)
		if (strlen(g->nodes[i].id) == len && !memcmp(g->nodes[i].id, id, len))
			return (int)i;
	return -1;
}

/* Index of node `id` (s[at..at+len)), created at its first mention. */
static int node_ref(struct mp *p, size_t at, size_t len)
{
	int i = find_node(p->g, p->s + at, len);
	if (i >= 0)
		return i;
	if (p->g->nnodes >= DG_MAX_NODES)
		return perr(p, at, "too many nodes (the limit is %d)", DG_MAX_NODES);
	struct mnode *nd = VEC_PUSH(p->g->nodes, p->g->nnodes, p->g->capnodes);
	memset(nd, 0, sizeof *nd);
	nd->id = xstrndup(p->s + at, len);
	nd->shape = SH_BOX;
	nd->sub = p->cur;
	nd->cluster = -1;
	nd->line = p->line;
	nd->col = 1 + char_count(p->s + p->bol, at - p->bol);
	return (int)(p->g->nnodes - 1);
}

/* One node: `id`, `id<shape>`, with an optional `:::class`. Returns its
 * index, -2 when there is no node at the cursor, or -1 on error. */
static int parse_node(struct mp *p)
{
	static const struct {
		const char *open, *close, *close2;
		enum shape sh, sh2;
	} shapes[] = {
		{ "(((", ")))", NULL, SH_DCIRCLE, SH_DCIRCLE },
		{ "((", "))", NULL, SH_CIRCLE, SH_CIRCLE },
		{ "([", "])", NULL, SH_STADIUM, SH_STADIUM },
		{ "(", ")", NULL, SH_ROUND, SH_ROUND },
		{ "[[", "]]", NULL, SH_SUBROUTINE, SH_SUBROUTINE },
		{ "[(", ")]", NULL, SH_CYLINDER, SH_CYLINDER },
		{ "[/", "/]", "\\]", SH_PARA, SH_TRAP },
		{ "[\\", "\\]", "/]", SH_PARA_ALT, SH_INVTRAP },
		{ "[", "]", NULL, SH_BOX, SH_BOX },
		{ "{{", "}}", NULL, SH_HEXAGON, SH_HEXAGON },
		{ "{", "}", NULL, SH_DIAMOND, SH_DIAMOND },
		{ ">", "]", NULL, SH_ASYM, SH_ASYM },
	};
	char tmp[48];
	size_t at = p->pos, len = id_len(p, at);
	if (!len) {
		if (at < p->eol && p->s[at] && strchr("[({>", p->s[at]))
			return perr(p, at, "expected a node id before '%c'", p->s[at]);
		return -2;
	}
	p->pos += len;
	int idx = node_ref(p, at, len);
	if (idx < 0)
		return -1;
	if (p->pos < p->eol && p->s[p->pos] && strchr("[({>", p->s[p->pos])) {
		size_t open_at = p->pos;
		const char *want = NULL;
		for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
			size_t ol = strlen(shapes[k].open);
			if (open_at + ol > p->eol || memcmp(p->s + open_at, shapes[k].open, ol))
				continue;
			want = shapes[k].close;
			p->pos = open_at + ol;
			char *label = NULL;
			int which = 0;
			int r = scan_label(p, shapes[k].close, shapes[k].close2, &label, &which);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;  /* try a shorter opener */
			struct mnode *nd = &p->g->nodes[idx];
			free(nd->label);
			nd->label = label;
			nd->shape = which ? shapes[k].sh2 : shapes[k].sh;
			nd->shaped = true;
			want = NULL;
			break;
		}
		if (want) {
			p->pos = open_at;
			quote_cut(tmp, sizeof tmp, p->s + at, len, 32);
			return perr(p, open_at, "expected '%s' to close the label of '%s'", want, tmp);
		}
	}
	if (p->pos + 3 <= p->eol && !memcmp(p->s + p->pos, ":::", 3)) {
		size_t cl = id_len(p, p->pos + 3);
		if (!cl)
			return perr(p, p->pos + 3, "expected a class name after ':::'");
		p->pos += 3 + cl;
	}
	return idx;
}

/* `A & B & C`: node indices into *out (reset first). Returns the count
 * (0: no node at the cursor) or -1. */
static int parse_group(struct mp *p, int **out, size_t *cap)
{
	size_t n = 0;
	for (;;) {
		size_t at = p->pos;
		int idx = parse_node(p);
		if (idx == -1)
			return -1;
		if (idx == -2) {
			if (!n)
				return 0;
			return perr(p, at, "expected a node after '&'");
		}
		*VEC_PUSH(*out, n, *cap) = idx;
		skip_blank(p);
		if (p->pos < p->eol && p->s[p->pos] == '&') {
			p->pos++;
			skip_blank(p);
			continue;
		}
		return (int)n;
	}
}

struct eop {
	enum estyle style;
	enum ehead head;
	bool both;
	int len;
	char *label;
	size_t at, end;        /* the arrow's text (closing arrow for `-- text -->`) */
};

/* After a run of `c` (k >= 2 of them) ending at j: the arrow's end.
 * Returns 1 and fills head/len when it is a complete arrow, 0 if not. */
static int arrow_tail(const struct mp *p, size_t *j, size_t k, struct eop *op)
{
	const char *s = p->s;
	if (*j < p->eol && s[*j] == '>') {
		op->head = EH_ARROW;
		op->len = (int)k - 1;
		(*j)++;
		return 1;
	}
	if (*j < p->eol && (s[*j] == 'o' || s[*j] == 'x') &&
		(*j + 1 >= p->eol || !id_byte((unsigned char)s[*j + 1]))) {
		op->head = s[*j] == 'o' ? EH_CIRCLE : EH_CROSS;
		op->len = (int)k - 1;
		(*j)++;
		return 1;
	}
	if (k >= 3) {
		op->head = EH_NONE;
		op->len = (int)k - 2;
		return 1;
	}
	return 0;
}

/* Dotted arrow body at j ('-' '.'+ '-'), then its end. */
static int dotted_tail(const struct mp *p, size_t *j, struct eop *op)
{
	size_t k = *j + 1, dots = 0;
	while (k < p->eol && p->s[k] == '.') {
		k++;
		dots++;
	}
	if (!dots || k >= p->eol || p->s[k] != '-')
		return 0;
	k++;
	if (k < p->eol && p->s[k] == '>') {
		op->head = EH_ARROW;
		k++;
	} else if (k < p->eol && (p->s[k] == 'o' || p->s[k] == 'x') &&
		(k + 1 >= p->eol || !id_byte((unsigned char)p->s[k + 1]))) {
		op->head = p->s[k] == 'o' ? EH_CIRCLE : EH_CROSS;
		k++;
	} else {
		op->head = EH_NONE;
	}
	op->len = (int)dots;
	*j = k;
	return 1;
}

static size_t run_of(const struct mp *p, size_t i, char c)
{
	size_t j = i;
	while (j < p->eol && p->s[j] == c)
		j++;
	return j - i;
}

/* An edge operator at the cursor, with its label. Returns 1 (found,
 * cursor after it), 0 (no edge here) or -1. */
static int parse_edge(struct mp *p, struct eop *op)
{
	static const char expect[] = "-->, ---, -.->, -.-, ==>, ===, --o or --x";
	const char *s = p->s;
	size_t i = p->pos, e = p->eol, j;
	char tmp[48];
	memset(op, 0, sizeof *op);
	op->at = i;
	if (i < e && s[i] == '<' && i + 1 < e && (s[i + 1] == '-' || s[i + 1] == '=')) {
		op->both = true;
		i++;
	}
	bool text = false;
	if (i + 1 < e && s[i] == '-' && s[i + 1] == '-') {
		size_t k = run_of(p, i, '-');
		op->style = ES_SOLID;
		j = i + k;
		if (!arrow_tail(p, &j, k, op)) {
			if (k != 2)
				return perr(p, op->at, "unknown edge '%s'; expected %s", tok(p, op->at, tmp, sizeof tmp), expect);
			text = true;
		}
	} else if (i + 1 < e && s[i] == '-' && s[i + 1] == '.') {
		op->style = ES_DOTTED;
		j = i;
		if (!dotted_tail(p, &j, op)) {
			j = i + 1 + run_of(p, i + 1, '.');
			text = true;
		}
	} else if (i + 1 < e && s[i] == '=' && s[i + 1] == '=') {
		size_t k = run_of(p, i, '=');
		op->style = ES_THICK;
		j = i + k;
		if (!arrow_tail(p, &j, k, op)) {
			if (k != 2)
				return perr(p, op->at, "unknown edge '%s'; expected %s", tok(p, op->at, tmp, sizeof tmp), expect);
			text = true;
		}
	} else {
		if (op->both || (i < e && (s[i] == '-' || s[i] == '=' || s[i] == '.')))
			return perr(p, op->at, "unknown edge '%s'; expected %s", tok(p, op->at, tmp, sizeof tmp), expect);
		return 0;
	}
	if (text) {
		/* `A -- text --> B`, `A -. text .-> B`, `A == text ==> B` */
		const char *closer = op->style == ES_SOLID ? "--" : op->style == ES_THICK ? "==" : ".-";
		size_t c = find_in_line(p, j, closer);
		if (op->style == ES_DOTTED && c != (size_t)-1)
			while (c > j && s[c - 1] == '.')
				c--;
		if (c == (size_t)-1)
			return perr(p, op->at, "expected an arrow such as '%s' to close the edge text",
				op->style == ES_SOLID ? "-->" : op->style == ES_THICK ? "==>" : ".->");
		size_t k = c;
		int ok;
		if (op->style == ES_DOTTED) {
			/* the closer is '.'+ '-', then an optional head */
			size_t dots = run_of(p, c, '.');
			k = c + dots;   /* at '-' */
			size_t end = k + 1;
			if (end < e && s[end] == '>') {
				op->head = EH_ARROW;
				end++;
			} else if (end < e && (s[end] == 'o' || s[end] == 'x') &&
				(end + 1 >= e || !id_byte((unsigned char)s[end + 1]))) {
				op->head = s[end] == 'o' ? EH_CIRCLE : EH_CROSS;
				end++;
			} else {
				op->head = EH_NONE;
			}
			op->len = (int)dots;
			k = end;
			ok = 1;
		} else {
			size_t run = run_of(p, c, s[c]);
			k = c + run;
			ok = arrow_tail(p, &k, run, op);
		}
		if (!ok)
			return perr(p, c, "expected an arrow such as '%s' to close the edge text",
				op->style == ES_SOLID ? "-->" : "==>");
		size_t a = j, b = c;
		while (a < b && is_blank(s[a]))
			a++;
		while (b > a && is_blank(s[b - 1]))
			b--;
		if (b - a >= 2 && s[a] == '"' && s[b - 1] == '"') {
			a++;
			b--;
		}
		if (a == b)
			return perr(p, j, "empty edge text");
		op->label = label_text(s + a, b - a);
		op->at = c;
		j = k;
	}
	op->end = j;
	if (op->both && op->head == EH_NONE)
		return perr(p, op->at, "edge '%.*s' opens with '<' but has no arrow head at its end",
			(int)(j - op->at), s + op->at);
	p->pos = j;
	skip_blank(p);
	if (p->pos < e && s[p->pos] == '|') {
		size_t a = p->pos + 1, q = a;
		while (q < e && is_blank(s[q]))
			q++;
		size_t bar;
		if (q < e && s[q] == '"') {
			const char *qq = memchr(s + q + 1, '"', e - q - 1);
			if (!qq) {
				free(op->label);
				op->label = NULL;
				return perr(p, q, "unterminated string: expected '\"'");
			}
			bar = find_in_line(p, (size_t)(qq - s) + 1, "|");
		} else {
			bar = find_in_line(p, a, "|");
		}
		if (bar == (size_t)-1) {
			free(op->label);
			op->label = NULL;
			return perr(p, p->pos, "unterminated edge label: expected '|'");
		}
		size_t lb = bar;
		while (lb > a && is_blank(s[lb - 1]))
			lb--;
		if (q < lb && s[q] == '"' && lb - q >= 2 && s[lb - 1] == '"') {
			a = q + 1;
			lb--;
		}
		free(op->label);
		op->label = label_trim(s, a, lb);
		p->pos = bar + 1;
	}
	if (op->len < 1)
		op->len = 1;
	if (op->len > 10)
		op->len = 10;
	return 1;
}

static int add_edges(struct mp *p, const int *from, int nf, const int *to, int nt,
	const struct eop *op)
{
	for (int a = 0; a < nf; a++)
		for (int b = 0; b < nt; b++) {
			if (p->g->nedges >= DG_MAX_EDGES)
				return perr(p, op->at, "too many edges (the limit is %d)", DG_MAX_EDGES);
			struct medge *ed = VEC_PUSH(p->g->edges, p->g->nedges, p->g->capedges);
			ed->from = from[a];
			ed->to = to[b];
			ed->style = op->style;
			ed->head = op->head;
			ed->both = op->both;
			ed->len = op->len;
			ed->label = op->label ? xstrdup(op->label) : NULL;
		}
	return 0;
}

/* `A --> B & C -.- D ...` */
static int parse_chain(struct mp *p)
{
	int *prev = NULL, *next = NULL;
	size_t capp = 0, capn = 0;
	int rc = -1, np, nn;
	char tmp[48];
	struct eop op = { 0 };
	np = parse_group(p, &prev, &capp);
	if (np < 0)
		goto out;
	if (np == 0) {
		perr(p, p->pos, "expected a node, found '%s'", tok(p, p->pos, tmp, sizeof tmp));
		goto out;
	}
	for (;;) {
		skip_blank(p);
		int r = parse_edge(p, &op);
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		skip_blank(p);
		nn = parse_group(p, &next, &capn);
		if (nn < 0)
			goto out;
		if (nn == 0) {
			perr(p, p->pos, "expected a node after '%.*s'", (int)(op.end - op.at), p->s + op.at);
			goto out;
		}
		if (add_edges(p, prev, np, next, nn, &op) < 0)
			goto out;
		free(op.label);
		op.label = NULL;
		int *t = prev;
		prev = next;
		next = t;
		size_t tc = capp;
		capp = capn;
		capn = tc;
		np = nn;
	}
	rc = 0;
out:
	free(op.label);
	free(prev);
	free(next);
	return rc;
}

/* Skip an ignored statement up to ';' or the end of the line ("quoted"
 * text may hold ';'). */
static void skip_statement(struct mp *p)
{
	bool q = false;
	while (p->pos < p->eol && (q || p->s[p->pos] != ';')) {
		if (p->s[p->pos] == '"')
			q = !q;
		p->pos++;
	}
}

static int parse_subgraph(struct mp *p, size_t kw_at)
{
	struct mgraph *g = p->g;
	char *id = NULL, *title = NULL;
	skip_blank(p);
	if (at_end(p))
		return perr(p, p->pos, "expected a title or an id after 'subgraph'");
	if (g->nsubs >= DG_MAX_SUBS)
		return perr(p, kw_at, "too many subgraphs (the limit is %d)", DG_MAX_SUBS);
	if (p->depth >= DG_MAX_DEPTH)
		return perr(p, kw_at, "subgraphs nested more than %d deep", DG_MAX_DEPTH);
	size_t at = p->pos;
	if (p->s[at] == '"') {
		const char *q = memchr(p->s + at + 1, '"', p->eol - at - 1);
		if (!q)
			return perr(p, at, "unterminated string: expected '\"'");
		title = label_text(p->s + at + 1, (size_t)(q - p->s) - at - 1);
		p->pos = (size_t)(q - p->s) + 1;
	} else {
		size_t len = id_len(p, at);
		size_t j = at + len;
		while (j < p->eol && is_blank(p->s[j]))
			j++;
		if (len && j < p->eol && p->s[j] == '[') {
			p->pos = j + 1;
			int which;
			int r = scan_label(p, "]", NULL, &title, &which);
			if (r < 0)
				return -1;
			if (r > 0)
				return perr(p, j, "expected ']' to close the subgraph title");
			id = xstrndup(p->s + at, len);
		} else if (len && (j >= p->eol || p->s[j] == ';')) {
			id = xstrndup(p->s + at, len);
			title = xstrdup(id);
			p->pos = at + len;
		} else {
			size_t k = at;
			while (k < p->eol && p->s[k] != ';')
				k++;
			title = label_trim(p->s, at, k);
			p->pos = k;
		}
	}
	if (id)
		for (size_t i = 0; i < g->nsubs; i++)
			if (str_eq(g->subs[i].id, id)) {
				free(id);
				free(title);
				return perr(p, at, "subgraph '%s' is defined twice", g->subs[i].id);
			}
	struct msub *sg = VEC_PUSH(g->subs, g->nsubs, g->capsubs);
	memset(sg, 0, sizeof *sg);
	sg->id = id;
	sg->title = title;
	sg->parent = p->cur;
	sg->line = p->line;
	sg->col = 1 + char_count(p->s + p->bol, kw_at - p->bol);
	sg->rep = -1;
	p->cur = (int)(g->nsubs - 1);
	p->depth++;
	return 0;
}

static int parse_statement(struct mp *p)
{
	static const char *const ignored[] = {
		"direction", "classDef", "class", "style", "linkStyle", "click",
	};
	size_t at = p->pos, len = id_len(p, at);
	bool word_end = at + len >= p->eol || is_blank(p->s[at + len]) || p->s[at + len] == ';';
	if (len && word_end) {
		if (word_is(p, at, len, "subgraph")) {
			p->pos = at + len;
			return parse_subgraph(p, at);
		}
		if (word_is(p, at, len, "end")) {
			if (p->cur < 0)
				return perr(p, at, "'end' without an open subgraph");
			p->cur = p->g->subs[p->cur].parent;
			p->depth--;
			p->pos = at + len;
			return 0;
		}
		for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
			if (word_is(p, at, len, ignored[i])) {
				skip_statement(p);
				return 0;
			}
	}
	return parse_chain(p);
}

/* Set the current line to the one starting at `bol`. */
static void set_line(struct mp *p, size_t bol)
{
	const char *nl = memchr(p->s + bol, '\n', p->n - bol);
	p->bol = bol;
	p->eol = nl ? (size_t)(nl - p->s) : p->n;
	if (p->eol > bol && p->s[p->eol - 1] == '\r')
		p->eol--;
	p->pos = bol;
}

static size_t next_bol(const struct mp *p)
{
	const char *nl = memchr(p->s + p->bol, '\n', p->n - p->bol);
	return nl ? (size_t)(nl - p->s) + 1 : p->n;
}

static bool line_is_blank_or_comment(struct mp *p)
{
	skip_blank(p);
	return p->pos >= p->eol || (p->pos + 1 < p->eol && p->s[p->pos] == '%' && p->s[p->pos + 1] == '%');
}

/* Header line: `flowchart|graph [DIR]`. Cursor left after it. */
static int parse_header(struct mp *p)
{
	static const char *const dirs[][2] = {
		{ "TD", "TB" }, { "TB", "TB" }, { "BT", "BT" }, { "LR", "LR" }, { "RL", "RL" },
	};
	char tmp[48];
	size_t at = p->pos, j = at;
	while (j < p->eol && (id_byte((unsigned char)p->s[j]) || p->s[j] == '-'))
		j++;
	if (j == at)
		return perr(p, at, "expected 'flowchart' or 'graph' at the start of the diagram");
	if (!word_is(p, at, j - at, "flowchart") && !word_is(p, at, j - at, "graph")) {
		quote_cut(tmp, sizeof tmp, p->s + at, j - at, 32);
		return perr(p, at, "unsupported Mermaid diagram type '%s' (only flowchart and graph are supported)", tmp);
	}
	p->pos = j;
	p->g->rankdir = "TB";
	skip_blank(p);
	if (at_end(p))
		return 0;
	size_t d = p->pos, dl = id_len(p, d);
	for (size_t i = 0; dl == 2 && i < sizeof dirs / sizeof *dirs; i++)
		if (!memcmp(p->s + d, dirs[i][0], 2)) {
			p->g->rankdir = dirs[i][1];
			p->pos = d + 2;
			return 0;
		}
	return perr(p, d, "unknown direction '%s' (expected TD, TB, BT, LR or RL)", tok(p, d, tmp, sizeof tmp));
}

/* `---` ... `---` front matter starting on the current line; keeps its
 * title. Leaves the closing line current. */
static int skip_front_matter(struct mp *p)
{
	int start_line = p->line;
	size_t start_bol = p->bol, start = p->pos;
	for (;;) {
		if (next_bol(p) >= p->n) {
			p->line = start_line;
			set_line(p, start_bol);
			return perr(p, start, "front matter is not closed with '---'");
		}
		set_line(p, next_bol(p));
		p->line++;
		skip_blank(p);
		if (p->eol - p->pos == 3 && !memcmp(p->s + p->pos, "---", 3))
			return 0;
		if (p->pos + 6 <= p->eol && !memcmp(p->s + p->pos, "title:", 6) && !p->g->title) {
			size_t a = p->pos + 6, b = p->eol;
			while (a < b && is_blank(p->s[a]))
				a++;
			while (b > a && is_blank(p->s[b - 1]))
				b--;
			if (b - a >= 2 && (p->s[a] == '"' || p->s[a] == '\'') && p->s[b - 1] == p->s[a]) {
				a++;
				b--;
			}
			p->g->title = label_text(p->s + a, b - a);
		}
	}
}

/* One source line (the current one). */
static int mermaid_line(struct mp *p, bool *header)
{
	char tmp[48];
	if (line_is_blank_or_comment(p))
		return 0;
	if (!*header) {
		if (p->eol - p->pos == 3 && !memcmp(p->s + p->pos, "---", 3))
			return skip_front_matter(p);
		if (parse_header(p) < 0)
			return -1;
		*header = true;
		skip_blank(p);
		if (p->pos < p->eol && p->s[p->pos] != ';')
			return perr(p, p->pos, "unexpected '%s' after the diagram type", tok(p, p->pos, tmp, sizeof tmp));
	}
	for (;;) {
		skip_blank(p);
		if (p->pos >= p->eol)
			return 0;
		if (p->s[p->pos] == ';') {
			p->pos++;
			continue;
		}
		if (parse_statement(p) < 0)
			return -1;
		skip_blank(p);
		if (p->pos < p->eol && p->s[p->pos] != ';')
			return perr(p, p->pos, "unexpected '%s'; expected an edge such as '-->', ';' or the end of the line",
				tok(p, p->pos, tmp, sizeof tmp));
	}
}

static int mermaid_parse(const char *src, size_t n, struct mgraph *g, struct diagram_error *err)
{
	struct mp p = { .s = src, .n = n, .line = 1, .g = g, .cur = -1, .err = err };
	bool header = false;
	for (size_t bol = 0;;) {
		set_line(&p, bol);
		if (mermaid_line(&p, &header) < 0)
			return -1;
		bol = next_bol(&p);
		if (bol >= n)
			break;
		p.line++;
	}
	if (!header) {
		set_err(err, 1, 1, "empty diagram: expected 'flowchart' or 'graph'");
		return -1;
	}
	if (p.cur >= 0) {
		const struct msub *sg = &g->subs[p.cur];
		char t[48];
		quote_cut(t, sizeof t, sg->title, strlen(sg->title), 32);
		set_err(err, sg->line, sg->col, "subgraph '%s' is not closed with 'end'", t);
		return -1;
	}
	/* An id naming a subgraph is the subgraph's box, unless it was
	 * defined as a node. */
	for (size_t i = 0; i < g->nsubs; i++) {
		if (!g->subs[i].id)
			continue;
		int k = find_node(g, g->subs[i].id, strlen(g->subs[i].id));
		if (k < 0)
			continue;
		if (g->nodes[k].shaped) {
			set_err(err, g->nodes[k].line, g->nodes[k].col,
				"'%s' is used both as a node and as a subgraph id", g->nodes[k].id);
			return -1;
		}
		g->nodes[k].cluster = (int)i;
	}
	for (size_t i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].cluster >= 0)
			continue;
		for (int s = g->nodes[i].sub; s >= 0; s = g->subs[s].parent)
			if (g->subs[s].rep < 0)
				g->subs[s].rep = (int)i;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Graphviz context, lock and messages                                  */

#if defined(KBC_ASAN)   /* util.h */
/* Graphviz 2.43 leaks inside its own code: the dot layout's auxiliary
 * and virtual edges (every edge that crosses a cluster border), labels it
 * makes for them, the HTML-label parser, and fontconfig when the pango
 * plugin is loaded. LeakSanitizer would blame them on whatever program
 * links this module. Its fast unwinder cannot see past libgvc's frames
 * (no frame pointers), so ASan builds suppress leaks allocated inside
 * libgvc and its plugins. Our own frees were checked with full unwinding
 * (ASAN_OPTIONS=fast_unwind_on_malloc=0) and only the dot plugin and the
 * HTML-label parser leak. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libgvplugin_dot_layout.so\nleak:libgvplugin_core.so\n"
		"leak:libfontconfig.so\n";
}

/* ...and quietly: the suppression statistics would land on stderr. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

static pthread_mutex_t gv_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;              /* shared context, created lazily */
static bool gv_failed;             /* no usable "dot" layout */
static bool gv_fallback;           /* gv_ctx came from gvContext() */
static struct buf gv_msgs = BUF_INIT; /* Graphviz messages of the current call */
static lt_symlist_t gv_builtins[3];   /* plugins handed to gvContextPlugins */

static int gv_errf(char *msg)
{
	buf_puts(&gv_msgs, msg);
	return 0;
}

/* dlopen `dir`/`name`(.so.6 or .so); NULL if absent. Never dlclose'd: the
 * dot plugin keeps static buffers that must stay reachable. */
static void *plugin_open(const char *dir, const char *name)
{
	static const char *const suffixes[] = { ".so.6", ".so" };
	for (size_t i = 0; i < 2; i++) {
		struct buf file = BUF_INIT;
		buf_printf(&file, "%s/lib%s%s", dir, name, suffixes[i]);
		void *h = dlopen(file.data, RTLD_NOW | RTLD_LOCAL);
		buf_free(&file);
		if (h)
			return h;
	}
	return NULL;
}

/* Load core and the layout plugin `layout` (e.g. "gvplugin_dot_layout")
 * from the first plugin folder that has both into *core and *lay; true
 * when both are (or were already) loaded. */
static bool plugins_load(const char *layout, void **core, void **lay)
{
	if (*core && *lay)
		return true;
	struct buf dir = BUF_INIT;
	const char *env = getenv("GVBINDIR");
	Dl_info info;
	const char *cands[4];
	size_t nc = 0;
	if (env && *env)
		cands[nc++] = env;
	GVC_t *(*fn)(void) = gvContext;
	void *addr;
	memcpy(&addr, &fn, sizeof addr);
	if (dladdr(addr, &info) && info.dli_fname) {
		const char *slash = strrchr(info.dli_fname, '/');
		if (slash) {
			buf_put(&dir, info.dli_fname, (size_t)(slash - info.dli_fname));
			buf_puts(&dir, "/graphviz");
			cands[nc++] = dir.data;
		}
	}
	cands[nc++] = "/usr/lib/x86_64-linux-gnu/graphviz";
	cands[nc++] = "/usr/lib/graphviz";
	struct buf sym = BUF_INIT;
	buf_printf(&sym, "%s_LTX_library", layout);
	for (size_t i = 0; i < nc && !(*core && *lay); i++) {
		void *c = plugin_open(cands[i], "gvplugin_core");
		void *d = c ? plugin_open(cands[i], layout) : NULL;
		if (c && d && dlsym(c, "gvplugin_core_LTX_library") && dlsym(d, sym.data)) {
			*core = c;
			*lay = d;
			break;
		}
		if (d)
			dlclose(d);
		if (c)
			dlclose(c);
	}
	buf_free(&sym);
	buf_free(&dir);
	return *core && *lay;
}

/* Load core and dot_layout for gv_ctx. */
static bool builtins_load(void)
{
	static void *core, *dot;
	if (!plugins_load("gvplugin_dot_layout", &core, &dot))
		return false;
	gv_builtins[0].name = "gvplugin_core_LTX_library";
	gv_builtins[0].address = dlsym(core, "gvplugin_core_LTX_library");
	gv_builtins[1].name = "gvplugin_dot_layout_LTX_library";
	gv_builtins[1].address = dlsym(dot, "gvplugin_dot_layout_LTX_library");
	return true;
}

GVC_t *diagram_neato_context(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static void *core, *neato;
	static lt_symlist_t list[3];
	pthread_mutex_lock(&lock);
	bool ok = plugins_load("gvplugin_neato_layout", &core, &neato);
	if (ok && !list[0].name) {
		list[0].name = "gvplugin_core_LTX_library";
		list[0].address = dlsym(core, "gvplugin_core_LTX_library");
		list[1].name = "gvplugin_neato_layout_LTX_library";
		list[1].address = dlsym(neato, "gvplugin_neato_layout_LTX_library");
	}
	pthread_mutex_unlock(&lock);
	return ok ? gvContextPlugins(list, 0) : gvContext();
}

/* Under gv_lock: make sure gv_ctx exists. 0, or -1 with *err set. */
static int gv_ready(struct diagram_error *err)
{
	buf_reset(&gv_msgs);
	if (!gv_ctx && !gv_failed) {
		agseterrf(gv_errf);
		agseterr(AGWARN);
		if (builtins_load()) {
			gv_ctx = gvContextPlugins(gv_builtins, 0);
		} else {
			gv_ctx = gvContext();
			gv_fallback = true;
			int cnt = 0;
			bool dot = false;
			char **list = gv_ctx ? gvPluginList(gv_ctx, "layout", &cnt, NULL) : NULL;
			for (int i = 0; i < cnt; i++) {
				if (list[i] && !strcmp(list[i], "dot"))
					dot = true;
				free(list[i]);
			}
			free(list);
			if (gv_ctx && !dot) {
				gvFreeContext(gv_ctx);
				gv_ctx = NULL;
			}
		}
		gv_failed = !gv_ctx;
	}
	if (!gv_ctx) {
		set_err(err, 1, 1, "Graphviz has no 'dot' layout plugin (is libgvplugin_dot_layout installed?)");
		return -1;
	}
	return 0;
}

/* First Graphviz error message of the current call, one line, without
 * the "Error: " prefix; `fallback` when there is none. */
static void gv_error_text(char *dst, size_t dstsz, const char *fallback)
{
	const char *m = strstr(gv_msgs.data, "Error: ");
	if (!m) {
		snprintf(dst, dstsz, "%s", fallback);
		return;
	}
	m += 7;
	size_t len = strcspn(m, "\n");
	while (len && (m[len - 1] == ' ' || m[len - 1] == '.'))
		len--;
	quote_cut(dst, dstsz, m, len, dstsz - 4);
}

void diagram_shutdown(void)
{
	pthread_mutex_lock(&gv_lock);
	/* A gvContext() context stays: its pango plugin keeps a pointer into
	 * the context's font list and would read it after a free. */
	if (gv_ctx && !gv_fallback) {
		gvFreeContext(gv_ctx);
		gv_ctx = NULL;
	}
	gv_failed = false;
	buf_free(&gv_msgs);
	pthread_mutex_unlock(&gv_lock);
}

/* cgraph takes `char *` for names and values it never changes. */
static Agsym_t *gattr(Agraph_t *g, int kind, const char *name, const char *val)
{
	return agattr(g, kind, (char *)name, (char *)val);
}

static void gset(void *obj, Agsym_t *sym, const char *val)
{
	agxset(obj, sym, (char *)val);
}

/* Graphviz label text for display text `s`: '\n' breaks lines, '\\' and
 * '&' are escaped. Graphviz decodes "&amp;" but writes any "&name;" it then
 * meets back out verbatim, so a word joiner goes between an '&' and a
 * following entity-like run; the SVG rewrite removes it again. */
static void gv_escape(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\n') {
			buf_puts(b, "\\n");
		} else if (*p == '\\') {
			buf_puts(b, "\\\\");
		} else if (*p == '&') {
			buf_puts(b, "&amp;");
			const char *q = p + 1;
			while (*q == '#' || id_byte((unsigned char)*q))
				q++;
			if (q > p + 1 && *q == ';')
				buf_puts(b, DG_WJ);
		} else {
			buf_putc(b, *p);
		}
	}
}

/* ------------------------------------------------------------------ */
/* cgraph disciplines (under gv_lock)                                   */

/* cgraph's default id discipline uses the address of a node's or
 * subgraph's interned name as its id, and subgraphs are kept in id order:
 * the order of clusters (and so the SVG, and sometimes the layout) would
 * then depend on malloc. Ours numbers names in order of first use, within
 * each graph: name k gets id 2k, anonymous objects odd ids. It also stops
 * the parser creating edges past the limit, so a small source cannot
 * expand into millions of them ({a b c ...} -> {d e f ...}). */
struct idstate {
	char **names;          /* names[k]: the name with id 2k (NULL: anonymous) */
	size_t n, cap;
	size_t *slots;         /* open addressing: k, or 0 for empty */
	size_t nslots;
};

static int gv_edge_budget = -1;    /* edges the parser may still create; -1: no limit */
static bool gv_edge_overflow;

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t *id_slot(struct idstate *st, const char *name)
{
	size_t i = (size_t)name_hash(name) & (st->nslots - 1);
	while (st->slots[i] && strcmp(st->names[st->slots[i]], name))
		i = (i + 1) & (st->nslots - 1);
	return &st->slots[i];
}

static void *id_open(Agraph_t *g, Agdisc_t *disc)
{
	(void)g;
	(void)disc;
	struct idstate *st = xcalloc(1, sizeof *st);
	*VEC_PUSH(st->names, st->n, st->cap) = NULL;   /* k = 0 is never used */
	st->nslots = 64;
	st->slots = xcalloc(st->nslots, sizeof *st->slots);
	return st;
}

static long id_map(void *state, int objtype, char *str, IDTYPE *id, int createflag)
{
	struct idstate *st = state;
	if (objtype == AGEDGE && createflag && gv_edge_budget >= 0) {
		if (gv_edge_budget == 0) {
			gv_edge_overflow = true;
			return 0;
		}
		gv_edge_budget--;
	}
	if (!str) {
		if (!createflag)
			return 0;
		*VEC_PUSH(st->names, st->n, st->cap) = NULL;
		*id = (IDTYPE)(st->n - 1) * 2 + 1;
		return 1;
	}
	size_t *slot = id_slot(st, str);
	if (*slot) {
		*id = (IDTYPE)*slot * 2;
		return 1;
	}
	if (!createflag)
		return 0;
	*VEC_PUSH(st->names, st->n, st->cap) = xstrdup(str);
	*slot = st->n - 1;
	*id = (IDTYPE)*slot * 2;
	if (st->n * 2 > st->nslots) {
		free(st->slots);
		st->nslots *= 2;
		st->slots = xcalloc(st->nslots, sizeof *st->slots);
		for (size_t k = 1; k < st->n; k++)
			if (st->names[k])
				*id_slot(st, st->names[k]) = k;
	}
	return 1;
}

static long id_alloc(void *state, int objtype, IDTYPE request)
{
	(void)state;
	(void)objtype;
	(void)request;
	return 0;   /* no ids chosen by the caller, as in cgraph's own */
}

static void id_free(void *state, int objtype, IDTYPE id)
{
	(void)state;
	(void)objtype;
	(void)id;   /* names live until the graph closes */
}

static char *id_print(void *state, int objtype, IDTYPE id)
{
	struct idstate *st = state;
	(void)objtype;
	if (id % 2 == 0 && id / 2 < st->n)
		return st->names[id / 2];
	return NULL;
}

static void id_close(void *state)
{
	struct idstate *st = state;
	for (size_t k = 0; k < st->n; k++)
		free(st->names[k]);
	free(st->names);
	free(st->slots);
	free(st);
}

static void id_register(void *state, int objtype, void *obj)
{
	(void)state;
	(void)objtype;
	(void)obj;
}

/* DOT source read from memory. */
struct dot_src {
	const char *s;
	size_t n, pos;
};

static int dot_afread(void *chan, char *out, int bufsize)
{
	struct dot_src *r = chan;
	size_t k = r->n - r->pos;
	if (bufsize <= 0)
		return 0;
	if (k > (size_t)bufsize)
		k = (size_t)bufsize;
	memcpy(out, r->s + r->pos, k);
	r->pos += k;
	return (int)k;
}

static Agiddisc_t gv_iddisc = { id_open, id_map, id_alloc, id_free, id_print, id_close, id_register };
static Agiodisc_t gv_iodisc;
static Agdisc_t gv_disc = { NULL, &gv_iddisc, &gv_iodisc };

static void gv_disc_init(void)
{
	gv_iodisc = AgIoDisc;
	gv_iodisc.afread = dot_afread;
	gv_disc.mem = &AgMemDisc;
}

/* ------------------------------------------------------------------ */
/* Mermaid model to cgraph (under gv_lock)                              */

static Agraph_t *mermaid_graph(struct mgraph *mg)
{
	static const char *const shape_names[] = {
		[SH_BOX] = "box", [SH_ROUND] = "box", [SH_STADIUM] = "box",
		[SH_CIRCLE] = "circle", [SH_DCIRCLE] = "doublecircle", [SH_DIAMOND] = "diamond",
		[SH_HEXAGON] = "hexagon", [SH_SUBROUTINE] = "box", [SH_CYLINDER] = "cylinder",
		[SH_ASYM] = "cds", [SH_PARA] = "parallelogram", [SH_PARA_ALT] = "polygon",
		[SH_TRAP] = "trapezium", [SH_INVTRAP] = "invtrapezium",
	};
	static const char *const heads[] = {
		[EH_NONE] = "none", [EH_ARROW] = "normal", [EH_CIRCLE] = "dot", [EH_CROSS] = "tee",
	};
	struct buf t = BUF_INIT, name = BUF_INIT;
	bool compound = false;
	for (size_t i = 0; i < mg->nedges; i++)
		if (mg->nodes[mg->edges[i].from].cluster >= 0 || mg->nodes[mg->edges[i].to].cluster >= 0)
			compound = true;

	gv_disc_init();
	Agraph_t *g = agopen("flowchart", Agdirected, &gv_disc);
	gattr(g, AGRAPH, "rankdir", mg->rankdir);
	gattr(g, AGRAPH, "fontname", DG_FONT);
	gattr(g, AGRAPH, "fontsize", "13");
	gattr(g, AGRAPH, "nodesep", "0.35");
	gattr(g, AGRAPH, "ranksep", "0.45");
	Agsym_t *glabel = gattr(g, AGRAPH, "label", "");
	if (compound)
		gattr(g, AGRAPH, "compound", "true");
	Agsym_t *nlabel = gattr(g, AGNODE, "label", "");
	gattr(g, AGNODE, "fontname", DG_FONT);
	gattr(g, AGNODE, "fontsize", "14");
	gattr(g, AGNODE, "fillcolor", "lightgrey");
	gattr(g, AGNODE, "margin", "0.15,0.08");
	Agsym_t *nshape = gattr(g, AGNODE, "shape", "box");
	Agsym_t *nstyle = gattr(g, AGNODE, "style", "filled");
	Agsym_t *nper = gattr(g, AGNODE, "peripheries", "1");
	Agsym_t *nsides = gattr(g, AGNODE, "sides", "4");
	Agsym_t *nskew = gattr(g, AGNODE, "skew", "0");
	Agsym_t *nwidth = gattr(g, AGNODE, "width", "0.75");
	Agsym_t *nheight = gattr(g, AGNODE, "height", "0.5");
	Agsym_t *elabel = gattr(g, AGEDGE, "label", "");
	gattr(g, AGEDGE, "fontname", DG_FONT);
	gattr(g, AGEDGE, "fontsize", "12");
	Agsym_t *estyle = gattr(g, AGEDGE, "style", "solid");
	Agsym_t *epen = gattr(g, AGEDGE, "penwidth", "1");
	Agsym_t *ehead = gattr(g, AGEDGE, "arrowhead", "normal");
	Agsym_t *etail = gattr(g, AGEDGE, "arrowtail", "normal");
	Agsym_t *edir = gattr(g, AGEDGE, "dir", "forward");
	Agsym_t *eminlen = gattr(g, AGEDGE, "minlen", "1");
	Agsym_t *elhead = compound ? gattr(g, AGEDGE, "lhead", "") : NULL;
	Agsym_t *eltail = compound ? gattr(g, AGEDGE, "ltail", "") : NULL;

	for (size_t i = 0; i < mg->nsubs; i++) {
		struct msub *sg = &mg->subs[i];
		Agraph_t *parent = sg->parent >= 0 ? mg->subs[sg->parent].gv : g;
		buf_reset(&name);
		buf_printf(&name, "cluster_%zu", i);
		sg->gv = agsubg(parent, name.data, 1);
		buf_reset(&t);
		gv_escape(&t, sg->title);
		gset(sg->gv, glabel, t.data);
		if (sg->rep < 0) {
			buf_reset(&name);
			buf_printf(&name, "c%zu", i);
			sg->placeholder = agnode(g, name.data, 1);
			agsubnode(sg->gv, sg->placeholder, 1);
			gset(sg->placeholder, nshape, "point");
			gset(sg->placeholder, nstyle, "invis");
			gset(sg->placeholder, nwidth, "0.3");
			gset(sg->placeholder, nheight, "0.3");
		}
	}
	for (size_t i = 0; i < mg->nnodes; i++) {
		struct mnode *nd = &mg->nodes[i];
		if (nd->cluster >= 0)
			continue;
		buf_reset(&name);
		buf_printf(&name, "n%zu", i);
		nd->gv = agnode(g, name.data, 1);
		if (nd->sub >= 0)
			agsubnode(mg->subs[nd->sub].gv, nd->gv, 1);
		buf_reset(&t);
		gv_escape(&t, nd->label ? nd->label : nd->id);
		gset(nd->gv, nlabel, t.data);
		gset(nd->gv, nshape, shape_names[nd->shape]);
		if (nd->shape == SH_ROUND || nd->shape == SH_STADIUM)
			gset(nd->gv, nstyle, "rounded,filled");
		if (nd->shape == SH_SUBROUTINE)
			gset(nd->gv, nper, "2");
		if (nd->shape == SH_PARA_ALT) {
			gset(nd->gv, nsides, "4");
			gset(nd->gv, nskew, "-0.6");
		}
	}
	for (size_t i = 0; i < mg->nedges; i++) {
		const struct medge *ed = &mg->edges[i];
		const struct mnode *a = &mg->nodes[ed->from], *b = &mg->nodes[ed->to];
		Agnode_t *ta = a->gv, *hb = b->gv;
		if (a->cluster >= 0) {
			const struct msub *sg = &mg->subs[a->cluster];
			ta = sg->rep >= 0 ? mg->nodes[sg->rep].gv : sg->placeholder;
		}
		if (b->cluster >= 0) {
			const struct msub *sg = &mg->subs[b->cluster];
			hb = sg->rep >= 0 ? mg->nodes[sg->rep].gv : sg->placeholder;
		}
		Agedge_t *e = agedge(g, ta, hb, NULL, 1);
		if (!e)
			continue;
		if (a->cluster >= 0)
			gset(e, eltail, agnameof(mg->subs[a->cluster].gv));
		if (b->cluster >= 0)
			gset(e, elhead, agnameof(mg->subs[b->cluster].gv));
		if (ed->label) {
			buf_reset(&t);
			gv_escape(&t, ed->label);
			gset(e, elabel, t.data);
		}
		if (ed->style == ES_DOTTED)
			gset(e, estyle, "dashed");
		if (ed->style == ES_THICK)
			gset(e, epen, "2.5");
		gset(e, ehead, heads[ed->head]);
		gset(e, etail, heads[ed->head]);
		gset(e, edir, ed->both ? "both" : ed->head == EH_NONE ? "none" : "forward");
		buf_reset(&name);
		buf_printf(&name, "%d", ed->len);
		gset(e, eminlen, name.data);
	}
	buf_free(&t);
	buf_free(&name);
	return g;
}

/* ------------------------------------------------------------------ */
/* DOT reading and neutralising (under gv_lock)                         */

/* Column of the token `near` in line `line` of src, 1 if not found. */
static int dot_col(const char *src, size_t n, int line, const char *near, size_t nearlen)
{
	size_t bol = 0;
	for (int l = 1; l < line && bol < n; l++) {
		const char *nl = memchr(src + bol, '\n', n - bol);
		if (!nl)
			return 1;
		bol = (size_t)(nl - src) + 1;
	}
	const char *nl = memchr(src + bol, '\n', n - bol);
	size_t eol = nl ? (size_t)(nl - src) : n;
	for (size_t i = bol; nearlen && i + nearlen <= eol; i++)
		if (!memcmp(src + i, near, nearlen))
			return 1 + char_count(src + bol, i - bol);
	return 1;
}

/* Turn the parser's message ("syntax error in line N near 'X'") into
 * *err, with the column of X in line N. */
static void dot_syntax_error(const char *src, size_t n, struct diagram_error *err)
{
	char msg[200];
	if (!strstr(gv_msgs.data, "Error: ")) {
		set_err(err, 1, 1, "no graph found in the DOT source");
		return;
	}
	gv_error_text(msg, sizeof msg, "");
	int line = 1, col = 1;
	char *in = strstr(msg, " in line ");
	if (in) {
		long l = 0;
		const char *d = in + 9;
		size_t k = 0;
		while (d[k] >= '0' && d[k] <= '9' && k < 9)
			l = l * 10 + (d[k++] - '0');
		if (l >= 1 && l <= 1000000)
			line = (int)l;
		memmove(in, d + k, strlen(d + k) + 1);
		const char *near = strstr(msg, "near '");
		if (near) {
			near += 6;
			const char *q = strrchr(near, '\'');
			if (q && q > near)
				col = dot_col(src, n, line, near, (size_t)(q - near));
		}
	}
	if (strstr(msg, "scanning a quoted string"))
		snprintf(msg, sizeof msg, "syntax error: unterminated quoted string");
	set_err(err, line, col, "DOT %s", msg);
}

static Agraph_t *dot_read(const char *src, size_t n, struct diagram_error *err)
{
	struct dot_src r = { src, n, 0 };
	gv_disc_init();
	gv_edge_budget = DG_MAX_EDGES;
	gv_edge_overflow = false;
	agreadline(1);
	Agraph_t *g = agread(&r, &gv_disc);
	gv_edge_budget = -1;
	if (!g) {
		dot_syntax_error(src, n, err);   /* cgraph flushed its lexer */
		return NULL;
	}
	/* cgraph's lexer keeps input it has read ahead for the next agread():
	 * read the rest of this source now, so that it can neither turn up in
	 * the next diagram nor shift its line numbers. */
	buf_reset(&gv_msgs);
	int more = 0;
	for (;;) {
		gv_edge_budget = DG_MAX_EDGES;
		Agraph_t *x = agread(&r, &gv_disc);
		gv_edge_budget = -1;
		if (!x)
			break;
		agclose(x);
		more++;
	}
	if (strstr(gv_msgs.data, "Error: ")) {
		dot_syntax_error(src, n, err);
		agclose(g);
		return NULL;
	}
	if (more) {
		set_err(err, 1, 1, "the DOT source holds more than one graph");
		agclose(g);
		return NULL;
	}
	if (gv_edge_overflow || agnedges(g) > DG_MAX_EDGES) {
		set_err(err, 1, 1, "too many edges (the limit is %d)", DG_MAX_EDGES);
		agclose(g);
		return NULL;
	}
	if (agnnodes(g) > DG_MAX_NODES) {
		set_err(err, 1, 1, "too many nodes (the limit is %d)", DG_MAX_NODES);
		agclose(g);
		return NULL;
	}
	return g;
}

static bool ci_contains(const char *s, const char *needle)
{
	size_t nl = strlen(needle);
	for (; *s; s++)
		if (!strncasecmp(s, needle, nl))
			return true;
	return false;
}

static void clear_graphs(Agraph_t *g, Agsym_t *sym)
{
	gset(g, sym, "");
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s))
		clear_graphs(s, sym);
}

static bool html_img(const char *v)
{
	return v && aghtmlstr((char *)v) && ci_contains(v, "<img");
}

/* Graphviz 2.43 crashes (findStopColor) on a colour list whose
 * ";fraction" does not start with a number >= 0. */
static bool bad_colour_list(const char *v)
{
	while (v && *v) {
		size_t len = strcspn(v, ":");
		const char *semi = memchr(v, ';', len);
		if (semi) {
			char num[64], *endp;
			size_t nl = len - (size_t)(semi + 1 - v);
			if (nl == 0 || nl >= sizeof num)
				return true;
			memcpy(num, semi + 1, nl);
			num[nl] = '\0';
			double d = strtod(num, &endp);
			if (endp == num || !(d >= 0))
				return true;
		}
		v += len;
		if (*v == ':')
			v++;
	}
	return false;
}

/* The same check for COLOR and BGCOLOR inside an HTML-like label. */
static bool html_bad_colour(const char *v)
{
	if (!v || !aghtmlstr((char *)v))
		return false;
	for (const char *p = v; *p; p++) {
		if (strncasecmp(p, "color", 5))
			continue;
		const char *q = p + 5;
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t' || *q == '\n')
			q++;
		if (*q != '"' && *q != '\'')
			continue;
		const char *e = strchr(q + 1, *q);
		if (!e)
			return false;
		char *val = xstrndup(q + 1, (size_t)(e - q - 1));
		bool bad = bad_colour_list(val);
		free(val);
		if (bad)
			return true;
	}
	return false;
}

static bool graphs_any(Agraph_t *g, Agsym_t *sym, bool (*bad)(const char *))
{
	if (bad(agxget(g, sym)))
		return true;
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s))
		if (graphs_any(s, sym, bad))
			return true;
	return false;
}

/* Does any object of `kind` have a value of sym for which bad() holds? */
static bool any_value(Agraph_t *g, int kind, Agsym_t *sym, bool (*bad)(const char *))
{
	if (kind == AGRAPH)
		return graphs_any(g, sym, bad);
	for (Agnode_t *nd = agfstnode(g); nd; nd = agnxtnode(g, nd)) {
		if (kind == AGNODE && bad(agxget(nd, sym)))
			return true;
		for (Agedge_t *e = agfstout(g, nd); e && kind == AGEDGE; e = agnxtout(g, e))
			if (bad(agxget(e, sym)))
				return true;
	}
	return false;
}

/* Set attribute sym to "" on every object of `kind`, and its default. */
static void clear_attr(Agraph_t *g, int kind, Agsym_t *sym)
{
	gattr(g, kind, sym->name, "");
	if (kind == AGRAPH)
		clear_graphs(g, sym);
	for (Agnode_t *nd = agfstnode(g); nd; nd = agnxtnode(g, nd)) {
		if (kind == AGNODE)
			gset(nd, sym, "");
		for (Agedge_t *e = agfstout(g, nd); e && kind == AGEDGE; e = agnxtout(g, e))
			gset(e, sym, "");
	}
}

static void clamp_value(void *obj, Agsym_t *sym, long max, const char *maxs)
{
	const char *v = agxget(obj, sym);
	long x = 0;
	while (v && *v == ' ')
		v++;
	for (; v && *v >= '0' && *v <= '9' && x <= max; v++)
		x = x * 10 + (*v - '0');
	if (x > max)
		gset(obj, sym, maxs);
}

static void clamp_graphs(Agraph_t *g, Agsym_t *sym, long max, const char *maxs)
{
	clamp_value(g, sym, max, maxs);
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s))
		clamp_graphs(s, sym, max, maxs);
}

static bool is_cluster(Agraph_t *sg)
{
	const char *nm = agnameof(sg);
	return nm && !strncmp(nm, "cluster", 7);
}

static void collect_clusters(Agraph_t *g, Agraph_t ***v, size_t *n, size_t *cap)
{
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s)) {
		if (is_cluster(s))
			*VEC_PUSH(*v, *n, *cap) = s;
		collect_clusters(s, v, n, cap);
	}
}

static bool is_ancestor(Agraph_t *a, Agraph_t *sg)
{
	for (Agraph_t *p = agparent(sg); p; p = agparent(p)) {
		if (p == a)
			return true;
		if (p == agroot(p))
			break;
	}
	return false;
}

/* Does a rank=... subgraph (not a cluster) hold a node of a cluster that
 * does not enclose it? */
static bool rank_conflict(Agraph_t *g, Agsym_t *rank, Agraph_t **cl, size_t ncl)
{
	for (Agraph_t *s = agfstsubg(g); s; s = agnxtsubg(s)) {
		const char *r = agxget(s, rank);
		if (r && *r && !is_cluster(s))
			for (Agnode_t *nd = agfstnode(s); nd; nd = agnxtnode(s, nd))
				for (size_t i = 0; i < ncl; i++)
					if (!is_ancestor(cl[i], s) && agsubnode(cl[i], nd, 0))
						return true;
		if (rank_conflict(s, rank, cl, ncl))
			return true;
	}
	return false;
}

/* dot 2.43 aborts (assertion in delete_fast_node) when a rank=same
 * subgraph holds a node of a cluster outside it; its "newrank" ranking
 * handles that case, so such graphs get newrank=true. */
static void fix_rank_conflicts(Agraph_t *g)
{
	Agsym_t *rank = agattr(g, AGRAPH, "rank", NULL);
	if (!rank)
		return;
	Agraph_t **cl = NULL;
	size_t ncl = 0, cap = 0;
	collect_clusters(g, &cl, &ncl, &cap);
	if (ncl && rank_conflict(g, rank, cl, ncl))
		gset(g, gattr(g, AGRAPH, "newrank", "true"), "true");
	free(cl);
}

/* Cap a count attribute that multiplies drawing work (peripheries=100000
 * would draw 100000 outlines per node). */
static void clamp_attr(Agraph_t *g, int kind, const char *name, long max)
{
	char maxs[24];
	Agsym_t *sym = agattr(g, kind, (char *)name, NULL);
	if (!sym)
		return;
	snprintf(maxs, sizeof maxs, "%ld", max);
	if (kind == AGRAPH) {
		clamp_graphs(g, sym, max, maxs);
		return;
	}
	for (Agnode_t *nd = agfstnode(g); nd; nd = agnxtnode(g, nd))
		clamp_value(nd, sym, max, maxs);
}

/* Clear link, image, file and effort attributes; refuse <IMG> labels;
 * default the fonts to DG_FONT; force the "dot" layout. */
static int dot_neutralise(Agraph_t *g, struct diagram_error *err)
{
	static const char *const drop[] = {
		"URL", "href", "target", "tooltip", "edgeURL", "edgehref", "edgetarget",
		"edgetooltip", "headURL", "headhref", "headtarget", "headtooltip", "tailURL",
		"tailhref", "tailtarget", "tailtooltip", "labelURL", "labelhref", "labeltarget",
		"labeltooltip", "image", "imagepath", "shapefile", "fontpath", "stylesheet",
		"mclimit", "nslimit", "nslimit1", "searchsize", "_background", "comment",
		"concentrate",   /* dot 2.43 crashes on simple graphs with it */
	};
	static const char *const labels[] = { "label", "xlabel", "headlabel", "taillabel" };
	static const char *const colours[] = {
		"color", "fillcolor", "bgcolor", "pencolor", "fontcolor", "labelfontcolor",
	};
	static const int kinds[] = { AGRAPH, AGNODE, AGEDGE };
	for (size_t k = 0; k < 3; k++) {
		int kind = kinds[k];
		for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
			Agsym_t *sym = agattr(g, kind, (char *)labels[i], NULL);
			if (sym && any_value(g, kind, sym, html_img)) {
				set_err(err, 1, 1, "images in HTML-like labels are not supported");
				return -1;
			}
			if (sym && any_value(g, kind, sym, html_bad_colour)) {
				set_err(err, 1, 1, "invalid colour list in an HTML-like label: a ';' must be "
					"followed by a fraction such as 0.3");
				return -1;
			}
		}
		for (size_t i = 0; i < sizeof colours / sizeof *colours; i++) {
			Agsym_t *sym = agattr(g, kind, (char *)colours[i], NULL);
			if (sym && any_value(g, kind, sym, bad_colour_list)) {
				set_err(err, 1, 1, "invalid colour list in '%s': a ';' must be followed by a "
					"fraction such as 0.3", colours[i]);
				return -1;
			}
		}
		for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) {
			Agsym_t *sym = agattr(g, kind, (char *)drop[i], NULL);
			if (sym)
				clear_attr(g, kind, sym);
		}
		Agsym_t *font = agattr(g, kind, "fontname", NULL);
		if (!font || !font->defval || !*font->defval)
			gattr(g, kind, "fontname", DG_FONT);
	}
	Agsym_t *layout = agattr(g, AGRAPH, "layout", NULL);
	if (layout)
		gset(g, layout, "dot");
	clamp_attr(g, AGNODE, "peripheries", 8);
	clamp_attr(g, AGRAPH, "peripheries", 8);
	clamp_attr(g, AGNODE, "sides", 64);
	fix_rank_conflicts(g);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Layout and render (under gv_lock)                                    */

/* dot's running time grows with the nodes it lays out, and every edge
 * spanning k ranks adds k - 1 virtual nodes. A random graph of 300 nodes
 * and 1000 edges is well under the node and edge limits yet makes over
 * 80,000 of them and takes minutes. So before layout we estimate that
 * count (nodes plus the spans of a longest-path ranking after reversing
 * DFS back edges, doubled when edges carry labels, as dot doubles ranks
 * then) and refuse graphs above DG_MAX_LAYOUT; graphs above
 * DG_CAP_LAYOUT get capped search effort (nslimit, nslimit1, mclimit). */
#define DG_MAX_LAYOUT 5000
#define DG_CAP_LAYOUT 1000

struct est_edge {
	int from, to, minlen;
};

static long layout_estimate(int nn, struct est_edge *ed, int ne, bool labels)
{
	int *start = xcalloc((size_t)nn + 1, sizeof *start);
	int *adj = xmalloc(((size_t)ne + 1) * sizeof *adj);
	int *state = xcalloc((size_t)nn + 1, sizeof *state);
	int *cursor = xcalloc((size_t)nn + 1, sizeof *cursor);
	int *stack = xmalloc(((size_t)nn + 1) * sizeof *stack);
	long *rank = xcalloc((size_t)nn + 1, sizeof *rank);
	int *indeg = xcalloc((size_t)nn + 1, sizeof *indeg);
	bool *rev = xcalloc((size_t)ne + 1, sizeof *rev);
	/* adjacency (CSR) of edge indices by tail */
	for (int i = 0; i < ne; i++)
		start[ed[i].from + 1]++;
	for (int v = 0; v < nn; v++)
		start[v + 1] += start[v];
	for (int i = 0; i < ne; i++)
		adj[start[ed[i].from] + cursor[ed[i].from]++] = i;
	memset(cursor, 0, (size_t)nn * sizeof *cursor);
	/* iterative DFS: edges to a node on the stack are back edges */
	for (int s = 0; s < nn; s++) {
		if (state[s])
			continue;
		int sp = 0;
		stack[sp++] = s;
		state[s] = 1;
		while (sp) {
			int v = stack[sp - 1];
			if (cursor[v] < start[v + 1] - start[v]) {
				int i = adj[start[v] + cursor[v]++];
				int w = ed[i].to;
				if (state[w] == 1)
					rev[i] = true;
				else if (state[w] == 0) {
					state[w] = 1;
					stack[sp++] = w;
				}
			} else {
				state[v] = 2;
				sp--;
			}
		}
	}
	/* longest path over the acyclic orientation (Kahn's order) */
	for (int i = 0; i < ne; i++) {
		if (ed[i].from == ed[i].to)
			continue;
		if (rev[i]) {
			int t = ed[i].from;
			ed[i].from = ed[i].to;
			ed[i].to = t;
		}
		indeg[ed[i].to]++;
	}
	memset(start, 0, ((size_t)nn + 1) * sizeof *start);
	memset(cursor, 0, (size_t)nn * sizeof *cursor);
	for (int i = 0; i < ne; i++)
		start[ed[i].from + 1]++;
	for (int v = 0; v < nn; v++)
		start[v + 1] += start[v];
	for (int i = 0; i < ne; i++)
		adj[start[ed[i].from] + cursor[ed[i].from]++] = i;
	int sp = 0;
	for (int v = 0; v < nn; v++)
		if (!indeg[v])
			stack[sp++] = v;
	while (sp) {
		int v = stack[--sp];
		for (int k = start[v]; k < start[v + 1]; k++) {
			const struct est_edge *e = &ed[adj[k]];
			if (e->from == e->to)
				continue;
			if (rank[v] + e->minlen > rank[e->to])
				rank[e->to] = rank[v] + e->minlen;
			if (--indeg[e->to] == 0)
				stack[sp++] = e->to;
		}
	}
	long est = nn;
	for (int i = 0; i < ne && est <= 100L * DG_MAX_LAYOUT; i++) {
		long span = rank[ed[i].to] - rank[ed[i].from];
		if (span < 0)
			span = -span;
		span *= labels ? 2 : 1;
		if (span > 1)
			est += span - 1;
	}
	free(start);
	free(adj);
	free(state);
	free(cursor);
	free(stack);
	free(rank);
	free(indeg);
	free(rev);
	return est;
}

/* Estimate g's layout size (see above); refuse it or cap its effort. */
static int layout_budget(Agraph_t *g, struct diagram_error *err)
{
	int nn = agnnodes(g), ne = 0, maxseq = 0;
	for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v))
		if ((int)AGSEQ(v) > maxseq)
			maxseq = (int)AGSEQ(v);
	int *idx = xmalloc(((size_t)maxseq + 1) * sizeof *idx);
	struct est_edge *ed = xmalloc(((size_t)agnedges(g) + 1) * sizeof *ed);
	int k = 0;
	bool labels = false;
	for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v))
		idx[AGSEQ(v)] = k++;
	for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v))
		for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
			const char *ml = agget(e, "minlen"), *lb = agget(e, "label");
			long m = 1;
			if (ml && *ml) {
				m = 0;
				for (const char *c = ml; *c >= '0' && *c <= '9' && m < 100000; c++)
					m = m * 10 + (*c - '0');
			}
			if (lb && *lb)
				labels = true;
			ed[ne].from = idx[AGSEQ(agtail(e))];
			ed[ne].to = idx[AGSEQ(aghead(e))];
			ed[ne].minlen = (int)m;
			ne++;
		}
	long est = layout_estimate(nn, ed, ne, labels);
	free(idx);
	free(ed);
	if (est > DG_MAX_LAYOUT) {
		set_err(err, 1, 1, "diagram too complex to lay out: about %ld layout nodes (the limit is %d); "
			"split it or shorten its long edges", est > 100L * DG_MAX_LAYOUT ? 100L * DG_MAX_LAYOUT : est,
			DG_MAX_LAYOUT);
		return -1;
	}
	if (est > DG_CAP_LAYOUT) {
		static const char *const caps[][2] = {
			{ "nslimit", "1" }, { "nslimit1", "1" }, { "mclimit", "0.5" },
		};
		for (size_t i = 0; i < 3; i++)
			gset(g, gattr(g, AGRAPH, caps[i][0], caps[i][1]), caps[i][1]);
	}
	return 0;
}

/* Does g have a labelled edge with one end inside a cluster and the other
 * not (or in another)? Graphviz 2.43's dot frees part of such a layout
 * twice in gvFreeLayout() when the edge runs back into the cluster (found
 * by fuzz_mermaid: a subgraph, `N -->|v| C`, `C -->|OS| F` with N and F
 * inside). Its layout is then left to agclose(), which frees the graph's
 * own objects; what dot allocated for it stays allocated (and is among the
 * leaks tests/valgrind.supp and __lsan_default_suppressions name). */
static bool labelled_edge_across_clusters(Agraph_t *g)
{
	Agraph_t **cl = NULL;
	size_t n = 0, cap = 0;
	collect_clusters(g, &cl, &n, &cap);
	bool across = false;
	for (Agnode_t *v = agfstnode(g); v && n && !across; v = agnxtnode(g, v))
		for (Agedge_t *e = agfstout(g, v); e && !across; e = agnxtout(g, e)) {
			const char *lb = agget(e, "label");
			if (!lb || !*lb)
				continue;
			for (size_t i = 0; i < n && !across; i++)
				across = !agsubnode(cl[i], agtail(e), 0) != !agsubnode(cl[i], aghead(e), 0);
		}
	free(cl);
	return across;
}

static int layout_render(Agraph_t *g, struct buf *raw, struct diagram_error *err)
{
	char msg[200];
	if (layout_budget(g, err) < 0)
		return -1;
	if (gvLayout(gv_ctx, g, "dot") != 0) {
		gv_error_text(msg, sizeof msg, "Graphviz could not lay out the diagram");
		set_err(err, 1, 1, "%s", msg);
		return -1;
	}
	char *out = NULL;
	unsigned int len = 0;
	int rc = gvRenderData(gv_ctx, g, "svg", &out, &len);
	bool free_layout = !labelled_edge_across_clusters(g);
	if (rc == 0 && out && len > DG_MAX_SVG) {
		gvFreeRenderData(out);
		if (free_layout)
			gvFreeLayout(gv_ctx, g);
		set_err(err, 1, 1, "the drawing is larger than %d MiB", DG_MAX_SVG >> 20);
		return -1;
	}
	if (rc == 0 && out)
		buf_put(raw, out, len);
	if (out)
		gvFreeRenderData(out);
	if (free_layout)
		gvFreeLayout(gv_ctx, g);
	if (rc != 0 || !raw->len) {
		gv_error_text(msg, sizeof msg, "Graphviz could not render the diagram as SVG");
		set_err(err, 1, 1, "%s", msg);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* SVG rewrite                                                          */

enum act { ACT_EMIT, ACT_UNWRAP, ACT_DROP, ACT_ROOT };

struct pp {
	struct buf *out;
	const char *prefix;
	const char *kind;      /* "mermaid" or "dot" */
	const char *title, *aria;
	bool strip_wj;         /* remove the word joiners gv_escape() added */
	struct {
		const char *name;
		size_t len;
		enum act act;
	} stack[64];
	int depth;
	int dropping;          /* > 0: inside a dropped element */
	bool root_seen;
	bool in_text;
	char **grads;          /* Graphviz's gradient ids, renumbered in order */
	size_t ngrads, capgrads;
};

struct attr {
	const char *name;
	size_t nlen;
	char *val;             /* decoded */
};

/* Decode XML character references and the five named entities of
 * s[0..n) into b; unknown references stay literal. */
static void xml_decode(struct buf *b, const char *s, size_t n, bool strip_wj)
{
	static const struct { const char *name, *text; } ents[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
	};
	size_t i = 0;
	while (i < n) {
		if (s[i] != '&') {
			buf_putc(b, s[i++]);
			continue;
		}
		const char *semi = memchr(s + i, ';', n - i < 12 ? n - i : 12);
		bool done = false;
		if (semi) {
			const char *nm = s + i + 1;
			size_t len = (size_t)(semi - nm);
			if (len >= 2 && nm[0] == '#') {
				uint32_t cp = 0;
				bool hex = nm[1] == 'x' || nm[1] == 'X', ok = true;
				for (size_t k = hex ? 2 : 1; k < len; k++) {
					char c = nm[k];
					int v = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 :
						hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
					if (v < 0 || cp > 0x10FFFF) {
						ok = false;
						break;
					}
					cp = cp * (hex ? 16 : 10) + (uint32_t)v;
				}
				if (ok && len > (hex ? 2u : 1u)) {
					put_utf8(b, cp_ok(cp) ? cp : 0xFFFD);
					done = true;
				}
			} else {
				for (size_t k = 0; k < sizeof ents / sizeof *ents; k++)
					if (strlen(ents[k].name) == len && !memcmp(ents[k].name, nm, len)) {
						buf_puts(b, ents[k].text);
						done = true;
						break;
					}
			}
			if (done) {
				i = (size_t)(semi - s) + 1;
				if (strip_wj && b->len && b->data[b->len - 1] == '&' && i + 3 <= n &&
					!memcmp(s + i, DG_WJ, 3))
					i += 3;
				continue;
			}
		}
		buf_putc(b, '&');
		i++;
	}
}

static bool name_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !memcmp(s, w, n);
}

enum colour { C_KEEP, C_CURRENT, C_NONE, C_TINT };

static enum colour colour_class(const char *v)
{
	if (!strcasecmp(v, "black") || !strcasecmp(v, "#000000"))
		return C_CURRENT;
	if (!strcasecmp(v, "white") || !strcasecmp(v, "#ffffff") || !strcasecmp(v, "transparent"))
		return C_NONE;
	if (!strcasecmp(v, "lightgrey") || !strcasecmp(v, "lightgray") || !strcasecmp(v, "#d3d3d3"))
		return C_TINT;
	return C_KEEP;
}

static void put_attr(struct buf *b, const char *name, const char *val)
{
	buf_printf(b, " %s=\"", name);
	xml_escape(b, val, strlen(val), true);
	buf_putc(b, '"');
}

/* A fill or stroke value with url(#id) references prefixed. */
/* Graphviz numbers gradients with a counter that lives as long as the
 * process, so the same diagram would get other ids on a second render.
 * Gradient ids become "<prefix>g<n>", n counting within the document. */
static void put_grad_id(struct pp *pp, const char *old)
{
	*VEC_PUSH(pp->grads, pp->ngrads, pp->capgrads) = xstrdup(old);
	struct buf v = BUF_INIT;
	buf_printf(&v, "%sg%zu", pp->prefix, pp->ngrads);
	put_attr(pp->out, "id", v.data);
	buf_free(&v);
}

/* A fill or stroke value with url(#id) references renamed. */
static void put_paint(struct pp *pp, const char *name, const char *val)
{
	if (!strncmp(val, "url(#", 5)) {
		struct buf v = BUF_INIT;
		size_t len = strcspn(val + 5, ")");
		size_t k = pp->ngrads;
		for (size_t i = 0; i < pp->ngrads; i++)
			if (strlen(pp->grads[i]) == len && !memcmp(pp->grads[i], val + 5, len))
				k = i;
		if (k < pp->ngrads)
			buf_printf(&v, "url(#%sg%zu%s", pp->prefix, k + 1, val + 5 + len);
		else
			buf_printf(&v, "url(#%s%s", pp->prefix, val + 5);
		put_attr(pp->out, name, v.data);
		buf_free(&v);
	} else {
		put_attr(pp->out, name, val);
	}
}

static bool style_safe(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!id_byte((unsigned char)*p) && !strchr(":;.#%, -", *p))
			return false;
	return (unsigned char)*v < 0x80 && !ci_contains(v, "url");
}

static void emit_root(struct pp *pp, const struct attr *at, size_t na)
{
	struct buf *o = pp->out;
	buf_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dg dg-%s\"", pp->kind);
	for (size_t i = 0; i < na; i++)
		if (name_is(at[i].name, at[i].nlen, "width") || name_is(at[i].name, at[i].nlen, "height") ||
			name_is(at[i].name, at[i].nlen, "viewBox")) {
			char nm[8];
			memcpy(nm, at[i].name, at[i].nlen);
			nm[at[i].nlen] = '\0';
			put_attr(o, nm, at[i].val);
		}
	put_attr(o, "role", "img");
	put_attr(o, "aria-label", pp->aria);
	buf_puts(o, " fill=\"currentColor\" font-family=\"system-ui,sans-serif\">\n<title>");
	xml_escape(o, pp->title, strlen(pp->title), false);
	buf_puts(o, "</title>");
}

static void emit_element(struct pp *pp, const char *name, size_t nlen, const struct attr *at,
	size_t na, bool empty)
{
	static const char *const keep[] = {
		"points", "d", "cx", "cy", "rx", "ry", "x", "y", "x1", "y1", "x2", "y2", "r", "fx",
		"fy", "offset", "transform", "text-anchor", "font-size", "font-weight", "font-style",
		"text-decoration", "baseline-shift", "stroke-width", "stroke-dasharray",
		"stroke-opacity", "fill-opacity", "gradientUnits", "gradientTransform",
	};
	struct buf *o = pp->out;
	bool text = name_is(name, nlen, "text");
	bool has_class = false;
	buf_putc(o, '<');
	buf_put(o, name, nlen);
	for (size_t i = 0; i < na; i++) {
		const char *an = at[i].name, *v = at[i].val;
		size_t al = at[i].nlen;
		if (name_is(an, al, "id") && (name_is(name, nlen, "linearGradient") ||
			name_is(name, nlen, "radialGradient"))) {
			put_grad_id(pp, v);
		} else if (name_is(an, al, "id")) {
			struct buf id = BUF_INIT;
			buf_printf(&id, "%s%s", pp->prefix, v);
			put_attr(o, "id", id.data);
			buf_free(&id);
		} else if (name_is(an, al, "class")) {
			struct buf c = BUF_INIT;
			const char *p = v;
			while (*p) {
				size_t w = strcspn(p, " ");
				if (w) {
					if (c.len)
						buf_putc(&c, ' ');
					if (name_is(p, w, "graph") || name_is(p, w, "cluster") ||
						name_is(p, w, "node") || name_is(p, w, "edge"))
						buf_puts(&c, "dg-");
					buf_put(&c, p, w);
				}
				p += w;
				p += strspn(p, " ");
			}
			if (text) {
				buf_puts(&c, c.len ? " dg-label" : "dg-label");
				has_class = true;
			}
			put_attr(o, "class", c.data);
			buf_free(&c);
		} else if (name_is(an, al, "fill") || name_is(an, al, "stroke")) {
			bool fill = an[0] == 'f';
			enum colour c = colour_class(v);
			if (text) {
				if (c != C_CURRENT)
					put_paint(pp, fill ? "fill" : "stroke", v);
			} else if (c == C_CURRENT) {
				put_attr(o, fill ? "fill" : "stroke", "currentColor");
			} else if (c == C_NONE) {
				put_attr(o, fill ? "fill" : "stroke", "none");
			} else if (c == C_TINT) {
				put_attr(o, fill ? "fill" : "stroke", "currentColor");
				put_attr(o, fill ? "fill-opacity" : "stroke-opacity", fill ? "0.12" : "0.4");
			} else {
				put_paint(pp, fill ? "fill" : "stroke", v);
			}
		} else if (name_is(an, al, "font-family")) {
			if (ci_contains(v, "courier") || ci_contains(v, "mono"))
				put_attr(o, "font-family", "ui-monospace,monospace");
		} else if (name_is(an, al, "style")) {
			if (name_is(name, nlen, "stop") && style_safe(v))
				put_attr(o, "style", v);
		} else {
			for (size_t k = 0; k < sizeof keep / sizeof *keep; k++)
				if (name_is(an, al, keep[k])) {
					put_attr(o, keep[k], v);
					break;
				}
		}
	}
	if (text && !has_class)
		put_attr(o, "class", "dg-label");
	buf_puts(o, empty ? "/>" : ">");
}

static bool elem_allowed(const char *name, size_t n)
{
	static const char *const ok[] = {
		"g", "polygon", "polyline", "path", "ellipse", "text", "defs", "linearGradient",
		"radialGradient", "stop",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (name_is(name, n, ok[i]))
			return true;
	return false;
}

/* The background polygon Graphviz draws as the top group's first child. */
static bool is_background(const struct pp *pp, const char *name, size_t nlen, const struct attr *at,
	size_t na)
{
	if (pp->depth != 2 || !name_is(name, nlen, "polygon") || !name_is(pp->stack[1].name, pp->stack[1].len, "g"))
		return false;
	for (size_t i = 0; i < na; i++)
		if (name_is(at[i].name, at[i].nlen, "fill"))
			return colour_class(at[i].val) == C_NONE;
	return false;
}

static bool xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Rewrite Graphviz's SVG document raw[0..n) into pp->out. 0 or -1. */
static int svg_rewrite(struct pp *pp, const char *raw, size_t n)
{
	struct attr at[32];
	size_t na = 0;
	struct buf tmp = BUF_INIT;
	int rc = -1;
	size_t i = 0;
	while (i < n) {
		if (raw[i] != '<') {
			size_t j = i;
			while (j < n && raw[j] != '<')
				j++;
			if (pp->root_seen && !pp->dropping && pp->depth > 0) {
				bool blank = true;
				for (size_t k = i; k < j; k++)
					if (!xml_space(raw[k]))
						blank = false;
				if (pp->in_text || !blank) {
					buf_reset(&tmp);
					xml_decode(&tmp, raw + i, j - i, pp->strip_wj);
					xml_escape(pp->out, tmp.data, tmp.len, false);
				} else if (pp->out->len && pp->out->data[pp->out->len - 1] != '\n') {
					buf_putc(pp->out, '\n');
				}
			}
			i = j;
			continue;
		}
		const char *close = NULL;
		if (!strncmp(raw + i, "<!--", 4))
			close = "-->";
		else if (!strncmp(raw + i, "<?", 2))
			close = "?>";
		else if (!strncmp(raw + i, "<!", 2))
			close = ">";
		if (close) {
			const char *e = NULL;
			for (size_t k = i + 2; k + strlen(close) <= n; k++)
				if (!memcmp(raw + k, close, strlen(close))) {
					e = raw + k;
					break;
				}
			if (!e)
				goto out;
			i = (size_t)(e - raw) + strlen(close);
			continue;
		}
		bool end = raw[i + 1 < n ? i + 1 : i] == '/';
		size_t j = i + 1 + end, ns = j;
		while (j < n && (id_byte((unsigned char)raw[j]) || raw[j] == ':' || raw[j] == '-'))
			j++;
		const char *name = raw + ns;
		size_t nlen = j - ns;
		if (!nlen)
			goto out;
		if (end) {
			while (j < n && xml_space(raw[j]))
				j++;
			if (j >= n || raw[j] != '>' || pp->depth == 0)
				goto out;
			pp->depth--;
			if (nlen != pp->stack[pp->depth].len || memcmp(pp->stack[pp->depth].name, name, nlen))
				goto out;
			enum act a = pp->stack[pp->depth].act;
			if (pp->dropping) {
				pp->dropping--;
			} else if (a == ACT_EMIT || a == ACT_ROOT) {
				buf_puts(pp->out, "</");
				buf_put(pp->out, name, nlen);
				buf_putc(pp->out, '>');
			}
			if (name_is(name, nlen, "text"))
				pp->in_text = false;
			i = j + 1;
			continue;
		}
		/* start tag and attributes */
		for (size_t k = 0; k < na; k++)
			free(at[k].val);
		na = 0;
		bool empty = false;
		for (;;) {
			while (j < n && xml_space(raw[j]))
				j++;
			if (j >= n)
				goto out;
			if (raw[j] == '>') {
				j++;
				break;
			}
			if (raw[j] == '/' && j + 1 < n && raw[j + 1] == '>') {
				empty = true;
				j += 2;
				break;
			}
			size_t as = j;
			while (j < n && (id_byte((unsigned char)raw[j]) || raw[j] == ':' || raw[j] == '-' || raw[j] == '.'))
				j++;
			if (j == as || na == sizeof at / sizeof *at)
				goto out;
			size_t alen = j - as;
			while (j < n && xml_space(raw[j]))
				j++;
			if (j >= n || raw[j] != '=')
				goto out;
			j++;
			while (j < n && xml_space(raw[j]))
				j++;
			if (j >= n || (raw[j] != '"' && raw[j] != '\''))
				goto out;
			char q = raw[j++];
			size_t vs = j;
			while (j < n && raw[j] != q)
				j++;
			if (j >= n)
				goto out;
			buf_reset(&tmp);
			xml_decode(&tmp, raw + vs, j - vs, false);
			at[na].name = raw + as;
			at[na].nlen = alen;
			at[na].val = xstrdup(tmp.data);
			na++;
			j++;
		}
		i = j;
		enum act a;
		if (pp->dropping) {
			a = ACT_DROP;
		} else if (!pp->root_seen) {
			if (!name_is(name, nlen, "svg") || empty)
				goto out;
			a = ACT_ROOT;
			pp->root_seen = true;
			emit_root(pp, at, na);
		} else if (name_is(name, nlen, "a")) {
			a = ACT_UNWRAP;
		} else if (elem_allowed(name, nlen) && !is_background(pp, name, nlen, at, na)) {
			a = ACT_EMIT;
			emit_element(pp, name, nlen, at, na, empty);
			if (name_is(name, nlen, "text") && !empty)
				pp->in_text = true;
		} else {
			a = ACT_DROP;
		}
		if (empty)
			continue;
		if (pp->depth == (int)(sizeof pp->stack / sizeof *pp->stack))
			goto out;
		pp->stack[pp->depth].name = name;
		pp->stack[pp->depth].len = nlen;
		pp->stack[pp->depth].act = a;
		pp->depth++;
		if (a == ACT_DROP)
			pp->dropping++;
	}
	if (pp->root_seen && pp->depth == 0)
		rc = 0;
out:
	for (size_t k = 0; k < na; k++)
		free(at[k].val);
	for (size_t k = 0; k < pp->ngrads; k++)
		free(pp->grads[k]);
	free(pp->grads);
	pp->grads = NULL;
	pp->ngrads = pp->capgrads = 0;
	buf_free(&tmp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Public functions                                                     */

static int check_input(const char *src, size_t n, const char *id_prefix, struct diagram_error *err)
{
	if (n > DG_MAX_SRC) {
		set_err(err, 1, 1, "diagram source is larger than %d KiB", DG_MAX_SRC / 1024);
		return -1;
	}
	const char *z = n ? memchr(src, '\0', n) : NULL;
	if (z) {
		int line, col;
		position_of(src, (size_t)(z - src), &line, &col);
		set_err(err, line, col, "the diagram contains a NUL byte");
		return -1;
	}
	for (const char *p = id_prefix ? id_prefix : ""; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '_')) {
			set_err(err, 1, 1, "invalid id prefix (use letters, digits, '-' and '_')");
			return -1;
		}
	return 0;
}

/* Append `text` to an aria list, cut at about 300 bytes in all. */
static void aria_add(struct buf *b, const char *text, size_t *count)
{
	if (b->len > 300)
		return;
	buf_puts(b, (*count)++ ? ", " : ": ");
	for (const char *p = text; *p; p++)
		buf_putc(b, *p == '\n' ? ' ' : *p);
	if (b->len > 300)
		buf_puts(b, ", ...");
}

/* Rewrite raw into svg (appended only on success). */
static int finish(struct pp *pp, const char *raw, size_t len, struct buf *svg, struct diagram_error *err)
{
	struct buf out = BUF_INIT;
	int rc = -1;
	pp->out = &out;
	if (svg_rewrite(pp, raw, len) < 0) {
		set_err(err, 1, 1, "unexpected SVG from Graphviz");
	} else {
		buf_putc(&out, '\n');
		buf_put(svg, out.data, out.len);
		rc = 0;
	}
	pp->out = NULL;
	buf_free(&out);
	return rc;
}

int diagram_mermaid(const char *src, size_t n, const char *id_prefix, struct buf *svg,
	struct diagram_error *err)
{
	static const struct { const char *dir, *words; } dirs[] = {
		{ "TB", "top to bottom" }, { "BT", "bottom to top" }, { "LR", "left to right" },
		{ "RL", "right to left" },
	};
	struct mgraph mg = { 0 };
	struct buf raw = BUF_INIT, aria = BUF_INIT;
	int rc = -1;
	if (check_input(src, n, id_prefix, err) < 0 || mermaid_parse(src, n, &mg, err) < 0)
		goto out;

	size_t nodes = 0, count = 0;
	for (size_t i = 0; i < mg.nnodes; i++)
		nodes += mg.nodes[i].cluster < 0;
	const char *words = "top to bottom";
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		if (!strcmp(dirs[i].dir, mg.rankdir))
			words = dirs[i].words;
	const char *title = mg.title ? mg.title : "Flowchart";
	buf_printf(&aria, "%s%s (%s) with %zu node%s and %zu edge%s", mg.title ? mg.title : "",
		mg.title ? ", flowchart" : "Flowchart", words, nodes, nodes == 1 ? "" : "s", mg.nedges,
		mg.nedges == 1 ? "" : "s");
	for (size_t i = 0; i < mg.nnodes; i++)
		if (mg.nodes[i].cluster < 0)
			aria_add(&aria, mg.nodes[i].label ? mg.nodes[i].label : mg.nodes[i].id, &count);

	pthread_mutex_lock(&gv_lock);
	if (gv_ready(err) == 0) {
		Agraph_t *g = mermaid_graph(&mg);
		rc = layout_render(g, &raw, err);
		agclose(g);
	}
	pthread_mutex_unlock(&gv_lock);
	if (rc < 0)
		goto out;

	struct pp pp = { .prefix = id_prefix ? id_prefix : "", .kind = "mermaid", .title = title,
		.aria = aria.data, .strip_wj = true };
	rc = finish(&pp, raw.data, raw.len, svg, err);
out:
	mgraph_free(&mg);
	buf_free(&raw);
	buf_free(&aria);
	return rc;
}

int diagram_dot(const char *src, size_t n, const char *id_prefix, struct buf *svg,
	struct diagram_error *err)
{
	struct buf raw = BUF_INIT, aria = BUF_INIT, title = BUF_INIT;
	int rc = -1;
	if (check_input(src, n, id_prefix, err) < 0)
		return -1;

	pthread_mutex_lock(&gv_lock);
	if (gv_ready(err) == 0) {
		Agraph_t *g = dot_read(src, n, err);
		if (g) {
			const char *gname = agnameof(g);
			bool named = gname && *gname && gname[0] != '%';
			int nn = agnnodes(g), ne = agnedges(g);
			buf_puts(&title, named ? gname : "Graph");
			bool dir = agisdirected(g);
			buf_printf(&aria, "%s%s graph with %d node%s and %d edge%s", named ? gname : "",
				named ? (dir ? ": directed" : ": undirected") : (dir ? "Directed" : "Undirected"),
				nn, nn == 1 ? "" : "s", ne, ne == 1 ? "" : "s");
			if (dot_neutralise(g, err) == 0)
				rc = layout_render(g, &raw, err);
			agclose(g);
		}
	}
	pthread_mutex_unlock(&gv_lock);
	if (rc == 0) {
		struct pp pp = { .prefix = id_prefix ? id_prefix : "", .kind = "dot", .title = title.data,
			.aria = aria.data, .strip_wj = false };
		rc = finish(&pp, raw.data, raw.len, svg, err);
	}
	buf_free(&raw);
	buf_free(&aria);
	buf_free(&title);
	return rc;
}
