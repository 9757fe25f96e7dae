#ifndef KVSTEP_GRADE_SUMMARY_H
#define KVSTEP_GRADE_SUMMARY_H
/*
 * `grade --summary FILE`: one CSV row per student for a gradebook,
 * RFC 4180 with CRLF like the trace itself:
 *   file,status,correct,graded,percent,wrong,missing,error,
 *   X_correct,X_graded,Q_correct,... (the matrices the key grades, then
 *   its counters and token: macs_correct, ..., token_graded)
 * status is "graded" or "not graded"; a file that was not graded has
 * empty numbers and the reason in `error`. File names and reasons are
 * written through text_visible. With `bom`, a UTF-8 BOM comes first, so
 * that Excel opens non-ASCII names as UTF-8.
 */
#include <stdbool.h>
#include <stdio.h>

#include "key_table.h"
#include "report.h"

/*
 * Writes the header and n rows to `out`. Returns 0, or EX_IOERR with
 * "PATH: cannot write: reason" (`path` names `out` in the message).
 */
int summary_write(FILE *out, const char *path, bool bom, const KeyTable *kt,
		  const StudentResult *r, int n, KvError *err);

#endif
