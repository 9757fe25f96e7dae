#ifndef KVSTEP_SERVE_CSV_H
#define KVSTEP_SERVE_CSV_H
/*
 * `kvstep serve --export` and --summary: a ServeRun (serve.h) as CSV
 * (RFC 4180, CRLF, values that read back to the same double) or as a text
 * table. Nothing is recomputed: every figure is read off the run.
 *
 *   schedule  iteration,request,phase,lo,hi,token,budget,reused,held
 *             one row per iteration and arrived, unfinished request
 *             (the iteration it finishes in included); phase prefill,
 *             decode, waiting or preempted; lo, hi empty when it got no
 *             positions; token the word chosen at hi when this iteration
 *             produced one; budget its positions this iteration; reused
 *             the positions it adopted from the prefix cache this
 *             iteration; held the positions it holds after it.
 *   blocks    iteration,request,logical,physical,refcount,filled,state,shared
 *             one row per entry of every request's block table at the end
 *             of the iteration; filled the block's written slots; state
 *             used; shared yes when refcount > 1.
 *   cells     iteration,request,layer,head,matrix,row,col,value,status,block,slot
 *             one row per recorded value (serve_cells), col the request's
 *             own position, status computed, reused or recomputed, block
 *             and slot for K and V (empty otherwise).
 *
 * Each returns 0, or EX_IOERR with `err` set when writing fails; cells
 * needs a run with cells (EX_SOFTWARE otherwise).
 */
#include <stdio.h>

#include "kv_error.h"
#include "serve.h"

int serve_csv_schedule(FILE *out, const ServeRun *r, KvError *err);
int serve_csv_blocks(FILE *out, const ServeRun *r, KvError *err);
int serve_csv_cells(FILE *out, const ServeRun *r, KvError *err);

/*
 * The schedule as text: the scenario's settings, one line per iteration
 * (each request's phase and positions, the token chosen, blocks in use,
 * empty slots, prefix hits, preemptions), one line per request (arrival,
 * first token, finish, preemptions, reused positions, generated words)
 * and, when the run has it, the comparison with the other policy.
 */
int serve_print_summary(FILE *out, const ServeRun *r, KvError *err);

#endif
