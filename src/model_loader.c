/*
 * Inside the model-file loader: the helpers every check of model_header.c
 * and model_weights.c shares. A leaf: it calls nothing of theirs.
 */
#include "model_loader.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int loader_fail(Loader *L, int line, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return kv_error_set(L->err, EX_DATAERR, "%s:%d: %s", L->doc->source,
			    line, what);
}

int loader_oom(Loader *L)
{
	return kv_error_set(L->err, EX_OSERR, "out of memory");
}

/* Parses a whole decimal integer in [lo, hi]. */
int loader_int(Loader *L, const IniEntry *e, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (end == e->value || *end != '\0' || errno)
		return loader_fail(L, e->line, "%s: expected a whole number, got '%s'",
			    e->key, e->value);
	if (v < lo || v > hi) {
		return loader_fail(L, e->line, "%s = %ld is outside the limits %ld..%ld",
			    e->key, v, lo, hi);
	}
	*out = (int)v;
	return 0;
}

/*
 * Splits `s` on blanks into `out`, at most `cap` numbers. Returns the count
 * (which may exceed cap: the caller reports the mismatch) or -1 after
 * reporting a word that is not a finite number within the limits.
 */
int loader_numbers(Loader *L, const IniEntry *e, double *out, int cap)
{
	int n = 0;
	const char *p = e->value;
	char word[64];
	size_t wl;
	while ((wl = model_next_word(&p, word, sizeof word)) > 0) {
		char *end;
		errno = 0;
		double v = strtod(word, &end);
		/* strtod also reads hex (0x10, 0x1p3): decimal only */
		if (strpbrk(word, "xX"))
			end = word;
		if (end == word || *end != '\0' || wl >= sizeof word) {
			loader_fail(L, e->line, "expected a number, got '%s'", word);
			return -1;
		}
		/* glibc flags a subnormal (1e-310) with ERANGE too: it is a
		 * real double, so only a result of 0 underflowed */
		if (errno == ERANGE && v != 0 && fabs(v) < 1.0)
			errno = 0;
		if (errno == ERANGE && fabs(v) < 1.0) {
			loader_fail(L, e->line,
			     "'%s' is too small for a double; write 0", word);
			return -1;
		}
		if (!isfinite(v) || errno == ERANGE || fabs(v) > KV_MAX_ABS_VALUE) {
			loader_fail(L, e->line,
			     "'%s' is not a finite number within ±1e6", word);
			return -1;
		}
		if (n < cap)
			out[n] = v;
		n++;
	}
	return n;
}

bool loader_in_section(const IniEntry *e, const char *name)
{
	return strcasecmp(e->section, name) == 0;
}
