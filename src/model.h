#ifndef KVSTEP_MODEL_H
#define KVSTEP_MODEL_H
/*
 * The tiny transformer, weights in worksheet orientation (a weight matrix
 * maps a column vector to a column vector).
 *
 * A classic model file describes one layer with one head and no output
 * projection: logits = W_out·z. A stacked model (any of n_layers, n_heads,
 * n_kv_heads in [model]) has per layer n_heads query heads over n_kv_heads
 * K/V heads, an output projection W_O and a residual,
 *   h = x + W_O·concat(z_1..z_H),
 * h feeding the next layer, and logits = W_out·h of the last layer.
 * Every layer may have a sliding window: key i is visible to query j only
 * when j−W < i ≤ j (W = 0: global, plain causal). A window layer may also
 * pin its first N positions (StreamingLLM's attention sinks, `sink_tokens`):
 * then key i is visible when i ≤ min(N, j) or j−W < i ≤ j, a set with a gap
 * once j > N + W, and the layer's cache keeps N + W columns.
 *
 * A Model is immutable once loaded; the engine, the trace and every view
 * only read it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv_error.h"

/* Documented limits for model files; the loader refuses anything larger. */
enum {
	KV_MAX_DIM = 64,        /* d_model, d_k, d_v */
	KV_MAX_LAYERS = 16,     /* n_layers */
	KV_MAX_HEADS = 16,      /* n_heads, n_kv_heads */
	KV_MAX_VOCAB = 64,      /* tokens in the vocabulary */
	KV_MAX_TOKEN_LEN = 31,  /* bytes in one token's spelling */
	KV_MAX_TOKENS = 1024,   /* prompt + generated positions */
	KV_MAX_LINE = 198,      /* bytes on one line of a model file */
	KV_MAX_FILE = 1 << 20,  /* bytes in one model file */
};

/* Largest magnitude a weight may have; keeps every product finite. */
#define KV_MAX_ABS_VALUE 1e6

typedef struct Model {
	char *name;      /* [model] name, for titles */
	char *source;    /* file name the model came from, for messages */
	int vocab_n;     /* number of tokens */
	char **vocab;    /* (vocab_n) token spellings, index = token id */
	int d_model;     /* width of X columns */
	int d_k;         /* rows of Q and K, per head */
	int d_v;         /* rows of V and Z, per head */
	double scale;    /* 1/sqrt(d_k), or 1 for `scale = none` */
	bool scale_sqrt; /* true when scale = 1/sqrt(d_k) */
	bool stacked;    /* W_O and residual per layer; W_out reads d_model */
	int n_layers;    /* layers, 1 for a classic file */
	int n_heads;     /* query heads per layer */
	int n_kv_heads;  /* K/V heads per layer; divides n_heads */
	int *window;     /* (n_layers) 0 = global, else the sliding window W */
	int *sink_tokens; /* (n_layers) N pinned first positions of a window
			     layer, 0 on global layers; NULL: none anywhere */
	int prompt_n;    /* default prompt length P */
	int *prompt;     /* (prompt_n) token ids of the default prompt */
	int generate;    /* default number N of generated tokens */
	int pos_n;       /* rows in [position]; 0 when the model has none */
	double *embed;   /* (vocab_n, d_model) row t is token t's embedding */
	double *pos;     /* (pos_n, d_model) row p-1 is position p's vector */
	double *wq;      /* (n_layers, n_heads, d_k, d_model) row-major */
	double *wk;      /* (n_layers, n_kv_heads, d_k, d_model) */
	double *wv;      /* (n_layers, n_kv_heads, d_v, d_model) */
	double *wo;      /* (n_layers, d_model, n_heads·d_v); NULL if classic */
	double *wout;    /* (vocab_n, out_dim) row t gives token t's logit */
	double *sink;    /* (n_layers, n_heads) sink logit of each head of
			    each layer (attention.h); NULL: no sink */
	double rope;     /* `rope = BASE`: q and k rotated after projection
			    (rope.h); 0 when the model has no rotary positions */
} Model;

/* Width of the vector W_out reads: d_model when stacked, else d_v. */
static inline int model_out_dim(const Model *m)
{
	return m->stacked ? m->d_model : m->d_v;
}

/* W_Q of query head h (0-based) in layer l (0-based): (d_k, d_model). */
static inline const double *model_wq(const Model *m, int l, int h)
{
	return m->wq + ((size_t)l * (size_t)m->n_heads + (size_t)h) *
			       (size_t)m->d_k * (size_t)m->d_model;
}

/* W_K of K/V head g in layer l: (d_k, d_model). */
static inline const double *model_wk(const Model *m, int l, int g)
{
	return m->wk + ((size_t)l * (size_t)m->n_kv_heads + (size_t)g) *
			       (size_t)m->d_k * (size_t)m->d_model;
}

/* W_V of K/V head g in layer l: (d_v, d_model). */
static inline const double *model_wv(const Model *m, int l, int g)
{
	return m->wv + ((size_t)l * (size_t)m->n_kv_heads + (size_t)g) *
			       (size_t)m->d_v * (size_t)m->d_model;
}

