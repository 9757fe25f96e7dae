#ifndef KVSTEP_SHEET_H
#define KVSTEP_SHEET_H
/* Worksheets: text templates resolved against a trace (`kvstep answers`). */
#include <stdbool.h>
#include <stdio.h>

#include "kv_error.h"
#include "trace.h"

typedef struct SheetOptions {
	bool blank;  /* --blank: the student copy */
	bool ascii;  /* --ascii */
	int digits;  /* --digits, -1 for the default */
} SheetOptions;

/*
 * Prints the worksheets `names` (bundled names or template files; all
 * bundled ones when n == 0) resolved against `t`, separated by form feeds.
 * Writes nothing to `out` on error: EX_DATAERR with "file:line: ..." for a
 * bad template, EX_NOINPUT for a missing file, EX_USAGE for an unknown name
 * or a sheet that {{needs single}} given a stacked model. EX_IOERR when
 * `out` fails part way. Output is streamed: memory does not grow with it.
 */
int sheet_print(FILE *out, const Trace *t, char **names, int n,
		const SheetOptions *o, KvError *err);

#endif
