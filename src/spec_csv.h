#ifndef KVSTEP_SPEC_CSV_H
#define KVSTEP_SPEC_CSV_H
/*
 * `kvstep spec --export`: a speculative run (spec.h) as CSV, RFC 4180 with
 * CRLF line endings, a header row, values that read back to the same
 * double, and the run's fingerprint (spec_fingerprint) in the last column.
 *
 * schedule: one row per iteration 1.. (not the prefill):
 *   iteration,pos,proposed,accepted,emitted,verified,target_keep,
 *   draft_keep,draft_macs,target_macs,wasted_macs,run
 *   pos = t; proposed = the k draft words, space-separated; accepted = a;
 *   emitted = the words appended (cut to N); verified = the target's argmax
 *   word at t..t+k; target_keep / draft_keep = each cache's length after
 *   the rollback; *_macs = this iteration's multiply-adds of the draft,
 *   the target, and the target's on the rejected columns t+a+1..t+k.
 * cells: one row per value either model produced, in production order:
 *   iteration,model,layer,head,matrix,row,col,value,status,run
 *   iteration 0 is the prefill; model is target or draft; status is
 *   computed, reused (a K/V column read from the cache) or rolled_back
 *   (computed, then given back). Masked cells are never computed and have
 *   no row.
 */
#include <stdio.h>

#include "kv_error.h"
#include "spec.h"

enum { SPEC_FINGERPRINT_SIZE = 11 }; /* "kv", 8 hex digits, a NUL */

/* Writes the schedule rows. Returns 0, or EX_IOERR with `err` set. */
int spec_csv_schedule(FILE *out, const SpecRun *r, KvError *err);

/* Writes the cell rows (the run must record cells). As above. */
int spec_csv_cells(FILE *out, const SpecRun *r, KvError *err);

#endif
