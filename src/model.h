#ifndef KVSTEP_MODEL_H
#define KVSTEP_MODEL_H
/*
 * The tiny transformer: one attention head, weights in worksheet
 * orientation (a weight matrix maps a column vector to a column vector).
 *
 * A Model is immutable once loaded; the engine, the trace and every view
 * only read it.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kv_error.h"

/* Documented limits for model files; the loader refuses anything larger. */
enum {
	KV_MAX_DIM = 64,        /* d_model, d_k, d_v */
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
	int d_k;         /* rows of Q and K */
	int d_v;         /* rows of V and Z */
	double scale;    /* 1/sqrt(d_k), or 1 for `scale = none` */
	bool scale_sqrt; /* true when scale = 1/sqrt(d_k) */
	int prompt_n;    /* default prompt length P */
	int *prompt;     /* (prompt_n) token ids of the default prompt */
	int generate;    /* default number N of generated tokens */
	int pos_n;       /* rows in [position]; 0 when the model has none */
	double *embed;   /* (vocab_n, d_model) row t is token t's embedding */
	double *pos;     /* (pos_n, d_model) row p-1 is position p's vector */
	double *wq;      /* (d_k, d_model) row-major */
	double *wk;      /* (d_k, d_model) row-major */
	double *wv;      /* (d_v, d_model) row-major */
	double *wout;    /* (vocab_n, d_v) row t gives token t's logit */
} Model;

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
 * EX_NOINPUT when it cannot be opened or read, else as model_parse.
 */
Model *model_load_file(const char *path, KvError *err);

/* The classroom model compiled into the binary from data/default.ini. */
Model *model_load_default(KvError *err);

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
