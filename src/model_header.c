/*
 * [model]: vocabulary, dimensions, scale, prompt, and the layer structure
 * (layers, heads, K/V heads, sliding windows, attention sinks).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_loader.h"

static const char *const model_keys[MK_COUNT] = {
	"name", "vocab", "d_model", "d_k", "d_v", "scale", "prompt", "generate",
	"n_layers", "n_heads", "n_kv_heads", "windows", "pattern", "window",
	"sink", "sink_tokens", "rope",
};

static int set_vocab(Loader *L, const IniEntry *e)
{
	Model *m = L->m;
	char *copy = strdup(e->value);
	if (!copy)
		return loader_oom(L);
	int rc = 0;
	for (char *save, *w = strtok_r(copy, " \t", &save); w && !rc;
	     w = strtok_r(NULL, " \t", &save)) {
		if (m->vocab_n == KV_MAX_VOCAB)
			rc = loader_fail(L, e->line,
				    "vocab has more than %d tokens",
				    KV_MAX_VOCAB);
		else if (strpbrk(w, "=:") || *w == ';' || *w == '#' || *w == '[')
			rc = loader_fail(L, e->line,
				  "token '%s' cannot be a key in [embedding]: no '=' or ':' in a token, and none may start with ';', '#' or '['",
				  w);
		else if (strlen(w) > KV_MAX_TOKEN_LEN)
			rc = loader_fail(L, e->line,
				  "token '%s' is longer than 31 bytes", w);
		else if (model_token_id(m, w) >= 0)
			rc = loader_fail(L, e->line, "token '%s' appears twice in vocab",
				  w);
		else if (!(m->vocab[m->vocab_n++] = strdup(w)))
			rc = loader_oom(L);
	}
	free(copy);
	if (!rc && m->vocab_n == 0)
		rc = loader_fail(L, e->line, "vocab: expected at least one token");
	return rc;
}

static int set_scale(Loader *L, const IniEntry *e)
{
	if (strcasecmp(e->value, "sqrt") == 0)
		L->m->scale_sqrt = true;
	else if (strcasecmp(e->value, "none") == 0)
		L->m->scale_sqrt = false;
	else
		return loader_fail(L, e->line,
			    "scale: expected `sqrt` or `none`, got '%s'",
			    e->value);
	return 0;
}

static int model_key(const char *key)
{
	for (int k = 0; k < MK_COUNT; k++)
		if (strcasecmp(key, model_keys[k]) == 0)
			return k;
	return -1;
}

static int set_model_key(Loader *L, const IniEntry *e, int k)
{
	Model *m = L->m;
	switch (k) {
	case MK_NAME:
		free(m->name);
		return (m->name = strdup(e->value)) ? 0 : loader_oom(L);
	case MK_VOCAB:
		return set_vocab(L, e);
	case MK_DMODEL:
		return loader_int(L, e, 1, KV_MAX_DIM, &m->d_model);
	case MK_DK:
		return loader_int(L, e, 1, KV_MAX_DIM, &m->d_k);
	case MK_DV:
		return loader_int(L, e, 1, KV_MAX_DIM, &m->d_v);
	case MK_SCALE:
		return set_scale(L, e);
	case MK_PROMPT:
		return 0; /* needs the vocab: checked after all keys */
	case MK_GENERATE:
		return loader_int(L, e, 0, KV_MAX_TOKENS - 1, &m->generate);
	case MK_NLAYERS:
		m->stacked = true;
		return loader_int(L, e, 1, KV_MAX_LAYERS, &m->n_layers);
	case MK_NHEADS:
		m->stacked = true;
		return loader_int(L, e, 1, KV_MAX_HEADS, &m->n_heads);
	case MK_NKV:
		m->stacked = true;
		return loader_int(L, e, 1, KV_MAX_HEADS, &m->n_kv_heads);
	case MK_WINDOWS:
	case MK_PATTERN:
	case MK_WINDOW:
		return 0; /* need n_layers: read_windows */
	case MK_SINK:
		return 0; /* needs n_heads: read_sink */
	case MK_SINK_TOKENS:
		return 0; /* needs the windows: read_sink_tokens */
	case MK_ROPE:
		return 0; /* needs d_k: read_rope */
	default:
		return 0;
	}
}

