#ifndef KVSTEP_MEM_CALC_H
#define KVSTEP_MEM_CALC_H
/*
 * KV-cache arithmetic, exact in uint64_t.
 *
 * A "layer-token" (or cell) is one token's cache entry in one layer. With G
 * global layers, L local layers of window W and a context of n tokens, the
 * exact count is
 *
 *   layer_tokens = G × n + L × min(n, W)        (one sequence)
 *   bits         = batch × layer_tokens × bits per layer-token
 *   bytes        = bits / 8, rounded up
 *
 * Bits per layer-token: gqa K and V rows of n_kv_heads × head_dim elements
 * each; mla one row of kv_lora_rank + qk_rope_head_dim (the latent and the
 * shared RoPE key), stored in the K dtype. A row of a block-quantised dtype
 * (q8_0, q4_0: 32 elements a block, with its scale) takes whole blocks.
 * Counting in bits keeps int4 and the blocks exact; only a total that is not
 * a whole number of bytes is rounded, up, because a partial byte takes a byte.
 *
 * Engines keep other cell counts than the exact one: see MemEngine.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_error.h"
#include "kv_quant.h"
#include "kv_types.h"
#include "mem_config.h"

/* The dtypes of the K and of the V cache (equal unless --k/--v-dtype). */
typedef struct MemKvType {
	KvDtype k, v;
} MemKvType;

/* "fp16", or "q8_0/fp16" (K/V) when they differ; buf needs 16 bytes. */
void mem_kv_type_name(MemKvType t, char *buf, size_t size);

/* Bits a row of `elems` elements takes: whole blocks, rounded up. */
uint64_t mem_row_bits(uint64_t elems, KvDtype d);

/* Elements one layer-token holds in the model as published (K plus V). */
uint64_t mem_elems_per_layer_token(const MemConfig *c);

/*
 * Elements one layer-token would hold with full multi-head attention:
 * gqa 2 × n_heads × head_dim; mla n_heads × (qk_nope + qk_rope + v_head_dim),
 * i.e. the uncompressed per-head K and V that the latent stands for.
 */
uint64_t mem_elems_per_layer_token_mha(const MemConfig *c);

/* Bits one layer-token takes as published, and with full MHA. */
uint64_t mem_cell_bits(const MemConfig *c, MemKvType t);
uint64_t mem_cell_bits_mha(const MemConfig *c, MemKvType t);

/*
 * Bytes of a KIVI-quantised cache (--kv-quant; kv_quant.h) of `batch`
 * sequences of `ctx` tokens, the rule the teaching engine counts and its
 * cache panel shows: per layer, kv_quant_bits over the tokens the layer
 * keeps (a local layer the last min(ctx, W)) for n_kv_heads K and V heads
 * of head_dim each, scales and mins in `scalar_bytes`, rounded up to bytes
 * per layer; summed over the layers, times batch. gqa only.
 * Returns 0, or EX_USAGE for an mla model or a context past INT_MAX, or
 * EX_DATAERR when the total does not fit 64 bits, with `e` set.
 */
int mem_kivi_bytes(const MemConfig *c, uint64_t ctx, uint64_t batch,
		   const KvQuant *q, unsigned scalar_bytes, uint64_t *out,
		   KvError *e);

/* G × ctx + L × min(ctx, W); never overflows for ctx <= MEM_CONTEXT_MAX. */
uint64_t mem_layer_tokens(const MemConfig *c, uint64_t ctx);

/*
 * How an engine lays out the cache (cells of one layer, all sequences):
 *   exact      n per global layer, min(n, W) per local layer, per sequence
 *   vllm       per sequence, whole blocks of block_size tokens; a local
 *              layer frees only the blocks wholly before its window:
 *              global ceil(n/bs) blocks, local ceil(n/bs) -
 *              floor(max(0, n - W + 1)/bs) blocks
 *   llama.cpp  one cell pool for every sequence, padded to 256 cells:
 *              global pad256(B × n); local min(global, pad256(W × B +
 *              ubatch)), or the global count with swa_full
 *   hf         n per global layer, min(n, W - 1) per local layer
 */
typedef enum MemEngine {
	MEM_ENGINE_EXACT,
	MEM_ENGINE_VLLM,
	MEM_ENGINE_LLAMACPP,
	MEM_ENGINE_HF,
	MEM_ENGINE_COUNT,
} MemEngine;

enum { MEM_LLAMACPP_PAD = 256 };

typedef struct MemPolicy {
	MemEngine engine;
	uint32_t block_size; /* vllm, >= 1 (default 16) */
	uint32_t ubatch;     /* llama.cpp, >= 1 (default 512) */
	bool swa_full;       /* llama.cpp: local layers keep every cell */
} MemPolicy;

/* The default policy: exact, block size 16, ubatch 512. */
MemPolicy mem_policy_default(void);

/* "exact", "vllm", "llama.cpp", "hf"; "?" for a bad value. */
const char *mem_engine_name(MemEngine e);

/* Sets *out from a name; returns false for an unknown name. */
bool mem_engine_parse(const char *s, MemEngine *out);

/*
 * Cells one global and one local layer hold for `batch` sequences of `ctx`
 * tokens under policy `p`. Returns 0, or EX_USAGE if a count overflows.
 */
int mem_engine_cells(const MemConfig *c, const MemPolicy *p, uint64_t ctx,
		     uint64_t batch, uint64_t *global, uint64_t *local,
		     KvError *e);

/*
 * Bytes for `cells` layer-tokens of `cell_bits` bits each, rounded up to
 * whole bytes. Returns 0, or EX_USAGE when the bit count does not fit in
 * 64 bits.
 */
int mem_bytes(uint64_t cells, uint64_t cell_bits, uint64_t *out, KvError *e);

/* Everything `kvstep mem` reports for one model at one context. */
typedef struct MemTotals {
	uint64_t context;          /* tokens */
	uint64_t batch;            /* sequences */
	uint64_t layer_tokens;     /* G × n + L × min(n, W), one sequence */
	uint64_t layer_tokens_all_global; /* n_layers × n, one sequence */
	uint64_t bytes;            /* the cache as published, counted exactly */
	uint64_t bytes_all_global; /* same model, every layer global */
	uint64_t bytes_mha;        /* same layers, full MHA */
	uint32_t saving_all_global_bp; /* 1 - bytes/bytes_all_global, in 1/100 % */
	uint32_t saving_mha_bp;        /* 1 - bytes/bytes_mha, in 1/100 % */
	uint64_t engine_global;    /* cells a global layer holds, all sequences */
	uint64_t engine_local;     /* cells a local layer holds, all sequences */
	uint64_t engine_layer_tokens; /* G × engine_global + L × engine_local */
	uint64_t engine_bytes;     /* the cache as the engine lays it out */
} MemTotals;

/*
 * Fills *out for context `ctx` (1 .. MEM_CONTEXT_MAX tokens) and `batch`
 * (>= 1) under policy `p` (NULL: exact). Returns 0, or EX_USAGE with a
 * message when an argument is out of range or a total does not fit in 64
 * bits.
 */
int mem_totals(const MemConfig *c, uint64_t ctx, uint64_t batch, MemKvType t,
	       const MemPolicy *p, MemTotals *out, KvError *e);

/*
 * (den - num) / den as hundredths of a percent, rounded half up, exactly
 * (basis points: 7339 means 73.39 %). Requires num <= den and den > 0.
 */
uint32_t mem_saving_bp(uint64_t num, uint64_t den);

#endif
