/*
 * config.json reader: json-c builds the object tree, then each key is read
 * by name with its range checked, so every message names the file and key.
 * json-c reports a syntax error by byte offset; we turn it into line:col.
 */
#include "mem_json.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { JSON_DEPTH = 32, JSON_MAX_BYTES = 1 << 20 };

typedef struct Reader {
	const char *name;   /* file name for messages */
	const char *prefix; /* "" or "text_config." */
	json_object *cfg;   /* where the architecture keys are */
	json_object *root;
	MemConfig *out;
	KvError *e;
} Reader;

int mem_json_sniff(const char *text, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && strchr(" \t\r\n", text[i]) && text[i])
		i++;
	return i < len && text[i] == '{';
}

/* Line and column (1-based) of byte `off`. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

/* The value of `key` in obj, or NULL when absent or null. */
static json_object *get(json_object *obj, const char *key)
{
	json_object *v = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v; /* json-c represents null as NULL */
}

/* Up to 40 bytes of the value as JSON text, for messages. */
static void show(json_object *v, char *buf, size_t size)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	snprintf(buf, size, "%.40s%s", s ? s : "?", s && strlen(s) > 40 ? "..." : "");
}

/*
 * Reads whole number `key` of `obj` into *out, in [lo, hi]. An absent key
 * returns 1 (and sets nothing) unless `need`; a bad value fails.
 */
static int get_uint(Reader *r, json_object *obj, const char *prefix,
		    const char *key, uint64_t lo, uint64_t hi, bool need,
		    uint64_t *out)
{
	json_object *v = get(obj, key);
	char shown[48];
	if (!v) {
		if (need)
			return -kv_error_set(r->e, EX_DATAERR,
					     "%s: expected key %s%s, a whole number from %" PRIu64 " to %" PRIu64,
					     r->name, prefix, key, lo, hi);
		return 1;
	}
	int64_t x = json_object_get_int64(v);
	if (json_object_get_type(v) != json_type_int || x < 0 ||
	    (uint64_t)x < lo || (uint64_t)x > hi) {
		show(v, shown, sizeof shown);
		return -kv_error_set(r->e, EX_DATAERR,
				     "%s: %s%s: expected a whole number from %" PRIu64 " to %" PRIu64 ", found %s",
				     r->name, prefix, key, lo, hi, shown);
	}
	*out = (uint64_t)x;
	return 0;
}

