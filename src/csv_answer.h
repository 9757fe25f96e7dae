#ifndef KVSTEP_CSV_ANSWER_H
#define KVSTEP_CSV_ANSWER_H
/*
 * What the `matrix` column of the CSV trace can name: a trace matrix
 * (kv_types.h Matrix, X .. H), or, in `export --sheet` files only, an
 * answer a worksheet asks that is not a matrix cell:
 *
 *   macs .. pass          a counter of the pass covering (step, mode)
 *   total_macs .. total_pass   the mode's cumulative counter after `step`
 *   token                 the token the mode predicts after position `step`
 *   tile_m tile_alpha tile_l tile_o
 *                         a tile state of the tiled kernel (--attention
 *                         flash) for the query column the pass covering
 *                         (step, mode) ends at: col = the state's number
 *                         (1, 2, ... in the kernel's order), row = o's row
 *                         for tile_o, else 1; layer and head as for Z
 *   tile_s                the score s_i = S[i,q] the tiled kernel starts
 *                         from, as the standard kernel's S holds it (sheet
 *                         7 gives them): row = key i, col = query q
 *
 * A counter or token row has row = 1 and col = step. A counter's value is a whole
 * number and is graded exactly; a token's value is the word, graded by
 * exact text (docs/csv.md, docs/grade.md).
 */
#include <stdbool.h>
#include <stdint.h>

#include "kv_types.h"
#include "trace.h"

/* Counters of a pass, in the order of the worksheet templates' names. */
typedef enum CsvCounter {
	CSV_CTR_MACS,        /* all stages */
	CSV_CTR_MACS_PROJ,
	CSV_CTR_MACS_SCORES,
	CSV_CTR_MACS_AV,
	CSV_CTR_MACS_LOGITS,
	CSV_CTR_EXPS,
	CSV_CTR_RECOMPUTED_MACS,
	CSV_CTR_CACHE_CELLS,
	CSV_CTR_CACHE_BYTES,
	CSV_CTR_CACHE_READS,
	CSV_CTR_PASSES,
	CSV_CTR_PASS,        /* the mode's number of the pass covering the step */
	CSV_CTR_COUNT
} CsvCounter;

/* Kinds past the matrices: pass counters, total counters, the token. */
enum {
	CSV_KIND_COUNTER = MAT_COUNT,                  /* + CsvCounter */
	CSV_KIND_TOTAL = CSV_KIND_COUNTER + CSV_CTR_COUNT, /* + CsvCounter */
	CSV_KIND_TOKEN = CSV_KIND_TOTAL + CSV_CTR_COUNT,
	CSV_KIND_TILE,   /* + CsvTileField */
	CSV_KIND_COUNT = CSV_KIND_TILE + 5
};

/* What a tile row holds (the order of sheet_tmpl.h's SheetTileField, then
 * the score). */
typedef enum CsvTileField {
	CSV_TILE_M,
	CSV_TILE_ALPHA,
	CSV_TILE_L,
	CSV_TILE_O,
	CSV_TILE_S, /* a score s_i, not a state: no SheetTileField */
	CSV_TILE_COUNT
} CsvTileField;

_Static_assert(CSV_KIND_COUNT == CSV_KIND_TILE + CSV_TILE_COUNT,
	       "one kind per tile field");

/* "X" .. "H", "macs" .. "pass", "total_macs" .. "total_pass", "token";
 * "" for a number out of range. */
const char *csv_kind_name(int kind);

/* The kind spelled `name` (exact, case-sensitive), or -1. */
int csv_kind_parse(const char *name);

static inline bool csv_kind_is_counter(int kind)
{
	return kind >= CSV_KIND_COUNTER && kind < CSV_KIND_TOKEN;
}

static inline bool csv_kind_is_tile(int kind)
{
	return kind >= CSV_KIND_TILE && kind < CSV_KIND_COUNT;
}

/* The counter kind of `c`, cumulative when `total`. */
static inline int csv_kind_of_counter(CsvCounter c, bool total)
{
	return (total ? CSV_KIND_TOTAL : CSV_KIND_COUNTER) + (int)c;
}

/*
 * The value of counter kind `kind` for (step, mode) of `t`: the pass's
 * figure, or the mode's running total for a total_ kind (the total of
 * `pass` is the pass number itself).
 */
uint64_t csv_counter_value(const Trace *t, int step, Mode mode, int kind);

/*
 * The token `mode` predicts after position `step`, or NULL when the mode
 * computes no logits there (prefill before the last prompt position).
 */
const char *csv_token_value(const Trace *t, int step, Mode mode);

/*
 * The value of tile kind `kind` at (row, col) for (step, mode) of layer
 * `layer`, head `head`, read from the trace's tile store. Returns false
 * when the run is not tiled or there is no such state or row.
 */
bool csv_tile_value(const Trace *t, int step, Mode mode, int layer,
		    int head, int kind, int row, int col, double *out);

#endif
