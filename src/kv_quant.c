#include "kv_quant.h"

#include <math.h>
#include <string.h>

bool kv_quant_on(const KvQuant *q)
{
	return q && q->bits > 0;
}

void kv_quant_group(double *x, int n, int stride, int bits,
		    KvQuantCell *out)
{
	double lo = x[0], hi = x[0];
	for (int i = 1; i < n; i++) {
		double v = x[(long)i * stride];
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	double top = (double)((1L << bits) - 1);
	double scale = (hi - lo) / top;
	for (int i = 0; i < n; i++) {
		double *v = &x[(long)i * stride];
		int code = 0;
		if (scale > 0) {
			double c = round((*v - lo) / scale);
			code = c < 0 ? 0 : c > top ? (int)top : (int)c;
		}
		out[i] = (KvQuantCell){ .min = lo, .scale = scale,
					.code = code };
		*v = kv_quant_read(&out[i]);
	}
}

double kv_quant_read(const KvQuantCell *c)
{
	return c->min + (double)c->code * c->scale;
}

bool kv_quant_due(const KvQuant *q, int len, int *lo, int *hi)
{
	if (!kv_quant_on(q))
		return false;
	int G = q->group, end = len - (q->residual - G); /* g·G */
	if (end < G || end % G != 0)
		return false;
	*lo = end - G + 1;
	*hi = end;
	return true;
}

int kv_quant_count(const KvQuant *q, int len)
{
	if (!kv_quant_on(q))
		return 0;
	int end = len - (q->residual - q->group);
	return end < q->group ? 0 : end / q->group * q->group;
}

bool kv_quant_is_quantised(const KvQuant *q, int pos, int len)
{
	return pos >= 1 && pos <= kv_quant_count(q, len);
}

uint64_t kv_quant_bits(const KvQuant *q, int lo, int len, int d_k, int d_v,
		       int elem_bytes)
{
	uint64_t scalar = 8 * (uint64_t)elem_bytes, dkv = (uint64_t)(d_k + d_v);
	if (len < lo)
		return 0;
	if (!kv_quant_on(q))
		return (uint64_t)(len - lo + 1) * dkv * scalar;
	int top = kv_quant_count(q, len); /* positions 1..top quantised */
	int nq = top >= lo ? top - lo + 1 : 0;
	int nf = len - lo + 1 - nq;
	int groups = nq > 0 ? (top - 1) / q->group - (lo - 1) / q->group + 1
			    : 0;
	return (uint64_t)nq * dkv * (uint64_t)q->bits +
	       ((uint64_t)groups * 2 * (uint64_t)d_k + 2 * (uint64_t)nq +
		(uint64_t)nf * dkv) * scalar;
}

uint64_t kv_quant_bytes(uint64_t bits)
{
	return bits / 8 + (bits % 8 != 0);
}

bool kv_quant_parse_bits(const char *s, int *bits)
{
	if (strcmp(s, "int8") == 0)
		*bits = 8;
	else if (strcmp(s, "int4") == 0)
		*bits = 4;
	else
		return false;
	return true;
}