/* As get_uint on the architecture object, into a uint32_t. */
static int arch_uint(Reader *r, const char *key, uint64_t lo, uint64_t hi,
		     bool need, uint32_t *out)
{
	uint64_t v = 0;
	int rc = get_uint(r, r->cfg, r->prefix, key, lo, hi, need, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int fail(Reader *r, const char *key, const char *what)
{
	return kv_error_set(r->e, EX_DATAERR, "%s: %s%s: %s", r->name, r->prefix,
			    key, what);
}

/* "dir/llama/config.json" -> "llama"; "x/gemma.json" -> "gemma". */
static int json_set_id(const char *name, MemConfig *c, KvError *e)
{
	const char *base = strrchr(name, '/');
	const char *start = base ? base + 1 : name;
	size_t n = strlen(start);
	if (n > 5 && strcmp(start + n - 5, ".json") == 0)
		n -= 5;
	if (n == 6 && strncmp(start, "config", 6) == 0 && base && base > name) {
		const char *dir = base;
		while (dir > name && dir[-1] != '/')
			dir--;
		start = dir;
		n = (size_t)(base - dir);
	}
	if (n == 0 || n >= sizeof c->id)
		return kv_error_set(e, EX_DATAERR,
				    "%s: expected a file or directory name of 1 to %zu characters",
				    name, sizeof c->id - 1);
	memcpy(c->id, start, n);
	c->id[n] = '\0';
	return 0;
}

static void set_names(Reader *r)
{
	json_object *v = get(r->root, "_name_or_path");
	const char *s = v && json_object_is_type(v, json_type_string)
				? json_object_get_string(v) : "";
	snprintf(r->out->name, sizeof r->out->name, "%s", s[0] ? s : r->out->id);
	snprintf(r->out->source, sizeof r->out->source, "%s", r->name);
}

static int read_heads(Reader *r)
{
	MemConfig *c = r->out;
	uint64_t hidden = 0;
	if (arch_uint(r, "num_hidden_layers", 1, MEM_LAYERS_MAX, true, &c->n_layers) < 0 ||
	    arch_uint(r, "num_attention_heads", 1, MEM_HEADS_MAX, true, &c->n_heads) < 0)
		return r->e->code;
	if (get(r->cfg, "kv_lora_rank")) {
		c->attention = MEM_ATTN_MLA;
		if (arch_uint(r, "kv_lora_rank", 1, MEM_DIM_MAX, true, &c->kv_lora_rank) < 0 ||
		    arch_uint(r, "qk_rope_head_dim", 1, MEM_DIM_MAX, true, &c->qk_rope_head_dim) < 0 ||
		    arch_uint(r, "qk_nope_head_dim", 1, MEM_DIM_MAX, true, &c->qk_nope_head_dim) < 0 ||
		    arch_uint(r, "v_head_dim", 1, MEM_DIM_MAX, true, &c->v_head_dim) < 0)
			return r->e->code;
		uint64_t latent = (uint64_t)c->kv_lora_rank + c->qk_rope_head_dim;
		uint64_t heads = (uint64_t)c->n_heads * ((uint64_t)c->qk_nope_head_dim +
							 c->qk_rope_head_dim + c->v_head_dim);
		if (latent > heads)
			return fail(r, "kv_lora_rank",
				    "kv_lora_rank + qk_rope_head_dim is larger than the per-head K and V it replaces");
		return 0;
	}
	c->attention = MEM_ATTN_GQA;
	c->n_kv_heads = c->n_heads;
	if (arch_uint(r, "num_key_value_heads", 1, MEM_HEADS_MAX, false, &c->n_kv_heads) < 0)
		return r->e->code;
	if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
		return fail(r, "num_key_value_heads",
			    "expected a divisor of num_attention_heads");
	int rc = arch_uint(r, "head_dim", 1, MEM_DIM_MAX, false, &c->head_dim);
	if (rc < 0)
		return r->e->code;
	if (rc == 0)
		return 0;
	/* No head_dim: hidden_size / num_attention_heads, as transformers does. */
	if (get_uint(r, r->cfg, r->prefix, "hidden_size", 1,
		     (uint64_t)MEM_DIM_MAX * MEM_HEADS_MAX, true, &hidden) < 0)
		return r->e->code;
	if (hidden % c->n_heads != 0 || hidden / c->n_heads > MEM_DIM_MAX)
		return fail(r, "hidden_size",
			    "expected a multiple of num_attention_heads (head_dim is absent, so it is hidden_size / num_attention_heads)");
	c->head_dim = (uint32_t)(hidden / c->n_heads);
	return 0;
}

/* Smallest p with types[i] == types[i % p] for every layer. */
static size_t pattern_period(const char *types, size_t n)
{
	for (size_t p = 1; p < n; p++) {
		size_t i = p;
		while (i < n && types[i] == types[i % p])
			i++;
		if (i == n)
			return p;
	}
	return n;
}

static int read_layer_types(Reader *r, json_object *arr)
{
	MemConfig *c = r->out;
	char types[MEM_LAYERS_MAX + 1];
	if (!json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != c->n_layers)
		return fail(r, "layer_types",
			    "expected an array with one entry per layer (num_hidden_layers)");
	for (size_t i = 0; i < c->n_layers; i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		const char *s = t && json_object_is_type(t, json_type_string)
					? json_object_get_string(t) : "";
		if (strcmp(s, "sliding_attention") == 0)
			types[i] = 'L';
		else if (strcmp(s, "full_attention") == 0)
			types[i] = 'G';
		else {
			char shown[48], what[160];
			show(t, shown, sizeof shown);
			snprintf(what, sizeof what,
				 "entry %zu: expected \"sliding_attention\" or \"full_attention\", found %s",
				 i + 1, shown);
			return fail(r, "layer_types", what);
		}
	}
	size_t p = pattern_period(types, c->n_layers);
	memcpy(c->pattern, types, p);
	c->pattern[p] = '\0';
	return 0;
}

/* "LLLLLG" for N = 6: every Nth layer global. */
static void pattern_every(MemConfig *c, uint64_t n)
{
	for (uint64_t i = 0; i + 1 < n; i++)
		c->pattern[i] = 'L';
	c->pattern[n - 1] = 'G';
	c->pattern[n] = '\0';
}

/* The model_type's default sliding_window_pattern, or 0. */
static uint64_t default_pattern(Reader *r)
{
	json_object *t = get(r->cfg, "model_type");
	const char *s = t && json_object_is_type(t, json_type_string)
				? json_object_get_string(t) : "";
	if (strcmp(s, "gemma3_text") == 0 || strcmp(s, "gemma3") == 0)
		return 6;
	if (strcmp(s, "gemma2") == 0)
		return 2;
	return 0;
}

static int read_layers(Reader *r)
{
	MemConfig *c = r->out;
	json_object *use = get(r->cfg, "use_sliding_window");
	json_object *types = get(r->cfg, "layer_types");
	uint64_t n = 0;
	strcpy(c->pattern, "G");
	if (use && !json_object_is_type(use, json_type_boolean))
		return fail(r, "use_sliding_window", "expected true or false");
	if (use && !json_object_get_boolean(use) && !types)
		return 0; /* Qwen2 and others: a window is given but not used */
	int rc = arch_uint(r, "sliding_window", 1, MEM_CONTEXT_MAX - 1, false, &c->window);
	if (rc < 0)
		return r->e->code;
	if (types) {
		if (read_layer_types(r, types))
			return r->e->code;
	} else if (rc == 0) {
		rc = get_uint(r, r->cfg, r->prefix, "sliding_window_pattern", 1,
			      c->n_layers, false, &n);
		if (rc < 0)
			return r->e->code;
		if (rc == 1)
			n = default_pattern(r);
		if (n > 0)
			pattern_every(c, n);
		else
			strcpy(c->pattern, "L"); /* Mistral: every layer slides */
	}
	c->n_global = c->n_local = 0;
	size_t plen = strlen(c->pattern);
	for (uint32_t i = 0; i < c->n_layers; i++) {
		if (c->pattern[i % plen] == 'L')
			c->n_local++;
		else
			c->n_global++;
	}
	if (c->n_local > 0 && c->window == 0)
		return fail(r, "sliding_window",
			    "expected a window: layer_types has sliding_attention layers");
	if (c->n_local == 0)
		c->window = 0;
	return 0;
}

/* True (with a note) when the config has experts, which we do not count. */
static bool has_experts(Reader *r)
{
	static const char *const keys[] = {
		"num_local_experts", "n_routed_experts", "num_experts",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_object *v = get(r->cfg, keys[i]);
		if (v && json_object_get_type(v) == json_type_int &&
		    json_object_get_int64(v) > 0) {
			snprintf(r->out->weight_note, sizeof r->out->weight_note,
				 "not estimated: a mixture of experts (%s)", keys[i]);
			return true;
		}
	}
	return false;
}

/* Bits a weight takes, from torch_dtype (or dtype); 16 when absent. */
static uint32_t weight_bits(Reader *r)
{
	static const char *const keys[] = { "torch_dtype", "dtype" };
	for (size_t i = 0; i < 2; i++) {
		json_object *v = get(r->cfg, keys[i]);
		if (!v)
			v = get(r->root, keys[i]);
		const char *s = v && json_object_is_type(v, json_type_string)
					? json_object_get_string(v) : NULL;
		if (s && strcmp(s, "float32") == 0)
			return 32;
		if (s)
			return 16;
	}
	return 16;
}

/* Estimates the parameter count of a dense model; leaves 0 and a note if not. */
static void read_weights(Reader *r)
{
	MemConfig *c = r->out;
	uint64_t vocab = 0, hidden = 0, inter = 0;
	KvError quiet;
	KvError *keep = r->e;
	kv_error_clear(&quiet);
	r->e = &quiet; /* a missing weight key is not an error: no estimate */
	if (c->attention == MEM_ATTN_MLA) {
		snprintf(c->weight_note, sizeof c->weight_note,
			 "not estimated: MLA projections are not counted");
	} else if (!has_experts(r) &&
		   (get_uint(r, r->cfg, r->prefix, "vocab_size", 1, UINT32_MAX, true, &vocab) ||
		    get_uint(r, r->cfg, r->prefix, "hidden_size", 1, UINT32_MAX, true, &hidden) ||
		    get_uint(r, r->cfg, r->prefix, "intermediate_size", 1, UINT32_MAX, true, &inter))) {
		snprintf(c->weight_note, sizeof c->weight_note,
			 "not estimated: vocab_size, hidden_size or intermediate_size is missing");
	} else if (c->weight_note[0] == '\0') {
		json_object *tie = get(r->cfg, "tie_word_embeddings");
		if (!tie)
			tie = get(r->root, "tie_word_embeddings");
		bool tied = !tie || json_object_get_boolean(tie);
		uint64_t q = (uint64_t)c->n_heads * c->head_dim;
		uint64_t kv = (uint64_t)c->n_kv_heads * c->head_dim;
		uint64_t layer = hidden * (2 * q + 2 * kv) + 3 * hidden * inter + 2 * hidden;
		c->n_params = vocab * hidden * (tied ? 1 : 2) + c->n_layers * layer + hidden;
		c->weight_bits = weight_bits(r);
		snprintf(c->weight_note, sizeof c->weight_note,
			 "estimated from %sconfig.json%s", r->prefix[0] ? "the text_config of " : "",
			 tied ? ", embeddings tied" : "");
	}
	r->e = keep;
}

/* Parses the text; *root is the tree (to be put) or NULL with an error. */
static int parse_text(const char *name, const char *text, size_t len,
		      json_object **root, KvError *e)
{
	int line, col;
	const char *nul = memchr(text, '\0', len);
	*root = NULL;
	if (nul) {
		line_col(text, (size_t)(nul - text), &line, &col);
		return kv_error_set(e, EX_DATAERR, "%s:%d:%d: expected text, found a NUL byte",
				    name, line, col);
	}
	if (len > JSON_MAX_BYTES)
		return kv_error_set(e, EX_DATAERR, "%s: expected at most %d bytes", name,
				    JSON_MAX_BYTES);
	json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return kv_error_set(e, EX_OSERR, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error err = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!obj || err != json_tokener_success) {
		json_object_put(obj);
		line_col(text, end, &line, &col);
		return kv_error_set(e, EX_DATAERR, "%s:%d:%d: JSON: %s", name, line, col,
				    err == json_tokener_continue
					    ? "the text ends inside a value"
					    : json_tokener_error_desc(err));
	}
	while (end < len && strchr(" \t\r\n", text[end]))
		end++;
	if (end < len || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		line_col(text, end < len ? end : 0, &line, &col);
		return kv_error_set(e, EX_DATAERR, "%s:%d:%d: JSON: expected one object {...} and nothing after it",
				    name, line, col);
	}
	*root = obj;
	return 0;
}

int mem_json_load(const char *name, const char *text, size_t len,
		  MemConfig *out, KvError *e)
{
	memset(out, 0, sizeof *out);
	if (json_set_id(name, out, e))
		return e->code;
	size_t skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	json_object *root;
	if (parse_text(name, text + skip, len - skip, &root, e))
		return e->code;
	Reader r = { .name = name, .prefix = "", .cfg = root, .root = root,
		     .out = out, .e = e };
	json_object *tc = get(root, "text_config");
	if (tc && json_object_is_type(tc, json_type_object)) {
		r.cfg = tc;
		r.prefix = "text_config.";
	} else if (tc) {
		kv_error_set(e, EX_DATAERR, "%s: text_config: expected an object", name);
	}
	if (e->code == 0) {
		set_names(&r);
		if (read_heads(&r) == 0 && read_layers(&r) == 0)
			read_weights(&r);
	}
	json_object_put(root);
	return e->code;
}
