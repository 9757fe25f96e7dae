#ifndef KVSTEP_MEM_CALC_H
#define KVSTEP_MEM_CALC_H
/*
 * KV-cache arithmetic, exact in uint64_t.
 *
 * A "layer-token" is one token's cache entry in one layer. With G global
 * layers, L local layers of window W and a context of n tokens:
 *
 *   layer_tokens = G × n + L × min(n, W)
 *   bits         = batch × layer_tokens × elements per layer-token × dtype bits
 *   bytes        = bits / 8, rounded up
 *
 * Elements per layer-token: gqa 2 × n_kv_heads × head_dim (K and V);
 * mla kv_lora_rank + qk_rope_head_dim (the latent and the shared RoPE key).
 * Counting in bits keeps int4 (half a byte) exact; only a total that is not
 * a whole number of bytes is rounded, up, because a partial byte still takes
 * a byte. Every bundled model has an even element count, so nothing rounds.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_error.h"
#include "mem_config.h"

typedef enum MemDtype {
	MEM_DTYPE_FP32,
	MEM_DTYPE_FP16,
	MEM_DTYPE_BF16,
	MEM_DTYPE_FP8,
	MEM_DTYPE_INT4,
	MEM_DTYPE_COUNT,
} MemDtype;

/* Returns the dtype's name ("fp16"), or "?" for a bad value. */
const char *mem_dtype_name(MemDtype d);

/* Returns the bits one element takes: 32, 16, 16, 8 or 4 (0 for a bad value). */
unsigned mem_dtype_bits(MemDtype d);

/* Sets *out from a name ("bf16"); returns false for an unknown name. */
bool mem_dtype_parse(const char *s, MemDtype *out);

/* Elements one layer-token holds in the model as published. */
uint64_t mem_elems_per_layer_token(const MemConfig *c);

/*
 * Elements one layer-token would hold with full multi-head attention:
 * gqa 2 × n_heads × head_dim; mla n_heads × (qk_nope + qk_rope + v_head_dim),
 * i.e. the uncompressed per-head K and V that the latent stands for.
 */
uint64_t mem_elems_per_layer_token_mha(const MemConfig *c);

/* G × ctx + L × min(ctx, W); never overflows for ctx <= MEM_CONTEXT_MAX. */
uint64_t mem_layer_tokens(const MemConfig *c, uint64_t ctx);

/*
 * Bytes for `layer_tokens` × `elems` elements of dtype `d`, times `batch`,
 * counted in bits and rounded up to whole bytes. Returns 0, or EX_USAGE
 * when the bit count does not fit in 64 bits.
 */
int mem_bytes(uint64_t batch, uint64_t layer_tokens, uint64_t elems,
	      MemDtype d, uint64_t *out, KvError *e);

/* Everything `kvstep mem` reports for one model at one context. */
typedef struct MemTotals {
	uint64_t context;          /* tokens */
	uint64_t batch;            /* sequences */
	uint64_t layer_tokens;     /* G × n + L × min(n, W), one sequence */
	uint64_t layer_tokens_all_global; /* n_layers × n, one sequence */
	uint64_t bytes;            /* the cache as published */
	uint64_t bytes_all_global; /* same model, every layer global */
	uint64_t bytes_mha;        /* same layers, full MHA */
	uint32_t saving_all_global_bp; /* 1 - bytes/bytes_all_global, in 1/100 % */
	uint32_t saving_mha_bp;        /* 1 - bytes/bytes_mha, in 1/100 % */
} MemTotals;

/*
 * Fills *out for context `ctx` (1 .. MEM_CONTEXT_MAX tokens) and `batch`
 * (>= 1). Returns 0, or EX_USAGE with a message when an argument is out of
 * range or a total does not fit in 64 bits.
 */
int mem_totals(const MemConfig *c, uint64_t ctx, uint64_t batch, MemDtype d,
	       MemTotals *out, KvError *e);

/*
 * (den - num) / den as hundredths of a percent, rounded half up, exactly
 * (basis points: 7339 means 73.39 %). Requires num <= den and den > 0.
 */
uint32_t mem_saving_bp(uint64_t num, uint64_t den);

#endif