static int read_model_section(Loader *L)
{
	for (int i = 0; i < L->doc->n_entries; i++) {
		const IniEntry *e = &L->doc->entries[i];
		if (!loader_in_section(e, "model"))
			continue;
		int k = model_key(e->key);
		if (k < 0)
			return loader_fail(L, e->line,
				    "unknown key '%s' in [model]; expected name, vocab, d_model, d_k, d_v, scale, prompt, generate, n_layers, n_heads, n_kv_heads, windows, pattern, window, sink, sink_tokens or rope",
				    e->key);
		if (L->entry_of[k])
			return loader_fail(L, e->line,
				      "key given twice in [model] (first on line %d)",
				      L->entry_of[k]->line);
		L->entry_of[k] = e;
		if (set_model_key(L, e, k))
			return L->err->code;
	}
	return 0;
}

static int check_model_section(Loader *L)
{
	const IniSection *s = ini_doc_section(L->doc, "model");
	if (!s)
		return loader_fail(L, 1, "missing section [model]");
	static const int required[] = { MK_VOCAB, MK_DMODEL, MK_DK, MK_DV,
					MK_PROMPT };
	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!L->entry_of[required[i]])
			return loader_fail(L, s->line, "[model] is missing the key '%s'",
				    model_keys[required[i]]);
	return 0;
}

/* Parses `windows = w1 .. wL`: one window per layer, 0 = global. */
static int read_window_list(Loader *L, const IniEntry *e)
{
	Model *m = L->m;
	int n = 0;
	const char *p = e->value;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *end;
		errno = 0;
		long w = strtol(p, &end, 10);
		bool word_end = !*end || *end == ' ' || *end == '\t';
		if (end == p || !word_end || errno || w < 0 || w > KV_MAX_TOKENS)
			return loader_fail(L, e->line,
				    "window: '%.*s' (value %d of the list) is not a whole number 0..%d (0 = global)",
				    (int)strcspn(p, " \t"), p, n + 1,
				    KV_MAX_TOKENS);
		if (n < m->n_layers)
			m->window[n] = (int)w;
		n++;
		p = end;
	}
	if (n != m->n_layers)
		return loader_fail(L, e->line,
			    "windows has %d values but n_layers = %d", n,
			    m->n_layers);
	return 0;
}

/* Parses `pattern = LLG` (repeated over the layers) with `window = W`. */
static int read_window_pattern(Loader *L, const IniEntry *pat)
{
	Model *m = L->m;
	const IniEntry *we = L->entry_of[MK_WINDOW];
	size_t n = strlen(pat->value);
	if (n == 0 || strspn(pat->value, "LGlg") != n)
		return loader_fail(L, pat->line,
			    "pattern: expected letters L (local) and G (global), got '%s'",
			    pat->value);
	bool any_local = strpbrk(pat->value, "Ll") != NULL;
	int w = 0;
	if (n > (size_t)m->n_layers)
		return loader_fail(L, pat->line,
			    "pattern has %zu letters but n_layers = %d; it repeats over the layers, so give at most %d",
			    n, m->n_layers, m->n_layers);
	if (any_local && !we)
		return loader_fail(L, pat->line,
			    "pattern has local layers: give their `window = W` too");
	if (!any_local && we)
		return loader_fail(L, we->line,
			    "window is given, but pattern has no local (L) layer");
	if (we && loader_int(L, we, 1, KV_MAX_TOKENS, &w))
		return L->err->code;
	for (int l = 0; l < m->n_layers; l++) {
		char c = pat->value[(size_t)l % n];
		m->window[l] = c == 'L' || c == 'l' ? w : 0;
	}
	return 0;
}

