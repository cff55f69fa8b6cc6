/* text.h - Unicode and escaping helpers (utf8proc lives here).
 *
 * All functions take NUL-terminated UTF-8 and return malloc'd strings or
 * append to a buffer. Invalid UTF-8 is never fatal here: the scanner
 * rejects it at the file boundary, and these helpers pass bytes through. */
#ifndef KBC_TEXT_H
#define KBC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Offset of the first invalid UTF-8 byte in s[0..n), or n if valid. */
size_t utf8_invalid_at(const char *s, size_t n);
/* Make each CR in s[0..n) that is not followed by LF an LF, in place.
 * CommonMark and YAML both end a line at a lone CR; after this, kbc's own
 * line counting (LF) sees the same lines as cmark-gfm and libyaml. */
void text_lone_cr_to_lf(char *s, size_t n);
/* Number of code points in s[0..n) (for 1-based columns). */
size_t utf8_count(const char *s, size_t n);
/* Lookup key: NFC, case-folded, inner whitespace runs made one space,
 * outer whitespace trimmed. */
char *text_key(const char *s);
/* `s` in Unicode normalisation form C (composed), so that the same visible
 * text typed as NFC or NFD compares equal byte for byte. malloc'd; a copy
 * of `s` when it is not valid UTF-8. */
char *text_nfc(const char *s);
/* GitHub-style heading slug: lower case, letters/marks/numbers/`_`/`-`
 * kept (any script), spaces to `-`, everything else dropped. */
char *text_slug(const char *s);
/* Levenshtein distance in bytes, stopping early above `limit`. */
size_t text_distance(const char *a, const char *b, size_t limit);

void html_escape(struct buf *b, const char *s, size_t n);  /* & < > " ' */
void html_escape_str(struct buf *b, const char *s);
/* Percent-encode for use in a relative URL path or fragment: keeps
 * unreserved characters and UTF-8 bytes >= 0x80 as %XX. */
void url_encode(struct buf *b, const char *s, bool fragment);
/* JSON string body (no quotes), safe inside <script> too (<, >, & and
 * U+2028/2029 escaped). */
void json_escape(struct buf *b, const char *s);

#endif
