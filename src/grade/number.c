#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

NumberKind number_parse(const char *s, double *v)
{
	char buf[MAX_NUMBER];
	if (strlen(s) >= sizeof buf)
		return NUMBER_BAD;
	csvtab_trim(s, buf, sizeof buf);
	if (!buf[0])
		return NUMBER_EMPTY;
	bool comma = normalise(buf);
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
	return comma ? NUMBER_COMMA : NUMBER_OK;
}

bool number_parse_index(const char *s, int *v)
{
	double d;
	NumberKind k = number_parse(s, &d);
	if ((k != NUMBER_OK && k != NUMBER_COMMA) || d < 1 || d > (1 << 20) ||
	    d != floor(d))
		return false;
	*v = (int)d;
	return true;
}
