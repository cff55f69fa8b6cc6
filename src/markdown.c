/* markdown.c - parsing and rendering notes with cmark-gfm; see markdown.h. */
#include "markdown.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>

#include "buf.h"
#include "diag.h"
#include "diagram.h"
#include "highlight.h"
#include "text.h"
#include "util.h"
#include "wikilink.h"

#if defined(KBC_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

#define PARSE_OPTS (CMARK_OPT_SMART | CMARK_OPT_FOOTNOTES | CMARK_OPT_VALIDATE_UTF8)
/* Raw HTML that survives parsing is either ours or allowed by unsafe_html,
 * so the renderer may pass it through; URLs are checked in check_url(). */
#define RENDER_OPTS (CMARK_OPT_UNSAFE | CMARK_OPT_FOOTNOTES)

/* cmark-gfm 0.29.0.gfm.6 keeps the inline parser's tables of special
 * characters (SPECIAL_CHARS, SKIP_CHARS in inlines.c) in process-wide
 * arrays. cmark_parser_finish() switches the characters of the parser's
 * inline extensions on (strikethrough's '~', autolink's ':' and 'w')
 * before its inline pass and off (sets them to 0) after it, so a parser
 * finishing on one thread turns the characters off under another
 * thread's inline pass, which then loses strikethroughs and autolinks.
 *
 * - autolink's characters are switched on once, for good, by
 *   markdown_init(), which then empties autolink's list of characters:
 *   no finish switches them again. Every parser here attaches autolink,
 *   so "on" is what each finish would have set for its inline pass, and
 *   autolink needs its list for nothing else (its matcher is asked about
 *   every special character; it pushes no delimiters).
 * - strikethrough's '~' cannot be treated so: the inline pass finds the
 *   extension that closes a '~' delimiter through that list, and a '~'
 *   that is special with no extension to close it hangs the pass. So a
 *   note's parser attaches strikethrough only when the note's body has a
 *   '~' (without one there is nothing for it to do), and only those
 *   notes finish one at a time, under finish_lock. The others never read
 *   the '~' entries of the tables (an entry is read only for a byte of
 *   the text being parsed), so they finish in parallel with everything.
 *
 * The rest of a parse touches nothing shared: attaching an extension only
 * records it in the parser, the block pass (cmark_parser_feed(), the
 * table extension's rows included) never parses inlines in this version,
 * and the HTML renderer keeps its state in the renderer. See
 * docs/parallel-parse.md for the reading of cmark-gfm's source. */
static pthread_mutex_t finish_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *gfm_exts[] = { "table", "strikethrough", "autolink", "tasklist", "tagfilter" };
#define N_GFM_EXTS (sizeof gfm_exts / sizeof *gfm_exts)
enum { EXT_STRIKETHROUGH = 1, EXT_AUTOLINK = 2 };   /* their places in gfm_exts */

/* The extensions above, looked up once by markdown_init() (the registry
 * is read-only from then on). */
static cmark_syntax_extension *gfm_ext[N_GFM_EXTS];

static cmark_llist *render_extensions(void);
static void render_body(struct kb_note *n, cmark_node *doc);

/* Registers the GFM extensions, looks them up and builds the renderer's
 * extension list once, before any thread parses or renders. */
void markdown_init(void)
{
#if defined(KBC_ASAN)
	__lsan_disable();   /* what registering allocates lives as long as the process (see below) */
#endif
	cmark_gfm_core_extensions_ensure_registered();
#if defined(KBC_ASAN)
	__lsan_enable();
#endif
	for (size_t i = 0; i < N_GFM_EXTS; i++)
		gfm_ext[i] = cmark_find_syntax_extension(gfm_exts[i]);
	(void)render_extensions();
	/* autolink's characters on for good (see the top of this file), and
	 * its list emptied. Once is enough: a second call finds the list
	 * empty and changes nothing. The list's two cells, made when the
	 * extension was registered, cannot be freed (the API has no getter):
	 * tests/valgrind.supp names them, and LeakSanitizer ignores what the
	 * registration above allocates. */
	cmark_parser *p = cmark_parser_new(PARSE_OPTS);
	cmark_parser_attach_syntax_extension(p, gfm_ext[EXT_AUTOLINK]);
	cmark_manage_extensions_special_characters(p, 1);
	cmark_parser_free(p);
	cmark_syntax_extension_set_special_inline_chars(gfm_ext[EXT_AUTOLINK], NULL);
}

static cmark_llist *render_extensions(void)
{
	static cmark_llist *list;
	if (!list)
		for (size_t i = 0; i < N_GFM_EXTS; i++)
			list = cmark_llist_append(cmark_get_default_mem_allocator(), list,
				cmark_find_syntax_extension(gfm_exts[i]));
	return list;
}

