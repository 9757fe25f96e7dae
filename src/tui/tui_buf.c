#include "tui_buf.h"

#include <stdlib.h>
#include <string.h>

int tui_buf_resize(TuiBuf *b, int w, int h)
{
	size_t need = (size_t)(w > 0 ? w : 0) * (size_t)(h > 0 ? h : 0);
	size_t have = (size_t)b->w * (size_t)b->h;
	if (need > have || !b->cells) {
		TuiCell *c = realloc(b->cells, (need ? need : 1) * sizeof *c);
		if (!c) {
			tui_buf_free(b);
			return -1;
		}
		b->cells = c;
	}
	b->w = w > 0 ? w : 0;
	b->h = h > 0 ? h : 0;
	tui_buf_clear(b);
	return 0;
}

void tui_buf_free(TuiBuf *b)
{
	free(b->cells);
	*b = (TuiBuf){ 0 };
}

void tui_buf_clear(TuiBuf *b)
{
	size_t n = (size_t)b->w * (size_t)b->h;
	for (size_t i = 0; i < n; i++)
		b->cells[i] = (TuiCell){ ' ', ROLE_NORMAL, 0, 0 };
}

TuiCell *tui_buf_at(TuiBuf *b, int x, int y)
{
	if (x < 0 || y < 0 || x >= b->w || y >= b->h)
		return NULL;
	return &b->cells[(size_t)y * (size_t)b->w + (size_t)x];
}

/* Decodes one UTF-8 sequence at *s, advancing it; bad bytes read as '?'. */
static uint32_t utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c = p[0];
	int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
	if (c >= 0x80 && c < 0xC0) {
		*s += 1;
		return '?';
	}
	if (extra)
		c &= 0x3Fu >> extra;
	int i = 1;
	for (; i <= extra; i++) {
		if ((p[i] & 0xC0) != 0x80)
			break;
		c = (c << 6) | (p[i] & 0x3Fu);
	}
	*s += i;
	return i == extra + 1 ? c : '?';
}

int tui_buf_put(TuiBuf *b, int x, int y, int x_end, Role role, const char *s)
{
	if (x_end > b->w)
		x_end = b->w;
	while (*s) {
		uint32_t c = utf8_next(&s);
		if (x >= x_end)
			break;
		TuiCell *cell = tui_buf_at(b, x, y);
		if (cell)
			*cell = (TuiCell){ c, (uint8_t)role, 0, 0 };
		x++;
	}
	return x;
}

int tui_buf_puts(TuiBuf *b, int x, int y, Role role, const char *s)
{
	return tui_buf_put(b, x, y, b->w, role, s);
}

void tui_buf_fill(TuiBuf *b, int x, int y, int n, uint32_t ch, Role role)
{
	for (int i = 0; i < n; i++) {
		TuiCell *cell = tui_buf_at(b, x + i, y);
		if (cell)
			*cell = (TuiCell){ ch, (uint8_t)role, 0, 0 };
	}
}

void tui_buf_paint(TuiBuf *b, int x, int y, int n, Role role)
{
	for (int i = 0; i < n; i++) {
		TuiCell *cell = tui_buf_at(b, x + i, y);
		if (cell)
			cell->role = (uint8_t)role;
	}
}

void tui_buf_mark(TuiBuf *b, int x, int y, int n, unsigned mark)
{
	for (int i = 0; i < n; i++) {
		TuiCell *cell = tui_buf_at(b, x + i, y);
		if (cell)
			cell->mark = (uint8_t)mark;
	}
}

/* Appends code point c as UTF-8 at p; returns the new end. */
static char *utf8_put(char *p, uint32_t c)
{
	if (c < 0x80) {
		*p++ = (char)c;
	} else if (c < 0x800) {
		*p++ = (char)(0xC0 | (c >> 6));
		*p++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*p++ = (char)(0xE0 | (c >> 12));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	} else {
		*p++ = (char)(0xF0 | (c >> 18));
		*p++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*p++ = (char)(0x80 | (c & 0x3F));
	}
	return p;
}

char *tui_buf_text(const TuiBuf *b)
{
	char *out = malloc((size_t)b->w * (size_t)b->h * 4 + (size_t)b->h + 1);
	if (!out)
		return NULL;
	char *p = out;
	for (int y = 0; y < b->h; y++) {
		const TuiCell *row = &b->cells[(size_t)y * (size_t)b->w];
		int end = b->w;
		while (end > 0 && row[end - 1].ch == ' ')
			end--;
		for (int x = 0; x < end; x++)
			p = utf8_put(p, row[x].ch);
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

int tui_text_width(const char *s)
{
	int n = 0;
	while (*s) {
		utf8_next(&s);
		n++;
	}
	return n;
}

void tui_buf_tag(TuiBuf *b, int x, int y, int n, uint32_t hit)
{
	for (int i = 0; i < n; i++) {
		TuiCell *c = tui_buf_at(b, x + i, y);
		if (c)
			c->hit = hit;
	}
}

const char *tui_text_wrap(const char *s, int w)
{
	const char *p = s, *brk = NULL;
	int col = 0;
	while (*p && col < w) {
		if (*p == ' ')
			brk = p;
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
		p++;
	}
	if (!*p)
		return p;
	if (*p == ' ')
		return p;
	while (((unsigned char)*p & 0xC0) == 0x80)
		p++;
	return brk && brk > s ? brk : p;
}
