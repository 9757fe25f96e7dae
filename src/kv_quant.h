#ifndef KVSTEP_KV_QUANT_H
#define KVSTEP_KV_QUANT_H
/*
 * A quantised KV cache, KIVI's way (Liu et al., arXiv 2402.02750): the pure
 * arithmetic, no cache and no trace.
 *
 * Asymmetric min-max over a group of n values x with b bits:
 *
 *   min   = the smallest x,  max = the largest x
 *   scale = (max − min) / (2^b − 1)
 *   code  = round((x − min) / scale)       C's round(): half away from 0
 *   read  = min + code · scale             what the cache gives back
 *
 * A constant group has scale 0: every code is 0 and reads back as min, the
 * exact value (there is no division by zero).
 *
 * Groups. Positions 1, 2, ... fall in groups of G: group g is positions
 * (g−1)·G+1 .. g·G. K is quantised per channel: for each row of K (d_k
 * rows) the G values of one group share a min and a scale. V is quantised
 * per position: the d_v values of one column share a min and a scale.
 *
 * Residual. The newest positions stay in full precision: group g is
 * quantised when the cache reaches len = g·G + R − G positions, so with
 * R = G (the default) a group is quantised as soon as it is complete, and
 * a larger R keeps R−G to R−1 of the newest positions exact. R ≥ G.
 */
#include <stdbool.h>
#include <stdint.h>

/* Settings of a quantised cache; bits 0 means "not quantised". */
typedef struct KvQuant {
	int bits;     /* 8 or 4; 0 = off */
	int group;    /* G ≥ 1: positions a K channel group spans */
	int residual; /* R ≥ G: see above */
} KvQuant;

/* Largest G and R accepted on the command line. */
#define KV_QUANT_MAX_GROUP 64

/* Min and scale of one group; `code` of one value in it. */
typedef struct KvQuantCell {
	double min;
	double scale;
	int code;
} KvQuantCell;

/* True when q quantises (bits 8 or 4). */
bool kv_quant_on(const KvQuant *q);

/*
 * Quantises n values x[0], x[stride], ... x[(n−1)·stride] with `bits`
 * (1..16): fills out[i] (n cells) with the group's min and scale and the
 * value's code, and overwrites x[i·stride] with its read-back value.
 */
void kv_quant_group(double *x, int n, int stride, int bits,
		    KvQuantCell *out);

/* min + code · scale. */
double kv_quant_read(const KvQuantCell *c);

/*
 * The group the cache quantises when it reaches `len` positions: returns
 * true and sets *lo..*hi (G positions) when len = g·G + R − G for some
 * g ≥ 1; false otherwise (and always when q is off).
 */
bool kv_quant_due(const KvQuant *q, int len, int *lo, int *hi);

/* True when position pos (1..len) is quantised once the cache holds len. */
bool kv_quant_is_quantised(const KvQuant *q, int pos, int len);

/* Positions among 1..len that are quantised: a multiple of G. */
int kv_quant_count(const KvQuant *q, int len);

/*
 * Bytes the K and V of positions lo..len of one (layer, kv head) take
 * (lo > 1 when a sliding window evicted the older ones):
 *
 *   codes   nq·(d_k + d_v)·b bits        nq quantised positions held
 *   K       2·d_k scalars per group with a held quantised position
 *           (its min and scale per channel)
 *   V       2 scalars per quantised position (its min and scale)
 *   full    nf·(d_k + d_v) scalars       nf residual positions held
 *
 * Scalars take `elem_bytes` (the cache's --dtype). Returned in bits: the
 * engine, the cache panel and `kvstep mem` sum the kv heads of a layer and
 * round that up to whole bytes (kv_quant_bytes), then add the layers.
 * With q off: (len − lo + 1)·(d_k + d_v) scalars.
 */
uint64_t kv_quant_bits(const KvQuant *q, int lo, int len, int d_k, int d_v,
		       int elem_bytes);

/* Bits rounded up to whole bytes. */
uint64_t kv_quant_bytes(uint64_t bits);

/* Parses "int8" or "int4" into 8 or 4; returns false for anything else. */
bool kv_quant_parse_bits(const char *s, int *bits);

#endif