/* Map a body position (cmark: 1-based line, 1-based byte column) to the
 * file's line and character column. */
static void file_pos(const struct kb_note *n, int bline, int bcol, int *line, int *col)
{
	*line = bline + n->body_line - 1;
	const char *p = kb_line_start(n, *line), *end = n->src + n->len;
	size_t off = bcol > 0 ? (size_t)bcol - 1 : 0;
	if (p + off > end)
		off = (size_t)(end - p);
	*col = (int)utf8_count(p, off) + 1;
}

/* File position of a node, also one cmark-gfm left without a position. */
static void node_file_pos(const struct kb_note *n, cmark_node *node, int *line, int *col)
{
	int bline, bcol;
	wikilink_node_pos(node, &bline, &bcol);
	file_pos(n, bline, bcol, line, col);
}

/* Plain text of a node's inline content. */
static void plain_text(cmark_node *node, struct buf *b)
{
	for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(b, cmark_node_get_literal(c));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_putc(b, ' ');
			break;
		case CMARK_NODE_HTML_INLINE:
			break;
		default:
			plain_text(c, b);
		}
	}
}

static size_t count_words(const char *s)
{
	size_t w = 0;
	bool in = false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		/* letters, digits, any byte of a multi-byte character */
		bool wc = c >= 0x80 || (c | 0x20) - 'a' < 26u || c - '0' < 10u;
		w += wc && !in;
		in = wc || (in && (c == '\'' || c == '-' || c == '_' || c == '.'));
	}
	return w;
}

char *markdown_unique_id(const struct kb_note *n, size_t count, const char *text)
{
	char *base = text_slug(text);
	if (!*base) {
		free(base);
		base = xstrdup("section");
	}
	struct buf b = BUF_INIT;
	buf_puts(&b, base);
	for (int k = 1;; k++) {
		bool clash = false;
		for (size_t i = 0; i < count && !clash; i++)
			clash = !strcmp(n->headings[i].id, b.data);
		if (!clash)
			break;
		buf_reset(&b);
		buf_printf(&b, "%s-%d", base, k);
	}
	free(base);
	return buf_detach(&b);
}

/* URL schemes that can run script or reach the reader's disk. */
static bool dangerous_url(const char *url, bool image)
{
	char scheme[16];
	size_t i = 0;
	const char *p = url;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p && *p != ':' && i < sizeof scheme - 1; p++) {
		char c = *p;
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '/' || c == '?' || c == '#')
			return false;
		scheme[i++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (*p != ':')
		return false;
	scheme[i] = '\0';
	if (!strcmp(scheme, "javascript") || !strcmp(scheme, "vbscript") ||
	    !strcmp(scheme, "file"))
		return true;
	if (!strcmp(scheme, "data"))
		return !image || !(str_starts(p + 1, "image/png") || str_starts(p + 1, "image/gif") ||
			str_starts(p + 1, "image/jpeg") || str_starts(p + 1, "image/webp"));
	return false;
}

static bool has_scheme(const char *url)
{
	for (const char *p = url; *p; p++) {
		if (*p == ':')
			return p > url;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (p > url && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))))
			return false;
	}
	return false;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static char *percent_decode(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1 && i + 2 <= n - 1 &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0 &&
		    (hexval(s[i + 1]) | hexval(s[i + 2]))) {
			buf_putc(&b, hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
			continue;
		}
		buf_putc(&b, s[i]);
	}
	return buf_detach(&b);
}

/* Record a Markdown link to another note ("x.md#h") or to a heading of
 * this page ("#h"); other URLs are left alone. */
static void markdown_link(struct kb_note *n, cmark_node *node, const char *url)
{
	if (has_scheme(url) || url[0] == '/' || !*url)
		return;
	const char *hash = strchr(url, '#');
	size_t plen = hash ? (size_t)(hash - url) : strlen(url);
	if (plen && !(plen >= 3 && !memcmp(url + plen - 3, ".md", 3)))
		return;
	if (memchr(url, '?', plen))
		return;
	int line, col;
	node_file_pos(n, node, &line, &col);
	struct kb_link *l = VEC_PUSH(n->links, n->n_links, n->cap_links);
	memset(l, 0, sizeof *l);
	l->kind = KB_LINK_MARKDOWN;
	l->target = percent_decode(url, plen);
	l->heading = hash && hash[1] ? percent_decode(hash + 1, strlen(hash + 1)) : NULL;
	l->line = line;
	l->col = col;
	l->to_note = l->to_heading = -1;
	cmark_node_set_user_data(node, (void *)(uintptr_t)n->n_links);
}

