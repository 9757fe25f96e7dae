#include "sheet_format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Drops trailing zeros after a decimal point, and the point itself. */
static void trim_zeros(char *s)
{
	if (!strchr(s, '.'))
		return;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '0')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
}

/* "-0.00" → "0.00": a rounded zero has no sign. */
static void drop_negative_zero(char *s)
{
	if (s[0] != '-' || strspn(s + 1, "0.") != strlen(s + 1))
		return;
	memmove(s, s + 1, strlen(s));
}

void sheet_format_value(double v, int digits, char out[SHEET_TEXT_MAX])
{
	if (digits < 0)
		digits = SHEET_DEFAULT_DIGITS;
	if (!isfinite(v)) {
		snprintf(out, SHEET_TEXT_MAX, "%s", isnan(v) ? "nan" : "inf");
		return;
	}
	double whole = nearbyint(v);
	if (fabs(v - whole) <= SHEET_INTEGER_EPS && fabs(v) < 1e15) {
		snprintf(out, SHEET_TEXT_MAX, "%.0f", whole == 0 ? 0.0 : whole);
		return;
	}
	double unit = pow(10.0, digits), scaled = v * unit;
	/* an exact half: away from zero as students round (round(), where
	 * printf would round to even); else printf rounds the exact binary
	 * value correctly */
	if (scaled - floor(scaled) == 0.5)
		snprintf(out, SHEET_TEXT_MAX, "%.*f", digits,
			 round(scaled) / unit);
	else
		snprintf(out, SHEET_TEXT_MAX, "%.*f", digits, v);
	if (scaled == nearbyint(scaled))
		trim_zeros(out); /* shown exactly: 1.5, not 1.50 */
	drop_negative_zero(out);
}

int sheet_text_width(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

const char *sheet_dash(bool ascii)
{
	return ascii ? "-" : "\xe2\x80\x94";
}

const char *sheet_evicted_mark(bool ascii)
{
	(void)ascii; /* the UI's glyph, ASCII either way */
	return "x";
}
