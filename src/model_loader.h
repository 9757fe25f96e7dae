#ifndef KVSTEP_MODEL_LOADER_H
#define KVSTEP_MODEL_LOADER_H
/*
 * Inside the model-file loader (model.c, model_header.c, model_weights.c):
 * the state they share and the helpers every check uses (model_loader.c,
 * model_vocab.c). Every message names `file:line` and what was expected;
 * nothing is guessed or truncated.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ini_doc.h"
#include "model.h"

/* The keys of [model], by index into Loader.entry_of. */
enum { MK_NAME, MK_VOCAB, MK_DMODEL, MK_DK, MK_DV, MK_SCALE, MK_PROMPT,
       MK_GENERATE, MK_NLAYERS, MK_NHEADS, MK_NKV, MK_WINDOWS, MK_PATTERN,
       MK_WINDOW, MK_SINK, MK_SINK_TOKENS, MK_ROPE, MK_COUNT };

typedef struct Loader {
	const IniDoc *doc;
	Model *m;
	KvError *err;
	/* the [model] entry of each key, NULL while unseen */
	const IniEntry *entry_of[MK_COUNT];
} Loader;

/* Records "source:line: <fmt>" as EX_DATAERR; returns the code. */
int loader_fail(Loader *L, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records "out of memory" as EX_OSERR; returns the code. */
int loader_oom(Loader *L);

/* Parses entry e's value as a whole decimal integer in [lo, hi]. */
int loader_int(Loader *L, const IniEntry *e, long lo, long hi, int *out);

/*
 * Splits e's value on blanks into out[0..cap), each a finite decimal number
 * within ±KV_MAX_ABS_VALUE. Returns the count, which may exceed cap (the
 * caller reports the mismatch), or -1 after reporting a bad word.
 */
int loader_numbers(Loader *L, const IniEntry *e, double *out, int cap);

/*
 * Copies the next blank-separated word of *p into buf (cut to size-1 bytes)
 * and advances *p past it. Returns the word's full length, 0 at the end
 * (model_vocab.c).
 */
size_t model_next_word(const char **p, char *buf, size_t size);

/* True when entry e is in section `name` (case-insensitive). */
bool loader_in_section(const IniEntry *e, const char *name);

/*
 * [model]: its keys, the layer structure (heads, windows), name, scale and
 * prompt (model_header.c). Returns 0 or the error code.
 */
int loader_read_header(Loader *L);

/* Refuses an entry before the first [section] (model_weights.c). */
int loader_check_sectioned(Loader *L);

/*
 * Every weight section the header implies, and no other section
 * (model_weights.c). Returns 0 or the error code.
 */
int loader_read_weights(Loader *L);

#endif
