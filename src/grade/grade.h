#ifndef KVSTEP_GRADE_H
#define KVSTEP_GRADE_H
/* `kvstep grade`: scores students' filled-in CSVs against an exported key. */
#include <stdbool.h>
#include <stdio.h>

#include "kv_error.h"

typedef struct GradeOptions {
	double tol;          /* --tol: |answer - key| <= tol is correct */
	double rel_tol;      /* --rel-tol: or <= rel_tol * |key|; 0 = none */
	const char *summary; /* --summary FILE, or NULL */
	bool bom;            /* --bom: the summary starts with a UTF-8 BOM */
} GradeOptions;

/*
 * Grades each of `students` (n files) against `key`, reporting to `out`.
 * A bad student file is reported and the others still graded. Each
 * student file is read within limits set by the key (4 rows per key cell
 * plus 64, 4096 bytes per field), so an oversized file is reported as not
 * graded at a bounded cost in memory.
 *
 * Returns 0 once grading ran (even with wrong answers, or a file that
 * could not be read); EX_DATAERR after the full report and summary when a
 * student file was made for another run than the key (its `run` column
 * differs), naming it; before any report: EX_USAGE, EX_NOINPUT,
 * EX_DATAERR (the key is not a kvstep trace) or EX_CANTCREAT for the
 * summary; EX_IOERR when the summary cannot be written. Every message
 * has its outside text made visible (text_visible.h).
 */
int grade_run(const char *key, char **students, int n,
	      const GradeOptions *o, FILE *out, KvError *err);

#endif