/* W_O of layer l: (d_model, n_heads·d_v); stacked models only. */
static inline const double *model_wo(const Model *m, int l)
{
	return m->wo + (size_t)l * (size_t)m->d_model *
			       (size_t)m->n_heads * (size_t)m->d_v;
}

/* The sink logit of query head h in layer l (0-based); has_sink false
 * when the model has none. */
static inline double model_sink(const Model *m, int l, int h, bool *has_sink)
{
	*has_sink = m->sink != NULL;
	return m->sink ? m->sink[(size_t)l * (size_t)m->n_heads + (size_t)h]
		       : 0.0;
}

/* Pinned first positions N of layer l (0-based): 0 unless it has a window. */
static inline int model_sink_tokens(const Model *m, int l)
{
	return m->sink_tokens && m->window[l] > 0 ? m->sink_tokens[l] : 0;
}

/*
 * The keys query j of layer l (0-based) sees, in rising position: the
 * pinned run 1..*pinned, then the window run *lo..j (lo > pinned + 1 when
 * there is a gap; *pinned is 0 when the runs meet, and then *lo = 1).
 */
static inline void model_visible(const Model *m, int l, int j, int *pinned,
				 int *lo)
{
	int w = m->window[l], n = model_sink_tokens(m, l);
	*lo = w > 0 && j - w + 1 > 1 ? j - w + 1 : 1;
	*pinned = n > 0 && *lo > n + 1 ? n : 0;
	if (n > 0 && *lo <= n + 1)
		*lo = 1;
}

/* How many keys among positions 1..upto query j of layer l sees. */
static inline int model_visible_upto(const Model *m, int l, int j, int upto)
{
	int pinned, lo;
	model_visible(m, l, j, &pinned, &lo);
	int hi = upto < j ? upto : j;
	int p = pinned < hi ? pinned : hi;
	return p + (hi >= lo ? hi - lo + 1 : 0);
}

/* The K/V head query head h reads: h / (n_heads / n_kv_heads). */
static inline int model_kv_head(const Model *m, int h)
{
	return h / (m->n_heads / m->n_kv_heads);
}

/*
 * Parses and validates model text. `source` names the file in messages
 * ("default.ini:12: ..."). `text` need not be NUL-terminated.
 *
 * Returns the model, or NULL with `err` set: EX_DATAERR for anything wrong
 * in the text (the message starts with "source:line: "), EX_OSERR when
 * memory runs out.
 */
Model *model_parse(const char *source, const char *text, size_t len,
		   KvError *err);

/*
 * Reads and parses the file at `path`. Returns NULL with `err` set:
 * EX_NOINPUT when it cannot be opened or read (with the reason) or is not
 * a regular file (a FIFO would block), else as model_parse.
 */
Model *model_load_file(const char *path, KvError *err);

/* The classroom model compiled into the binary from data/default.ini. */
Model *model_load_default(KvError *err);

/*
 * A model compiled into the binary from data/: "default", "gqa", "mqa",
 * "local-global" or "streaming" (".ini" optional). EX_NOINPUT for another name.
 */
Model *model_load_named(const char *name, KvError *err);

/* The bundled names, for messages and help: "default, gqa, ...". */
const char *model_bundled_names(void);

/*
 * What -m means: NULL is the default model; a bundled name ("gqa" or
 * "gqa.ini") is the bundled model, even when a file of that name is in the
 * current directory; any other name with a '/' or an extension is read as a
 * file, and one without is an unknown bundled name (input_is_path).
 */
Model *model_load(const char *path, KvError *err);

/* The shape of a random model (model_random). */
typedef struct ModelShape {
	int d_model, d_k, d_v, vocab;
	int n_layers;        /* 0: a classic one-head model */
	int n_heads;         /* stacked only */
	int n_kv_heads;      /* stacked only; divides n_heads */
	const int *windows;  /* (n_layers) or NULL for all global */
	int prompt_n;        /* ≥ 1 */
	int positions;       /* prompt + generate */
	bool with_positions; /* add a [position] row per position */
} ModelShape;

/*
 * A model of shape `s` with random real weights (scaled by 1/sqrt(fan-in))
 * and a random prompt, the same for the same seed. No limits are checked:
 * the benchmark runs sizes no file may have. NULL with EX_OSERR when memory
 * runs out.
 */
Model *model_random(const ModelShape *s, uint64_t seed, KvError *err);

/* Frees a model from any of the loaders; NULL is allowed. */
void model_free(Model *m);

/* Token id of `word`, or -1 if it is not in the vocabulary. */
int model_token_id(const Model *m, const char *word);

/*
 * Splits `words` on whitespace into token ids. Returns the count, or -1 with
 * `err` set (EX_USAGE) naming the first unknown word, or a prompt that is
 * empty or longer than `cap`.
 */
int model_parse_prompt(const Model *m, const char *words, int *ids, int cap,
		       KvError *err);

/*
 * Largest number of positions the model can run: KV_MAX_TOKENS, or the
 * number of [position] rows when the model has them.
 */
int model_max_positions(const Model *m);

#endif
