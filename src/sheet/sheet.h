#ifndef KVSTEP_SHEET_H
#define KVSTEP_SHEET_H
/* Worksheets: text templates resolved against a trace (`kvstep answers`). */
#include <stdbool.h>
#include <stdio.h>

#include "csv_out.h"
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
 * bad template, EX_NOINPUT for a missing file or a name that is neither
 * bundled nor a path (no '/' or '.'), EX_USAGE for a sheet that {{needs
 * single}} given a stacked model or a run longer than its {{page}}. EX_IOERR when
 * `out` fails part way. Output is streamed: memory does not grow with it.
 */
int sheet_print(FILE *out, const Trace *t, char **names, int n,
		const SheetOptions *o, KvError *err);

/*
 * The kernel worksheet `name` reads: *tile = B for a sheet with
 * {{attention flash tile=B}} (sheet 7), whose `export --sheet` needs the
 * run made with the tiled kernel (main.c), else 0. Returns 0, or the
 * errors of finding and parsing the template (as sheet_print).
 */
int sheet_attention(const char *name, int *tile, KvError *err);

/* The cells a worksheet shows, for `export --sheet` (opaque). */
typedef struct SheetPick SheetPick;

/*
 * Renders worksheet `name` (bundled name, its number "2", or a template
 * file) against `t` and collects the trace cells it prints: the answers,
 * and the given cells (printed in both copies). Only cells of `t` count,
 * not the model's weights. It also collects the counters and chosen
 * tokens the sheet prints (sheet_pick_answers). Returns 0 with *out set
 * (free it with sheet_pick_free), or the errors of sheet_print, with the
 * same messages: EX_USAGE for a stacked model on a {{needs single}} sheet
 * or a run that makes the sheet longer than its {{page}}; EX_NOINPUT for
 * a name that is neither bundled nor a file; and EX_USAGE for a sheet
 * that runs models of its own ({{model NAME}}: sheet 4), whose cells are
 * not cells of this run, or a tiled sheet (sheet_attention) given a run
 * of another kernel. A tiled sheet's tile states become answer rows
 * (csv_answer.h tile kinds).
 */
int sheet_pick_load(const Trace *t, const char *name, SheetPick **out,
		    KvError *err);

/*
 * ExportFilter.pick for a SheetPick `ctx`: CSV_PICK_GIVEN for a cell the
 * sheet gives, CSV_PICK_ANSWER for one it asks, CSV_PICK_SKIP otherwise
 * (the values of csv_out.h's CsvPick).
 */
int sheet_pick_cell(const void *ctx, int step, Mode mode, int layer,
		    int head, Matrix mat, int row, int col);

/*
 * The counter and token rows of the sheet, in the order the sheet prints
 * them (csv_out.h CsvAnswerRow; for ExportFilter.answers); *n of them.
 * Borrowed from `p`.
 */
const CsvAnswerRow *sheet_pick_answers(const SheetPick *p, int *n);

void sheet_pick_free(SheetPick *p);

#endif