/* Add `tag` to the note's tags unless it is there already. */
static void add_tag(struct kb_note *n, const char *tag)
{
	for (size_t i = 0; i < n->n_tags; i++)
		if (!strcmp(n->tags[i], tag))
			return;
	n->tags = xrealloc(n->tags, (n->n_tags + 1) * sizeof *n->tags);
	n->tags[n->n_tags++] = xstrdup(tag);
}

/* The sentence (or list item, or table row) around a link: the text of
 * its nearest block, cut to the sentence that holds the link's label. */
static char *link_context(cmark_node *link)
{
	cmark_node *b = cmark_node_parent(link);
	while (b) {
		cmark_node_type t = cmark_node_get_type(b);
		if (t == CMARK_NODE_PARAGRAPH || t == CMARK_NODE_HEADING || t == CMARK_NODE_ITEM)
			break;
		if (!strcmp(cmark_node_get_type_string(b), "table_row"))
			break;
		b = cmark_node_parent(b);
	}
	if (!b)
		return NULL;
	struct buf text = BUF_INIT, label = BUF_INIT;
	if (!strcmp(cmark_node_get_type_string(b), "table_row")) {
		for (cmark_node *cell = cmark_node_first_child(b); cell; cell = cmark_node_next(cell)) {
			if (text.len)
				buf_puts(&text, " \xC2\xB7 ");
			plain_text(cell, &text);
		}
	} else {
		plain_text(b, &text);
	}
	plain_text(link, &label);
	const char *s = text.data;
	const char *at = label.len ? strstr(s, label.data) : NULL;
	size_t from = 0, to = text.len;
	if (at) {
		size_t pos = (size_t)(at - s), end = pos + label.len;
		for (size_t i = pos; i > 1; i--)
			if ((s[i - 2] == '.' || s[i - 2] == '?' || s[i - 2] == '!') && s[i - 1] == ' ') {
				from = i;
				break;
			}
		for (size_t i = end; i + 1 < text.len; i++)
			if ((s[i] == '.' || s[i] == '?' || s[i] == '!') && s[i + 1] == ' ') {
				to = i + 1;
				break;
			}
	}
	/* At most about 300 bytes, cut at a space, never inside a character. */
	struct buf out = BUF_INIT;
	size_t n = to - from;
	if (n > 300) {
		size_t cut = from + 300;
		while (cut > from && s[cut] != ' ')
			cut--;
		n = (cut > from ? cut : from + 300) - from;
		while (n && ((unsigned char)s[from + n] & 0xC0) == 0x80)
			n--;
	}
	char *trimmed = str_trim_dup(s + from, n);
	buf_puts(&out, trimmed);
	if (from + n < to)
		buf_puts(&out, "\xE2\x80\xA6");
	free(trimmed);
	buf_free(&text);
	buf_free(&label);
	return buf_detach(&out);
}

/* Close the section being collected: fold its white space and store it. */
static void add_section(struct kb_note *n, int heading, struct buf *body)
{
	/* Runs of blanks become one space, none at either end: the result is
	 * never longer than the body, so it is written in place. */
	char *w = body->data;
	bool space = false;
	for (size_t i = 0; i < body->len; i++) {
		char c = body->data[i];
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			space = w > body->data;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = c;
	}
	struct kb_section *s = VEC_PUSH(n->sections, n->n_sections, n->cap_sections);
	s->heading = heading;
	s->text = xstrndup(body->data, (size_t)(w - body->data));
	buf_reset(body);
}

