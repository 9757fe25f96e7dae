/*
 * Random models for tests and the benchmark: real-valued weights, so no
 * sum is exact and any change in summation order would show.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* splitmix64: a small, fixed generator, so a seed means the same model. */
static uint64_t next_u64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-scale, scale). */
static double next_weight(uint64_t *state, double scale)
{
	return ((double)(next_u64(state) >> 11) * 0x1.0p-53 * 2.0 - 1.0) * scale;
}

static double *random_block(uint64_t *state, size_t n, double scale)
{
	double *w = malloc((n ? n : 1) * sizeof *w);
	if (w)
		for (size_t i = 0; i < n; i++)
			w[i] = next_weight(state, scale);
	return w;
}

static int fill_vocab(Model *m, int vocab)
{
	m->vocab = calloc((size_t)vocab, sizeof *m->vocab);
	if (!m->vocab)
		return -1;
	for (int i = 0; i < vocab; i++) {
		char w[16];
		snprintf(w, sizeof w, "w%d", i);
		if (!(m->vocab[i] = strdup(w)))
			return -1;
		m->vocab_n = i + 1;
	}
	return 0;
}

static int fill_structure(Model *m, const ModelShape *s, uint64_t *state)
{
	m->stacked = s->n_layers > 0;
	m->n_layers = m->stacked ? s->n_layers : 1;
	m->n_heads = m->stacked ? s->n_heads : 1;
	m->n_kv_heads = m->stacked ? s->n_kv_heads : 1;
	m->window = calloc((size_t)m->n_layers, sizeof *m->window);
	m->prompt = calloc((size_t)s->prompt_n, sizeof *m->prompt);
	if (!m->window || !m->prompt)
		return -1;
	for (int l = 0; l < m->n_layers && s->windows; l++)
		m->window[l] = s->windows[l];
	m->prompt_n = s->prompt_n;
	for (int i = 0; i < s->prompt_n; i++)
		m->prompt[i] = (int)(next_u64(state) % (uint64_t)s->vocab);
	m->generate = s->positions - s->prompt_n;
	return 0;
}

static int fill_weights(Model *m, const ModelShape *s, uint64_t *state)
{
	size_t L = (size_t)m->n_layers, H = (size_t)m->n_heads;
	size_t G = (size_t)m->n_kv_heads, dm = (size_t)s->d_model;
	/* ~1/sqrt(fan-in) keeps activations near 1 at any width */
	double in = 1.0 / sqrt((double)s->d_model);
	m->embed = random_block(state, (size_t)s->vocab * dm, 1.0);
	m->pos_n = s->with_positions ? s->positions : 0;
	m->pos = s->with_positions ?
			 random_block(state, (size_t)s->positions * dm, 0.5) :
			 NULL;
	m->wq = random_block(state, L * H * (size_t)s->d_k * dm, in);
	m->wk = random_block(state, L * G * (size_t)s->d_k * dm, in);
	m->wv = random_block(state, L * G * (size_t)s->d_v * dm, in);
	if (m->stacked)
		m->wo = random_block(state, L * dm * H * (size_t)s->d_v,
				     1.0 / sqrt((double)(H * (size_t)s->d_v)));
	m->wout = random_block(state, (size_t)s->vocab *
					      (size_t)model_out_dim(m), in);
	if (!m->embed || (s->with_positions && !m->pos) || !m->wq || !m->wk ||
	    !m->wv || (m->stacked && !m->wo) || !m->wout)
		return -1;
	return 0;
}

Model *model_random(const ModelShape *s, uint64_t seed, KvError *err)
{
	uint64_t state = seed;
	Model *m = calloc(1, sizeof *m);
	if (m) {
		m->d_model = s->d_model, m->d_k = s->d_k, m->d_v = s->d_v;
		m->scale = 1.0 / sqrt((double)s->d_k);
		m->scale_sqrt = true;
	}
	if (!m || !(m->name = strdup("random")) ||
	    !(m->source = strdup("random model")) ||
	    fill_vocab(m, s->vocab) || fill_structure(m, s, &state) ||
	    fill_weights(m, s, &state)) {
		model_free(m);
		kv_error_set(err, EX_OSERR, "out of memory for a random model");
		return NULL;
	}
	return m;
}
