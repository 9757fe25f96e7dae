#include "mem_calc.h"

#include <limits.h>

#include <stdio.h>
#include <string.h>

static const char *const engine_names[MEM_ENGINE_COUNT] = {
	[MEM_ENGINE_EXACT] = "exact",
	[MEM_ENGINE_VLLM] = "vllm",
	[MEM_ENGINE_LLAMACPP] = "llama.cpp",
	[MEM_ENGINE_HF] = "hf",
};

void mem_kv_type_name(MemKvType t, char *buf, size_t size)
{
	if (t.k == t.v)
		snprintf(buf, size, "%s", kv_dtype_name(t.k));
	else
		snprintf(buf, size, "%s/%s", kv_dtype_name(t.k), kv_dtype_name(t.v));
}

uint64_t mem_row_bits(uint64_t elems, KvDtype d)
{
	uint64_t block = kv_dtype_block(d);
	if (block == 0)
		return 0;
	return (elems + block - 1) / block * kv_dtype_block_bits(d);
}

uint64_t mem_elems_per_layer_token(const MemConfig *c)
{
	if (c->attention == MEM_ATTN_MLA)
		return (uint64_t)c->kv_lora_rank + c->qk_rope_head_dim;
	return 2 * (uint64_t)c->n_kv_heads * c->head_dim;
}

uint64_t mem_elems_per_layer_token_mha(const MemConfig *c)
{
	if (c->attention == MEM_ATTN_MLA)
		return (uint64_t)c->n_heads *
		       ((uint64_t)c->qk_nope_head_dim + c->qk_rope_head_dim +
			c->v_head_dim);
	return 2 * (uint64_t)c->n_heads * c->head_dim;
}

uint64_t mem_cell_bits(const MemConfig *c, MemKvType t)
{
	if (c->attention == MEM_ATTN_MLA) /* one latent row, in the K dtype */
		return mem_row_bits(mem_elems_per_layer_token(c), t.k);
	uint64_t row = (uint64_t)c->n_kv_heads * c->head_dim;
	return mem_row_bits(row, t.k) + mem_row_bits(row, t.v);
}

uint64_t mem_cell_bits_mha(const MemConfig *c, MemKvType t)
{
	if (c->attention == MEM_ATTN_MLA)
		return mem_row_bits((uint64_t)c->n_heads *
				    ((uint64_t)c->qk_nope_head_dim + c->qk_rope_head_dim), t.k) +
		       mem_row_bits((uint64_t)c->n_heads * c->v_head_dim, t.v);
	uint64_t row = (uint64_t)c->n_heads * c->head_dim;
	return mem_row_bits(row, t.k) + mem_row_bits(row, t.v);
}

uint64_t mem_layer_tokens(const MemConfig *c, uint64_t ctx)
{
	uint64_t local = ctx < c->window ? ctx : c->window;
	return (uint64_t)c->n_global * ctx + (uint64_t)c->n_local * local;
}

MemPolicy mem_policy_default(void)
{
	return (MemPolicy){ .engine = MEM_ENGINE_EXACT, .block_size = 16,
			    .ubatch = 512, .swa_full = false };
}

const char *mem_engine_name(MemEngine e)
{
	return (unsigned)e < MEM_ENGINE_COUNT ? engine_names[e] : "?";
}

bool mem_engine_parse(const char *s, MemEngine *out)
{
	for (int k = 0; k < MEM_ENGINE_COUNT; k++) {
		if (strcmp(s, engine_names[k]) == 0) {
			*out = (MemEngine)k;
			return true;
		}
	}
	return false;
}

static uint64_t pad_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* vLLM: blocks one sequence holds in a global and in a local layer. */
static void vllm_blocks(uint64_t n, uint64_t w, uint64_t bs, uint64_t *global,
			uint64_t *local)
{
	*global = (n + bs - 1) / bs;
	uint64_t skipped = n + 1 > w ? n + 1 - w : 0; /* tokens wholly before the window */
	*local = *global - skipped / bs;
}

static int overflow(KvError *e)
{
	return kv_error_set(e, EX_USAGE,
			    "the cache is too large to count in 64 bits; use a smaller --batch or --context");
}

int mem_engine_cells(const MemConfig *c, const MemPolicy *p, uint64_t ctx,
		     uint64_t batch, uint64_t *global, uint64_t *local,
		     KvError *e)
{
	uint64_t w = c->n_local ? c->window : ctx, g = 0, l = 0, all = 0;
	switch (p ? p->engine : MEM_ENGINE_EXACT) {
	case MEM_ENGINE_VLLM: {
		uint64_t bs = p->block_size ? p->block_size : 1, gb, lb;
		vllm_blocks(ctx, w, bs, &gb, &lb);
		g = gb * bs;
		l = lb * bs;
		break;
	}
	case MEM_ENGINE_LLAMACPP: {
		if (__builtin_mul_overflow(batch, ctx, &all) || all > UINT64_MAX / 2)
			return overflow(e);
		uint64_t wb;
		*global = pad_up(all, MEM_LLAMACPP_PAD);
		if (__builtin_mul_overflow(w, batch, &wb) || wb > UINT64_MAX / 2)
			return overflow(e);
		*local = p->swa_full ? *global
				     : min_u64(*global, pad_up(wb + p->ubatch, MEM_LLAMACPP_PAD));
		return 0;
	}
	case MEM_ENGINE_HF:
		g = ctx;
		l = min_u64(ctx, w > 1 ? w - 1 : 1);
		break;
	case MEM_ENGINE_EXACT:
	case MEM_ENGINE_COUNT:
		g = ctx;
		l = min_u64(ctx, w);
		break;
	}
	if (__builtin_mul_overflow(g, batch, global) ||
	    __builtin_mul_overflow(l, batch, local))
		return overflow(e);
	return 0;
}

