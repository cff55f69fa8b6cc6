/* highlight.c - syntax highlighting to HTML; contracts in highlight.h.
 *
 * Layout: output (escaping, spans split at newlines), UTF-8 clean-up,
 * character and word-list helpers, then one lexer per language, then the
 * two public functions.
 *
 * Rules every lexer keeps, so that the whole is safe and linear:
 *  - it only moves forward; a lookahead crosses at most the blanks after
 *    the current token, which the main loop then steps over once more;
 *  - nested contexts (JS template literals, shell $( ) and "...") live on
 *    an explicit heap stack, never on the C stack;
 *  - a token starts and ends on an ASCII byte or consumes whole runs of
 *    bytes >= 0x80, so a span never splits a UTF-8 sequence;
 *  - tok() emits spans; whatever lies between tokens is flushed as plain
 *    escaped text. */
#include "highlight.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "text.h"
#include "util.h"

/* ---- output ---------------------------------------------------------- */

enum kind {
	K_KW, K_STR, K_NUM, K_COM, K_FN, K_VAR, K_KEY, K_LIT, K_TYPE, K_META,
	K_OP, K_INS, K_DEL, K_RE, K_PROMPT, K_BUILTIN
};

#define NO_KIND (-1)

static const char *const span_open[] = {
	[K_KW] = "<span class=\"hl-kw\">",
	[K_STR] = "<span class=\"hl-str\">",
	[K_NUM] = "<span class=\"hl-num\">",
	[K_COM] = "<span class=\"hl-com\">",
	[K_FN] = "<span class=\"hl-fn\">",
	[K_VAR] = "<span class=\"hl-var\">",
	[K_KEY] = "<span class=\"hl-key\">",
	[K_LIT] = "<span class=\"hl-lit\">",
	[K_TYPE] = "<span class=\"hl-type\">",
	[K_META] = "<span class=\"hl-meta\">",
	[K_OP] = "<span class=\"hl-op\">",
	[K_INS] = "<span class=\"hl-ins\">",
	[K_DEL] = "<span class=\"hl-del\">",
	[K_RE] = "<span class=\"hl-re\">",
	[K_PROMPT] = "<span class=\"hl-prompt\">",
	[K_BUILTIN] = "<span class=\"hl-builtin\">",
};

struct hl {
	struct buf *out;   /* where the HTML goes */
	const char *s;     /* the code, valid UTF-8 without NUL bytes */
	size_t n;          /* its length */
	size_t i;          /* the lexer's position */
	size_t done;       /* s[0..done) has been written */
};

/* HTML-escape s[0..n): the one escaping function of kbc (text.h). */
#define escape html_escape

/* Write s[done..end) as plain text. */
static void flush(struct hl *h, size_t end)
{
	if (end > h->n)
		end = h->n;
	if (end > h->done) {
		escape(h->out, h->s + h->done, end - h->done);
		h->done = end;
	}
}

/* Write s[a..b) as a span of kind `k` (plain text before it first). The
 * span is closed before every newline (and a CR right before it) and
 * reopened after it; empty pieces get no span. Ranges reaching back into
 * what is already written are cut, so output never repeats or reorders. */
static void tok(struct hl *h, int k, size_t a, size_t b)
{
	if (b > h->n)
		b = h->n;
	if (a < h->done)
		a = h->done;
	if (a >= b)
		return;
	flush(h, a);
	if (k == NO_KIND) {
		flush(h, b);
		return;
	}
	while (a < b) {
		const char *nl = memchr(h->s + a, '\n', b - a);
		size_t e = nl ? (size_t)(nl - h->s) : b;
		size_t ce = e;
		if (nl && ce > a && h->s[ce - 1] == '\r')
			ce--;
		if (ce > a) {
			buf_puts(h->out, span_open[k]);
			escape(h->out, h->s + a, ce - a);
			buf_puts(h->out, "</span>");
		}
		size_t next = nl ? e + 1 : e;
		buf_put(h->out, h->s + ce, next - ce);
		a = next;
	}
	h->done = b;
}

/* ---- UTF-8 ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 when it is
 * invalid (or a NUL byte); then *bad is the length of the maximal invalid
 * subpart to replace by one U+FFFD. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	*bad = 1;
	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	for (size_t k = 1; k < len; k++) {
		unsigned l = k == 1 ? lo : 0x80, u = k == 1 ? hi : 0xBF;
		if (k >= n || s[k] < l || s[k] > u) {
			*bad = k;
			return 0;
		}
	}
	return len;
}

/* If s[0..n) is not valid UTF-8 or holds NUL bytes, write a repaired copy
 * to `out` and return true; otherwise return false and leave `out`. */
static bool utf8_repair(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad;
	while (i < n) {
		size_t len = utf8_seq(u + i, n - i, &bad);
		if (!len)
			break;
		i += len;
	}
	if (i == n)
		return false;
	buf_put(out, s, i);
	while (i < n) {
		size_t len = utf8_seq(u + i, n - i, &bad);
		if (len) {
			buf_put(out, s + i, len);
			i += len;
		} else {
			buf_puts(out, "\xEF\xBF\xBD");
			i += bad;
		}
	}
	return true;
}

