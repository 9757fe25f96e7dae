#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv_table.h"

#define MAX_NUMBER 64

/* Digits, at most one '.', an optional exponent; sign already removed. */
static bool is_decimal(const char *s)
{
	int digits = 0;
	while (isdigit((unsigned char)*s))
		s++, digits++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/*
 * Rewrites `buf` in place to plain C syntax: a Unicode minus becomes '-',
 * and a lone decimal comma becomes '.'. Returns true if a comma was changed.
 */
static bool normalise(char *buf)
{
	if (strncmp(buf, "\xE2\x88\x92", 3) == 0) {
		buf[0] = '-';
		memmove(buf + 1, buf + 3, strlen(buf + 3) + 1);
	}
	char *comma = strchr(buf, ',');
	if (!comma || strchr(comma + 1, ',') || strchr(buf, '.'))
		return false;
	*comma = '.';
	return true;
}

/* Drops one trailing status glyph (`!` or `=`) and the blanks before it. */
static bool drop_glyph(char *buf)
{
	size_t n = strlen(buf);
	if (n < 2 || (buf[n - 1] != '!' && buf[n - 1] != '='))
		return false;
	buf[--n] = '\0';
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return true;
}

/* nan, inf, infinity or the infinity sign, any case, with a sign or not. */
static bool is_nonfinite(const char *buf)
{
	const char *b = buf + (buf[0] == '-' || buf[0] == '+');
	return strcasecmp(b, "nan") == 0 || strcasecmp(b, "inf") == 0 ||
	       strcasecmp(b, "infinity") == 0 || strcmp(b, "\xE2\x88\x9E") == 0;
}

bool number_is_sheet_error(const char *s)
{
	static const char *const errors[] = {
		"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!",
		"#VALUE!", "#SPILL!", "#CALC!", "#ERROR!", "Err:502",
		"Err:503", "Err:504", "Err:522", "Err:523",
	};
	char buf[MAX_NUMBER];
	csvtab_trim(s, buf, sizeof buf);
	for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
		if (strcasecmp(buf, errors[i]) == 0)
			return true;
	return false;
}

NumberKind number_parse_flags(const char *s, double *v, unsigned *flags)
{
	char buf[MAX_NUMBER];
	*flags = 0;
	if (strlen(s) >= sizeof buf)
		return NUMBER_BAD;
	csvtab_trim(s, buf, sizeof buf);
	if (!buf[0])
		return NUMBER_EMPTY;
	if (drop_glyph(buf))
		*flags |= NUMBER_FLAG_GLYPH;
	bool comma = normalise(buf);
	if (is_nonfinite(buf))
		return NUMBER_NONFINITE;
	const char *body = buf + (buf[0] == '-' || buf[0] == '+');
	if (!is_decimal(body))
		return NUMBER_BAD;
	errno = 0;
	double d = strtod(buf, NULL);
	if (errno == ERANGE && fabs(d) > 1.0)
		return NUMBER_BAD; /* overflow; underflow to 0 is fine */
	if (!isfinite(d))
		return NUMBER_BAD;
	*v = d;
	if (comma)
		*flags |= NUMBER_FLAG_COMMA;
	return comma ? NUMBER_COMMA : NUMBER_OK;
}

NumberKind number_parse(const char *s, double *v)
{
	unsigned flags;
	return number_parse_flags(s, v, &flags);
}

bool number_parse_index(const char *s, int *v)
{
	double d;
	unsigned flags;
	NumberKind k = number_parse_flags(s, &d, &flags);
	if ((k != NUMBER_OK && k != NUMBER_COMMA) || flags & NUMBER_FLAG_GLYPH ||
	    d < 1 || d > (1 << 20) ||
	    d != floor(d))
		return false;
	*v = (int)d;
	return true;
}
