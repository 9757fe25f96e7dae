#include "text_visible.h"

#include <stdint.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at `p` (1 to 4 bytes, with `n` bytes
 * left) and its code point, or 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates, past U+10FFFF, cut short).
 */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0];
	size_t len;
	uint32_t c, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if (b >= 0xC2 && b <= 0xDF) {
		len = 2, c = b & 0x1Fu, min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3, c = b & 0x0Fu, min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		len = 4, c = b & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3Fu);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Code points above ASCII that change the layout rather than show. */
static int is_hidden(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * The visible form of the character at `p` into `piece` (at least 8
 * bytes, not terminated); returns its length, and the input bytes it
 * stands for in `*used`.
 */
static size_t visible_piece(const unsigned char *p, size_t n, char *piece,
			    size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t c;
	size_t len = utf8_decode(p, n, &c);
	if (len == 0 || c < 0x20 || c == 0x7F) {
		*used = 1;
		piece[0] = '\\', piece[1] = 'x';
		piece[2] = hex[p[0] >> 4], piece[3] = hex[p[0] & 15];
		return 4;
	}
	*used = len;
	if (is_hidden(c)) {
		piece[0] = '\\', piece[1] = 'u';
		for (int i = 0; i < 4; i++)
			piece[2 + i] = hex[(c >> (12 - 4 * i)) & 15];
		return 6;
	}
	memcpy(piece, p, len);
	return len;
}

size_t text_visible(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), need = 0, put = 0;
	int full = size == 0;
	while (n) {
		char piece[8];
		size_t used, k = visible_piece(p, n, piece, &used);
		if (!full && put + k < size) {
			memcpy(buf + put, piece, k);
			put += k;
		} else {
			full = 1; /* keep counting, write no more */
		}
		need += k;
		p += used, n -= used;
	}
	if (size)
		buf[put] = '\0';
	return need;
}

void text_visible_put(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		char piece[8];
		size_t used, k = visible_piece(p, n, piece, &used);
		fwrite(piece, 1, k, out);
		p += used, n -= used;
	}
}

int text_visible_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		char piece[8];
		size_t used, k = visible_piece(p, n, piece, &used);
		if (k != used || memcmp(piece, p, k) != 0)
			return 0;
		p += used, n -= used;
	}
	return 1;
}
