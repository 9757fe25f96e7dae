#ifndef KVSTEP_SHEET_BUF_H
#define KVSTEP_SHEET_BUF_H
/*
 * A growing string. Appends never fail loudly: after the first failed
 * allocation the buffer stops growing and `oom` stays set, so a caller
 * builds a whole page and checks once at the end.
 */
#include <stdbool.h>
#include <stddef.h>

typedef struct SheetBuf {
	char *s;    /* (cap) bytes, NUL-terminated when len > 0 */
	size_t len; /* bytes used, without the NUL */
	size_t cap;
	bool oom;   /* an allocation failed; the contents are incomplete */
} SheetBuf;

/* An empty buffer; nothing is allocated until the first append. */
void sheet_buf_init(SheetBuf *b);
/* Frees the contents and leaves an empty buffer. */
void sheet_buf_free(SheetBuf *b);
/* Appends n bytes of s. */
void sheet_buf_add(SheetBuf *b, const char *s, size_t n);
/* Appends the C string s. */
void sheet_buf_puts(SheetBuf *b, const char *s);
/* Appends n copies of the byte c (nothing when n <= 0). */
void sheet_buf_fill(SheetBuf *b, char c, int n);
/* The contents as a C string; "" when empty. */
const char *sheet_buf_str(const SheetBuf *b);

#endif