int markdown_parse(const struct kb_config *cfg, struct kb_note *n)
{
	int rc = 0;
	kb_index_lines(n);   /* positions below and in wikilink.c map through it */
	cmark_parser *parser = cmark_parser_new(PARSE_OPTS);
	const char *src = n->src + n->body_off;
	size_t body_len = n->len - n->body_off;
	/* strikethrough, and a finish one note at a time, only for a body
	 * with a '~' (see finish_lock) */
	bool tilde = memchr(src, '~', body_len) != NULL;
	for (size_t i = 0; i < N_GFM_EXTS; i++)
		if (i != EXT_STRIKETHROUGH || tilde)
			cmark_parser_attach_syntax_extension(parser, gfm_ext[i]);
	cmark_parser_feed(parser, src, body_len);
	if (tilde)
		pthread_mutex_lock(&finish_lock);
	cmark_node *doc = cmark_parser_finish(parser);
	if (tilde)
		pthread_mutex_unlock(&finish_lock);
	cmark_parser_free(parser);
	wikilink_process(n, doc);

	cmark_node **drop = NULL;
	size_t n_drop = 0, cap_drop = 0;
	struct buf text = BUF_INIT, body = BUF_INIT;
	int section_heading = -1;   /* heading of the section being collected */
	int in_heading = 0;         /* inside a heading: its text is not body */
	long nesting = 0;           /* lists and block quotes around the node */
	bool too_deep = false;      /* the nesting limit was reported */
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(node);
		if (t == CMARK_NODE_HEADING)
			in_heading += ev == CMARK_EVENT_ENTER ? 1 : -1;
		if ((t & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK && t != CMARK_NODE_DOCUMENT)
			buf_putc(&body, ' ');   /* block boundaries separate words */
		int line, col;
		if (t == CMARK_NODE_BLOCK_QUOTE || t == CMARK_NODE_LIST) {
			/* limits: nesting (lists and quotes inside each other) */
			if (ev == CMARK_EVENT_EXIT) {
				nesting--;
			} else if (++nesting > cfg->max_nesting && cfg->max_nesting > 0 && !too_deep) {
				too_deep = true;
				node_file_pos(n, node, &line, &col);
				diag_error(n->path, line, col,
					"lists and block quotes nested more than %ld deep (limits: nesting in kb.yaml)",
					cfg->max_nesting);
				rc = -1;
			}
		}
		if (ev == CMARK_EVENT_EXIT)
			continue;
		switch (t) {
		case CMARK_NODE_HEADING: {
			buf_reset(&text);
			plain_text(node, &text);
			node_file_pos(n, node, &line, &col);
			char *trimmed = str_trim_dup(text.data, text.len);
			if (!n->title && cmark_node_get_heading_level(node) == 1 && *trimmed) {
				n->title = xstrdup(trimmed);
				n->title_from_h1 = true;
				n->title_line = line;
				n->title_col = col;
				cmark_node_set_user_data(node, (void *)(uintptr_t)1);  /* shown as page title */
				free(trimmed);
				break;
			}
			struct kb_heading *h = VEC_PUSH(n->headings, n->n_headings, n->cap_headings);
			h->level = cmark_node_get_heading_level(node);
			h->text = trimmed;
			h->line = line;
			h->col = col;
			h->id = markdown_unique_id(n, n->n_headings - 1, trimmed);
			add_section(n, section_heading, &body);
			section_heading = (int)n->n_headings - 1;
			break;
		}
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_CODE_BLOCK:
			if (t != CMARK_NODE_CODE_BLOCK)
				n->words += count_words(cmark_node_get_literal(node));
			if (!in_heading)
				buf_puts(&body, cmark_node_get_literal(node));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_putc(&body, ' ');
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE: {
			if (cmark_node_get_user_data(node)) {
				/* recorded by the wikilink extension */
				uintptr_t li = (uintptr_t)cmark_node_get_user_data(node);
				struct kb_link *l = &n->links[li - 1];
				if (!l->context && l->kind != KB_LINK_TAG)
					l->context = link_context(node);
				if (l->kind == KB_LINK_TAG)
					add_tag(n, l->target);
				break;
			}
			const char *url = cmark_node_get_url(node);
			if (url && (url[0] == '/' || url[0] == '\\') && url[1] != '/' && url[1] != '\\') {
				/* From file:// an absolute path is the reader's own disk. */
				node_file_pos(n, node, &line, &col);
				diag_warning(n->path, line, col, "%s URL '%.40s' removed: an absolute path points outside the site "
					"(opened from file:// it reads the reader's disk); use a relative path or a full URL",
					t == CMARK_NODE_IMAGE ? "image" : "link", url);
				cmark_node_set_url(node, "");
			} else if (url && dangerous_url(url, t == CMARK_NODE_IMAGE)) {
				node_file_pos(n, node, &line, &col);
				diag_warning(n->path, line, col, "%s URL '%.40s' removed: its scheme can run script or read local files",
					t == CMARK_NODE_IMAGE ? "image" : "link", url);
				cmark_node_set_url(node, "");
			} else if (url && t == CMARK_NODE_LINK) {
				markdown_link(n, node, url);
			}
			uintptr_t li = (uintptr_t)cmark_node_get_user_data(node);
			if (li && t == CMARK_NODE_LINK && !n->links[li - 1].context)
				n->links[li - 1].context = link_context(node);
			break;
		}
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			if (!cfg->unsafe_html) {
				node_file_pos(n, node, &line, &col);
				diag_warning(n->path, line, col,
					"raw HTML dropped (set unsafe_html: true in kb.yaml to keep it)");
				*VEC_PUSH(drop, n_drop, cap_drop) = node;
			}
			break;
		default:
			break;
		}
	}
	add_section(n, section_heading, &body);
	buf_free(&body);
	cmark_iter_free(it);
	for (size_t i = 0; i < n_drop; i++)
		cmark_node_free(drop[i]);
	free(drop);
	buf_free(&text);
	render_body(n, doc);
	cmark_node_free(doc);
	return rc;
}

