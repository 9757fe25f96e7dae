#include "mem_calc.h"

#include <string.h>

static const struct {
	const char *name;
	unsigned bits;
} dtypes[MEM_DTYPE_COUNT] = {
	[MEM_DTYPE_FP32] = { "fp32", 32 },
	[MEM_DTYPE_FP16] = { "fp16", 16 },
	[MEM_DTYPE_BF16] = { "bf16", 16 },
	[MEM_DTYPE_FP8] = { "fp8", 8 },
	[MEM_DTYPE_INT4] = { "int4", 4 },
};

const char *mem_dtype_name(MemDtype d)
{
	return (unsigned)d < MEM_DTYPE_COUNT ? dtypes[d].name : "?";
}

unsigned mem_dtype_bits(MemDtype d)
{
	return (unsigned)d < MEM_DTYPE_COUNT ? dtypes[d].bits : 0;
}

bool mem_dtype_parse(const char *s, MemDtype *out)
{
	for (int d = 0; d < MEM_DTYPE_COUNT; d++) {
		if (strcmp(s, dtypes[d].name) == 0) {
			*out = (MemDtype)d;
			return true;
		}
	}
	return false;
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

uint64_t mem_layer_tokens(const MemConfig *c, uint64_t ctx)
{
	uint64_t local = ctx < c->window ? ctx : c->window;
	return (uint64_t)c->n_global * ctx + (uint64_t)c->n_local * local;
}

int mem_bytes(uint64_t batch, uint64_t layer_tokens, uint64_t elems,
	      MemDtype d, uint64_t *out, KvError *e)
{
	uint64_t bits;
	if (__builtin_mul_overflow(batch, layer_tokens, &bits) ||
	    __builtin_mul_overflow(bits, elems, &bits) ||
	    __builtin_mul_overflow(bits, (uint64_t)mem_dtype_bits(d), &bits))
		return kv_error_set(e, EX_USAGE,
				    "the cache is too large to count in 64 bits; use a smaller --batch or --context");
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

int mem_totals(const MemConfig *c, uint64_t ctx, uint64_t batch, MemDtype d,
	       MemTotals *out, KvError *e)
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
	uint64_t elems = mem_elems_per_layer_token(c);
	uint64_t elems_mha = mem_elems_per_layer_token_mha(c);
	if (mem_bytes(batch, out->layer_tokens, elems, d, &out->bytes, e) ||
	    mem_bytes(batch, out->layer_tokens_all_global, elems, d,
		      &out->bytes_all_global, e) ||
	    mem_bytes(batch, out->layer_tokens, elems_mha, d, &out->bytes_mha, e))
		return e->code;
	out->saving_all_global_bp = mem_saving_bp(out->bytes, out->bytes_all_global);
	out->saving_mha_bp = mem_saving_bp(out->bytes, out->bytes_mha);
	return 0;
}
