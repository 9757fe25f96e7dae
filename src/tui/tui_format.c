/*
 * A value as the UI prints it: the fewest decimals that show it exactly, up
 * to the digits the teacher chose. A leaf: the view (tui_view.c), the pane
 * (tui_pane.c) and the inspector call it, and it calls none of them.
 */
#include "tui_render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Smallest k ≤ digits with x·10^k a whole number, or digits when none. */
static int decimals_needed(double x, int digits)
{
	double scaled = x;
	for (int k = 0; k < digits; k++) {
		if (scaled == floor(scaled))
			return k;
		scaled *= 10.0;
	}
	return digits;
}

int tui_format_value(double x, int digits, char *out, size_t n)
{
	/* at least one decimal: 12.5 must not read "12", nor A 0.6 "1" */
	if (digits < 1)
		digits = 1;
	int k = fabs(x) < 1e9 ? decimals_needed(x, digits) : digits;
	int len = snprintf(out, n, "%.*f", k, x);
	/* "-0" and "-0.00" read as a sign error on a worksheet */
	if (len > 0 && out[0] == '-' && strspn(out + 1, "0.") == (size_t)len - 1) {
		memmove(out, out + 1, (size_t)len);
		len--;
	}
	return len < 0 ? 0 : len;
}