/* A raw HTML node carrying `html` (ours, so always safe). */
static cmark_node *html_node(bool block, const char *html)
{
	cmark_node *h = cmark_node_new(block ? CMARK_NODE_HTML_BLOCK : CMARK_NODE_HTML_INLINE);
	cmark_node_set_literal(h, html);
	return h;
}

/* Inner HTML of an inline container, rendered through a paragraph. */
static char *inline_html(cmark_node *node)
{
	/* The renderer looks at a paragraph's parent, so give it one. */
	cmark_node *doc = cmark_node_new(CMARK_NODE_DOCUMENT);
	cmark_node *p = cmark_node_new(CMARK_NODE_PARAGRAPH);
	cmark_node_append_child(doc, p);
	cmark_node *c;
	while ((c = cmark_node_first_child(node)))
		cmark_node_append_child(p, c);
	char *html = cmark_render_html(doc, RENDER_OPTS, render_extensions());
	cmark_node_free(doc);
	size_t len = strlen(html);
	/* "<p>...</p>\n" */
	if (len >= 8 && str_starts(html, "<p>")) {
		memmove(html, html + 3, len - 3);
		len -= 3;
		html[len - 5] = '\0';
	}
	return html;
}

static void render_heading(const struct kb_note *n, cmark_node *node, size_t *hi)
{
	if (cmark_node_get_user_data(node)) {     /* the H1 used as title */
		cmark_node_free(node);
		return;
	}
	const struct kb_heading *h = &n->headings[(*hi)++];
	char *inner = inline_html(node);
	struct buf b = BUF_INIT;
	buf_printf(&b, "<h%d id=\"", h->level);
	html_escape_str(&b, h->id);
	buf_printf(&b, "\">%s<a class=\"permalink\" href=\"#", inner);
	url_encode(&b, h->id, true);
	buf_puts(&b, "\" aria-label=\"Permalink to this section\">#</a>");
	buf_printf(&b, "</h%d>", h->level);
	cmark_node_insert_before(node, html_node(true, b.data));
	cmark_node_free(node);
	free(inner);
	buf_free(&b);
}

/* A ```mermaid or ```dot block as inline SVG, laid out at build time. On
 * a diagram kbc cannot draw: a warning at its line, and false (the block
 * stays a code block). */
static bool render_diagram(const struct kb_note *n, cmark_node *node, const char *lang, int *counter)
{
	const char *code = cmark_node_get_literal(node);
	struct diagram_error err = { 0 };
	struct buf svg = BUF_INIT, html = BUF_INIT;
	char prefix[32];
	snprintf(prefix, sizeof prefix, "d%d-", ++*counter);
	size_t len = code ? strlen(code) : 0;
	int rc = !strcmp(lang, "mermaid") ? diagram_mermaid(code ? code : "", len, prefix, &svg, &err)
		: diagram_dot(code ? code : "", len, prefix, &svg, &err);
	if (rc < 0) {
		/* The block's text starts on the line after its opening fence. */
		int line = cmark_node_get_start_line(node) + n->body_line - 1 + (err.line > 0 ? err.line : 1);
		diag_warning(n->path, line, err.col > 0 ? err.col : 1,
			"%s diagram not drawn, shown as code: %s", lang, err.msg);
		buf_free(&svg);
		return false;
	}
	buf_printf(&html, "<figure class=\"diagram diagram-%s\">", lang);
	/* The SVG's <title> would be escaped by cmark-gfm's tag filter on its way
	 * out (title is one of the tags it neutralises); the svg keeps its
	 * role="img" and aria-label, which name it for assistive technology. */
	const char *t0 = strstr(svg.data, "<title>"), *t1 = t0 ? strstr(t0, "</title>") : NULL;
	if (t0 && t1) {
		buf_put(&html, svg.data, (size_t)(t0 - svg.data));
		buf_puts(&html, t1 + strlen("</title>"));
	} else {
		buf_put(&html, svg.data, svg.len);
	}
	buf_puts(&html, "</figure>");
	cmark_node_insert_before(node, html_node(true, html.data));
	cmark_node_free(node);
	buf_free(&svg);
	buf_free(&html);
	return true;
}

