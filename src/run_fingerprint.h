#ifndef KVSTEP_RUN_FINGERPRINT_H
#define KVSTEP_RUN_FINGERPRINT_H
/*
 * A run's fingerprint, "kv" and 8 lowercase hex digits (the letters keep
 * spreadsheets from reading it as a number), that every exported CSV row
 * carries in its `run` column, so that `kvstep grade` can tell a student's
 * file of another run (another model, prompt or -n) from one of the key's.
 *
 * It is FNV-1a (64 bit) over a canonical byte string, folded to 32 bits
 * (high half XOR low half):
 *   "kvstep-run-1\n";
 *   the model: name, then every vocab token (each string as a 32-bit
 *   length then its bytes), d_model, d_k, d_v, scale, stacked, n_layers,
 *   n_heads, n_kv_heads, the windows, pos_n, then the embedding, position,
 *   W_Q, W_K, W_V, W_O (stacked only) and W_out values in storage order,
 *   then the n_heads sink logits of a model that has `sink`;
 *   the run: P, the P prompt token ids, N; then, for a quantised cache
 *   only (--kv-quant), the string "kv-quant", bits, group and residual.
 * Integers are 32-bit little-endian; a double is its IEEE-754 bit pattern,
 * 64-bit little-endian, with -0 written as 0. Not hashed: the model file's
 * name or layout (comments, spacing), the model's default prompt and
 * generate count, export filters and --dtype. Same model content, prompt
 * and N give the same value on every machine.
 */
#include "trace.h"

enum { RUN_FINGERPRINT_SIZE = 11 }; /* "kv", 8 hex digits, a NUL */

/* Writes the fingerprint of the run `t` recorded into `buf`. */
void run_fingerprint(const Trace *t, char buf[RUN_FINGERPRINT_SIZE]);

/*
 * The fingerprint of a speculative run (`kvstep spec`): as above over
 * "kvstep-spec-1\n", the target, the draft, P, the prompt ids, N and k.
 */
void run_fingerprint_spec(const Model *target, const Model *draft,
			  const int *prompt, int P, int N, int k,
			  char buf[RUN_FINGERPRINT_SIZE]);

#endif
