#include "run_fingerprint.h"

#include <stdio.h>
#include <string.h>

/* FNV-1a, 64 bit: small, stable, and plenty to tell runs apart. */
typedef struct Fnv {
	uint64_t h;
} Fnv;

static void fnv_bytes(Fnv *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		f->h ^= b[i];
		f->h *= 0x100000001b3ULL;
	}
}

/* Little-endian, whatever the host's byte order. */
static void fnv_u64(Fnv *f, uint64_t v, int bytes)
{
	unsigned char b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fnv_bytes(f, b, (size_t)bytes);
}

static void fnv_int(Fnv *f, int v)
{
	fnv_u64(f, (uint32_t)v, 4);
}

static void fnv_str(Fnv *f, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	fnv_int(f, (int)n);
	fnv_bytes(f, s, n);
}

static void fnv_doubles(Fnv *f, const double *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		double d = v[i] == 0 ? 0.0 : v[i]; /* -0 and 0 alike */
		uint64_t bits;
		memcpy(&bits, &d, sizeof bits);
		fnv_u64(f, bits, 8);
	}
}

static void fnv_model(Fnv *f, const Model *m)
{
	size_t dm = (size_t)m->d_model, L = (size_t)m->n_layers;
	size_t H = (size_t)m->n_heads, G = (size_t)m->n_kv_heads;
	fnv_str(f, m->name);
	fnv_int(f, m->vocab_n);
	for (int i = 0; i < m->vocab_n; i++)
		fnv_str(f, m->vocab[i]);
	const int dims[] = { m->d_model, m->d_k, m->d_v, m->stacked,
			     m->n_layers, m->n_heads, m->n_kv_heads };
	for (size_t i = 0; i < sizeof dims / sizeof *dims; i++)
		fnv_int(f, dims[i]);
	fnv_doubles(f, &m->scale, 1);
	for (int l = 0; l < m->n_layers; l++)
		fnv_int(f, m->window ? m->window[l] : 0);
	fnv_int(f, m->pos_n);
	fnv_doubles(f, m->embed, (size_t)m->vocab_n * dm);
	fnv_doubles(f, m->pos, (size_t)m->pos_n * dm);
	fnv_doubles(f, m->wq, L * H * (size_t)m->d_k * dm);
	fnv_doubles(f, m->wk, L * G * (size_t)m->d_k * dm);
	fnv_doubles(f, m->wv, L * G * (size_t)m->d_v * dm);
	if (m->stacked)
		fnv_doubles(f, m->wo, L * dm * H * (size_t)m->d_v);
	fnv_doubles(f, m->wout, (size_t)m->vocab_n * (size_t)model_out_dim(m));
	if (m->sink) /* only models with a sink: the others keep their value */
		fnv_doubles(f, m->sink, L * H);
	for (int l = 0; m->sink_tokens && l < m->n_layers; l++)
		fnv_int(f, m->sink_tokens[l]); /* likewise */
}

void run_fingerprint(const Trace *t, char buf[RUN_FINGERPRINT_SIZE])
{
	Fnv f = { 0xcbf29ce484222325ULL };
	static const char tag[] = "kvstep-run-1\n";
	fnv_bytes(&f, tag, sizeof tag - 1);
	fnv_model(&f, trace_model(t));
	int P = trace_prompt_len(t);
	fnv_int(&f, P);
	for (int pos = 1; pos <= P; pos++)
		fnv_int(&f, trace_token(t, pos));
	fnv_int(&f, trace_steps(t) - P);
	const KvQuant *q = trace_quant(t);
	if (q) { /* only quantised runs: the others keep their value */
		fnv_str(&f, "kv-quant");
		fnv_int(&f, q->bits);
		fnv_int(&f, q->group);
		fnv_int(&f, q->residual);
	}
	uint32_t folded = (uint32_t)(f.h >> 32) ^ (uint32_t)f.h;
	snprintf(buf, RUN_FINGERPRINT_SIZE, "kv%08x", (unsigned)folded);
}

void run_fingerprint_spec(const Model *target, const Model *draft,
			  const int *prompt, int P, int N, int k,
			  char buf[RUN_FINGERPRINT_SIZE])
{
	Fnv f = { 0xcbf29ce484222325ULL };
	static const char tag[] = "kvstep-spec-1\n";
	fnv_bytes(&f, tag, sizeof tag - 1);
	fnv_model(&f, target);
	fnv_model(&f, draft);
	fnv_int(&f, P);
	for (int i = 0; i < P; i++)
		fnv_int(&f, prompt[i]);
	fnv_int(&f, N);
	fnv_int(&f, k);
	uint32_t folded = (uint32_t)(f.h >> 32) ^ (uint32_t)f.h;
	snprintf(buf, RUN_FINGERPRINT_SIZE, "kv%08x", (unsigned)folded);
}