static void render_code(const struct kb_note *n, cmark_node *node, bool *after_run, int *diagrams)
{
	const char *info = cmark_node_get_fence_info(node);
	const char *code = cmark_node_get_literal(node);
	char lang[32] = "";
	size_t i = 0;
	while (info && info[i] && info[i] != ' ' && info[i] != '\t' && i < sizeof lang - 1) {
		lang[i] = info[i];
		i++;
	}
	lang[i] = '\0';
	if ((!strcmp(lang, "mermaid") || !strcmp(lang, "dot")) && render_diagram(n, node, lang, diagrams)) {
		*after_run = false;
		return;
	}
	bool run = info && strstr(info, " run") && (!strcmp(lang, "js") || !strcmp(lang, "mjs") || !strcmp(lang, "cjs"));
	bool output = !strcmp(lang, "output");
	struct buf b = BUF_INIT;
	if (output) {
		buf_printf(&b, "<figure class=\"code code-output%s\"><figcaption>Output", *after_run ? " paired" : "");
		const char *v = info ? strstr(info, " node") : NULL;
		if (v) {
			buf_puts(&b, " on Node.js ");
			html_escape_str(&b, v + 5);
		}
		buf_puts(&b, "</figcaption><pre><code>");
	} else if (run) {
		buf_puts(&b, "<figure class=\"code code-run\"><figcaption>Runnable example</figcaption><pre><code");
		buf_puts(&b, " class=\"language-");
		html_escape_str(&b, lang);
		buf_puts(&b, "\">");
	} else {
		buf_puts(&b, "<pre class=\"code\"><code");
		if (*lang) {
			buf_puts(&b, " class=\"language-");
			html_escape_str(&b, lang);
			buf_putc(&b, '"');
		}
		buf_putc(&b, '>');
	}
	/* Highlighted at build time: spans with classes, styled by the theme. */
	highlight(&b, output ? "text" : lang, code ? code : "", code ? strlen(code) : 0);
	buf_puts(&b, run || output ? "</code></pre></figure>" : "</code></pre>");
	*after_run = run || (output && *after_run);
	cmark_node_insert_before(node, html_node(true, b.data));
	cmark_node_free(node);
	buf_free(&b);
}

/* Does `node` stand alone in its paragraph (blank text aside)? */
static bool alone_in_paragraph(cmark_node *node)
{
	cmark_node *p = cmark_node_parent(node);
	if (!p || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH)
		return false;
	for (cmark_node *c = cmark_node_first_child(p); c; c = cmark_node_next(c)) {
		if (c == node)
			continue;
		if (cmark_node_get_type(c) == CMARK_NODE_TEXT) {
			const char *t = cmark_node_get_literal(c);
			if (t && t[strspn(t, " \t")] == '\0')
				continue;
		}
		if (cmark_node_get_type(c) == CMARK_NODE_SOFTBREAK)
			continue;
		return false;
	}
	return true;
}

/* A link recorded in n->links becomes a mark for markdown_links(): its
 * opening tag depends on where the link resolves, which is known only
 * after every note is parsed. An embed alone in its paragraph becomes an
 * embed mark for render.c. */
static void render_link(const struct kb_note *n, cmark_node *node)
{
	size_t li = (size_t)(uintptr_t)cmark_node_get_user_data(node) - 1;
	char ph[64];
	if (n->links[li].kind == KB_LINK_EMBED && alone_in_paragraph(node)) {
		snprintf(ph, sizeof ph, MARKDOWN_EMBED_MARK "%zu-->", li);
		cmark_node *para = cmark_node_parent(node);
		cmark_node_insert_before(para, html_node(true, ph));
		cmark_node_free(para);
		return;
	}
	snprintf(ph, sizeof ph, MARKDOWN_LINK_MARK "%zu-->", li);
	cmark_node_insert_before(node, html_node(false, ph));
	cmark_node *c;
	while ((c = cmark_node_first_child(node)))
		cmark_node_insert_before(node, c);
	cmark_node_insert_before(node, html_node(false, "</a>"));
	cmark_node_free(node);
}

/* Callouts: a block quote whose first line is `[!type]` (Obsidian and
 * GitHub syntax), optionally followed by + or - (folding, open or closed)
 * and a title. */
struct callout_type {
	const char *name;      /* canonical: the CSS class and default title */
	const char *aliases;   /* space-separated, lower case */
};
static const struct callout_type callout_types[] = {
	{ "note", "note" },
	{ "abstract", "abstract summary tldr" },
	{ "info", "info" },
	{ "todo", "todo" },
	{ "tip", "tip hint important" },
	{ "success", "success check done" },
	{ "question", "question help faq" },
	{ "warning", "warning caution attention" },
	{ "failure", "failure fail missing" },
	{ "danger", "danger error" },
	{ "bug", "bug" },
	{ "example", "example" },
	{ "quote", "quote cite" },
};

