#ifndef KVSTEP_SHEET_FORMAT_H
#define KVSTEP_SHEET_FORMAT_H
/*
 * How worksheet values look on paper: rounding, widths, blanks and dashes.
 */
#include <stdbool.h>
#include <stddef.h>

/* Room for any formatted value or token spelling, with the NUL. */
enum { SHEET_TEXT_MAX = 48 };

/* Decimals used when --digits is not given. */
enum { SHEET_DEFAULT_DIGITS = 2 };

/* A value this close to an integer is printed as that integer. */
#define SHEET_INTEGER_EPS 1e-9

/*
 * Formats `v` for hand work with `digits` decimals (-1: the default, 2):
 *   - an integer, or a value within SHEET_INTEGER_EPS of one, prints as
 *     that integer ("3", "-12"; 1.9999999999999998 prints "2"), so a
 *     value and its recomputed twin never print as "2.00" beside "2";
 *   - a value that `digits` decimals show exactly drops trailing zeros
 *     ("-1.5", "0.25");
 *   - anything else is rounded to exactly `digits` decimals ("0.98",
 *     "1.00": the zeros say it was rounded), an exact half away from
 *     zero as students round (--digits 0: 12.5 → "13", -12.5 → "-13").
 * A value that rounds to zero never shows a minus sign. Non-finite values
 * print as "nan" or "inf".
 */
void sheet_format_value(double v, int digits, char out[SHEET_TEXT_MAX]);

/* Columns `n` bytes of UTF-8 take on a terminal (one per code point). */
int sheet_text_width(const char *s, size_t n);

/* The masked-cell mark: an em dash, or '-' with --ascii. */
const char *sheet_dash(bool ascii);

/*
 * The evicted-cell mark (a K/V column a sliding window's ring buffer has
 * overwritten): 'x', the UI's glyph, with or without --ascii.
 */
const char *sheet_evicted_mark(bool ascii);

#endif
