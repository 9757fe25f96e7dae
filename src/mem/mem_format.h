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

/*
 * Writes the text report for one model: its layer makeup, heads, the bytes
 * one global layer holds per token, then for each of the n contexts the
 * exact total with the formula beside it and the two savings. `unicode`
 * picks × ≈ → over x ~ ->. Returns 0, or the error from mem_totals.
 */
int mem_report_write(FILE *out, const MemConfig *c, MemDtype d, uint64_t batch,
		     const uint64_t *contexts, size_t n, bool unicode,
		     KvError *e);

/* The CSV header row, with CRLF: see MEM_CSV_HEADER. */
#define MEM_CSV_HEADER                                                        \
	"model,dtype,batch,context,global_layers,local_layers,window,"        \
	"bytes_per_layer_token,layer_tokens,bytes,bytes_all_global,"          \
	"bytes_full_mha,saving_vs_all_global_pct,saving_vs_full_mha_pct\r\n"

/*
 * Writes one CSV row (RFC 4180, CRLF) per context for one model. `window`
 * is empty when the model has no local layer; percentages have two
 * decimals without a % sign. Returns 0, or the error from mem_totals.
 */
int mem_csv_write(FILE *out, const MemConfig *c, MemDtype d, uint64_t batch,
		  const uint64_t *contexts, size_t n, KvError *e);

#endif
