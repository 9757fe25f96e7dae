#ifndef KVSTEP_MEM_CONFIG_H
#define KVSTEP_MEM_CONFIG_H
/*
 * The attention shape of a real, published model: just enough to count the
 * bytes its KV cache holds. Loaded from data/models/<id>.ini, whose keys use
 * the names of the Hugging Face config.json so a student can compare them.
 *
 *   [model]
 *   name                = Gemma 3 27B
 *   source              = https://huggingface.co/google/gemma-3-27b-pt
 *   attention           = gqa        ; gqa (MHA and MQA included) | mla
 *   num_hidden_layers   = 62
 *   num_attention_heads = 32
 *   num_key_value_heads = 16         ; gqa only
 *   head_dim            = 128        ; gqa only
 *   layer_pattern       = LLLLLG     ; L local, G global; repeats from layer 1
 *   sliding_window      = 1024       ; tokens a local layer keeps
 *
 * MLA (DeepSeek-V2/V3) caches a compressed latent instead of K and V:
 *   kv_lora_rank, qk_rope_head_dim      what the cache holds per layer-token
 *   qk_nope_head_dim, v_head_dim        the per-head K and V it is expanded to
 */
#include <stddef.h>
#include <stdint.h>

#include "kv_error.h"

enum {
	MEM_ID_MAX = 64,        /* bytes in an id, with the NUL */
	MEM_NAME_MAX = 64,      /* bytes in a display name, with the NUL */
	MEM_SOURCE_MAX = 192,   /* bytes in a source line, with the NUL */
	MEM_PATTERN_MAX = 128,  /* letters in layer_pattern */
	MEM_LAYERS_MAX = 1024,
	MEM_HEADS_MAX = 1024,
	MEM_DIM_MAX = 65536,    /* head_dim and MLA widths */
};

#define MEM_CONTEXT_MAX ((uint64_t)1 << 31) /* longest context, in tokens */

typedef enum MemAttention {
	MEM_ATTN_GQA, /* K and V per KV head; MHA is n_kv_heads = n_heads */
	MEM_ATTN_MLA, /* one latent plus one shared RoPE key per layer */
} MemAttention;

typedef struct MemConfig {
	char id[MEM_ID_MAX];         /* file name without ".ini" */
	char name[MEM_NAME_MAX];     /* "Gemma 3 27B" */
	char source[MEM_SOURCE_MAX]; /* where the figures come from */
	MemAttention attention;
	uint32_t n_layers;           /* num_hidden_layers */
	uint32_t n_global;           /* layers that keep every token */
	uint32_t n_local;            /* layers that keep min(context, window) */
	uint32_t window;             /* sliding_window; 0 when n_local == 0 */
	char pattern[MEM_LAYERS_MAX + 1]; /* "LLLLLG"; layer i is pattern[i % len] */
	uint32_t n_heads;            /* num_attention_heads (query heads) */
	uint32_t n_kv_heads;         /* gqa: num_key_value_heads; mla: 0 */
	uint32_t head_dim;           /* gqa: width of one K or V head; mla: 0 */
	uint32_t kv_lora_rank;       /* mla: latent width (d_c) */
	uint32_t qk_rope_head_dim;   /* mla: shared RoPE key width (d_h^R) */
	uint32_t qk_nope_head_dim;   /* mla: per-head K width without RoPE */
	uint32_t v_head_dim;         /* mla: per-head V width */
	/* Weights, when a config.json gives enough to estimate them (see
	 * mem_json.h); 0 when unknown. */
	uint64_t n_params;           /* estimated parameter count */
	uint32_t weight_bits;        /* bits a parameter, from torch_dtype */
	char weight_note[96];        /* why n_params is 0, or how it was found */
} MemConfig;

/*
 * Parses one model file held in memory.
 *
 *   name  file name used in messages and to derive the id: its base name
 *         without ".ini" ("data/models/gemma-3-27b.ini" -> "gemma-3-27b")
 *   text  `len` bytes of INI text; need not end with a NUL
 *   out   filled on success; unspecified on error
 *
 * Read with the core's INI reader (ini_doc.h). Returns 0, or EX_DATAERR
 * with e->msg = "name:line: what was expected": a line longer than the
 * parser's buffer, a NUL byte, a syntax error, an
 * unknown section or key, a key given twice, a number out of range, a key
 * missing or one that does not fit the attention kind. Pure: no I/O, no
 * globals, so it can be fuzzed.
 */
int mem_config_load(const char *name, const char *text, size_t len,
		    MemConfig *out, KvError *e);

#endif