static const char *callout_canonical(const char *type)
{
	for (size_t i = 0; i < sizeof callout_types / sizeof *callout_types; i++) {
		const char *a = callout_types[i].aliases;
		size_t n = strlen(type);
		while (*a) {
			size_t k = strcspn(a, " ");
			if (k == n && !strncasecmp(a, type, n))
				return callout_types[i].name;
			a += k;
			while (*a == ' ')
				a++;
		}
	}
	return NULL;
}

static void render_callout(cmark_node *quote, int *counter)
{
	cmark_node *para = cmark_node_first_child(quote);
	if (!para || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH)
		return;
	cmark_node *first = cmark_node_first_child(para);
	const char *lit = first && cmark_node_get_type(first) == CMARK_NODE_TEXT ? cmark_node_get_literal(first) : NULL;
	if (!lit || strncmp(lit, "[!", 2))
		return;
	const char *close = strchr(lit + 2, ']');
	if (!close || close == lit + 2 || (size_t)(close - lit) > 32)
		return;
	char type[32];
	snprintf(type, sizeof type, "%.*s", (int)(close - lit - 2), lit + 2);
	/* Unknown types are shown as notes titled with the type, as Obsidian does. */
	const char *canon = callout_canonical(type);
	bool known = canon != NULL;
	if (!canon)
		canon = "note";
	for (const char *q = type; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '-'))
			return;
	const char *rest = close + 1;
	int fold = 0;   /* 0 none, '+' open, '-' closed */
	if (*rest == '+' || *rest == '-')
		fold = *rest++;
	/* The title: the rest of the first line, inline formatting kept. */
	cmark_node *title = cmark_node_new(CMARK_NODE_PARAGRAPH);
	while (*rest == ' ')
		rest++;
	if (*rest) {
		cmark_node *t = cmark_node_new(CMARK_NODE_TEXT);
		cmark_node_set_literal(t, rest);
		cmark_node_append_child(title, t);
	}
	cmark_node_free(first);
	cmark_node *c;
	while ((c = cmark_node_first_child(para))) {
		cmark_node_type ct = cmark_node_get_type(c);
		if (ct == CMARK_NODE_SOFTBREAK || ct == CMARK_NODE_LINEBREAK) {
			cmark_node_free(c);
			break;
		}
		cmark_node_append_child(title, c);
	}
	if (!cmark_node_first_child(para))
		cmark_node_free(para);
	char *title_html = cmark_node_first_child(title) ? inline_html(title) : NULL;
	cmark_node_free(title);
	struct buf open = BUF_INIT;
	int id = ++*counter;
	char label[32];
	snprintf(label, sizeof label, "%s", known ? canon : type);
	for (char *q = label; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	label[0] = (char)(label[0] - 32);
	if (fold) {
		buf_printf(&open, "<details class=\"callout callout-%s\"%s><summary class=\"callout-title\">", canon,
			fold == '+' ? " open" : "");
	} else {
		buf_printf(&open, "<div class=\"callout callout-%s\" role=\"note\" aria-labelledby=\"callout-%d\">"
			"<p class=\"callout-title\" id=\"callout-%d\">", canon, id, id);
	}
	buf_puts(&open, title_html && *title_html ? title_html : label);
	buf_puts(&open, fold ? "</summary>" : "</p>");
	cmark_node_insert_before(quote, html_node(true, open.data));
	while ((c = cmark_node_first_child(quote)))
		cmark_node_insert_before(quote, c);
	cmark_node_insert_before(quote, html_node(true, fold ? "</details>" : "</div>"));
	cmark_node_free(quote);
	free(title_html);
	buf_free(&open);
}

/* Task-list check boxes get an accessible name ("done" or "not done"). */
static char *label_task_boxes(char *html)
{
	static const char on[] = "<input type=\"checkbox\" checked=\"\" disabled=\"\" />";
	static const char off[] = "<input type=\"checkbox\" disabled=\"\" />";
	if (!strstr(html, "<input type=\"checkbox\""))
		return html;
	struct buf b = BUF_INIT;
	for (const char *p = html; *p;) {
		if (!strncmp(p, on, sizeof on - 1)) {
			buf_puts(&b, "<input type=\"checkbox\" checked=\"\" disabled=\"\" aria-label=\"done\" />");
			p += sizeof on - 1;
		} else if (!strncmp(p, off, sizeof off - 1)) {
			buf_puts(&b, "<input type=\"checkbox\" disabled=\"\" aria-label=\"not done\" />");
			p += sizeof off - 1;
		} else {
			buf_putc(&b, *p++);
		}
	}
	free(html);
	return buf_detach(&b);
}

