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

#include "blob.h"
#include "ini_doc.h"

extern const struct blob kv_default_model[];
extern const size_t kv_default_model_count;

/* A weight section: which matrix it fills and how its lines are keyed. */
typedef enum { KEY_ROW, KEY_TOKEN, KEY_POSITION } KeyKind;

typedef struct Loader {
	const IniDoc *doc;
	Model *m;
	KvError *err;
	/* which [model] keys were seen, by line, for duplicates */
	int line_of[8];
} Loader;

enum { MK_NAME, MK_VOCAB, MK_DMODEL, MK_DK, MK_DV, MK_SCALE, MK_PROMPT,
       MK_GENERATE, MK_COUNT };
static const char *const model_keys[MK_COUNT] = {
	"name", "vocab", "d_model", "d_k", "d_v", "scale", "prompt", "generate",
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
		if (end == word || *end != '\0' || wl >= sizeof word) {
			fail(L, e->line, "expected a number, got '%s'", word);
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
				    "unknown key '%s' in [model]; expected name, vocab, d_model, d_k, d_v, scale, prompt or generate",
				    e->key);
		if (L->line_of[k])
			return fail(L, e->line,
				      "key given twice in [model] (first on line %d)",
				      L->line_of[k]);
		L->line_of[k] = e->line;
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
		if (!L->line_of[required[i]])
			return fail(L, s->line, "[model] is missing the key '%s'",
				    model_keys[required[i]]);
	return 0;
}

static int read_prompt(Loader *L)
{
	const IniEntry *e = NULL;
	for (int i = 0; i < L->doc->n_entries; i++)
		if (L->doc->entries[i].line == L->line_of[MK_PROMPT] &&
		    in_section(&L->doc->entries[i], "model"))
			e = &L->doc->entries[i];
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
	const char *section;
	KeyKind kind;
	int rows;          /* expected rows (lines) */
	int cols;          /* values per line */
	const char *cols_name;
	const char *rows_name;
	double **dst;      /* (rows, cols) row-major */
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

static int read_weights(Loader *L, const WeightSpec *w)
{
	const IniSection *s = ini_doc_section(L->doc, w->section);
	if (!s) {
		if (w->optional)
			return 0;
		char what[160];
		snprintf(what, sizeof what,
			 "missing section [%s] (%d %s of %d values)", w->section,
			 w->rows, w->rows_name, w->cols);
		return fail(L, L->doc->last_line, "%s", what);
	}
	int cap = w->kind == KEY_POSITION ? KV_MAX_TOKENS : w->rows;
	double *dst = calloc((size_t)cap * (size_t)w->cols, sizeof *dst);
	int *seen = calloc((size_t)cap, sizeof *seen);
	*w->dst = dst;
	if (!dst || !seen) {
		free(seen);
		return oom(L);
	}
	int filled = 0, rc = 0;
	for (int i = 0; i < L->doc->n_entries && !rc; i++) {
		const IniEntry *e = &L->doc->entries[i];
		if (!in_section(e, w->section))
			continue;
		int r = weight_row(L, w, e, filled);
		if (r < 0) {
			rc = L->err->code;
			break;
		}
		if (seen[r]) {
			rc = fail(L, e->line,
				    "this line repeats one given on line %d",
				    seen[r]);
			break;
		}
		seen[r] = e->line;
		int n = parse_numbers(L, e, dst + (size_t)r * w->cols, w->cols);
		if (n < 0) {
			rc = L->err->code;
		} else if (n != w->cols) {
			char which[48];
			if (w->kind == KEY_ROW)
				snprintf(which, sizeof which, "row %d", r + 1);
			else
				snprintf(which, sizeof which, "'%s'", e->key);
			rc = fail(L, e->line, "[%s] %s has %d values, expected %d (%s)",
				  w->section, which, n, w->cols, w->cols_name);
		}
		filled++;
	}
	if (!rc && w->kind == KEY_POSITION)
		L->m->pos_n = filled;
	if (!rc && w->kind == KEY_TOKEN) {
		for (int t = 0; t < w->rows && !rc; t++)
			if (!seen[t])
				rc = fail(L, s->line,
					  "[%s] has no line for token '%s'",
					  w->section, L->m->vocab[t]);
	} else if (!rc && w->kind == KEY_ROW && filled != w->rows) {
		char what[160];
		snprintf(what, sizeof what, "[%s] has %d rows, expected %d (%s)",
			 w->section, filled, w->rows, w->rows_name);
		rc = fail(L, s->line, "%s", what);
	}
	free(seen);
	return rc;
}

static int check_sections(Loader *L)
{
	static const char *const known[] = { "model", "embedding", "position",
					     "W_Q", "W_K", "W_V", "W_out" };
	for (int i = 0; i < L->doc->n_sections; i++) {
		const IniSection *s = &L->doc->sections[i];
		bool ok = false;
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			ok |= strcasecmp(s->name, known[k]) == 0;
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
	for (int i = 0; i < L->doc->n_entries; i++)
		if (L->doc->entries[i].section[0] == '\0')
			return fail(L, L->doc->entries[i].line,
				    "'%s' comes before any [section]",
				    L->doc->entries[i].key);
	return 0;
}

static int read_all_weights(Loader *L)
{
	Model *m = L->m;
	const WeightSpec specs[] = {
		{ "embedding", KEY_TOKEN, m->vocab_n, m->d_model, "d_model",
		  "tokens", &m->embed, false },
		{ "position", KEY_POSITION, KV_MAX_TOKENS, m->d_model,
		  "d_model", "positions", &m->pos, true },
		{ "W_Q", KEY_ROW, m->d_k, m->d_model, "d_model", "rows, d_k",
		  &m->wq, false },
		{ "W_K", KEY_ROW, m->d_k, m->d_model, "d_model", "rows, d_k",
		  &m->wk, false },
		{ "W_V", KEY_ROW, m->d_v, m->d_model, "d_model", "rows, d_v",
		  &m->wv, false },
		{ "W_out", KEY_TOKEN, m->vocab_n, m->d_v, "d_v", "tokens",
		  &m->wout, false },
	};
	for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
		if (read_weights(L, &specs[i]))
			return L->err->code;
	if (m->pos_n > 0 && m->prompt_n + m->generate > m->pos_n)
		return fail(L, ini_doc_section(L->doc, "position")->line,
			      "[position] has %d rows but prompt plus generate needs %d",
			      m->pos_n, m->prompt_n + m->generate);
	return 0;
}

static int load_doc(Loader *L)
{
	Model *m = L->m;
	if (check_sections(L) || read_model_section(L) || check_model_section(L))
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
	const struct blob *b = &kv_default_model[0];
	return model_parse(b->name, (const char *)b->data, b->size, err);
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
