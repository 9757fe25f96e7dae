/*
 * Model files: validation of the entries ini_doc collected. Every message
 * names `file:line` and what was expected; nothing is guessed or truncated.
 */
#include "model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blob.h"
#include "ini_doc.h"

extern const struct blob kv_bundled_models[];
extern const size_t kv_bundled_models_count;

/* A weight section: which matrix it fills and how its lines are keyed. */
typedef enum { KEY_ROW, KEY_TOKEN, KEY_POSITION } KeyKind;

typedef struct Loader {
	const IniDoc *doc;
	Model *m;
	KvError *err;
	/* the [model] entry of each key, NULL while unseen */
	const IniEntry *entry_of[16];
} Loader;

enum { MK_NAME, MK_VOCAB, MK_DMODEL, MK_DK, MK_DV, MK_SCALE, MK_PROMPT,
       MK_GENERATE, MK_NLAYERS, MK_NHEADS, MK_NKV, MK_WINDOWS, MK_PATTERN,
       MK_WINDOW, MK_COUNT };
static const char *const model_keys[MK_COUNT] = {
	"name", "vocab", "d_model", "d_k", "d_v", "scale", "prompt", "generate",
	"n_layers", "n_heads", "n_kv_heads", "windows", "pattern", "window",
};

__attribute__((format(printf, 3, 4)))
static int fail(Loader *L, int line, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return kv_error_set(L->err, EX_DATAERR, "%s:%d: %s", L->doc->source,
			    line, what);
}

static int oom(Loader *L)
{
	return kv_error_set(L->err, EX_OSERR, "out of memory");
}

/* Parses a whole decimal integer in [lo, hi]. */
static int parse_int(Loader *L, const IniEntry *e, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (end == e->value || *end != '\0' || errno)
		return fail(L, e->line, "%s: expected a whole number, got '%s'",
			    e->key, e->value);
	if (v < lo || v > hi) {
		return fail(L, e->line, "%s = %ld is outside the limits %ld..%ld",
			    e->key, v, lo, hi);
	}
	*out = (int)v;
	return 0;
}

/*
 * Copies the next blank-separated word of *p into buf (cut to size-1 bytes)
 * and advances *p past it. Returns the word's full length, 0 at the end.
 */
static size_t next_word(const char **p, char *buf, size_t size)
{
	const char *s = *p;
	while (isspace((unsigned char)*s))
		s++;
	const char *w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	size_t n = (size_t)(s - w), keep = n < size ? n : size - 1;
	memcpy(buf, w, keep);
	buf[keep] = '\0';
	*p = s;
	return n;
}

/*
 * Splits `s` on blanks into `out`, at most `cap` numbers. Returns the count
 * (which may exceed cap: the caller reports the mismatch) or -1 after
 * reporting a word that is not a finite number within the limits.
 */
static int parse_numbers(Loader *L, const IniEntry *e, double *out, int cap)
{
	int n = 0;
	const char *p = e->value;
	char word[64];
	size_t wl;
	while ((wl = next_word(&p, word, sizeof word)) > 0) {
		char *end;
		errno = 0;
		double v = strtod(word, &end);
		/* strtod also reads hex (0x10, 0x1p3): decimal only */
		if (strpbrk(word, "xX"))
			end = word;
		if (end == word || *end != '\0' || wl >= sizeof word) {
			fail(L, e->line, "expected a number, got '%s'", word);
			return -1;
		}
		if (errno == ERANGE && fabs(v) < 1.0) {
			fail(L, e->line,
			     "'%s' is too small for a double; write 0", word);
			return -1;
		}
		if (!isfinite(v) || errno == ERANGE || fabs(v) > KV_MAX_ABS_VALUE) {
			fail(L, e->line,
			     "'%s' is not a finite number within ±1e6", word);
			return -1;
		}
		if (n < cap)
			out[n] = v;
		n++;
	}
	return n;
}

