#ifndef KVSTEP_TEXT_VISIBLE_H
#define KVSTEP_TEXT_VISIBLE_H
/*
 * Outside text (a student's CSV value, a header name, a file name, a model
 * token) made safe to print to a terminal or a report: every byte or
 * character that could move the cursor, retitle the window, clear the
 * screen or reorder the line is written as a visible escape, and valid
 * printable UTF-8 is kept as it is.
 *
 *   C0 controls 0x00-0x1F and DEL 0x7F        -> \x1b, \x07, \x09 ...
 *   a byte that is not valid UTF-8 (a lone
 *   0x9B is CSI to an 8-bit terminal)          -> \x9b
 *   C1 controls U+0080-U+009F, line and
 *   paragraph separators U+2028/U+2029, bidi
 *   embeddings, overrides and isolates
 *   U+202A-U+202E, U+2066-U+2069              -> \u009b, \u202e ...
 *
 * A backslash is kept as it is: the form is for reading, not for parsing
 * back. Pure functions; no locale is consulted.
 */
#include <stddef.h>
#include <stdio.h>

/*
 * Writes the visible form of `s` into `buf` (size `size`), always
 * NUL-terminated when size > 0, never cutting an escape or a UTF-8
 * character in two. Returns the length the whole visible form needs
 * (without the NUL), as snprintf does: a result >= size means it was cut.
 */
size_t text_visible(const char *s, char *buf, size_t size);

/* Writes the visible form of `s` to `out`. */
void text_visible_put(FILE *out, const char *s);

/* True when `s` needs no escaping (its visible form is itself). */
int text_visible_is_clean(const char *s);

#endif