/* Bytes in the (valid) sequence led by byte c. */
static size_t seq_len(int c)
{
	return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* ---- characters and words -------------------------------------------- */

/* The byte at j, or -1 past the end. */
static int at(const struct hl *h, size_t j)
{
	return j < h->n ? (unsigned char)h->s[j] : -1;
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static bool is_xdigit(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
/* Identifier byte: letters, digits, '_' and every non-ASCII byte. */
static bool is_word(int c) { return is_alnum(c) || c == '_' || c >= 0x80; }
static bool is_blank(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
static bool one_of(int c, const char *set) { return c > 0 && strchr(set, c) != NULL; }

/* Offset of the newline ending the line holding j, or n. */
static size_t eol(const struct hl *h, size_t j)
{
	if (j >= h->n)
		return h->n;
	const char *nl = memchr(h->s + j, '\n', h->n - j);
	return nl ? (size_t)(nl - h->s) : h->n;
}

/* First offset at or after j that is not a blank (newlines stop it). */
static size_t skip_blank(const struct hl *h, size_t j)
{
	while (j < h->n && is_blank((unsigned char)h->s[j]))
		j++;
	return j;
}

/* `e` moved back over one CR, for line contents ending at a newline. */
static size_t trim_cr(const struct hl *h, size_t a, size_t e)
{
	return e > a && h->s[e - 1] == '\r' ? e - 1 : e;
}

static bool word_is(const char *w, size_t len, const char *lit)
{
	if (!len)
		return !lit[0];
	return lit[0] == w[0] && strncmp(lit, w, len) == 0 && lit[len] == '\0';
}

/* Is w[0..len) in `set`, `count` strings sorted in strcmp() order? Every
 * word list below is kept sorted for this binary search. */
static bool in_set(const char *const *set, size_t count, const char *w, size_t len)
{
	size_t lo = 0, hi = count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *lit = set[mid];
		int cmp = strncmp(lit, w, len);
		if (cmp == 0 && lit[len])
			cmp = 1;
		if (cmp == 0)
			return true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

#define IN_SET(set, w, len) in_set((set), sizeof(set) / sizeof *(set), (w), (len))

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Same, ignoring ASCII case. */
static bool word_is_ci(const char *w, size_t len, const char *lit)
{
	if (strlen(lit) != len)
		return false;
	for (size_t k = 0; k < len; k++)
		if (lower((unsigned char)w[k]) != lower((unsigned char)lit[k]))
			return false;
	return true;
}

static bool in_list_ci(const char *const *list, const char *w, size_t len)
{
	for (; *list; list++)
		if (word_is_ci(w, len, *list))
			return true;
	return false;
}

/* End of a quoted string opened by s[i] == q: just past the closing quote,
 * or where it stops unterminated (a raw newline when !multiline, or the
 * end). With `esc`, a backslash takes the next byte with it (so an escaped
 * newline continues the string). */
static size_t scan_quoted(const struct hl *h, size_t i, int q, bool esc, bool multiline)
{
	size_t j = i + 1;
	while (j < h->n) {
		int c = (unsigned char)h->s[j];
		if (c == q)
			return j + 1;
		if (c == '\n' && !multiline)
			return j;
		j += (c == '\\' && esc) ? 2 : 1;
	}
	return h->n;
}

/* End of a block comment opened at i ("/" "*"), past its "*" "/" or n. */
static size_t scan_block_comment(const struct hl *h, size_t i)
{
	for (size_t j = i + 2; j + 1 < h->n; j++)
		if (h->s[j] == '*' && h->s[j + 1] == '/')
			return j + 2;
	return h->n;
}

/* ---- JavaScript and TypeScript --------------------------------------- */

static const char *const js_keywords[] = {
	"await", "break", "case", "catch", "class", "const", "continue",
	"debugger", "default", "delete", "do", "else", "export", "extends",
	"finally", "for", "function", "if", "import", "in", "instanceof",
	"let", "new", "return", "super", "switch", "this", "throw", "try",
	"typeof", "var", "void", "while", "with", "yield"
};
/* Keywords only where a name, string or block follows (else identifiers:
 * `map.get(k)`, `const set = ...`). */
static const char *const js_contextual[] = {
	"as", "async", "from", "get", "of", "set", "static"
};
static const char *const ts_keywords[] = { "enum" };
static const char *const ts_contextual[] = {
	"abstract", "asserts", "declare", "implements", "infer", "interface",
	"is", "keyof", "module", "namespace", "override", "private",
	"protected", "public", "readonly", "satisfies", "type", "unique"
};
static const char *const ts_types[] = {
	"any", "bigint", "boolean", "never", "number", "object", "string",
	"symbol", "unknown"
};
static const char *const js_literals[] = {
	"Infinity", "NaN", "false", "null", "true", "undefined"
};
static const char *const js_builtins[] = {
	"AbortController", "AbortSignal", "AggregateError", "Array",
	"ArrayBuffer", "Atomics", "BigInt", "BigInt64Array",
	"BigUint64Array", "Boolean", "Buffer", "DataView", "Date", "Error",
	"Event", "EventTarget", "FinalizationRegistry", "Float32Array",
	"Float64Array", "Function", "Headers", "Int16Array", "Int32Array",
	"Int8Array", "Intl", "Iterator", "JSON", "Map", "Math", "Number",
	"Object", "Promise", "Proxy", "RangeError", "ReferenceError",
	"Reflect", "RegExp", "Request", "Response", "Set",
	"SharedArrayBuffer", "String", "Symbol", "SyntaxError",
	"TextDecoder", "TextEncoder", "TypeError", "URIError", "URL",
	"URLSearchParams", "Uint16Array", "Uint32Array", "Uint8Array",
	"Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "WebAssembly",
	"__dirname", "__filename", "clearImmediate", "clearInterval",
	"clearTimeout", "console", "exports", "fetch", "globalThis",
	"module", "performance", "process", "queueMicrotask", "require",
	"setImmediate", "setInterval", "setTimeout", "structuredClone"
};

struct js {
	bool ts;             /* TypeScript additions on */
	bool re_ok;          /* a '/' here starts a regex literal */
	bool dot;            /* last token was '.' or '?.': a property follows */
	bool key_ok;         /* last token was '{' ',' or ';': a key may follow */
	int name;            /* kind for the name after class/function/..., or NO_KIND */
	size_t no_re_before; /* a regex scan failed: no regex before here */
	char *stack;         /* open brackets: '{' '(' '[', and '$' for "${" */
	size_t depth, cap;
};

static char js_top(const struct js *st)
{
	return st->depth ? st->stack[st->depth - 1] : 0;
}

/* The text of a template literal from `from` (its '`', or just past the
 * '}' ending an interpolation); scanning starts at h->i. Stops after the
 * closing '`', or after "${" (pushed, back to code), or at the end. */
static void js_template(struct hl *h, struct js *st, size_t from)
{
	size_t j = h->i;
	st->dot = st->key_ok = false;
	st->name = NO_KIND;
	while (j < h->n) {
		int c = (unsigned char)h->s[j];
		if (c == '\\') {
			j += 2;
		} else if (c == '`') {
			tok(h, K_STR, from, j + 1);
			h->i = j + 1;
			st->re_ok = false;
			return;
		} else if (c == '$' && at(h, j + 1) == '{') {
			tok(h, K_STR, from, j);
			tok(h, K_OP, j, j + 2);
			*VEC_PUSH(st->stack, st->depth, st->cap) = '$';
			h->i = j + 2;
			st->re_ok = true;
			return;
		} else {
			j++;
		}
	}
	tok(h, K_STR, from, h->n);
	h->i = h->n;
}

/* A regex literal at h->i. Returns false (and bars regexes for the rest of
 * the line, which keeps hostile lines linear) when none closes on it. */
static bool js_regex(struct hl *h, struct js *st)
{
	size_t i = h->i, j = i + 1;
	bool in_class = false;
	while (j < h->n && h->s[j] != '\n') {
		int c = (unsigned char)h->s[j];
		if (c == '\\') {
			if (at(h, j + 1) == '\n')
				break;
			j += 2;
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
		} else if (c == '[') {
			in_class = true;
		} else if (c == '/') {
			j++;
			while (is_alpha(at(h, j)))
				j++;
			tok(h, K_RE, i, j);
			h->i = j;
			st->re_ok = st->dot = st->key_ok = false;
			st->name = NO_KIND;
			return true;
		}
		j++;
	}
	st->no_re_before = j < h->n ? j : h->n;
	return false;
}

static size_t js_number(const struct hl *h, size_t i)
{
	size_t j = i;
	if (h->s[j] == '0' && one_of(at(h, j + 1), "xXbBoO")) {
		j += 2;
		while (is_alnum(at(h, j)) || at(h, j) == '_')
			j++;
		return j;
	}
	while (is_digit(at(h, j)) || at(h, j) == '_')
		j++;
	if (at(h, j) == '.') {
		j++;
		while (is_digit(at(h, j)) || at(h, j) == '_')
			j++;
	}
	if (one_of(at(h, j), "eE") && (is_digit(at(h, j + 1)) ||
			(one_of(at(h, j + 1), "+-") && is_digit(at(h, j + 2))))) {
		j += 2;
		while (is_digit(at(h, j)) || at(h, j) == '_')
			j++;
	}
	if (at(h, j) == 'n')
		j++;
	return j;
}

static bool js_kw_before_value(const char *w, size_t len)
{
	return !word_is(w, len, "this") && !word_is(w, len, "super");
}

/* The kind of name a keyword announces (function f, class C, ...). */
static int js_intro(const char *w, size_t len)
{
	if (word_is(w, len, "function"))
		return K_FN;
	static const char *const types[] = {
		"class", "enum", "extends", "implements", "instanceof",
		"interface", "namespace", "new", "type"
	};
	return IN_SET(types, w, len) ? K_TYPE : NO_KIND;
}

/* An identifier, keyword or private name (#x) at h->i. */
static void js_word(struct hl *h, struct js *st)
{
	size_t a = h->i, j = a;
	bool priv = h->s[a] == '#';
	if (priv)
		j++;
	while (is_word(at(h, j)) || at(h, j) == '$')
		j++;
	const char *w = h->s + a;
	size_t len = j - a;
	size_t k = skip_blank(h, j);
	int nc = at(h, k);
	bool call = nc == '(';
	bool colon = nc == ':' || (st->ts && nc == '?' && at(h, k + 1) == ':');
	bool ctx_next = is_word(nc) || one_of(nc, "$#\"'`{[*");
	int kind = NO_KIND, name = NO_KIND;
	bool re = false, key_ok = false;
	static const char *const modifiers[] = {
		"abstract", "declare", "override", "private", "protected",
		"public", "readonly", "static"
	};

	if (st->dot || priv) {
		if (call)
			kind = K_FN;
	} else if (colon && st->key_ok && js_top(st) == '{' &&
			!word_is(w, len, "default") && !word_is(w, len, "case")) {
		kind = K_KEY;
	} else if (IN_SET(js_literals, w, len)) {
		kind = K_LIT;
	} else if (IN_SET(js_keywords, w, len) || (st->ts && IN_SET(ts_keywords, w, len))) {
		kind = K_KW;
		re = js_kw_before_value(w, len);
		name = js_intro(w, len);
	} else if ((IN_SET(js_contextual, w, len) || (st->ts && IN_SET(ts_contextual, w, len))) &&
			(ctx_next || (call && word_is(w, len, "async")))) {
		kind = K_KW;
		re = true;
		name = js_intro(w, len);
		key_ok = st->key_ok && IN_SET(modifiers, w, len);   /* { readonly k: T } */
	} else if (st->ts && IN_SET(ts_types, w, len)) {
		kind = K_TYPE;
	} else if (IN_SET(js_builtins, w, len)) {
		kind = K_BUILTIN;
	} else if (st->name != NO_KIND) {
		kind = st->name;
	} else if (call) {
		kind = K_FN;
	}
	tok(h, kind, a, j);
	h->i = j;
	st->re_ok = re;
	st->dot = false;
	st->key_ok = key_ok;
	st->name = name;
}

/* Punctuation and operators at h->i (one token). */
static void js_punct(struct hl *h, struct js *st)
{
	size_t i = h->i;
	int c = (unsigned char)h->s[i], d = at(h, i + 1);
	bool dot = false, key = false;
	if (c != '*')
		st->name = NO_KIND;
	h->i = i + 1;
	switch (c) {
	case '{': case '(': case '[':
		*VEC_PUSH(st->stack, st->depth, st->cap) = (char)c;
		st->re_ok = true;
		key = c == '{';
		break;
	case '}':
		while (st->depth && (js_top(st) == '(' || js_top(st) == '['))
			st->depth--;
		if (js_top(st) == '$') {
			st->depth--;
			tok(h, K_OP, i, i + 1);
			js_template(h, st, i + 1);
			return;
		}
		if (st->depth)
			st->depth--;
		st->re_ok = true;
		break;
	case ')': case ']':
		if (js_top(st) == (c == ')' ? '(' : '['))
			st->depth--;
		st->re_ok = false;
		break;
	case '.':
		if (d == '.' && at(h, i + 2) == '.') {
			h->i = i + 3;
			st->re_ok = true;
		} else {
			dot = true;
			st->re_ok = false;
		}
		break;
	case '?':
		if (d == '.' && !is_digit(at(h, i + 2))) {
			h->i = i + 2;
			dot = true;
		}
		st->re_ok = true;
		break;
	case ',': case ';':
		st->re_ok = true;
		key = true;
		break;
	case '+': case '-':
		if (d == c)
			h->i = i + 2;   /* ++ and -- leave re_ok as it was */
		else
			st->re_ok = true;
		break;
	default:
		st->re_ok = true;
		break;
	}
	st->dot = dot;
	st->key_ok = key;
}

static void lex_js(struct hl *h, bool ts)
{
	struct js st = { .ts = ts, .re_ok = true, .name = NO_KIND };
	if (at(h, 0) == '#' && at(h, 1) == '!') {
		size_t e = eol(h, 0);
		tok(h, K_META, 0, trim_cr(h, 0, e));
		h->i = e;
	}
	while (h->i < h->n) {
		size_t i = h->i;
		int c = (unsigned char)h->s[i], d = at(h, i + 1);
		if (c == '\n' || is_blank(c)) {
			h->i++;
		} else if (c == '/' && d == '/') {
			size_t e = eol(h, i);
			tok(h, K_COM, i, trim_cr(h, i, e));
			h->i = e;
		} else if (c == '/' && d == '*') {
			h->i = scan_block_comment(h, i);
			tok(h, K_COM, i, h->i);
		} else if (c == '`') {
			h->i = i + 1;
			js_template(h, &st, i);
		} else if (c == '"' || c == '\'') {
			size_t e = scan_quoted(h, i, c, true, false);
			size_t k = skip_blank(h, e);
			bool key = st.key_ok && js_top(&st) == '{' && (at(h, k) == ':' ||
				(st.ts && at(h, k) == '?' && at(h, k + 1) == ':'));
			tok(h, key ? K_KEY : K_STR, i, e);
			h->i = e;
			st.re_ok = st.dot = st.key_ok = false;
			st.name = NO_KIND;
		} else if (is_digit(c) || (c == '.' && is_digit(d))) {
			h->i = js_number(h, i);
			tok(h, K_NUM, i, h->i);
			st.re_ok = st.dot = st.key_ok = false;
			st.name = NO_KIND;
		} else if (is_word(c) || c == '$' || (c == '#' && (is_word(d) || d == '$'))) {
			js_word(h, &st);
		} else if (c == '@' && (is_word(d) || d == '$')) {
			size_t j = i + 1;
			while (is_word(at(h, j)) || at(h, j) == '$' ||
					(at(h, j) == '.' && is_word(at(h, j + 1))))
				j++;
			tok(h, K_META, i, j);
			h->i = j;
			st.re_ok = st.dot = st.key_ok = false;
		} else if (c == '/' && st.re_ok && i >= st.no_re_before && js_regex(h, &st)) {
			/* done */
		} else {
			js_punct(h, &st);
		}
	}
	free(st.stack);
}

/* ---- JSON ------------------------------------------------------------ */

static void lex_json(struct hl *h)
{
	while (h->i < h->n) {
		size_t i = h->i, j = i;
		int c = (unsigned char)h->s[i], d = at(h, i + 1);
		if (c == '"') {
			j = scan_quoted(h, i, '"', true, false);
			tok(h, at(h, skip_blank(h, j)) == ':' ? K_KEY : K_STR, i, j);
		} else if (c == '/' && d == '/') {   /* JSONC leniency */
			j = trim_cr(h, i, eol(h, i));
			tok(h, K_COM, i, j);
		} else if (c == '/' && d == '*') {
			j = scan_block_comment(h, i);
			tok(h, K_COM, i, j);
		} else if (is_digit(c) || (c == '-' && is_digit(d))) {
			j = i + 1;
			while (is_digit(at(h, j)))
				j++;
			if (at(h, j) == '.' && is_digit(at(h, j + 1))) {
				j += 2;
				while (is_digit(at(h, j)))
					j++;
			}
			if (one_of(at(h, j), "eE")) {
				size_t k = j + 1 + (one_of(at(h, j + 1), "+-") ? 1 : 0);
				if (is_digit(at(h, k))) {
					j = k;
					while (is_digit(at(h, j)))
						j++;
				}
			}
			tok(h, K_NUM, i, j);
		} else if (is_word(c)) {
			while (is_word(at(h, j)))
				j++;
			static const char *const lits[] = { "false", "null", "true" };
			if (IN_SET(lits, h->s + i, j - i))
				tok(h, K_LIT, i, j);
		} else {
			j = i + 1;
		}
		h->i = j;
	}
}

/* ---- shell ----------------------------------------------------------- */

enum { SH_DQ, SH_SUB, SH_BQ, SH_ARITH };

struct sh_ctx {
	unsigned char kind;   /* SH_* */
	bool dollar;          /* opened by "$(" / "$((" (closers get hl-var) */
	bool cmd, word, decl, in_ok; /* outer state to restore on close */
	size_t depth;         /* '(' nesting inside $( ) and $(( )) */
};

struct sh {
	struct sh_ctx *stack;
	size_t depth, cap;
	bool console;       /* a terminal session: prompts and output lines */
	bool cmd;           /* the next word names a command */
	bool word;          /* inside a word (no blank since it began) */
	bool decl;          /* after export/local/...: NAME= words assign */
	bool in_ok;         /* "in" is a keyword (after for/select/case) */
	int expect;         /* kind for the next word (for VAR, function FN) */
	int cases;          /* open case ... esac */
	const char *hd;     /* pending here-document delimiter */
	size_t hd_len;
	bool hd_dash;       /* <<- : tabs before the delimiter allowed */
};

static struct sh_ctx *sh_top(struct sh *st)
{
	return st->depth ? &st->stack[st->depth - 1] : NULL;
}

/* After a control operator or newline: a command comes next. */
static void sh_control(struct sh *st)
{
	st->cmd = true;
	st->word = st->decl = st->in_ok = false;
	st->expect = NO_KIND;
}

/* A word (or part of one) that is not an assignment begins here. */
static void sh_begin_word(struct sh *st)
{
	if (!st->word) {
		st->word = true;
		st->cmd = false;
		st->expect = NO_KIND;
	}
}

static void sh_push(struct sh *st, int kind, bool dollar)
{
	struct sh_ctx *c = VEC_PUSH(st->stack, st->depth, st->cap);
	c->kind = (unsigned char)kind;
	c->dollar = dollar;
	c->cmd = st->cmd;
	c->word = st->word;
	c->decl = st->decl;
	c->in_ok = st->in_ok;
	c->depth = 0;
	if (kind == SH_SUB || kind == SH_BQ)
		sh_control(st);
}

static void sh_pop(struct sh *st)
{
	struct sh_ctx *c = sh_top(st);
	if (!c)
		return;
	st->cmd = c->cmd;
	st->word = true;
	st->decl = c->decl;
	st->in_ok = c->in_ok;
	st->expect = NO_KIND;
	st->depth--;
}

static bool sh_meta(int c)
{
	return c < 0 || c == '\n' || is_blank(c) || one_of(c, ";&|()<>'\"`$\\");
}

/* Does a '$' at j start an expansion? */
static bool sh_dollar_starts(const struct hl *h, size_t j, bool in_code)
{
	int d = at(h, j + 1);
	return d == '{' || d == '(' || is_alnum(d) || d == '_' || one_of(d, "@*#?$!-") ||
		(in_code && (d == '\'' || d == '"'));
}

static void sh_dq(struct hl *h, struct sh *st, size_t seg, size_t j);

/* An expansion at h->i ('$'), in code or inside "...". */
static void sh_dollar(struct hl *h, struct sh *st, bool in_code)
{
	size_t i = h->i, j;
	int d = at(h, i + 1);
	if (in_code)
		sh_begin_word(st);
	if (d == '(') {
		bool arith = at(h, i + 2) == '(';
		h->i = i + (arith ? 3 : 2);
		tok(h, K_VAR, i, h->i);
		sh_push(st, arith ? SH_ARITH : SH_SUB, true);
	} else if (d == '{') {
		size_t depth = 1;
		for (j = i + 2; j < h->n && h->s[j] != '\n'; j++) {
			if (h->s[j] == '{') {
				depth++;
			} else if (h->s[j] == '}' && --depth == 0) {
				j++;
				break;
			}
		}
		tok(h, K_VAR, i, j);
		h->i = j;
	} else if (is_alpha(d) || d == '_') {
		for (j = i + 2; is_alnum(at(h, j)) || at(h, j) == '_'; j++)
			;
		tok(h, K_VAR, i, j);
		h->i = j;
	} else if (is_digit(d) || one_of(d, "@*#?$!-")) {
		tok(h, K_VAR, i, i + 2);
		h->i = i + 2;
	} else if (in_code && d == '\'') {
		h->i = scan_quoted(h, i + 1, '\'', true, true);
		tok(h, K_STR, i, h->i);
	} else if (in_code && d == '"') {
		sh_push(st, SH_DQ, false);
		sh_dq(h, st, i, i + 2);
	} else {
		h->i = i + 1;
	}
}

/* Inside "...": the string from `seg`, scanning from j, up to the closing
 * quote (popped), an expansion or a backquote (left to the main loop). */
static void sh_dq(struct hl *h, struct sh *st, size_t seg, size_t j)
{
	while (j < h->n) {
		int c = (unsigned char)h->s[j];
		if (c == '\\') {
			j += 2;
		} else if (c == '"') {
			tok(h, K_STR, seg, j + 1);
			h->i = j + 1;
			sh_pop(st);
			return;
		} else if (c == '`') {
			tok(h, K_STR, seg, j);
			tok(h, K_VAR, j, j + 1);
			h->i = j + 1;
			sh_push(st, SH_BQ, false);
			return;
		} else if (c == '$' && sh_dollar_starts(h, j, false)) {
			tok(h, K_STR, seg, j);
			h->i = j;
			sh_dollar(h, st, false);
			return;
		} else {
			j++;
		}
	}
	tok(h, K_STR, seg, h->n);
	h->i = h->n;
}

/* One token inside $(( )) or (( )). */
static void sh_arith(struct hl *h, struct sh *st, struct sh_ctx *top)
{
	size_t i = h->i, j = i + 1;
	int c = (unsigned char)h->s[i];
	if (c == '(') {
		top->depth++;
	} else if (c == ')') {
		if (top->depth) {
			top->depth--;
		} else {
			j = i + (at(h, i + 1) == ')' ? 2 : 1);
			tok(h, top->dollar ? K_VAR : NO_KIND, i, j);
			h->i = j;
			sh_pop(st);
			return;
		}
	} else if (c == '$') {
		sh_dollar(h, st, false);
		return;
	} else if (is_digit(c)) {
		while (is_alnum(at(h, j)) || one_of(at(h, j), "#_"))
			j++;
		tok(h, K_NUM, i, j);
	} else if (is_alpha(c) || c == '_') {
		while (is_alnum(at(h, j)) || at(h, j) == '_')
			j++;
		tok(h, K_VAR, i, j);
	}
	h->i = j;
}

/* At a line start in a terminal session: a "$ " prompt begins a command;
 * any other line is output and stays plain. */
static void sh_line_start(struct hl *h, struct sh *st)
{
	if (!st->console)
		return;
	size_t i = h->i;
	while (i < h->n) {
		int d = at(h, i + 1);
		if (h->s[i] == '$' && (d < 0 || d == ' ' || d == '\t' || d == '\n' || d == '\r')) {
			size_t e = i + 1 + (d == ' ' || d == '\t');
			tok(h, K_PROMPT, i, e);
			h->i = e;
			return;
		}
		size_t e = eol(h, i);
		i = e < h->n ? e + 1 : h->n;
	}
	h->i = i;
}

/* Redirections at h->i ('<' or '>'), including here-documents and
 * process substitution <( ). */
static void sh_redirect(struct hl *h, struct sh *st)
{
	size_t i = h->i, j = i + 1;
	int c = (unsigned char)h->s[i], d = at(h, j);
	st->word = false;
	if (d == '(') {
		sh_begin_word(st);
		h->i = i + 2;
		tok(h, K_VAR, i, h->i);
		sh_push(st, SH_SUB, true);
		return;
	}
	if (c == '<' && d == '<' && at(h, j + 1) != '<') {
		bool dash = at(h, j + 1) == '-';
		j += dash ? 2 : 1;
		size_t k = skip_blank(h, j), ds, de, te;
		int q = at(h, k);
		if (q == '\'' || q == '"') {
			ds = de = k + 1;
			while (de < h->n && at(h, de) != q && h->s[de] != '\n')
				de++;
			te = at(h, de) == q ? de + 1 : de;
		} else {
			ds = de = k;
			while (!sh_meta(at(h, de)))
				de++;
			te = de;
		}
		if (de > ds) {
			tok(h, K_STR, k, te);
			st->hd = h->s + ds;
			st->hd_len = de - ds;
			st->hd_dash = dash;
			j = te;
		}
		h->i = j;
		return;
	}
	if (c == '<' && d == '<')
		j += 2;   /* <<< here-string */
	else if (one_of(d, ">&|") || (c == '<' && d == '<'))
		j++;
	h->i = j;
}

/* After the newline ending a line with "<<DELIM": the body is a string up
 * to the delimiter line, which is one too. */
static void sh_heredoc(struct hl *h, struct sh *st)
{
	size_t body = h->i, j = body;
	const char *delim = st->hd;
	size_t len = st->hd_len;
	st->hd = NULL;
	while (j < h->n) {
		size_t e = eol(h, j), k = j;
		if (st->hd_dash)
			while (at(h, k) == '\t')
				k++;
		size_t ce = trim_cr(h, k, e);
		if (ce - k == len && memcmp(h->s + k, delim, len) == 0) {
			tok(h, K_STR, body, j);
			tok(h, K_STR, k, ce);
			h->i = ce;
			return;
		}
		j = e < h->n ? e + 1 : h->n;
	}
	tok(h, K_STR, body, h->n);
	h->i = h->n;
}

static const char *const sh_keywords[] = {
	"[[", "]]", "case", "do", "done", "elif", "else", "esac", "fi",
	"for", "function", "if", "in", "select", "then", "time", "until",
	"while"
};
static const char *const sh_declare[] = {
	"declare", "export", "local", "readonly", "typeset"
};

/* Length of NAME when w starts an assignment NAME=, NAME+= or NAME[i]=. */
static size_t sh_assignment(const char *w, size_t len)
{
	size_t k = 0;
	if (!len || !(is_alpha((unsigned char)w[0]) || w[0] == '_'))
		return 0;
	while (k < len && (is_alnum((unsigned char)w[k]) || w[k] == '_'))
		k++;
	size_t name = k;
	if (k < len && w[k] == '[') {
		while (k < len && w[k] != ']')
			k++;
		k++;
	}
	if (k < len && w[k] == '+')
		k++;
	return k < len && w[k] == '=' ? name : 0;
}

/* A keyword at command position: its kind, and the state after it. */
static void sh_keyword(struct sh *st, const char *w, size_t len)
{
	if (word_is(w, len, "for") || word_is(w, len, "select")) {
		st->cmd = false;
		st->expect = K_VAR;
		st->in_ok = true;
	} else if (word_is(w, len, "case")) {
		st->cmd = false;
		st->in_ok = true;
		st->cases++;
	} else if (word_is(w, len, "function")) {
		st->cmd = false;
		st->expect = K_FN;
	} else if (word_is(w, len, "esac")) {
		st->cmd = false;
		if (st->cases)
			st->cases--;
	} else if (word_is(w, len, "fi") || word_is(w, len, "done") ||
			word_is(w, len, "in") || word_is(w, len, "[[") || word_is(w, len, "]]")) {
		st->cmd = false;
	}
	/* if then else elif do while until time: a command follows */
}

/* A run of ordinary word bytes at h->i. */
static void sh_chunk(struct hl *h, struct sh *st)
{
	size_t a = h->i, j = a;
	while (!sh_meta(at(h, j)))
		j++;
	if (j == a) {
		h->i = a + 1;
		return;
	}
	const char *w = h->s + a;
	size_t len = j - a;
	bool fresh = !st->word, at_cmd = st->cmd && fresh;
	int kind = NO_KIND;
	size_t e = j;
	h->i = j;
	st->word = true;
	if (at_cmd || (fresh && st->decl)) {
		size_t name = sh_assignment(w, len);
		if (name) {
			tok(h, K_VAR, a, a + name);
			return;   /* a command may still follow */
		}
	}
	if (at_cmd) {
		int next = at(h, j);
		if (st->cases && (next == ')' || next == '|')) {
			kind = NO_KIND;   /* a case pattern */
		} else if (IN_SET(sh_keywords, w, len)) {
			kind = K_KW;
			sh_keyword(st, w, len);
			tok(h, kind, a, e);
			return;
		} else if (word_is(w, len, "{") || word_is(w, len, "!")) {
			return;   /* a command follows */
		} else if (word_is(w, len, "}")) {
			kind = NO_KIND;
		} else {
			kind = K_FN;
			st->decl = IN_SET(sh_declare, w, len);
		}
		st->cmd = false;
	} else if (fresh && st->expect != NO_KIND) {
		kind = st->expect;
		st->expect = NO_KIND;
	} else if (fresh && st->in_ok && word_is(w, len, "in")) {
		kind = K_KW;
		st->in_ok = false;
	} else if (fresh && w[0] == '-' && len > 1 && (is_alnum((unsigned char)w[1]) ||
			(w[1] == '-' && len > 2 && is_alnum((unsigned char)w[2])))) {
		kind = K_VAR;
		e = a;
		while (e < j && h->s[e] != '=')
			e++;
	} else if (fresh && word_is(w, len, "]]")) {
		kind = K_KW;
	} else if (fresh) {
		size_t k = 0;
		while (k < len && is_digit((unsigned char)w[k]))
			k++;
		if (k == len)
			kind = K_NUM;
	}
	tok(h, kind, a, e);
}

static void lex_sh(struct hl *h, bool console)
{
	struct sh st = { .console = console, .cmd = true, .expect = NO_KIND };
	sh_line_start(h, &st);
	while (h->i < h->n) {
		struct sh_ctx *top = sh_top(&st);
		if (top && top->kind == SH_DQ) {
			sh_dq(h, &st, h->i, h->i);
			continue;
		}
		if (top && top->kind == SH_ARITH) {
			sh_arith(h, &st, top);
			continue;
		}
		size_t i = h->i;
		int c = (unsigned char)h->s[i], d = at(h, i + 1);
		switch (c) {
		case '\n':
			h->i++;
			sh_control(&st);
			if (st.hd)
				sh_heredoc(h, &st);
			else if (!st.depth)
				sh_line_start(h, &st);
			continue;
		case ' ': case '\t': case '\r': case '\f': case '\v':
			h->i++;
			st.word = false;
			continue;
		case '#':
			if (st.word)
				break;
			h->i = eol(h, i);
			tok(h, K_COM, i, trim_cr(h, i, h->i));
			continue;
		case '\\':
			if (d == '\n' || (d == '\r' && at(h, i + 2) == '\n')) {
				h->i = i + (d == '\n' ? 2 : 3);   /* line continuation */
				continue;
			}
			sh_begin_word(&st);
			h->i = d < 0 ? i + 1 : i + 1 + seq_len(d);
			if (h->i > h->n)
				h->i = h->n;
			continue;
		case '\'':
			sh_begin_word(&st);
			h->i = scan_quoted(h, i, '\'', false, true);
			tok(h, K_STR, i, h->i);
			continue;
		case '"':
			sh_begin_word(&st);
			sh_push(&st, SH_DQ, false);
			sh_dq(h, &st, i, i + 1);
			continue;
		case '$':
			if (sh_dollar_starts(h, i, true)) {
				sh_dollar(h, &st, true);
				continue;
			}
			break;
		case '`':
			h->i = i + 1;
			if (top && top->kind == SH_BQ) {
				tok(h, K_VAR, i, i + 1);
				sh_pop(&st);
			} else {
				sh_begin_word(&st);
				tok(h, K_VAR, i, i + 1);
				sh_push(&st, SH_BQ, false);
			}
			continue;
		case '(':
			if (d == '(' && ((st.cmd && !st.word) || st.expect == K_VAR)) {
				h->i = i + 2;
				st.expect = NO_KIND;
				sh_push(&st, SH_ARITH, false);
				st.cmd = false;
				continue;
			}
			if (top && top->kind == SH_SUB)
				top->depth++;
			h->i++;
			sh_control(&st);
			continue;
		case ')':
			h->i++;
			if (top && top->kind == SH_SUB) {
				if (top->depth == 0) {
					tok(h, top->dollar ? K_VAR : NO_KIND, i, i + 1);
					sh_pop(&st);
					continue;
				}
				top->depth--;
			}
			sh_control(&st);   /* after a subshell or a case pattern */
			continue;
		case '&':
			if (d == '>') {
				h->i = i + 1;
				sh_redirect(h, &st);
				continue;
			}
			/* fall through */
		case ';': case '|':
			h->i = i + 1;
			if (d == c || (c == '|' && d == '&') || (c == ';' && d == '&'))
				h->i++;
			sh_control(&st);
			continue;
		case '<': case '>':
			sh_redirect(h, &st);
			continue;
		default:
			break;
		}
		sh_chunk(h, &st);
	}
	free(st.stack);
}

/* ---- YAML ------------------------------------------------------------ */

struct yaml {
	int flow;            /* depth of [ ] and { } */
	bool node;           /* a node may start here */
	bool bol;            /* at the start of a line */
	size_t line;         /* offset of the current line */
	long owner;          /* column of the node a block scalar here belongs to */
	bool block_next;     /* a block scalar header ended this line */
	bool block;          /* inside a block scalar */
	long block_owner;    /* its lines are indented more than this */
};

static const char *const yaml_literals[] = {
	"FALSE", "False", "NO", "NULL", "No", "Null", "OFF", "ON", "Off",
	"On", "TRUE", "True", "YES", "Yes", "false", "no", "null", "off",
	"on", "true", "yes", "~"
};

static bool yaml_number(const char *w, size_t len)
{
	size_t k = 0;
	bool any = false;
	if (len && (w[0] == '+' || w[0] == '-'))
		k++;
	static const char *const special[] = { ".INF", ".Inf", ".inf" };
	static const char *const nan[] = { ".NAN", ".NaN", ".nan" };
	if (IN_SET(special, w + k, len - k) || IN_SET(nan, w, len))
		return true;
	if (k == 0 && len > 2 && w[0] == '0' && one_of(w[1], "xob")) {
		for (k = 2; k < len; k++) {
			int c = (unsigned char)w[k];
			bool ok = w[1] == 'x' ? is_xdigit(c) : w[1] == 'o' ? (c >= '0' && c <= '7') :
				(c == '0' || c == '1');
			if (!ok && c != '_')
				return false;
		}
		return true;
	}
	for (; k < len && (is_digit((unsigned char)w[k]) || w[k] == '_'); k++)
		any = any || w[k] != '_';
	if (k < len && w[k] == '.')
		for (k++; k < len && (is_digit((unsigned char)w[k]) || w[k] == '_'); k++)
			any = any || w[k] != '_';
	if (!any)
		return false;
	if (k < len && (w[k] == 'e' || w[k] == 'E')) {
		k++;
		if (k < len && (w[k] == '+' || w[k] == '-'))
			k++;
		if (k == len || !is_digit((unsigned char)w[k]))
			return false;
		while (k < len && is_digit((unsigned char)w[k]))
			k++;
	}
	return k == len;
}

static long yaml_col(const struct yaml *st, size_t i)
{
	return i >= st->line ? (long)(i - st->line) : 0;
}

static void yaml_line_start(struct hl *h, struct yaml *st)
{
	size_t i = h->i, e = eol(h, i), k = i, b;
	st->bol = false;
	st->line = i;
	while (k < e && h->s[k] == ' ')
		k++;
	for (b = k; b < e && is_blank((unsigned char)h->s[b]); b++)
		;
	long indent = (long)(k - i);
	bool blank = b == e;
	bool marker = e - i >= 3 && (!memcmp(h->s + i, "---", 3) || !memcmp(h->s + i, "...", 3)) &&
		(i + 3 == e || is_blank((unsigned char)h->s[i + 3]));
	if (st->block_next) {
		st->block = true;
		st->block_owner = st->owner;
		st->block_next = false;
	}
	if (st->block) {
		if (!marker && (blank || indent > st->block_owner)) {
			if (!blank)
				tok(h, K_STR, k, trim_cr(h, k, e));
			h->i = e;
			return;
		}
		st->block = false;
	}
	st->node = true;
	st->owner = indent - 1;
	if (marker) {
		tok(h, K_META, i, i + 3);
		h->i = i + 3;
		st->owner = -1;
		st->flow = 0;
	} else if (indent == 0 && at(h, i) == '%' && !st->flow) {
		tok(h, K_META, i, trim_cr(h, i, e));
		h->i = e;
	} else {
		h->i = k;
	}
}

/* A quoted scalar at h->i: a key when ':' follows. */
static void yaml_quoted(struct hl *h, struct yaml *st)
{
	size_t i = h->i, j = i + 1;
	int q = (unsigned char)h->s[i];
	while (j < h->n) {
		int c = (unsigned char)h->s[j];
		if (q == '"' && c == '\\') {
			j += 2;
		} else if (c == q) {
			if (q == '\'' && at(h, j + 1) == '\'') {
				j += 2;
				continue;
			}
			j++;
			break;
		} else {
			j++;
		}
	}
	if (j > h->n)
		j = h->n;
	size_t k = skip_blank(h, j);
	int d = at(h, k + 1);
	bool key = at(h, k) == ':' && (st->flow || d < 0 || d == '\n' || is_blank(d));
	tok(h, key ? K_KEY : K_STR, i, j);
	if (key) {
		st->owner = yaml_col(st, i);
		h->i = k + 1;
		st->node = true;
	} else {
		h->i = j;
		st->node = false;
	}
}

/* A plain scalar at h->i: a key when ": " ends it, else maybe a literal or
 * a number. */
static void yaml_plain(struct hl *h, struct yaml *st)
{
	size_t i = h->i, j = i;
	bool key = false;
	while (j < h->n) {
		int c = (unsigned char)h->s[j], d = at(h, j + 1);
		if (c == '\n')
			break;
		if (c == ':' && (d < 0 || d == '\n' || is_blank(d) || (st->flow && one_of(d, ",[]{}")))) {
			key = true;
			break;
		}
		if (c == '#' && j > i && is_blank((unsigned char)h->s[j - 1]))
			break;
		if (st->flow && one_of(c, ",[]{}"))
			break;
		j++;
	}
	size_t e = j;
	while (e > i && is_blank((unsigned char)h->s[e - 1]))
		e--;
	st->node = false;
	if (key) {
		tok(h, K_KEY, i, e);
		st->owner = yaml_col(st, i);
		st->node = true;
		h->i = j + 1;
		return;
	}
	if (IN_SET(yaml_literals, h->s + i, e - i))
		tok(h, K_LIT, i, e);
	else if (yaml_number(h->s + i, e - i))
		tok(h, K_NUM, i, e);
	h->i = j > i ? j : i + 1;
}

static void lex_yaml(struct hl *h)
{
	struct yaml st = { .node = true, .bol = true };
	while (h->i < h->n) {
		if (st.bol) {
			yaml_line_start(h, &st);
			continue;
		}
		size_t i = h->i, j;
		int c = (unsigned char)h->s[i], d = at(h, i + 1);
		bool sep = d < 0 || d == '\n' || is_blank(d);
		if (c == '\n') {
			h->i++;
			st.bol = true;
		} else if (is_blank(c)) {
			h->i++;
		} else if (c == '#' && (i == st.line || is_blank((unsigned char)h->s[i - 1]))) {
			h->i = eol(h, i);
			tok(h, K_COM, i, trim_cr(h, i, h->i));
		} else if (c == '-' && sep && st.node && !st.flow) {
			tok(h, K_OP, i, i + 1);
			st.owner = yaml_col(&st, i);
			h->i++;
		} else if ((c == '?' || c == ':') && sep) {
			h->i++;
			st.node = true;
		} else if (one_of(c, "&*!") && st.node) {
			for (j = i + 1; j < h->n && !is_blank((unsigned char)h->s[j]) && h->s[j] != '\n' &&
					!(st.flow && one_of((unsigned char)h->s[j], ",[]{}")); j++)
				;
			tok(h, K_META, i, j);
			h->i = j;
			st.node = c != '*';
		} else if ((c == '|' || c == '>') && st.node && !st.flow) {
			for (j = i + 1; one_of(at(h, j), "+-0123456789"); j++)
				;
			h->i = j;
			st.block_next = true;
			st.node = false;
		} else if (c == '{' || c == '[') {
			st.flow++;
			h->i++;
			st.node = true;
		} else if (c == '}' || c == ']') {
			if (st.flow)
				st.flow--;
			h->i++;
			st.node = false;
		} else if (c == ',' && st.flow) {
			h->i++;
			st.node = true;
		} else if (c == '"' || c == '\'') {
			yaml_quoted(h, &st);
		} else {
			yaml_plain(h, &st);
		}
	}
}

/* ---- C --------------------------------------------------------------- */

static const char *const c_keywords[] = {
	"_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn",
	"_Static_assert", "_Thread_local", "__asm__", "__attribute__",
	"__inline", "__restrict", "alignas", "alignof", "asm", "auto",
	"break", "case", "const", "constexpr", "continue", "default", "do",
	"else", "enum", "extern", "for", "goto", "if", "inline", "register",
	"restrict", "return", "sizeof", "static", "static_assert", "struct",
	"switch", "thread_local", "typedef", "typeof", "typeof_unqual",
	"union", "volatile", "while"
};
static const char *const c_types[] = {
	"FILE", "_BitInt", "_Bool", "_Complex", "_Imaginary", "bool", "char",
	"double", "float", "fpos_t", "int", "jmp_buf", "long", "short",
	"signed", "unsigned", "va_list", "void"
};
static const char *const c_literals[] = { "NULL", "false", "nullptr", "true" };

static size_t c_number(const struct hl *h, size_t i)
{
	size_t j = i + 1;
	for (;;) {
		int c = at(h, j);
		if (one_of(c, "eEpP") && one_of(at(h, j + 1), "+-"))
			j += 2;
		else if (is_alnum(c) || c == '_' || c == '.')
			j++;
		else if (c == '\'' && is_alnum(at(h, j + 1)))
			j += 2;   /* C23 digit separator */
		else
			return j;
	}
}

static void lex_c(struct hl *h)
{
	bool bol = true, pp = false, include = false;
	int name = NO_KIND;
	while (h->i < h->n) {
		size_t i = h->i, j;
		int c = (unsigned char)h->s[i], d = at(h, i + 1);
		if (c == '\n') {
			h->i++;
			bol = true;
			pp = include = false;
			continue;
		}
		if (is_blank(c)) {
			h->i++;
			continue;
		}
		if (c == '\\' && (d == '\n' || (d == '\r' && at(h, i + 2) == '\n'))) {
			h->i = i + (d == '\n' ? 2 : 3);   /* line splice */
			continue;
		}
		if (c == '#' && bol) {
			for (j = skip_blank(h, i + 1); is_word(at(h, j)); j++)
				;
			tok(h, K_META, i, j);
			size_t k = skip_blank(h, i + 1);
			static const char *const inc[] = {
				"embed", "import", "include", "include_next"
			};
			include = IN_SET(inc, h->s + k, j - k);
			pp = true;
			bol = false;
			h->i = j;
			continue;
		}
		bol = false;
		if (c == '/' && d == '/') {
			h->i = eol(h, i);
			tok(h, K_COM, i, trim_cr(h, i, h->i));
		} else if (c == '/' && d == '*') {
			h->i = scan_block_comment(h, i);
			tok(h, K_COM, i, h->i);
		} else if (c == '<' && include) {
			for (j = i + 1; j < h->n && h->s[j] != '>' && h->s[j] != '\n'; j++)
				;
			h->i = at(h, j) == '>' ? j + 1 : j;
			tok(h, K_STR, i, h->i);
		} else if (c == '"' || c == '\'') {
			h->i = scan_quoted(h, i, c, true, false);
			tok(h, K_STR, i, h->i);
		} else if (is_digit(c) || (c == '.' && is_digit(d))) {
			h->i = c_number(h, i);
			tok(h, K_NUM, i, h->i);
		} else if (is_word(c)) {
			for (j = i; is_word(at(h, j)); j++)
				;
			const char *w = h->s + i;
			size_t len = j - i;
			int q = at(h, j), kind = NO_KIND, next = NO_KIND;
			if ((q == '"' || q == '\'') && (word_is(w, len, "L") || word_is(w, len, "u") ||
					word_is(w, len, "U") || word_is(w, len, "u8"))) {
				h->i = scan_quoted(h, j, q, true, false);
				tok(h, K_STR, i, h->i);
				name = NO_KIND;
				continue;
			}
			if (name != NO_KIND)
				kind = name;
			else if (IN_SET(c_literals, w, len))
				kind = K_LIT;
			else if (IN_SET(c_keywords, w, len) || (pp && word_is(w, len, "defined")))
				kind = K_KW;
			else if (IN_SET(c_types, w, len) || (len > 2 && w[len - 2] == '_' && w[len - 1] == 't'))
				kind = K_TYPE;
			else if (at(h, skip_blank(h, j)) == '(')
				kind = K_FN;
			if (word_is(w, len, "struct") || word_is(w, len, "union") || word_is(w, len, "enum"))
				next = K_TYPE;
			tok(h, kind, i, j);
			name = next;
			h->i = j;
			continue;
		} else {
			h->i++;
		}
		name = NO_KIND;
	}
}

/* ---- Dockerfile ------------------------------------------------------ */

static const char *const docker_instructions[] = {
	"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD",
	"COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD",
	"STOPSIGNAL", "HEALTHCHECK", "SHELL", NULL
};

/* End of a $VAR or ${...} at j (before `e`), or j when there is none. */
static size_t docker_var(const struct hl *h, size_t j, size_t e)
{
	int d = j + 1 < e ? at(h, j + 1) : -1;
	size_t k = j + 2;
	if (d == '{') {
		while (k < e && h->s[k] != '}')
			k++;
		return k < e ? k + 1 : e;
	}
	if (is_alpha(d) || d == '_') {
		while (k < e && (is_alnum(at(h, k)) || at(h, k) == '_'))
			k++;
		return k;
	}
	return j;
}

/* The arguments of an instruction: s[a..e), one line. */
static void docker_args(struct hl *h, size_t a, size_t e, bool from)
{
	size_t j = a;
	while (j < e) {
		int c = (unsigned char)h->s[j];
		size_t k = j + 1, v;
		if (is_blank(c)) {
			j++;
			continue;
		}
		if (c == '"') {
			size_t seg = j;
			while (k < e && h->s[k] != '"') {
				if (h->s[k] == '\\') {
					k += 2;
				} else if (h->s[k] == '$' && (v = docker_var(h, k, e)) > k) {
					tok(h, K_STR, seg, k);
					tok(h, K_VAR, k, v);
					seg = k = v;
				} else {
					k++;
				}
			}
			if (k > e)
				k = e;
			k = k < e ? k + 1 : e;
			tok(h, K_STR, seg, k);
		} else if (c == '\'') {
			while (k < e && h->s[k] != '\'')
				k++;
			k = k < e ? k + 1 : e;
			tok(h, K_STR, j, k);
		} else if (c == '$') {
			v = docker_var(h, j, e);
			if (v > j)
				tok(h, K_VAR, j, v);
			k = v > j ? v : j + 1;
		} else if (c == '-' && at(h, j + 1) == '-' && is_alpha(at(h, j + 2)) &&
				(j == a || is_blank((unsigned char)h->s[j - 1]))) {
			while (k < e && h->s[k] != '=' && !is_blank((unsigned char)h->s[k]))
				k++;
			tok(h, K_VAR, j, k);
		} else {
			bool fresh = j == a || is_blank((unsigned char)h->s[j - 1]);
			while (k < e && !is_blank((unsigned char)h->s[k]) && !one_of(h->s[k], "\"'$"))
				k++;
			size_t dg = j;
			while (dg < k && is_digit((unsigned char)h->s[dg]))
				dg++;
			if (from && fresh && word_is_ci(h->s + j, k - j, "AS"))
				tok(h, K_KW, j, k);
			else if (fresh && dg > j && (dg == k || (h->s[dg] == '/' && k - dg >= 2)))
				tok(h, K_NUM, j, dg);
		}
		j = k;
	}
}

static void lex_dockerfile(struct hl *h)
{
	bool cont = false, from = false;
	size_t i = 0;
	while (i < h->n) {
		size_t e = eol(h, i), ce = trim_cr(h, i, e), k = skip_blank(h, i);
		if (at(h, k) == '#') {
			tok(h, K_COM, k, ce);
		} else {
			if (!cont) {
				from = false;
				size_t j = k;
				while (is_alpha(at(h, j)))
					j++;
				if (j > k && in_list_ci(docker_instructions, h->s + k, j - k)) {
					tok(h, K_KW, k, j);
					from = word_is_ci(h->s + k, j - k, "FROM");
					if (word_is_ci(h->s + k, j - k, "ONBUILD")) {
						size_t m = skip_blank(h, j);
						for (j = m; is_alpha(at(h, j)); j++)
							;
						if (j > m && in_list_ci(docker_instructions, h->s + m, j - m))
							tok(h, K_KW, m, j);
						else
							j = m;
					}
					k = j;
				}
			}
			docker_args(h, k, ce, from);
			size_t last = ce;
			while (last > k && is_blank((unsigned char)h->s[last - 1]))
				last--;
			cont = last > k && h->s[last - 1] == '\\';
		}
		i = e < h->n ? e + 1 : h->n;
	}
	h->i = h->n;
}

/* ---- diff ------------------------------------------------------------ */

/* Read a decimal count at *j (saturating); false when there is none. */
static bool diff_count(const struct hl *h, size_t *j, size_t *out)
{
	size_t v = 0, k = *j;
	if (!is_digit(at(h, k)))
		return false;
	for (; is_digit(at(h, k)); k++)
		v = v > ((size_t)-1) / 16 ? v : v * 10 + (size_t)(h->s[k] - '0');
	*j = k;
	*out = v;
	return true;
}

/* "@@ -a[,b] +c[,d] @@": the line counts b and d (1 when left out). */
static bool diff_hunk(const struct hl *h, size_t i, size_t *old_n, size_t *new_n)
{
	size_t j = i + 3, v;
	if (at(h, i + 2) != ' ' || at(h, j) != '-')
		return false;
	j++;
	*old_n = *new_n = 1;
	if (!diff_count(h, &j, &v))
		return false;
	if (at(h, j) == ',' && (j++, !diff_count(h, &j, old_n)))
		return false;
	if (at(h, j) != ' ' || at(h, j + 1) != '+')
		return false;
	j += 2;
	if (!diff_count(h, &j, &v))
		return false;
	if (at(h, j) == ',' && (j++, !diff_count(h, &j, new_n)))
		return false;
	return at(h, j) == ' ' && at(h, j + 1) == '@' && at(h, j + 2) == '@';
}

static bool line_starts(const struct hl *h, size_t i, size_t e, const char *p)
{
	size_t len = strlen(p);
	return e - i >= len && memcmp(h->s + i, p, len) == 0;
}

static void lex_diff(struct hl *h)
{
	static const char *const headers[] = {
		"diff ", "index ", "--- ", "+++ ", "new file mode", "deleted file mode",
		"old mode", "new mode", "similarity index", "dissimilarity index",
		"rename from", "rename to", "copy from", "copy to", "Binary files", NULL
	};
	size_t old_left = 0, new_left = 0, i = 0;
	bool counted = false;   /* inside a hunk whose counts we know */
	while (i < h->n) {
		size_t e = eol(h, i), ce = trim_cr(h, i, e);
		int c = at(h, i), kind = NO_KIND;
		bool done = false;
		if (counted) {
			done = true;
			if (c == '-' && old_left) {
				kind = K_DEL;
				old_left--;
			} else if (c == '+' && new_left) {
				kind = K_INS;
				new_left--;
			} else if ((c == ' ' || i == ce) && old_left && new_left) {
				old_left--;
				new_left--;
			} else if (c == '\\') {
				kind = K_META;
			} else {
				done = counted = false;
			}
			if (counted && !old_left && !new_left)
				counted = false;
		}
		if (!done) {
			if (line_starts(h, i, ce, "@@")) {
				kind = K_META;
				counted = diff_hunk(h, i, &old_left, &new_left) && (old_left || new_left);
			} else if (c == '\\') {
				kind = K_META;
			} else {
				for (const char *const *p = headers; *p && kind == NO_KIND; p++)
					if (line_starts(h, i, ce, *p))
						kind = K_META;
				if (kind == NO_KIND && c == '-')
					kind = K_DEL;
				else if (kind == NO_KIND && c == '+')
					kind = K_INS;
			}
		}
		tok(h, kind, i, ce);
		i = e < h->n ? e + 1 : h->n;
	}
	h->i = h->n;
}

/* ---- public ---------------------------------------------------------- */

static const struct {
	const char *name, *canon;
} languages[] = {
	{ "js", "js" }, { "javascript", "js" }, { "mjs", "js" }, { "cjs", "js" },
	{ "ts", "ts" }, { "typescript", "ts" },
	{ "json", "json" },
	{ "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" }, { "console", "sh" },
	{ "yaml", "yaml" }, { "yml", "yaml" },
	{ "c", "c" }, { "h", "c" },
	{ "dockerfile", "dockerfile" }, { "docker", "dockerfile" },
	{ "diff", "diff" }, { "patch", "diff" },
	{ "text", "text" }, { "plaintext", "text" }, { "txt", "text" }, { "output", "text" },
};

/* The first word of `lang`: *len bytes from the returned pointer. */
static const char *first_word(const char *lang, size_t *len)
{
	while (*lang == ' ' || *lang == '\t')
		lang++;
	size_t n = 0;
	while (lang[n] && lang[n] != ' ' && lang[n] != '\t')
		n++;
	*len = n;
	return lang;
}

const char *highlight_language(const char *lang)
{
	if (!lang)
		return NULL;
	size_t len;
	const char *w = first_word(lang, &len);
	for (size_t k = 0; k < sizeof languages / sizeof *languages; k++)
		if (word_is_ci(w, len, languages[k].name))
			return languages[k].canon;
	return NULL;
}

int highlight(struct buf *out, const char *lang, const char *code, size_t n)
{
	const char *canon = highlight_language(lang);
	struct buf clean = BUF_INIT;
	if (!code)
		n = 0;
	if (n && utf8_repair(code, n, &clean)) {
		code = clean.data;
		n = clean.len;
	}
	struct hl h = { .out = out, .s = n ? code : "", .n = n };
	if (!canon) {
		/* escape only */
	} else if (!strcmp(canon, "js") || !strcmp(canon, "ts")) {
		lex_js(&h, canon[0] == 't');
	} else if (!strcmp(canon, "json")) {
		lex_json(&h);
	} else if (!strcmp(canon, "sh")) {
		size_t len;
		const char *w = first_word(lang, &len);
		lex_sh(&h, word_is_ci(w, len, "console") ||
			(n >= 2 && code[0] == '$' && code[1] == ' '));
	} else if (!strcmp(canon, "yaml")) {
		lex_yaml(&h);
	} else if (!strcmp(canon, "c")) {
		lex_c(&h);
	} else if (!strcmp(canon, "dockerfile")) {
		lex_dockerfile(&h);
	} else if (!strcmp(canon, "diff")) {
		lex_diff(&h);
	}
	flush(&h, h.n);
	buf_free(&clean);
	return canon != NULL;
}