static int set_vocab(Loader *L, const IniEntry *e)
{
	Model *m = L->m;
	char *copy = strdup(e->value);
	if (!copy)
		return oom(L);
	int rc = 0;
	for (char *save, *w = strtok_r(copy, " \t", &save); w && !rc;
	     w = strtok_r(NULL, " \t", &save)) {
		if (m->vocab_n == KV_MAX_VOCAB)
			rc = fail(L, e->line,
				    "vocab has more than %d tokens",
				    KV_MAX_VOCAB);
		else if (strpbrk(w, "=:") || *w == ';' || *w == '#' || *w == '[')
			rc = fail(L, e->line,
				  "token '%s' cannot be a key in [embedding]: no '=' or ':' in a token, and none may start with ';', '#' or '['",
				  w);
		else if (strlen(w) > KV_MAX_TOKEN_LEN)
			rc = fail(L, e->line,
				  "token '%s' is longer than 31 bytes", w);
		else if (model_token_id(m, w) >= 0)
			rc = fail(L, e->line, "token '%s' appears twice in vocab",
				  w);
		else if (!(m->vocab[m->vocab_n++] = strdup(w)))
			rc = oom(L);
	}
	free(copy);
	if (!rc && m->vocab_n == 0)
		rc = fail(L, e->line, "vocab: expected at least one token");
	return rc;
}

static int set_scale(Loader *L, const IniEntry *e)
{
	if (strcasecmp(e->value, "sqrt") == 0)
		L->m->scale_sqrt = true;
	else if (strcasecmp(e->value, "none") == 0)
		L->m->scale_sqrt = false;
	else
		return fail(L, e->line,
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
		return (m->name = strdup(e->value)) ? 0 : oom(L);
	case MK_VOCAB:
		return set_vocab(L, e);
	case MK_DMODEL:
		return parse_int(L, e, 1, KV_MAX_DIM, &m->d_model);
	case MK_DK:
		return parse_int(L, e, 1, KV_MAX_DIM, &m->d_k);
	case MK_DV:
		return parse_int(L, e, 1, KV_MAX_DIM, &m->d_v);
	case MK_SCALE:
		return set_scale(L, e);
	case MK_PROMPT:
		return 0; /* needs the vocab: checked after all keys */
	case MK_GENERATE:
		return parse_int(L, e, 0, KV_MAX_TOKENS - 1, &m->generate);
	case MK_NLAYERS:
		m->stacked = true;
		return parse_int(L, e, 1, KV_MAX_LAYERS, &m->n_layers);
	case MK_NHEADS:
		m->stacked = true;
		return parse_int(L, e, 1, KV_MAX_HEADS, &m->n_heads);
	case MK_NKV:
		m->stacked = true;
		return parse_int(L, e, 1, KV_MAX_HEADS, &m->n_kv_heads);
	case MK_WINDOWS:
	case MK_PATTERN:
	case MK_WINDOW:
		return 0; /* need n_layers: read_windows */
	default:
		return 0;
	}
}

static bool in_section(const IniEntry *e, const char *name)
{
	return strcasecmp(e->section, name) == 0;
}

