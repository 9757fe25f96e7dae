#ifndef KVSTEP_CSV_TILES_H
#define KVSTEP_CSV_TILES_H
/*
 * `kvstep export --tiles`: the tiled kernel's states (trace_tiles.h) as
 * CSV, RFC 4180 with CRLF, one row per state of every query column the
 * pass covering the step attended (info.att_lo..hi), for every layer and
 * query head:
 *   step,mode,layer,head,query,tile,key_lo,key_hi,m,l,alpha,kind,part,
 *   beta,o1..o<d_v>,run
 * kind is `tile` (a tile of keys key_lo..key_hi folded into part `part`'s
 * running state: m, l and o after it, alpha the rescale of the state
 * before it, beta 1) or `merge` (--split: part `part`'s partial, covering
 * key_lo..key_hi, folded into the merged state; alpha rescales the merged
 * state, beta the partial; tile is empty). z = o / l of a column's last
 * row. Values read back to the same double; `run` is the fingerprint.
 */
#include <stdint.h>
#include <stdio.h>

#include "csv_out.h"

/*
 * Writes the rows the filter's steps and modes keep. Returns 0, EX_USAGE
 * when the run used the standard kernel (it has no tiles), or EX_IOERR.
 */
int csv_write_tiles(FILE *out, const Trace *t, const ExportFilter *f,
		    KvError *err);

/*
 * Rows csv_write_tiles would write (header excluded) and about how many
 * bytes, for the notice before a long export. The no-cache mode repeats
 * every query at every step, so the rows grow like T³/B.
 */
uint64_t csv_tiles_rows(const Trace *t, const ExportFilter *f,
			double *bytes);

#endif
