/*
 * Model files for `kvstep mem`, read with the core's INI reader (ini_doc.h:
 * libinih behind a line reader that refuses long lines with their real
 * number), then validated entry by entry so every message names its line.
 */
#include "mem_config.h"

#include "ini_doc.h"
#include <stdbool.h>
#include <string.h>

typedef enum KeyId {
	K_NAME,
	K_SOURCE,
	K_ATTENTION,
	K_LAYERS,
	K_HEADS,
	K_KV_HEADS,
	K_HEAD_DIM,
	K_PATTERN,
	K_WINDOW,
	K_LORA,
	K_ROPE,
	K_NOPE,
	K_V_DIM,
	K_COUNT,
} KeyId;

/* Key names, in the order of KeyId; the HF config.json spelling. */
static const char *const key_names[K_COUNT] = {
	"name",
	"source",
	"attention",
	"num_hidden_layers",
	"num_attention_heads",
	"num_key_value_heads",
	"head_dim",
	"layer_pattern",
	"sliding_window",
	"kv_lora_rank",
	"qk_rope_head_dim",
	"qk_nope_head_dim",
	"v_head_dim",
};

typedef struct Loader {
	const char *name;     /* file name for messages */
	int line;             /* line of the entry being stored */
	int last_line;        /* lines in the file */
	int key_line[K_COUNT]; /* line each key was given on; 0 = absent */
	MemConfig *cfg;
	KvError *e;
} Loader;

enum {
	LINE_MAX_BYTES = 198,       /* the core reader's limit (ini_doc.h) */
	FILE_MAX_BYTES = 1 << 20,
};

static int key_find(const char *key)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(key, key_names[k]) == 0)
			return k;
	return -1;
}

/* Parses a whole number in [lo, hi]; digits only, no sign, no spaces. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int set_string(Loader *ld, KeyId k, const char *value, char *dst,
		      size_t cap)
{
	size_t n = strlen(value);
	if (n == 0 || n >= cap)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: %s: expected 1 to %zu characters, found %zu",
				    ld->name, ld->line, key_names[k], cap - 1, n);
	memcpy(dst, value, n + 1);
	return 0;
}

static int set_number(Loader *ld, KeyId k, const char *value, uint64_t lo,
		      uint64_t hi, uint32_t *dst)
{
	uint64_t v = 0;
	if (!parse_u64(value, lo, hi, &v))
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: %s: expected a whole number from %llu to %llu, found '%s'",
				    ld->name, ld->line, key_names[k],
				    (unsigned long long)lo, (unsigned long long)hi, value);
	*dst = (uint32_t)v;
	return 0;
}

static int set_attention(Loader *ld, const char *value)
{
	if (strcmp(value, "gqa") == 0)
		ld->cfg->attention = MEM_ATTN_GQA;
	else if (strcmp(value, "mla") == 0)
		ld->cfg->attention = MEM_ATTN_MLA;
	else
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: attention: expected gqa or mla, found '%s'",
				    ld->name, ld->line, value);
	return 0;
}

static int set_pattern(Loader *ld, const char *value)
{
	size_t n = strlen(value); /* a file's pattern repeats: 128 letters at most */
	if (n == 0 || n > MEM_PATTERN_MAX || strspn(value, "LG") != n)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: layer_pattern: expected 1 to %d letters L (local) or G (global), found '%s'",
				    ld->name, ld->line, MEM_PATTERN_MAX, value);
	memcpy(ld->cfg->pattern, value, n + 1);
	return 0;
}

