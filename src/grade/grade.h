#ifndef KVSTEP_GRADE_H
#define KVSTEP_GRADE_H
/* `kvstep grade`: scores students' filled-in CSVs against an exported key. */
#include <stdio.h>

#include "kv_error.h"

typedef struct GradeOptions {
	double tol;          /* |answer - key| <= tol is correct */
	const char *summary; /* --summary FILE, or NULL */
} GradeOptions;

/*
 * Grades each of `students` (n files) against `key`, reporting to `out`.
 * A bad student file is reported and the others still graded. Returns 0 once
 * grading ran (even with wrong answers); EX_USAGE, EX_NOINPUT, EX_DATAERR
 * (the key is not a kvstep trace) or EX_CANTCREAT/EX_IOERR for the summary.
 */
int grade_run(const char *key, char **students, int n,
	      const GradeOptions *o, FILE *out, KvError *err);

#endif
