#ifndef KVSTEP_CSV_SHIFT_H
#define KVSTEP_CSV_SHIFT_H
/*
 * `export --ctx C --shift N`: the context shift (rope_shift.h) as CSV, a
 * header and then, for every step the filter keeps,
 *
 *   step,layer,head,matrix,row,col,pos,value,fresh,status,run
 *
 * - matrix K: one row per cell of every K column 1..step of every layer
 *   and KV head: `value` is what the shifted cache holds, `fresh` what a
 *   fresh run over the kept tokens computes, `pos` the position the key
 *   is turned as (col minus the positions dropped), status computed,
 *   reused, shifted (turned back by a shift) or evicted (dropped: value,
 *   fresh and pos empty);
 * - matrix S: one row per kept key (row) of query `col` = step, every
 *   layer and query head, the score from the shifted cache and from the
 *   fresh run, status computed.
 *
 * Values read back to the same double. Returns 0, or EX_USAGE for a trace
 * without a shift, EX_IOERR.
 */
#include <stdio.h>

#include "csv_out.h"
#include "kv_error.h"
#include "trace.h"

int csv_write_shift(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err);

#endif
