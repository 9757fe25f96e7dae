#ifndef KVSTEP_CSV_OUT_H
#define KVSTEP_CSV_OUT_H
/*
 * The CSV trace, the grading contract (DESIGN.md): RFC 4180 with CRLF line
 * endings, one row per cell a mode holds,
 *   step,mode,pass,layer,head,matrix,row,col,value,status,run
 * with values that read back to the same double, and masked cells present
 * with an empty value.
 */
#include <stdbool.h>
#include <stdio.h>

#include "kv_error.h"
#include "run_fingerprint.h"
#include "trace.h"

/* Which rows an export keeps. Zero masks and ranges mean "all". */
typedef struct ExportFilter {
	unsigned modes;    /* bit (1u << Mode) per mode kept */
	unsigned matrices; /* bit (1u << Matrix) per matrix kept */
	int step_lo;       /* first step kept, 0 = 1 */
	int step_hi;       /* last step kept, 0 = T */
	bool blank;        /* leave every value empty (student copy) */
	bool masked;       /* with blank: keep masked cells (dropped otherwise) */
	char run[RUN_FINGERPRINT_SIZE]; /* the writers fill it: the `run`
					 column; callers leave it empty */
	/* export --sheet: NULL keeps every cell; else it picks the cells a
	 * worksheet shows, returning a CsvPick for each cell */
	int (*pick)(const void *ctx, int step, Mode mode, int layer, int head,
		    Matrix mat, int row, int col);
	const void *pick_ctx;
	/* export --sheet: the counters and tokens the sheet asks or gives,
	 * written after the cells, in this order (NULL: none) */
	const struct CsvAnswerRow *answers;
	int n_answers;
} ExportFilter;

/*
 * A row of `export --sheet` that is not a matrix cell: a counter or the
 * predicted token of (step, mode), csv_answer.h's `kind`. It is written as
 *   step,mode,pass,1,1,KIND,1,step,VALUE,STATUS,run
 * with the value read off the trace (empty in a blank copy unless given),
 * status `given` or `computed`. --step and --mode filter these rows as
 * they filter cells; --matrix (a list of matrices) drops them. A token
 * row for a position the mode computes no logits for is not written.
 */
typedef struct CsvAnswerRow {
	int step;
	Mode mode;
	int kind;   /* CSV_KIND_COUNTER.. (csv_answer.h) */
	bool given; /* printed on the sheet: its value even in a blank copy */
	/* a tile kind's key (csv_answer.h); 0 for counters and tokens,
	 * which are written as layer 1, head 1, row 1, col = step */
	int layer, head, row, col;
} CsvAnswerRow;

/* What ExportFilter.pick makes of a cell. */
typedef enum CsvPick {
	CSV_PICK_SKIP,   /* no row */
	CSV_PICK_ANSWER, /* a row, empty in a blank copy */
	CSV_PICK_GIVEN,  /* a row with its value even in a blank copy, status
			  * `given`: the sheet prints it */
} CsvPick;

/*
 * Writes the cell rows of `t` to `out`, each with the run's fingerprint
 * (run_fingerprint.h) in the last column, `run`, then f->answers' rows.
 * Returns 0, or EX_IOERR.
 */
int csv_write_trace(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err);

/*
 * Writes one row per (step, mode):
 *   step,mode,pass,macs,macs_proj,macs_scores,macs_av,macs_logits,exps,
 *   recomputed_macs,cache_cells,cache_bytes,cache_reads,passes,
 *   total_macs,total_exps,total_recomputed_macs,total_cache_reads,token,run
 * (a tiled run, --attention flash, has score_cells_written,tile_passes,
 * total_score_cells_written,total_tile_passes before token)
 * The unprefixed figures are those of the pass covering the step; `passes`
 * and the cache figures are the state after it; total_* are cumulative.
 * `token` is the token the mode predicts after position `step` (the argmax
 * of its logits there); it is empty where the mode computes no logits for
 * that position (prefill before the last prompt position). Returns 0, or
 * EX_IOERR.
 */
int csv_write_counters(FILE *out, const Trace *t, const ExportFilter *f,
		       KvError *err);

/*
 * Writes `export --cache`: a header, then one row per K/V column a mode's
 * cache holds or has evicted after the pass covering the step, for every
 * layer and KV head, from the trace's cache events:
 *   step,mode,layer,kv_head,pos,block,slot,status,run
 * block and slot are 1-based (empty when evicted); status is computed
 * (written by this pass), reused (held and read by it), evicted, or held
 * (kept but not read: no teaching mode does that). The no-cache mode keeps
 * no cache and has no rows; prefill shows its pass 1 at steps 1..P. Only
 * the filter's modes and steps are used. Errors as csv_write_trace.
 */
int csv_write_cache(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err);

/*
 * Writes field `s` to `out`, quoted (through libcsv) only when RFC 4180
 * needs it, followed by "," or, when `last`, by CRLF.
 */
void csv_put_field(FILE *out, const char *s, bool last);

/*
 * Formats `v` in the fewest significant digits (15 to 17) that read back to
 * the same double: 2, 0.5, 0.10000000000000001 never appear as 2.0000...
 */
void csv_format_double(char *buf, size_t size, double v);

#endif
