#ifndef KVSTEP_GRADE_COLUMNS_H
#define KVSTEP_GRADE_COLUMNS_H
/*
 * Finding the trace columns by their header names (DESIGN.md, CSV trace), so
 * that reordered columns and extra ones (a comment column) do not matter,
 * and reading a row's cell key from them.
 */
#include <stdbool.h>
#include <stddef.h>

#include "csv_table.h"
#include "kv_error.h"
#include "kv_types.h"

/* The columns grading knows; the first COL_REQUIRED must be present. */
typedef enum Column {
	COL_STEP,
	COL_MODE,
	COL_LAYER,
	COL_HEAD,
	COL_MATRIX,
	COL_ROW,
	COL_COL,
	COL_VALUE,
	COL_REQUIRED,
	COL_PASS = COL_REQUIRED, /* informational */
	COL_STATUS,              /* informational */
	COL_RUN,                 /* the run fingerprint, checked by grade */
	COL_COUNT
} Column;

typedef struct ColMap {
	int idx[COL_COUNT]; /* field index of each column, -1 if absent */
	int width;          /* fields in the header */
} ColMap;

/* Which cell a row is about: the key columns of the trace. */
typedef struct CellKey {
	int step;   /* lockstep position t, from 1 */
	Mode mode;
	int layer;  /* from 1 */
	int head;   /* from 1 */
	int mat;    /* a Matrix, or a counter or the token of an export
		     * --sheet (csv_answer.h kinds past MAT_COUNT) */
	int row;    /* from 1, worksheet orientation */
	int col;    /* from 1 */
} CellKey;

/*
 * Maps `header` by name: case and surrounding blanks are ignored. Returns 0,
 * or EX_DATAERR with `err` = "name: ..." when a required column is missing
 * (naming it and the expected header) or a known column appears twice.
 */
int colmap_build(const CsvRow *header, const char *name, ColMap *m,
		 KvError *err);

/*
 * Reads the key columns of `r`. Returns true, or false with a reason such as
 * "column 'row' is 'x', not a whole number" written to `why` (size `size`).
 */
bool colmap_key(const ColMap *m, const CsvRow *r, CellKey *k, char *why,
		size_t size);

/* The field of column `c` in `r`, or NULL when the row is too short. */
const char *colmap_field(const ColMap *m, const CsvRow *r, Column c);

/* Orders keys by step, mode, layer, head, matrix, row, col (for qsort). */
int cellkey_cmp(const CellKey *a, const CellKey *b);

/*
 * Names a cell the way a worksheet does: "step 4 cache S[2,4]", with
 * " layer L head H" after the mode when either is not 1. A counter or
 * token row has no [row,col]: "step 6 cache macs", "step 6 cache token".
 */
void cellkey_format(const CellKey *k, char *buf, size_t size);

#endif
