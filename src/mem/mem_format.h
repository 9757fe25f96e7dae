#ifndef KVSTEP_MEM_FORMAT_H
#define KVSTEP_MEM_FORMAT_H
/*
 * Text and CSV views of the KV-cache arithmetic. They only format numbers
 * that mem_calc computed; nothing here recomputes the math.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kv_error.h"
#include "mem_calc.h"
#include "mem_config.h"

/*
 * Writes `bytes` in binary units into buf: "512 B", "1.00 KiB", "5.41 GiB"
 * (the largest of B, KiB, MiB, GiB, TiB, PiB that is at most the value,
 * two decimals, rounded half up). *exact (may be NULL) tells whether the
 * two decimals are the exact value. buf needs 24 bytes.
 */
void mem_format_bytes(uint64_t bytes, char *buf, size_t size, bool *exact);

/* Writes basis points as a percentage: 8256 -> "82.56%". buf needs 16 bytes. */
void mem_format_bp(uint32_t bp, char *buf, size_t size);

/*
 * Writes `bits` / 8 as an exact decimal number of bytes: 65536 -> "8192",
 * 12 -> "1.5". buf needs 32 bytes.
 */
void mem_format_bits_as_bytes(uint64_t bits, char *buf, size_t size);

/* What the user asked for, shared by the text and CSV views. */
typedef struct MemView {
	MemKvType type;     /* K and V dtypes */
	MemPolicy policy;   /* engine layout */
	uint64_t batch;     /* sequences */
	bool unicode;       /* × ≈ → instead of x ~ -> */
	bool has_budget;    /* --budget given */
	uint64_t budget;    /* bytes */
	bool has_weights;   /* --weights given (else estimated, if possible) */
	uint64_t weights;   /* bytes, with has_weights */
} MemView;

/* The answer to "will it fit" for one model (see mem_fit.h). */
typedef struct MemFitAnswer {
	uint64_t weights;     /* bytes subtracted from the budget */
	bool weights_known;   /* given or estimated */
	uint64_t avail;       /* budget - weights, 0 if the weights exceed it */
	uint64_t max_tokens;  /* per sequence at view->batch */
	uint64_t tokens_bytes;
} MemFitAnswer;

/* Works out the fit answer for model c; 0 or an error code. */
int mem_fit_answer(const MemConfig *c, const MemView *v, MemFitAnswer *out,
		   KvError *e);

/*
 * Writes the text report for one model: its layer makeup, heads, the bytes
 * one layer holds per token, then for each of the n contexts the exact
 * total with the formula beside it, the two savings, the engine's count
 * when it is not exact, and with a budget the largest context and batch.
 * Returns 0, or the error from mem_totals.
 */
int mem_report_write(FILE *out, const MemConfig *c, const MemView *v,
		     const uint64_t *contexts, size_t n, KvError *e);

/* The CSV header row, with CRLF. */
#define MEM_CSV_HEADER                                                        \
	"model,dtype,batch,context,global_layers,local_layers,window,"        \
	"bytes_per_layer_token,layer_tokens,bytes,bytes_all_global,"          \
	"bytes_full_mha,saving_vs_all_global_pct,saving_vs_full_mha_pct,"     \
	"engine,engine_layer_tokens,engine_bytes,engine_minus_exact,"         \
	"budget,max_tokens,max_batch\r\n"

/*
 * Writes one CSV row (RFC 4180, CRLF) per context for one model. `window`
 * is empty when the model has no local layer; percentages have two
 * decimals without a % sign; `dtype` is "q8_0/fp16" (K/V) when they differ;
 * budget, max_tokens and max_batch are empty without a budget.
 * Returns 0, or the error from mem_totals.
 */
int mem_csv_write(FILE *out, const MemConfig *c, const MemView *v,
		  const uint64_t *contexts, size_t n, KvError *e);

#endif