static int read_model_section(Loader *L)
{
	for (int i = 0; i < L->doc->n_entries; i++) {
		const IniEntry *e = &L->doc->entries[i];
		if (!in_section(e, "model"))
			continue;
		int k = model_key(e->key);
		if (k < 0)
			return fail(L, e->line,
				    "unknown key '%s' in [model]; expected name, vocab, d_model, d_k, d_v, scale, prompt, generate, n_layers, n_heads, n_kv_heads, windows, pattern or window",
				    e->key);
		if (L->entry_of[k])
			return fail(L, e->line,
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
		return fail(L, 1, "missing section [model]");
	static const int required[] = { MK_VOCAB, MK_DMODEL, MK_DK, MK_DV,
					MK_PROMPT };
	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!L->entry_of[required[i]])
			return fail(L, s->line, "[model] is missing the key '%s'",
				    model_keys[required[i]]);
	return 0;
}

/* Parses `windows = w1 .. wL`: one window per layer, 0 = global. */
static int read_window_list(Loader *L, const IniEntry *e)
{
	Model *m = L->m;
	double w[KV_MAX_LAYERS + 1];
	int n = parse_numbers(L, e, w, KV_MAX_LAYERS + 1);
	if (n < 0)
		return L->err->code;
	if (n != m->n_layers)
		return fail(L, e->line,
			    "windows has %d values but n_layers = %d", n,
			    m->n_layers);
	for (int l = 0; l < n; l++) {
		if (w[l] < 0 || w[l] > KV_MAX_TOKENS || w[l] != (int)w[l])
			return fail(L, e->line,
				    "window %d: expected a whole number 0..%d (0 = global)",
				    l + 1, KV_MAX_TOKENS);
		m->window[l] = (int)w[l];
	}
	return 0;
}

/* Parses `pattern = LLG` (repeated over the layers) with `window = W`. */
static int read_window_pattern(Loader *L, const IniEntry *pat)
{
	Model *m = L->m;
	const IniEntry *we = L->entry_of[MK_WINDOW];
	size_t n = strlen(pat->value);
	if (n == 0 || strspn(pat->value, "LGlg") != n)
		return fail(L, pat->line,
			    "pattern: expected letters L (local) and G (global), got '%s'",
			    pat->value);
	bool any_local = strpbrk(pat->value, "Ll") != NULL;
	int w = 0;
	if (n > (size_t)m->n_layers)
		return fail(L, pat->line,
			    "pattern has %zu letters but n_layers = %d; it repeats over the layers, so give at most %d",
			    n, m->n_layers, m->n_layers);
	if (any_local && !we)
		return fail(L, pat->line,
			    "pattern has local layers: give their `window = W` too");
	if (!any_local && we)
		return fail(L, we->line,
			    "window is given, but pattern has no local (L) layer");
	if (we && parse_int(L, we, 1, KV_MAX_TOKENS, &w))
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
		return fail(L, list->line,
			    "give either `windows = ...` or `pattern` with `window`, not both");
	if (win && !pat) {
		if (L->m->n_layers != 1)
			return fail(L, win->line,
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
		return fail(L, kv ? kv->line : L->entry_of[MK_NHEADS]->line,
			    "n_heads = %d is not a multiple of n_kv_heads = %d",
			    m->n_heads, m->n_kv_heads);
	m->window = calloc((size_t)m->n_layers, sizeof *m->window);
	if (!m->window)
		return oom(L);
	return read_windows(L);
}

static int read_prompt(Loader *L)
{
	const IniEntry *e = L->entry_of[MK_PROMPT];
	Model *m = L->m;
	m->prompt = malloc(KV_MAX_TOKENS * sizeof *m->prompt);
	if (!m->prompt)
		return oom(L);
	KvError perr;
	kv_error_clear(&perr);
	m->prompt_n = model_parse_prompt(m, e->value, m->prompt, KV_MAX_TOKENS,
					 &perr);
	if (m->prompt_n < 0)
		return fail(L, e->line, "%s", perr.msg);
	if (m->prompt_n + m->generate > KV_MAX_TOKENS)
		return fail(L, e->line,
			      "prompt plus generate is %d tokens; the limit is %d",
			      m->prompt_n + m->generate, KV_MAX_TOKENS);
	return 0;
}

/* Describes one weight section and where its numbers go. */
typedef struct WeightSpec {
	char section[32];
	KeyKind kind;
	int rows;          /* expected rows (lines) */
	int cols;          /* values per line */
	const char *cols_name;
	const char *rows_name;
	double *dst;       /* (rows, cols) row-major; [position] allocates */
	bool optional;
} WeightSpec;

/* Row index an entry fills, or -1 after reporting why it fits nowhere. */
static int weight_row(Loader *L, const WeightSpec *w, const IniEntry *e,
		      int next_row)
{
	if (w->kind == KEY_ROW) {
		if (strcasecmp(e->key, "row") != 0)
			return fail(L, e->line,
				    "expected `row = ...` in [%s], got '%s'",
				    w->section, e->key), -1;
		if (next_row >= w->rows)
			return fail(L, e->line,
				      "one row too many: expected %d rows (%s)",
				      w->rows, w->rows_name), -1;
		return next_row;
	}
	if (w->kind == KEY_TOKEN) {
		int id = model_token_id(L->m, e->key);
		if (id < 0)
			return fail(L, e->line,
				    "'%s' in [%s] is not a token in vocab",
				    e->key, w->section), -1;
		return id;
	}
	char *end;
	long p = strtol(e->key, &end, 10);
	if (end == e->key || *end || p < 1 || p > KV_MAX_TOKENS)
		return fail(L, e->line,
			    "expected a position 1, 2, ... in [%s], got '%s'",
			    w->section, e->key), -1;
	if (p != next_row + 1)
		return fail(L, e->line,
			      "expected position %d next, got %ld", next_row + 1,
			      p), -1;
	return (int)p - 1;
}

/* Fills one line's values, or reports a wrong count. */
static int read_weight_line(Loader *L, const WeightSpec *w, const IniEntry *e,
			    int r)
{
	int n = parse_numbers(L, e, w->dst + (size_t)r * (size_t)w->cols, w->cols);
	if (n < 0)
		return L->err->code;
	if (n == w->cols)
		return 0;
	char which[48];
	if (w->kind == KEY_ROW)
		snprintf(which, sizeof which, "row %d", r + 1);
	else
		snprintf(which, sizeof which, "'%s'", e->key);
	return fail(L, e->line, "[%s] %s has %d values, expected %d (%s)",
		    w->section, which, n, w->cols, w->cols_name);
}

/* After all lines: every token present, or exactly `rows` rows. */
static int check_weight_count(Loader *L, const WeightSpec *w,
			      const IniSection *s, const int *seen, int filled)
{
	if (w->kind == KEY_POSITION) {
		L->m->pos_n = filled;
		return 0;
	}
	if (w->kind == KEY_TOKEN) {
		for (int t = 0; t < w->rows; t++)
			if (!seen[t])
				return fail(L, s->line,
					    "[%s] has no line for token '%s'",
					    w->section, L->m->vocab[t]);
		return 0;
	}
	if (filled != w->rows)
		return fail(L, s->line, "[%s] has %d rows, expected %d (%s)",
			    w->section, filled, w->rows, w->rows_name);
	return 0;
}

static int read_weights(Loader *L, WeightSpec *w)
{
	const IniSection *s = ini_doc_section(L->doc, w->section);
	if (!s) {
		if (w->optional)
			return 0;
		return fail(L, L->doc->last_line,
			    "missing section [%s] (%d %s of %d values)",
			    w->section, w->rows, w->rows_name, w->cols);
	}
	if (w->kind == KEY_POSITION &&
	    !(w->dst = L->m->pos = calloc((size_t)w->rows * (size_t)w->cols,
					  sizeof *w->dst)))
		return oom(L);
	int *seen = calloc((size_t)w->rows, sizeof *seen);
	if (!seen)
		return oom(L);
	int filled = 0, rc = 0;
	for (int i = 0; i < L->doc->n_entries && !rc; i++) {
		const IniEntry *e = &L->doc->entries[i];
		if (!in_section(e, w->section))
			continue;
		int r = weight_row(L, w, e, filled);
		if (r < 0)
			rc = L->err->code;
		else if (seen[r])
			rc = fail(L, e->line,
				  "this line repeats one given on line %d",
				  seen[r]);
		else
			seen[r] = e->line, rc = read_weight_line(L, w, e, r);
		filled++;
	}
	if (!rc)
		rc = check_weight_count(L, w, s, seen, filled);
	free(seen);
	return rc;
}

/* No entry may come before the first [section]. */
static int check_entries_sectioned(Loader *L)
{
	for (int i = 0; i < L->doc->n_entries; i++)
		if (L->doc->entries[i].section[0] == '\0')
			return fail(L, L->doc->entries[i].line,
				    "'%s' comes before any [section]",
				    L->doc->entries[i].key);
	return 0;
}

/* Every section is [model] or one of `specs`, and none repeats. */
static int check_sections(Loader *L, const WeightSpec *specs, int n)
{
	for (int i = 0; i < L->doc->n_sections; i++) {
		const IniSection *s = &L->doc->sections[i];
		bool ok = strcasecmp(s->name, "model") == 0;
		for (int k = 0; k < n && !ok; k++)
			ok = strcasecmp(s->name, specs[k].section) == 0;
		if (!ok && L->m->stacked)
			return fail(L, s->line,
				    "unknown section [%s]; this model (n_layers = %d, n_heads = %d, n_kv_heads = %d) expects [model], [embedding], [position], [L<l>.H<h>.W_Q], [L<l>.H<g>.W_K], [L<l>.H<g>.W_V], [L<l>.W_O] or [W_out]",
				    s->name, L->m->n_layers, L->m->n_heads,
				    L->m->n_kv_heads);
		if (!ok)
			return fail(L, s->line,
				    "unknown section [%s]; expected [model], [embedding], [position], [W_Q], [W_K], [W_V] or [W_out]",
				    s->name);
		for (int j = 0; j < i; j++)
			if (strcasecmp(s->name, L->doc->sections[j].name) == 0)
				return fail(L, s->line,
					      "section given twice (first on line %d)",
					      L->doc->sections[j].line);
	}
	return 0;
}

static WeightSpec spec_rows(const char *section, int rows, int cols,
			    const char *rows_name, const char *cols_name,
			    double *dst)
{
	WeightSpec w = { .kind = KEY_ROW, .rows = rows, .cols = cols,
			 .rows_name = rows_name, .cols_name = cols_name,
			 .dst = dst };
	snprintf(w.section, sizeof w.section, "%s", section);
	return w;
}

/* The per-layer weight sections of a stacked model, appended to `w`. */
static int stacked_specs(Model *m, WeightSpec *w)
{
	int n = 0;
	char name[32];
	for (int l = 0; l < m->n_layers; l++) {
		for (int h = 0; h < m->n_heads; h++) {
			snprintf(name, sizeof name, "L%d.H%d.W_Q", l + 1, h + 1);
			w[n++] = spec_rows(name, m->d_k, m->d_model, "rows, d_k",
					   "d_model", m->wq + (model_wq(m, l, h) - m->wq));
		}
		for (int g = 0; g < m->n_kv_heads; g++) {
			snprintf(name, sizeof name, "L%d.H%d.W_K", l + 1, g + 1);
			w[n++] = spec_rows(name, m->d_k, m->d_model, "rows, d_k",
					   "d_model", m->wk + (model_wk(m, l, g) - m->wk));
			snprintf(name, sizeof name, "L%d.H%d.W_V", l + 1, g + 1);
			w[n++] = spec_rows(name, m->d_v, m->d_model, "rows, d_v",
					   "d_model", m->wv + (model_wv(m, l, g) - m->wv));
		}
		snprintf(name, sizeof name, "L%d.W_O", l + 1);
		w[n++] = spec_rows(name, m->d_model, m->n_heads * m->d_v,
				   "rows, d_model", "n_heads·d_v",
				   m->wo + (model_wo(m, l) - m->wo));
	}
	return n;
}

static int alloc_weights(Loader *L)
{
	Model *m = L->m;
	size_t lay = (size_t)m->n_layers, dm = (size_t)m->d_model;
	m->embed = calloc((size_t)m->vocab_n * dm, sizeof *m->embed);
	m->wq = calloc(lay * (size_t)m->n_heads * (size_t)m->d_k * dm,
		       sizeof *m->wq);
	m->wk = calloc(lay * (size_t)m->n_kv_heads * (size_t)m->d_k * dm,
		       sizeof *m->wk);
	m->wv = calloc(lay * (size_t)m->n_kv_heads * (size_t)m->d_v * dm,
		       sizeof *m->wv);
	m->wout = calloc((size_t)m->vocab_n * (size_t)model_out_dim(m),
			 sizeof *m->wout);
	if (m->stacked)
		m->wo = calloc(lay * dm * (size_t)m->n_heads * (size_t)m->d_v,
			       sizeof *m->wo);
	if (!m->embed || !m->wq || !m->wk || !m->wv || !m->wout ||
	    (m->stacked && !m->wo))
		return oom(L);
	return 0;
}

/* Every weight section the model needs, in file order of a tidy file. */
static int weight_specs(Model *m, WeightSpec *w)
{
	int n = 0;
	w[n] = (WeightSpec){ "embedding", KEY_TOKEN, m->vocab_n, m->d_model,
			     "d_model", "tokens", m->embed, false };
	w[++n] = (WeightSpec){ "position", KEY_POSITION, KV_MAX_TOKENS,
			       m->d_model, "d_model", "positions", NULL, true };
	n++;
	if (m->stacked) {
		n += stacked_specs(m, w + n);
	} else {
		w[n++] = spec_rows("W_Q", m->d_k, m->d_model, "rows, d_k",
				   "d_model", m->wq);
		w[n++] = spec_rows("W_K", m->d_k, m->d_model, "rows, d_k",
				   "d_model", m->wk);
		w[n++] = spec_rows("W_V", m->d_v, m->d_model, "rows, d_v",
				   "d_model", m->wv);
	}
	w[n++] = (WeightSpec){ "W_out", KEY_TOKEN, m->vocab_n, model_out_dim(m),
			       m->stacked ? "d_model" : "d_v", "tokens", m->wout,
			       false };
	return n;
}

static int read_all_weights(Loader *L)
{
	Model *m = L->m;
	int cap = 3 + KV_MAX_LAYERS * (KV_MAX_HEADS * 3 + 1);
	WeightSpec *specs = calloc((size_t)cap, sizeof *specs);
	if (!specs || alloc_weights(L)) {
		free(specs);
		return oom(L);
	}
	int n = weight_specs(m, specs);
	int rc = check_sections(L, specs, n);
	for (int i = 0; i < n && !rc; i++)
		rc = read_weights(L, &specs[i]);
	free(specs);
	if (!rc && m->pos_n > 0 && m->prompt_n + m->generate > m->pos_n)
		rc = fail(L, ini_doc_section(L->doc, "position")->line,
			  "[position] has %d rows but prompt plus generate needs %d",
			  m->pos_n, m->prompt_n + m->generate);
	return rc;
}

static int load_doc(Loader *L)
{
	Model *m = L->m;
	if (check_entries_sectioned(L) || read_model_section(L) ||
	    check_model_section(L) || read_structure(L))
		return L->err->code;
	if (!m->name) {
		const char *base = strrchr(L->doc->source, '/');
		if (!(m->name = strdup(base ? base + 1 : L->doc->source)))
			return oom(L);
	}
	m->scale = m->scale_sqrt ? 1.0 / sqrt((double)m->d_k) : 1.0;
	if (read_prompt(L) || read_all_weights(L))
		return L->err->code;
	return 0;
}

Model *model_parse(const char *source, const char *text, size_t len,
		   KvError *err)
{
	Model *m = calloc(1, sizeof *m);
	if (!m || !(m->source = strdup(source)) ||
	    !(m->vocab = calloc(KV_MAX_VOCAB, sizeof *m->vocab))) {
		model_free(m);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	m->scale_sqrt = true;
	m->generate = 0;
	IniDoc doc;
	int rc = ini_doc_parse(&doc, m->source, text, len, KV_MAX_LINE,
			       KV_MAX_FILE, err);
	if (rc == 0) {
		Loader L = { .doc = &doc, .m = m, .err = err };
		KvError local;
		kv_error_clear(&local);
		if (!err)
			L.err = &local;
		rc = load_doc(&L);
	}
	ini_doc_free(&doc);
	if (rc) {
		model_free(m);
		return NULL;
	}
	return m;
}

Model *model_load_file(const char *path, KvError *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		kv_error_set(err, EX_NOINPUT, "%s: cannot open: %s", path,
			     strerror(errno));
		return NULL;
	}
	/* Read one byte past the limit so an oversized file is detected. */
	char *buf = malloc(KV_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		kv_error_set(err, EX_OSERR, "out of memory");
		return NULL;
	}
	size_t n = fread(buf, 1, KV_MAX_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	Model *m = NULL;
	if (bad)
		kv_error_set(err, EX_NOINPUT, "%s: cannot read: %s", path,
			     strerror(errno));
	else
		m = model_parse(path, buf, n, err);
	free(buf);
	return m;
}

Model *model_load_default(KvError *err)
{
	return model_load_named("default.ini", err);
}

Model *model_load_named(const char *name, KvError *err)
{
	char file[64];
	snprintf(file, sizeof file, "%s%s", name,
		 strstr(name, ".ini") ? "" : ".ini");
	const struct blob *b = blob_find(kv_bundled_models,
					 kv_bundled_models_count, file);
	if (!b) {
		kv_error_set(err, EX_NOINPUT,
			     "%s: no such file, nor a bundled model (%s)", name,
			     model_bundled_names());
		return NULL;
	}
	return model_parse(b->name, (const char *)b->data, b->size, err);
}

const char *model_bundled_names(void)
{
	return "default, gqa, mqa, local-global";
}

Model *model_load(const char *path, KvError *err)
{
	if (!path)
		return model_load_default(err);
	if (!strchr(path, '/') && access(path, F_OK) != 0)
		return model_load_named(path, err);
	return model_load_file(path, err);
}

void model_free(Model *m)
{
	if (!m)
		return;
	if (m->vocab)
		for (int i = 0; i < m->vocab_n; i++)
			free(m->vocab[i]);
	free(m->vocab);
	free(m->name);
	free(m->source);
	free(m->prompt);
	free(m->embed);
	free(m->pos);
	free(m->wq);
	free(m->wk);
	free(m->wv);
	free(m->wout);
	free(m->wo);
	free(m->window);
	free(m);
}

int model_token_id(const Model *m, const char *word)
{
	for (int i = 0; i < m->vocab_n; i++)
		if (strcmp(m->vocab[i], word) == 0)
			return i;
	return -1;
}

int model_parse_prompt(const Model *m, const char *words, int *ids, int cap,
		       KvError *err)
{
	int n = 0;
	const char *p = words;
	char word[KV_MAX_TOKEN_LEN + 2];
	while (next_word(&p, word, sizeof word) > 0) {
		int id = model_token_id(m, word);
		if (id < 0) {
			kv_error_set(err, EX_USAGE,
				     "prompt word '%s' is not in the vocab", word);
			return -1;
		}
		if (n == cap) {
			kv_error_set(err, EX_USAGE,
				     "prompt has more than %d words", cap);
			return -1;
		}
		ids[n++] = id;
	}
	if (n == 0) {
		kv_error_set(err, EX_USAGE, "prompt is empty");
		return -1;
	}
	return n;
}

int model_max_positions(const Model *m)
{
	return m->pos_n > 0 ? m->pos_n : KV_MAX_TOKENS;
}