int mem_bytes(uint64_t cells, uint64_t cell_bits, uint64_t *out, KvError *e)
{
	uint64_t bits;
	if (__builtin_mul_overflow(cells, cell_bits, &bits))
		return overflow(e);
	*out = bits / 8 + (bits % 8 != 0);
	return 0;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

uint32_t mem_saving_bp(uint64_t num, uint64_t den)
{
	if (den == 0 || num >= den)
		return 0; /* no saving; the loader refuses configs where num > den */
	uint64_t diff = den - num;
	uint64_t g = gcd_u64(diff, den);
	if (g > 1) {
		diff /= g;
		den /= g;
	}
	/* Too large to scale by 10000 exactly: drop low bits from both. The
	 * ratio then moves by less than 2^-40, far below 0.005 %. */
	while (diff > UINT64_MAX / 10000 || den > UINT64_MAX / 2) {
		diff >>= 1;
		den >>= 1;
	}
	uint64_t scaled = diff * 10000;
	uint64_t q = scaled / den, r = scaled % den;
	return (uint32_t)(q + (2 * r >= den));
}

/* cells = batch × per-sequence count, checked. */
static int batch_cells(uint64_t batch, uint64_t per_seq, uint64_t *out, KvError *e)
{
	if (__builtin_mul_overflow(batch, per_seq, out))
		return overflow(e);
	return 0;
}

static int engine_totals(const MemConfig *c, const MemPolicy *p,
			 uint64_t cell_bits, MemTotals *out, KvError *e)
{
	uint64_t a, b;
	if (mem_engine_cells(c, p, out->context, out->batch, &out->engine_global,
			     &out->engine_local, e))
		return e->code;
	if (__builtin_mul_overflow(out->engine_global, (uint64_t)c->n_global, &a) ||
	    __builtin_mul_overflow(out->engine_local, (uint64_t)c->n_local, &b) ||
	    __builtin_add_overflow(a, b, &out->engine_layer_tokens))
		return overflow(e);
	return mem_bytes(out->engine_layer_tokens, cell_bits, &out->engine_bytes, e);
}

int mem_totals(const MemConfig *c, uint64_t ctx, uint64_t batch, MemKvType t,
	       const MemPolicy *p, MemTotals *out, KvError *e)
{
	if (ctx < 1 || ctx > MEM_CONTEXT_MAX)
		return kv_error_set(e, EX_USAGE,
				    "context %llu is out of range: expected 1 to 2147483648 (2^31) tokens",
				    (unsigned long long)ctx);
	if (batch < 1)
		return kv_error_set(e, EX_USAGE, "batch must be at least 1");
	memset(out, 0, sizeof *out);
	out->context = ctx;
	out->batch = batch;
	out->layer_tokens = mem_layer_tokens(c, ctx);
	out->layer_tokens_all_global = (uint64_t)c->n_layers * ctx;
	uint64_t bits = mem_cell_bits(c, t), bits_mha = mem_cell_bits_mha(c, t);
	uint64_t cells, cells_all, x;
	if (batch_cells(batch, out->layer_tokens, &cells, e) ||
	    batch_cells(batch, out->layer_tokens_all_global, &cells_all, e) ||
	    mem_bytes(cells, bits, &out->bytes, e) ||
	    mem_bytes(cells_all, bits, &out->bytes_all_global, e) ||
	    mem_bytes(cells, bits_mha, &out->bytes_mha, e) ||
	    mem_bytes(cells_all, bits_mha, &x, e) ||
	    engine_totals(c, p, bits, out, e))
		return e->code;
	out->saving_all_global_bp = mem_saving_bp(out->bytes, out->bytes_all_global);
	out->saving_mha_bp = mem_saving_bp(out->bytes, out->bytes_mha);
	return 0;
}

/* Bytes of one layer keeping tokens lo..ctx. */
static uint64_t kivi_layer(const MemConfig *c, int lo, int ctx,
			   const KvQuant *q, unsigned scalar_bytes)
{
	int hd = (int)c->head_dim;
	return kv_quant_bytes((uint64_t)c->n_kv_heads *
			      kv_quant_bits(q, lo, ctx, hd, hd,
					    (int)scalar_bytes));
}

int mem_kivi_bytes(const MemConfig *c, uint64_t ctx, uint64_t batch,
		   const KvQuant *q, unsigned scalar_bytes, uint64_t *out,
		   KvError *e)
{
	if (c->attention != MEM_ATTN_GQA)
		return kv_error_set(e, EX_USAGE,
				    "%s: --kv-quant counts K and V heads; an mla cache has none",
				    c->id);
	if (ctx > INT_MAX)
		return kv_error_set(e, EX_USAGE,
				    "--kv-quant: a context of at most %d tokens",
				    INT_MAX);
	int n = (int)ctx;
	int keep = c->n_local && c->window < ctx ? (int)c->window : n;
	uint64_t g = kivi_layer(c, 1, n, q, scalar_bytes);
	uint64_t l = c->n_local ? kivi_layer(c, n - keep + 1, n, q,
					     scalar_bytes) : 0;
	uint64_t a, b, sum;
	if (__builtin_mul_overflow(g, (uint64_t)c->n_global, &a) ||
	    __builtin_mul_overflow(l, (uint64_t)c->n_local, &b) ||
	    __builtin_add_overflow(a, b, &sum) ||
	    __builtin_mul_overflow(sum, batch, out))
		return kv_error_set(e, EX_DATAERR,
				    "%s: the quantised cache's bytes do not fit 64 bits",
				    c->id);
	return 0;
}