/* The note's body as HTML with link marks (see markdown.h), from its
 * parsed tree, which this consumes. */
static void render_body(struct kb_note *n, cmark_node *doc)
{
	/* Collect the nodes to rewrite, then rewrite: the iterator must not
	 * see nodes it has already passed being replaced. */
	cmark_node **todo = NULL;
	size_t n_todo = 0, cap = 0;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(node);
		if (t == CMARK_NODE_HEADING || t == CMARK_NODE_CODE_BLOCK || t == CMARK_NODE_BLOCK_QUOTE ||
		    !strcmp(cmark_node_get_type_string(node), "table") ||
		    (t == CMARK_NODE_LINK && cmark_node_get_user_data(node)))
			*VEC_PUSH(todo, n_todo, cap) = node;
	}
	cmark_iter_free(it);
	/* Links first (they may sit inside headings), then blocks in order. */
	for (size_t i = 0; i < n_todo; i++)
		if (cmark_node_get_type(todo[i]) == CMARK_NODE_LINK) {
			render_link(n, todo[i]);
			todo[i] = NULL;   /* freed */
		}
	/* Callouts from the innermost out, so nested ones unwrap cleanly. */
	int callouts = 0;
	for (size_t i = n_todo; i-- > 0;)
		if (todo[i] && cmark_node_get_type(todo[i]) == CMARK_NODE_BLOCK_QUOTE) {
			render_callout(todo[i], &callouts);
			todo[i] = NULL;   /* freed or left as a plain quote */
		}
	size_t hi = 0;
	bool after_run = false;
	int diagrams = 0;
	for (size_t i = 0; i < n_todo; i++) {
		if (!todo[i])
			continue;
		if (!strcmp(cmark_node_get_type_string(todo[i]), "table")) {
			/* A wide table scrolls inside a region keyboard users can reach. */
			cmark_node_insert_before(todo[i], html_node(true,
				"<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Table (scrolls sideways)\">"));
			cmark_node *after = cmark_node_next(todo[i]);
			if (after)
				cmark_node_insert_before(after, html_node(true, "</div>"));
			else
				cmark_node_append_child(cmark_node_parent(todo[i]), html_node(true, "</div>"));
			continue;
		}
		cmark_node_type t = cmark_node_get_type(todo[i]);
		if (t == CMARK_NODE_HEADING)
			render_heading(n, todo[i], &hi);
		else if (t == CMARK_NODE_CODE_BLOCK)
			render_code(n, todo[i], &after_run, &diagrams);
	}
	free(todo);
	char *html = cmark_render_html(doc, RENDER_OPTS, render_extensions());
	n->html = label_task_boxes(html);
}

/* The opening tag that replaces link li's mark. */
static void link_open_tag(const struct kb *kb, int ni, size_t li, markdown_href_fn href, struct buf *b)
{
	const struct kb_link *l = &kb->notes[ni].links[li];
	struct buf url = BUF_INIT;
	if (l->kind == KB_LINK_TAG) {
		buf_puts(b, "<a class=\"tag\" href=\"");
		href(kb, ni, l, &url);
	} else {
		buf_printf(b, "<a id=\"kbc-ref-%zu\" class=\"internal", li);
		if (l->kind == KB_LINK_EMBED)
			buf_puts(b, " embed");
		if (l->to_note < 0)
			buf_puts(b, " broken");
		buf_puts(b, "\" href=\"");
		if (l->to_note >= 0)
			href(kb, ni, l, &url);
	}
	html_escape_str(b, url.data);
	buf_puts(b, "\">");
	buf_free(&url);
}

void markdown_links(const struct kb *kb, int ni, markdown_href_fn href, struct buf *out)
{
	const struct kb_note *n = &kb->notes[ni];
	const char *p = n->html ? n->html : "", *mark;
	size_t ml = strlen(MARKDOWN_LINK_MARK);
	while ((mark = strstr(p, MARKDOWN_LINK_MARK))) {
		buf_put(out, p, (size_t)(mark - p));
		char *end;
		unsigned long li = strtoul(mark + ml, &end, 10);
		if (end == mark + ml || strncmp(end, "-->", 3) || li >= n->n_links) {
			/* not one of ours (raw HTML kept by unsafe_html): as is */
			buf_put(out, mark, ml);
			p = mark + ml;
			continue;
		}
		link_open_tag(kb, ni, li, href, out);
		p = end + 3;
	}
	buf_puts(out, p);
}