static int read_windows(Loader *L)
{
	const IniEntry *list = L->entry_of[MK_WINDOWS];
	const IniEntry *pat = L->entry_of[MK_PATTERN];
	const IniEntry *win = L->entry_of[MK_WINDOW];
	if (list && (pat || win))
		return loader_fail(L, list->line,
			    "give either `windows = ...` or `pattern` with `window`, not both");
	if (win && !pat) {
		if (L->m->n_layers != 1)
			return loader_fail(L, win->line,
				    "`window` needs a `pattern` (or use `windows`, one per layer)");
		return read_window_list(L, win);
	}
	if (list)
		return read_window_list(L, list);
	if (pat)
		return read_window_pattern(L, pat);
	return 0;
}

/* n_layers, n_heads, n_kv_heads and the windows, with their defaults. */
static int read_structure(Loader *L)
{
	Model *m = L->m;
	if (!m->n_layers)
		m->n_layers = 1;
	if (!m->n_heads)
		m->n_heads = 1;
	if (!m->n_kv_heads)
		m->n_kv_heads = m->n_heads;
	const IniEntry *kv = L->entry_of[MK_NKV];
	if (m->n_kv_heads > m->n_heads || m->n_heads % m->n_kv_heads)
		return loader_fail(L, kv ? kv->line : L->entry_of[MK_NHEADS]->line,
			    "n_heads = %d is not a multiple of n_kv_heads = %d",
			    m->n_heads, m->n_kv_heads);
	m->window = calloc((size_t)m->n_layers, sizeof *m->window);
	if (!m->window)
		return loader_oom(L);
	return read_windows(L);
}

/*
 * `sink = LOGIT` (every head of every layer), one logit per query head (the
 * same in every layer), or one per head of each layer, layer by layer
 * (attention.h): 1, n_heads or n_layers·n_heads values.
 */
static int read_sink(Loader *L)
{
	const IniEntry *e = L->entry_of[MK_SINK];
	Model *m = L->m;
	if (!e)
		return 0;
	enum { CAP = KV_MAX_LAYERS * KV_MAX_HEADS + 1 };
	double v[CAP];
	int n = loader_numbers(L, e, v, CAP);
	int H = m->n_heads, LH = m->n_layers * m->n_heads;
	if (n < 0)
		return L->err->code;
	if (n != 1 && n != H && n != LH)
		return loader_fail(L, e->line,
			      "sink: expected one logit, one per head (n_heads = %d) or one per head of each layer (n_layers·n_heads = %d), got %d values",
			      H, LH, n);
	if (!(m->sink = malloc((size_t)LH * sizeof *m->sink)))
		return loader_oom(L);
	for (int i = 0; i < LH; i++)
		m->sink[i] = v[n == 1 ? 0 : n == LH ? i : i % H];
	return 0;
}

/* Parses the whole number at p (0..KV_MAX_TOKENS) ending a word. */
static int sink_tokens_word(Loader *L, const IniEntry *e, const char *p,
			    int i, int *out, char **end)
{
	errno = 0;
	long n = strtol(p, end, 10);
	bool word_end = !**end || **end == ' ' || **end == '\t';
	if (*end == p || !word_end || errno || n < 0 || n > KV_MAX_TOKENS)
		return loader_fail(L, e->line,
			    "sink_tokens: '%.*s' (value %d of the list) is not a whole number 0..%d of pinned first positions",
			    (int)strcspn(p, " \t"), p, i + 1, KV_MAX_TOKENS);
	*out = (int)n;
	return 0;
}

/*
 * `sink_tokens = N` (every sliding-window layer) or one count per layer as
 * in `windows` (0 on global layers): StreamingLLM's pinned first positions.
 */
