#ifndef KVSTEP_KV_TYPES_H
#define KVSTEP_KV_TYPES_H
/* Names shared by the engine, the trace and the views. */
#include <stdbool.h>

/* The three ways of running the same prompt, in display order. */
typedef enum Mode {
	MODE_NOCACHE, /* every pass recomputes positions 1..t */
	MODE_CACHE,   /* every pass computes position t, reuses stored K, V */
	MODE_PREFILL, /* pass 1 covers the prompt, then as MODE_CACHE */
	MODE_COUNT
} Mode;

/* The matrices a pass produces, in worksheet orientation. */
typedef enum Matrix {
	MAT_X,      /* (d_model, t) token columns */
	MAT_Q,      /* (d_k, t) */
	MAT_K,      /* (d_k, t) */
	MAT_V,      /* (d_v, t) */
	MAT_S,      /* (t, t) rows are keys, columns are queries */
	MAT_A,      /* (t, t) softmax down each column */
	MAT_Z,      /* (d_v, t) */
	MAT_LOGITS, /* (vocab, 1) per position; column = position */
	MAT_H,      /* (d_model, t) layer output x + W_O·concat(z); stacked only */
	MAT_KQ,     /* (d_k, t) K as a quantised cache reads it back
		       (--kv-quant; kv_quant.h) */
	MAT_VQ,     /* (d_v, t) V as a quantised cache reads it back */
	MAT_QR,     /* (d_k, t) q before the rotation; RoPE models only (rope.h) */
	MAT_KR,     /* (d_k, t) k before the rotation; RoPE models only */
	MAT_COUNT
} Matrix;

typedef enum CellStatus {
	CELL_ABSENT,     /* the mode does not hold this cell at this step */
	CELL_COMPUTED,   /* first computed by this pass */
	CELL_REUSED,     /* read from the KV cache, stored by an earlier pass */
	CELL_RECOMPUTED, /* an earlier pass already computed the same value */
	CELL_MASKED,     /* causal mask or outside the window; never computed */
	CELL_EVICTED,    /* fell out of a sliding window's ring buffer */
	CELL_SHIFTED,    /* a cached key re-rotated by a context shift (rope.h) */
	CELL_STATUS_COUNT
} CellStatus;

/*
 * Element types of a K/V cache: one table for the teaching engine's --dtype
 * (whole-byte types only, see kv_dtype_bytes) and `kvstep mem` (all). A
 * block-quantised type stores `block` values with one fp16 scale.
 */
typedef enum KvDtype {
	KV_DTYPE_FP32,
	KV_DTYPE_FP16,
	KV_DTYPE_BF16,
	KV_DTYPE_FP8,
	KV_DTYPE_INT4,
	KV_DTYPE_Q8_0, /* 32 int8 values + one fp16 scale: 34 bytes per 32 */
	KV_DTYPE_Q4_0, /* 32 4-bit values + one fp16 scale: 18 bytes per 32 */
	KV_DTYPE_COUNT,
} KvDtype;

/* "nocache", "cache", "prefill": the CSV and CLI spelling. */
const char *mode_name(Mode m);
/* "no cache", "KV cache", "prefill": the title a person reads. */
const char *mode_title(Mode m);
/* "X", "Q", ... "logits", "H", "Kq", "Vq", "Qr", "Kr". */
const char *matrix_name(Matrix m);
/* "computed", "reused", "recomputed", "masked", "evicted", "shifted";
 * "" for CELL_ABSENT. */
const char *cell_status_name(CellStatus s);

/* Parses the spellings above; returns -1 when `s` is none of them. */
int mode_parse(const char *s);
int matrix_parse(const char *s);
int cell_status_parse(const char *s);

/* The dtype's name ("fp16"), or "?" for a bad value. */
const char *kv_dtype_name(KvDtype d);

/* Values a block holds: 1, or 32 for q8_0 and q4_0 (0 for a bad value). */
unsigned kv_dtype_block(KvDtype d);

/* Bits one block takes: 32, 16, 16, 8, 4, 272 or 144 (0 for a bad value). */
unsigned kv_dtype_block_bits(KvDtype d);

/*
 * Bytes one value takes when it takes whole bytes on its own (fp32 4,
 * fp16 and bf16 2, fp8 1); 0 for int4, the block types and a bad value.
 */
unsigned kv_dtype_bytes(KvDtype d);

/* Sets *out from a name ("bf16"); returns false for an unknown name. */
bool kv_dtype_parse(const char *s, KvDtype *out);

#endif