/* Stores one key's value; returns 0 or the error code. */
static int key_store(Loader *ld, KeyId k, const char *value)
{
	MemConfig *c = ld->cfg;
	switch (k) {
	case K_NAME:
		return set_string(ld, k, value, c->name, sizeof c->name);
	case K_SOURCE:
		return set_string(ld, k, value, c->source, sizeof c->source);
	case K_ATTENTION:
		return set_attention(ld, value);
	case K_LAYERS:
		return set_number(ld, k, value, 1, MEM_LAYERS_MAX, &c->n_layers);
	case K_HEADS:
		return set_number(ld, k, value, 1, MEM_HEADS_MAX, &c->n_heads);
	case K_KV_HEADS:
		return set_number(ld, k, value, 1, MEM_HEADS_MAX, &c->n_kv_heads);
	case K_HEAD_DIM:
		return set_number(ld, k, value, 1, MEM_DIM_MAX, &c->head_dim);
	case K_PATTERN:
		return set_pattern(ld, value);
	case K_WINDOW:
		return set_number(ld, k, value, 1, MEM_CONTEXT_MAX, &c->window);
	case K_LORA:
		return set_number(ld, k, value, 1, MEM_DIM_MAX, &c->kv_lora_rank);
	case K_ROPE:
		return set_number(ld, k, value, 1, MEM_DIM_MAX, &c->qk_rope_head_dim);
	case K_NOPE:
		return set_number(ld, k, value, 1, MEM_DIM_MAX, &c->qk_nope_head_dim);
	case K_V_DIM:
		return set_number(ld, k, value, 1, MEM_DIM_MAX, &c->v_head_dim);
	case K_COUNT:
		break;
	}
	return kv_error_set(ld->e, EX_SOFTWARE, "%s:%d: internal: bad key",
			    ld->name, ld->line);
}

/* One `key = value` entry of section `section`; 0 or the error code. */
static int loader_on_key(Loader *ld, const char *section, const char *key,
			 const char *value)
{
	if (strcmp(section, "model") != 0) {
		if (section[0] == '\0')
			return kv_error_set(ld->e, EX_DATAERR,
					    "%s:%d: expected the section header [model] before '%s'",
					    ld->name, ld->line, key);
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: expected section [model], found [%s]",
				    ld->name, ld->line, section);
	}
	int k = key_find(key);
	if (k < 0)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: unknown key '%s' (expected name, source, attention, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, layer_pattern, sliding_window, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim or v_head_dim)",
				    ld->name, ld->line, key);
	if (ld->key_line[k] != 0)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: %s given twice (first on line %d)",
				    ld->name, ld->line, key, ld->key_line[k]);
	ld->key_line[k] = ld->line;
	return key_store(ld, (KeyId)k, value);
}

/* Fails unless every key in `need` (ending with K_COUNT) was given. */
static int require_keys(Loader *ld, const KeyId *need, const char *why)
{
	for (; *need != K_COUNT; need++)
		if (ld->key_line[*need] == 0)
			return kv_error_set(ld->e, EX_DATAERR,
					    "%s:%d: expected key %s in [model]%s",
					    ld->name, ld->last_line > 0 ? ld->last_line : 1,
					    key_names[*need], why); /* an empty file has line 1 */
	return 0;
}

/* Fails if any key in `ban` (ending with K_COUNT) was given. */
static int forbid_keys(Loader *ld, const KeyId *ban, const char *why)
{
	for (; *ban != K_COUNT; ban++)
		if (ld->key_line[*ban] != 0)
			return kv_error_set(ld->e, EX_DATAERR,
					    "%s:%d: %s does not apply %s",
					    ld->name, ld->key_line[*ban],
					    key_names[*ban], why);
	return 0;
}

static int check_gqa(Loader *ld)
{
	static const KeyId need[] = { K_KV_HEADS, K_HEAD_DIM, K_COUNT };
	static const KeyId ban[] = { K_LORA, K_ROPE, K_NOPE, K_V_DIM, K_COUNT };
	const MemConfig *c = ld->cfg;
	if (require_keys(ld, need, " for attention = gqa") ||
	    forbid_keys(ld, ban, "to attention = gqa"))
		return ld->e->code;
	if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: num_key_value_heads: expected a divisor of num_attention_heads (%u), found %u",
				    ld->name, ld->key_line[K_KV_HEADS],
				    c->n_heads, c->n_kv_heads);
	return 0;
}

