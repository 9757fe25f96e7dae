#ifndef KVSTEP_GRADE_NUMBER_H
#define KVSTEP_GRADE_NUMBER_H
/*
 * Numbers as people and spreadsheets write them: surrounding blanks, `2` or
 * `2.0`, `1.25E-03`, a leading '+', a Unicode minus (U+2212), a decimal
 * comma (`0,26`, one comma and no point), read as a decimal point and
 * flagged so the report can say so, and a worksheet's status glyph after
 * the number (`2!` recomputed, `2=` reused, as copied from a sheet or the
 * screen), dropped and flagged.
 */
#include <stdbool.h>

typedef enum NumberKind {
	NUMBER_OK,        /* a plain number */
	NUMBER_COMMA,     /* a number written with a decimal comma */
	NUMBER_EMPTY,     /* nothing but blanks */
	NUMBER_NONFINITE, /* nan, inf, infinity, ∞ (any case, any sign) */
	NUMBER_BAD,       /* anything else, including hex and 1e999 */
} NumberKind;

/* Flags number_parse_flags sets besides the kind. */
enum {
	NUMBER_FLAG_COMMA = 1u, /* read with a decimal comma */
	NUMBER_FLAG_GLYPH = 2u, /* a trailing ! or = glyph was dropped */
};

/* Parses `s`; sets `*v` only for NUMBER_OK and NUMBER_COMMA. */
NumberKind number_parse(const char *s, double *v);

/* As number_parse, and sets `*flags` (NUMBER_FLAG_*; 0 when none). */
NumberKind number_parse_flags(const char *s, double *v, unsigned *flags);

/* True when `s` (trimmed) is a spreadsheet error such as #DIV/0! or #N/A. */
bool number_is_sheet_error(const char *s);

/*
 * Parses a whole number from 1 to 1 << 20 (`4`, `4.0`, ` 4 `) into `*v`.
 * Returns false for anything else, a glyph included.
 */
bool number_parse_index(const char *s, int *v);

#endif
