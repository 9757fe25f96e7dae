#ifndef KVSTEP_MEM_JSON_H
#define KVSTEP_MEM_JSON_H
/*
 * A Hugging Face config.json read into the attention shape of mem_config.h,
 * with json-c in strict mode (RFC 8259: no comments, no trailing commas).
 *
 * Keys read (from "text_config" when the file has one, as Gemma 3 does):
 *   num_hidden_layers, num_attention_heads
 *   num_key_value_heads        default num_attention_heads
 *   head_dim                   default hidden_size / num_attention_heads
 *   sliding_window             absent or null: every layer global
 *   use_sliding_window: false  every layer global (Qwen2)
 *   layer_types                "sliding_attention" / "full_attention" per layer
 *   sliding_window_pattern N   every Nth layer global (Gemma 3)
 *     neither: model_type gemma3/gemma3_text means N = 6, gemma2 N = 2;
 *     any other model with a sliding_window has every layer local (Mistral)
 *   kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim   MLA
 *
 * Weights (an estimate, dense models only; see docs/mem.md): vocab_size,
 * hidden_size, intermediate_size, tie_word_embeddings (default true, as in
 * transformers), torch_dtype or dtype (default bfloat16):
 *   params = vocab × hidden × (tied ? 1 : 2)
 *          + layers × (hidden × (q + 2 kv + q) + 3 × hidden × intermediate
 *                      + 2 × hidden) + hidden
 *   with q = num_attention_heads × head_dim, kv = num_key_value_heads ×
 *   head_dim. A mixture of experts or MLA leaves n_params 0 with a note.
 */
#include <stddef.h>

#include "kv_error.h"
#include "mem_config.h"

/*
 * Parses `len` bytes of JSON text from file `name`. The id is the file's
 * base name without ".json", or its directory's name for "config.json".
 * Returns 0, or EX_DATAERR with "name:line:col: ..." for a syntax error and
 * "name: key: what was expected" for a missing or bad key (nested keys as
 * "text_config.head_dim"). Pure: no I/O and no globals, so it can be fuzzed.
 */
int mem_json_load(const char *name, const char *text, size_t len,
		  MemConfig *out, KvError *e);

/* True when the text looks like JSON: its first non-blank byte is '{'. */
int mem_json_sniff(const char *text, size_t len);

#endif
