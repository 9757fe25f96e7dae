#ifndef KVSTEP_MEM_MODELS_H
#define KVSTEP_MEM_MODELS_H
/*
 * The model files compiled into the binary (data/models/<id>.ini, in the order
 * src/mem/meson.build lists them), and "did you mean" suggestions.
 */
#include <stddef.h>
#include <stdio.h>

#include "kv_error.h"
#include "mem_config.h"

/* Number of bundled models. */
size_t mem_models_count(void);

/* Copies the id of bundled model i (< count) into buf: "gemma-3-27b". */
void mem_models_id(size_t i, char *buf, size_t size);

/*
 * Loads bundled model `id`. Returns 0; EX_USAGE for an unknown id, with a
 * message naming the closest ids; EX_DATAERR if the bundled file is bad.
 */
int mem_models_load(const char *id, MemConfig *out, KvError *e);

/*
 * Picks up to `max` of the n `candidates` closest to `word`: by edit
 * distance (case-insensitive), a candidate containing `word` counting as
 * distance 1; ties keep the candidates' order. Stores their indices in
 * `picked` and returns how many (0 only when n is 0).
 */
size_t mem_suggest(const char *word, const char *const *candidates, size_t n,
		   size_t *picked, size_t max);

/*
 * Writes "did you mean a, b or c?" for the picks into buf (empty if none).
 */
void mem_suggest_text(const char *const *candidates, const size_t *picked,
		      size_t n, char *buf, size_t size);

/* Writes the --list table: id, name, layers, attention. Returns 0 or an error. */
int mem_models_list(FILE *out, KvError *e);

#endif
