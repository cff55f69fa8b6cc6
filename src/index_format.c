/* index_format.c - varints, CRC-32 and block framing; see index_format.h. */
#include "index_format.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

const char *const index_field_names[N_FIELDS] = { "title", "topic", "alias", "heading", "tag", "body" };

/* zlib's CRC-32 is this very CRC (IEEE 802.3, reflected, initial and
 * final value all ones) and computes it several bytes at a time, which
 * matters for the tens of megabytes of a large vault's index. */
uint32_t index_crc32(const void *data, size_t n)
{
	const unsigned char *p = data;
	uLong crc = crc32(0L, Z_NULL, 0);
	while (n > 0) {
		uInt chunk = n > 1u << 30 ? 1u << 30 : (uInt)n;
		crc = crc32(crc, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return (uint32_t)crc;
}

void index_put_varint(struct buf *b, uint32_t v)
{
	while (v >= 0x80) {
		buf_putc(b, (int)((v & 0x7F) | 0x80));
		v >>= 7;
	}
	buf_putc(b, (int)v);
}

void index_put_str(struct buf *b, const char *s, size_t n)
{
	index_put_varint(b, (uint32_t)n);
	buf_put(b, s, n);
}

static void put_u32(struct buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		buf_putc(b, (int)((v >> (8 * i)) & 0xFF));
}

void index_block(struct buf *out, enum index_kind kind, const struct buf *payload)
{
	buf_put(out, INDEX_MAGIC, 4);
	buf_putc(out, INDEX_VERSION);
	buf_putc(out, kind);
	buf_putc(out, 0);
	buf_putc(out, 0);
	put_u32(out, (uint32_t)payload->len);
	put_u32(out, index_crc32(payload->data, payload->len));
	buf_put(out, payload->data, payload->len);
}

int index_get_varint(struct index_cursor *c, uint32_t *v)
{
	uint32_t r = 0;
	for (int shift = 0; shift < 35; shift += 7) {
		if (c->p >= c->end) {
			c->bad = 1;
			return -1;
		}
		unsigned char byte = *c->p++;
		if (shift == 28 && (byte & 0x70)) {
			c->bad = 1;   /* would overflow 32 bits */
			return -1;
		}
		r |= (uint32_t)(byte & 0x7F) << shift;
		if (!(byte & 0x80)) {
			*v = r;
			return 0;
		}
	}
	c->bad = 1;
	return -1;
}

int index_get_u8(struct index_cursor *c, uint8_t *v)
{
	if (c->p >= c->end) {
		c->bad = 1;
		return -1;
	}
	*v = *c->p++;
	return 0;
}

int index_get_str(struct index_cursor *c, const char **s, uint32_t *n)
{
	if (index_get_varint(c, n) < 0)
		return -1;
	if ((size_t)(c->end - c->p) < *n) {
		c->bad = 1;
		return -1;
	}
	*s = (const char *)c->p;
	c->p += *n;
	return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int index_open_block(const unsigned char *data, size_t size, enum index_kind kind,
	const unsigned char **payload, size_t *n, char *why, size_t n_why)
{
	if (size < INDEX_HEADER || memcmp(data, INDEX_MAGIC, 4) != 0) {
		snprintf(why, n_why, "not a kbc search index file (bad magic)");
		return -1;
	}
	if (data[4] != INDEX_VERSION) {
		snprintf(why, n_why, "index format version %u, this reader knows version %d", data[4], INDEX_VERSION);
		return -1;
	}
	if (data[5] != kind) {
		snprintf(why, n_why, "block kind %u where kind %d was expected", data[5], (int)kind);
		return -1;
	}
	uint32_t len = get_u32(data + 8);
	if (len != size - INDEX_HEADER) {
		snprintf(why, n_why, "payload length %u does not match the file (%zu bytes after the header)",
			len, size - INDEX_HEADER);
		return -1;
	}
	if (index_crc32(data + INDEX_HEADER, len) != get_u32(data + 12)) {
		snprintf(why, n_why, "checksum mismatch: the file is damaged");
		return -1;
	}
	*payload = data + INDEX_HEADER;
	*n = len;
	return 0;
}