static int check_mla(Loader *ld)
{
	static const KeyId need[] = { K_LORA, K_ROPE, K_NOPE, K_V_DIM, K_COUNT };
	static const KeyId ban[] = { K_KV_HEADS, K_HEAD_DIM, K_COUNT };
	if (require_keys(ld, need, " for attention = mla") ||
	    forbid_keys(ld, ban, "to attention = mla (its cache holds a latent, not KV heads)"))
		return ld->e->code;
	/* The savings are shares of the per-head K and V MLA replaces; a
	 * latent larger than those would be a cache that grew, not shrank. */
	const MemConfig *c = ld->cfg;
	uint64_t latent = (uint64_t)c->kv_lora_rank + c->qk_rope_head_dim;
	uint64_t heads = (uint64_t)c->n_heads *
			 ((uint64_t)c->qk_nope_head_dim + c->qk_rope_head_dim +
			  c->v_head_dim);
	if (latent > heads)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: kv_lora_rank + qk_rope_head_dim (%llu) is larger than the per-head K and V it replaces, num_attention_heads x (qk_nope_head_dim + qk_rope_head_dim + v_head_dim) = %llu",
				    ld->name, ld->key_line[K_LORA],
				    (unsigned long long)latent,
				    (unsigned long long)heads);
	return 0;
}

/* Counts global and local layers from the repeating pattern. */
static int check_layers(Loader *ld)
{
	MemConfig *c = ld->cfg;
	size_t plen = strlen(c->pattern);
	if (plen > c->n_layers)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: layer_pattern: expected at most num_hidden_layers (%u) letters, found %zu",
				    ld->name, ld->key_line[K_PATTERN], c->n_layers, plen);
	c->n_global = c->n_local = 0;
	for (uint32_t i = 0; i < c->n_layers; i++) {
		if (c->pattern[i % plen] == 'L')
			c->n_local++;
		else
			c->n_global++;
	}
	if (c->n_local > 0 && ld->key_line[K_WINDOW] == 0)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: expected key sliding_window: layer_pattern has local (L) layers",
				    ld->name, ld->key_line[K_PATTERN]);
	if (c->n_local == 0 && ld->key_line[K_WINDOW] != 0)
		return kv_error_set(ld->e, EX_DATAERR,
				    "%s:%d: sliding_window is given, but layer_pattern has no local (L) layer",
				    ld->name, ld->key_line[K_WINDOW]);
	return 0;
}

static int loader_finish(Loader *ld)
{
	static const KeyId need[] = { K_NAME, K_SOURCE, K_LAYERS, K_HEADS, K_COUNT };
	if (require_keys(ld, need, ""))
		return ld->e->code;
	if (ld->key_line[K_PATTERN] == 0)
		strcpy(ld->cfg->pattern, "G");
	int rc = ld->cfg->attention == MEM_ATTN_MLA ? check_mla(ld) : check_gqa(ld);
	if (rc)
		return rc;
	return check_layers(ld);
}

/* "dir/gemma-3-27b.ini" -> "gemma-3-27b" */
static int config_set_id(const char *name, MemConfig *c, KvError *e)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n == 0 || n >= sizeof c->id)
		return kv_error_set(e, EX_DATAERR,
				    "%s: expected a file name of 1 to %zu characters before .ini",
				    name, sizeof c->id - 1);
	memcpy(c->id, base, n);
	c->id[n] = '\0';
	return 0;
}

/* Validates the entries of a parsed document into ld->cfg. */
static int loader_run(Loader *ld, const IniDoc *doc)
{
	for (int i = 0; i < doc->n_sections; i++)
		if (strcmp(doc->sections[i].name, "model") != 0) {
			ld->line = doc->sections[i].line;
			return kv_error_set(ld->e, EX_DATAERR,
					    "%s:%d: expected section [model], found [%s]",
					    ld->name, ld->line, doc->sections[i].name);
		}
	for (int i = 0; i < doc->n_entries; i++) {
		const IniEntry *en = &doc->entries[i];
		ld->line = en->line;
		if (loader_on_key(ld, en->section, en->key, en->value))
			return ld->e->code;
	}
	return loader_finish(ld);
}

int mem_config_load(const char *name, const char *text, size_t len,
		    MemConfig *out, KvError *e)
{
	memset(out, 0, sizeof *out);
	if (config_set_id(name, out, e))
		return e->code;
	IniDoc doc;
	int rc = ini_doc_parse(&doc, name, text, len, LINE_MAX_BYTES,
			       FILE_MAX_BYTES, e);
	if (rc == 0) {
		Loader ld = { .name = name, .last_line = doc.last_line,
			      .cfg = out, .e = e };
		rc = loader_run(&ld, &doc);
	}
	ini_doc_free(&doc);
	return rc;
}
