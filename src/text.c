/* text.c - Unicode normalisation, slugs, escaping; contracts in text.h. */
#include "text.h"

#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "util.h"

size_t utf8_invalid_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k < 0)
			return i;
		i += (size_t)k;
	}
	return n;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

char *text_nfc(const char *s)
{
	utf8proc_uint8_t *nfc = NULL;
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &nfc,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0) {
		free(nfc);
		return xstrdup(s);
	}
	return (char *)nfc;
}

char *text_key(const char *s)
{
	utf8proc_uint8_t *folded = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, 0, &folded,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		UTF8PROC_CASEFOLD);
	const char *src = r >= 0 ? (const char *)folded : s;
	struct buf b = BUF_INIT;
	bool space = false;
	for (const char *p = src; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, *p);
	}
	free(folded);
	return buf_detach(&b);
}

char *text_slug(const char *s)
{
	struct buf b = BUF_INIT;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(s);
	while (n > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p, n, &cp);
		if (k < 0) {
			p++;
			n--;
			continue;
		}
		p += k;
		n -= k;
		if (cp == ' ') {
			buf_putc(&b, '-');
			continue;
		}
		utf8proc_category_t cat = utf8proc_category(cp);
		bool keep = cp == '-' || cp == '_' ||
			(cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
			(cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME) ||
			(cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) ||
			cat == UTF8PROC_CATEGORY_PC;
		if (!keep)
			continue;
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), enc);
		buf_put(&b, enc, (size_t)m);
	}
	return buf_detach(&b);
}

size_t text_distance(const char *a, const char *b, size_t limit)
{
	size_t n = strlen(a), m = strlen(b);
	if ((n > m ? n - m : m - n) > limit)
		return limit + 1;
	size_t *row = xmalloc((m + 1) * sizeof *row);
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0], best;
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > limit) {
			free(row);
			return limit + 1;
		}
	}
	size_t d = row[m];
	free(row);
	return d;
}

void html_escape(struct buf *b, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		buf_put(b, s + start, i - start);
		buf_puts(b, rep);
		start = i + 1;
	}
	buf_put(b, s + start, n - start);
}

void html_escape_str(struct buf *b, const char *s)
{
	html_escape(b, s, strlen(s));
}

void url_encode(struct buf *b, const char *s, bool fragment)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~' || (!fragment && c == '/');
		if (keep) {
			buf_putc(b, (int)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

/* Bytes json_escape() copies as they are (0xE2 aside: it may start U+2028). */
static bool json_plain(unsigned c)
{
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xE2;
}

void json_escape(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if (json_plain(c)) {
			const unsigned char *e = p + 1;
			while (json_plain(*e))
				e++;
			buf_put(b, p, (size_t)(e - p));
			p = e - 1;
		} else if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (int)c);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			buf_printf(b, "\\u%04x", c);
		} else if (c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			buf_printf(b, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
			p += 2;
		} else {
			buf_putc(b, (int)c);
		}
	}
}

void text_lone_cr_to_lf(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			s[i] = '\n';
}
