#ifndef KVSTEP_GRADE_SUMMARY_H
#define KVSTEP_GRADE_SUMMARY_H
/*
 * `grade --summary FILE`: one CSV row per student for a gradebook,
 * RFC 4180 with CRLF like the trace itself:
 *   file,status,correct,graded,percent,wrong,missing,error,
 *   X_correct,X_graded,Q_correct,... (the matrices the key grades)
 * status is "graded" or "not graded"; a file that was not graded has
 * empty numbers and the reason in `error`.
 */
#include <stdio.h>

#include "key_table.h"
#include "report.h"

/* Writes the header and n rows to `out`. Returns 0, or EX_IOERR. */
int summary_write(FILE *out, const KeyTable *kt, const StudentResult *r,
		  int n, KvError *err);

#endif
