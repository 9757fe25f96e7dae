#ifndef KVSTEP_GRADE_NUMBER_H
#define KVSTEP_GRADE_NUMBER_H
/*
 * Numbers as people and spreadsheets write them: surrounding blanks, `2` or
 * `2.0`, `1.25E-03`, a leading '+', a Unicode minus (U+2212), and a decimal
 * comma (`0,26`, one comma and no point), which is read as a decimal point
 * and flagged so the report can say so.
 */
#include <stdbool.h>

typedef enum NumberKind {
	NUMBER_OK,    /* a plain number */
	NUMBER_COMMA, /* a number written with a decimal comma */
	NUMBER_EMPTY, /* nothing but blanks */
	NUMBER_BAD,   /* anything else, including nan, inf and hex */
} NumberKind;

/* Parses `s`; sets `*v` only for NUMBER_OK and NUMBER_COMMA. */
NumberKind number_parse(const char *s, double *v);

/*
 * Parses a whole number from 1 to 1 << 20 (`4`, `4.0`, ` 4 `) into `*v`.
 * Returns false for anything else.
 */
bool number_parse_index(const char *s, int *v);

#endif
