#ifndef KVSTEP_GRADE_REPORT_H
#define KVSTEP_GRADE_REPORT_H
/*
 * The grade report a teacher reads: a line about the key, a block per
 * student and, for a class, a table at the end. Plain text written to a
 * FILE, so tests can render into a memory stream and compare exact text.
 */
#include <stdio.h>

#include "key_table.h"
#include "score.h"

/* Wrong or missing cells listed per student before "... and N more". */
#define REPORT_SHOW_WRONG 10

/* One student's result, as the class table and the summary need it. */
typedef struct StudentResult {
	const char *file;   /* the path as given on the command line */
	const Score *score; /* NULL when the file could not be graded */
	const char *error;  /* why not, when score is NULL */
} StudentResult;

/*
 * "key FILE: N cells to grade, tolerance T" (+ " or R% of the key value,
 * whichever is larger" with a relative tolerance, + masked cells, when any).
 * Outside text in every report line is written through text_visible.
 */
void report_key(FILE *out, const char *path, const KeyTable *kt,
		const Tolerance *tol);

/*
 * A graded student's block: score line, per-matrix, per-mode (when the key
 * has several modes) and per-step breakdowns, the first REPORT_SHOW_WRONG
 * wrong or missing cells in key order with expected and given values, and
 * notes about rows that could not be used.
 */
void report_student(FILE *out, const char *path, const KeyTable *kt,
		    const Score *s, const Tolerance *tol);

/* "FILE: not graded: WHY" for a file that could not be read or mapped. */
void report_not_graded(FILE *out, const char *path, const char *why);

/*
 * Drops the "PATH:" prefix from an error message about PATH, and turns
 * "PATH:12: ..." into "line 12: ...": the report already names the file.
 */
void report_reason(const char *path, const char *why, char *buf, size_t size);

/*
 * Terminal columns `s` takes: wcswidth in the current LC_CTYPE (main sets
 * it from the environment), or one per UTF-8 character when the locale
 * cannot decode it. Used to align names such as "Zoë" or "山田".
 */
int report_width(const char *s);

/* The class table: one line per student, graded or not. */
void report_class(FILE *out, const StudentResult *r, int n);

/*
 * Formats a key value with enough decimals to judge it at the allowance
 * `tol` (4 for
 * 0.005), trailing zeros dropped: 2, 0.3068, -1.5. With tol 0, the value
 * in full (%.17g style).
 */
void report_format_expected(double v, double tol, char *buf, size_t size);

#endif
