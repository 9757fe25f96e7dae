#include "sheet_buf.h"

#include <stdlib.h>
#include <string.h>

void sheet_buf_init(SheetBuf *b)
{
	*b = (SheetBuf){ 0 };
}

void sheet_buf_free(SheetBuf *b)
{
	free(b->s);
	sheet_buf_init(b);
}

/* Makes room for n more bytes plus the NUL; false once allocation failed. */
static bool buf_reserve(SheetBuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void sheet_buf_add(SheetBuf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sheet_buf_puts(SheetBuf *b, const char *s)
{
	sheet_buf_add(b, s, strlen(s));
}

void sheet_buf_fill(SheetBuf *b, char c, int n)
{
	if (n <= 0 || !buf_reserve(b, (size_t)n))
		return;
	memset(b->s + b->len, c, (size_t)n);
	b->len += (size_t)n;
	b->s[b->len] = '\0';
}

const char *sheet_buf_str(const SheetBuf *b)
{
	return b->len ? b->s : "";
}