static int read_sink_tokens(Loader *L)
{
	const IniEntry *e = L->entry_of[MK_SINK_TOKENS];
	Model *m = L->m;
	if (!e)
		return 0;
	int v[KV_MAX_LAYERS], n = 0;
	for (const char *p = e->value + strspn(e->value, " \t"); *p;
	     p += strspn(p, " \t")) {
		char *end;
		int x = 0;
		if (sink_tokens_word(L, e, p, n, &x, &end))
			return L->err->code;
		if (n < KV_MAX_LAYERS)
			v[n] = x;
		n++;
		p = end;
	}
	if (n != 1 && n != m->n_layers)
		return loader_fail(L, e->line,
			    "sink_tokens: expected one count (every sliding-window layer) or one per layer (n_layers = %d), got %d values",
			    m->n_layers, n);
	bool any_window = false;
	for (int l = 0; l < m->n_layers; l++)
		any_window = any_window || m->window[l] > 0;
	if (!any_window)
		return loader_fail(L, e->line,
			    "sink_tokens pins positions of a sliding-window cache: give `window`, `windows` or a `pattern` with local layers too");
	for (int l = 0; n > 1 && l < m->n_layers; l++)
		if (v[l] > 0 && m->window[l] == 0)
			return loader_fail(L, e->line,
				    "sink_tokens %d: layer %d is global (window 0); give it 0",
				    l + 1, l + 1);
	if (!(m->sink_tokens = calloc((size_t)m->n_layers,
				      sizeof *m->sink_tokens)))
		return loader_oom(L);
	for (int l = 0; l < m->n_layers; l++)
		m->sink_tokens[l] = m->window[l] > 0 ? v[n == 1 ? 0 : l] : 0;
	return 0;
}

/*
 * `rope = BASE`: rotary positions (rope.h) over pairs of rows, so d_k must
 * be even. A RoPE model takes its positions from the rotation alone: a
 * [position] section as well would add a second position signal to x, so
 * it is refused rather than silently combined.
 */
static int read_rope(Loader *L)
{
	const IniEntry *e = L->entry_of[MK_ROPE];
	Model *m = L->m;
	if (!e)
		return 0;
	/* one decimal number first, so that any other word gets the rope:
	 * message (loader_numbers then applies the limits of every number) */
	char *end;
	double b = strtod(e->value, &end);
	end += strspn(end, " \t");
	bool one = end != e->value && !*end && !strpbrk(e->value, "xX") &&
		   isfinite(b) && b > 1;
	double v[2];
	int n = one ? loader_numbers(L, e, v, 2) : 0;
	if (n < 0)
		return L->err->code;
	if (n != 1 || !(v[0] > 1))
		return loader_fail(L, e->line,
			      "rope: expected one base greater than 1 (e.g. rope = 10000), got '%s'",
			      e->value);
	if (m->d_k % 2)
		return loader_fail(L, e->line,
			      "rope rotates pairs of rows, so d_k must be even; d_k = %d",
			      m->d_k);
	const IniSection *pos = ini_doc_section(L->doc, "position");
	if (pos)
		return loader_fail(L, pos->line,
			      "a RoPE model (rope on line %d) gets its positions from the rotation; remove [position] or rope",
			      e->line);
	m->rope = v[0];
	return 0;
}

static int read_prompt(Loader *L)
{
	const IniEntry *e = L->entry_of[MK_PROMPT];
	Model *m = L->m;
	m->prompt = malloc(KV_MAX_TOKENS * sizeof *m->prompt);
	if (!m->prompt)
		return loader_oom(L);
	KvError perr;
	kv_error_clear(&perr);
	m->prompt_n = model_parse_prompt(m, e->value, m->prompt, KV_MAX_TOKENS,
					 &perr);
	if (m->prompt_n < 0)
		return loader_fail(L, e->line, "%s", perr.msg);
	if (m->prompt_n + m->generate > KV_MAX_TOKENS)
		return loader_fail(L, e->line,
			      "prompt plus generate is %d tokens; the limit is %d",
			      m->prompt_n + m->generate, KV_MAX_TOKENS);
	return 0;
}

int loader_read_header(Loader *L)
{
	Model *m = L->m;
	if (read_model_section(L) || check_model_section(L) ||
	    read_structure(L) || read_sink(L) ||
	    read_sink_tokens(L) || read_rope(L))
		return L->err->code;
	if (!m->name) {
		const char *base = strrchr(L->doc->source, '/');
		if (!(m->name = strdup(base ? base + 1 : L->doc->source)))
			return loader_oom(L);
	}
	m->scale = m->scale_sqrt ? 1.0 / sqrt((double)m->d_k) : 1.0;
	return read_prompt(L);
}
