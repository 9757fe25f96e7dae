/*
 * The weight sections: [embedding], [position], W_Q, W_K, W_V (classic) or
 * L<l>.H<h>.W_Q ... L<l>.W_O (stacked), and [W_out], each checked line by
 * line against the shapes [model] set.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_loader.h"

/* A weight section: which matrix it fills and how its lines are keyed. */
typedef enum { KEY_ROW, KEY_TOKEN, KEY_POSITION } KeyKind;

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
			return loader_fail(L, e->line,
				    "expected `row = ...` in [%s], got '%s'",
				    w->section, e->key), -1;
		if (next_row >= w->rows)
			return loader_fail(L, e->line,
				      "one row too many: expected %d rows (%s)",
				      w->rows, w->rows_name), -1;
		return next_row;
	}
	if (w->kind == KEY_TOKEN) {
		int id = model_token_id(L->m, e->key);
		if (id < 0)
			return loader_fail(L, e->line,
				    "'%s' in [%s] is not a token in vocab",
				    e->key, w->section), -1;
		return id;
	}
	char *end;
	long p = strtol(e->key, &end, 10);
	if (end == e->key || *end || p < 1 || p > KV_MAX_TOKENS)
		return loader_fail(L, e->line,
			    "expected a position 1, 2, ... in [%s], got '%s'",
			    w->section, e->key), -1;
	if (p != next_row + 1)
		return loader_fail(L, e->line,
			      "expected position %d next, got %ld", next_row + 1,
			      p), -1;
	return (int)p - 1;
}

/* Fills one line's values, or reports a wrong count. */
static int read_weight_line(Loader *L, const WeightSpec *w, const IniEntry *e,
			    int r)
{
	int n = loader_numbers(L, e, w->dst + (size_t)r * (size_t)w->cols, w->cols);
	if (n < 0)
		return L->err->code;
	if (n == w->cols)
		return 0;
	char which[48];
	if (w->kind == KEY_ROW)
		snprintf(which, sizeof which, "row %d", r + 1);
	else
		snprintf(which, sizeof which, "'%s'", e->key);
	return loader_fail(L, e->line, "[%s] %s has %d values, expected %d (%s)",
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
				return loader_fail(L, s->line,
					    "[%s] has no line for token '%s'",
					    w->section, L->m->vocab[t]);
		return 0;
	}
	if (filled != w->rows)
		return loader_fail(L, s->line, "[%s] has %d rows, expected %d (%s)",
			    w->section, filled, w->rows, w->rows_name);
	return 0;
}

static int read_weights(Loader *L, WeightSpec *w)
{
	const IniSection *s = ini_doc_section(L->doc, w->section);
	if (!s) {
		if (w->optional)
			return 0;
		return loader_fail(L, L->doc->last_line,
			    "missing section [%s] (%d %s of %d values)",
			    w->section, w->rows, w->rows_name, w->cols);
	}
	if (w->kind == KEY_POSITION &&
	    !(w->dst = L->m->pos = calloc((size_t)w->rows * (size_t)w->cols,
					  sizeof *w->dst)))
		return loader_oom(L);
	int *seen = calloc((size_t)w->rows, sizeof *seen);
	if (!seen)
		return loader_oom(L);
	int filled = 0, rc = 0;
	for (int i = 0; i < L->doc->n_entries && !rc; i++) {
		const IniEntry *e = &L->doc->entries[i];
		if (!loader_in_section(e, w->section))
			continue;
		int r = weight_row(L, w, e, filled);
		if (r < 0)
			rc = L->err->code;
		else if (seen[r])
			rc = loader_fail(L, e->line,
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
int loader_check_sectioned(Loader *L)
{
	for (int i = 0; i < L->doc->n_entries; i++)
		if (L->doc->entries[i].section[0] == '\0')
			return loader_fail(L, L->doc->entries[i].line,
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
			return loader_fail(L, s->line,
				    "unknown section [%s]; this model (n_layers = %d, n_heads = %d, n_kv_heads = %d) expects [model], [embedding], [position], [L<l>.H<h>.W_Q], [L<l>.H<g>.W_K], [L<l>.H<g>.W_V], [L<l>.W_O] or [W_out]",
				    s->name, L->m->n_layers, L->m->n_heads,
				    L->m->n_kv_heads);
		if (!ok)
			return loader_fail(L, s->line,
				    "unknown section [%s]; expected [model], [embedding], [position], [W_Q], [W_K], [W_V] or [W_out]",
				    s->name);
		for (int j = 0; j < i; j++)
			if (strcasecmp(s->name, L->doc->sections[j].name) == 0)
				return loader_fail(L, s->line,
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
		return loader_oom(L);
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

int loader_read_weights(Loader *L)
{
	Model *m = L->m;
	int cap = 3 + KV_MAX_LAYERS * (KV_MAX_HEADS * 3 + 1);
	WeightSpec *specs = calloc((size_t)cap, sizeof *specs);
	if (!specs || alloc_weights(L)) {
		free(specs);
		return loader_oom(L);
	}
	int n = weight_specs(m, specs);
	int rc = check_sections(L, specs, n);
	for (int i = 0; i < n && !rc; i++)
		rc = read_weights(L, &specs[i]);
	free(specs);
	if (!rc && m->pos_n > 0 && m->prompt_n + m->generate > m->pos_n)
		rc = loader_fail(L, ini_doc_section(L->doc, "position")->line,
			  "[position] has %d rows but prompt plus generate needs %d",
			  m->pos_n, m->prompt_n + m->generate);
	return rc;
}
