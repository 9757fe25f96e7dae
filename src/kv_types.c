#include "kv_types.h"

#include <string.h>

static const char *const mode_names[MODE_COUNT] = { "nocache", "cache",
						    "prefill" };
static const char *const mode_titles[MODE_COUNT] = { "no cache", "KV cache",
						     "prefill" };
static const char *const matrix_names[MAT_COUNT] = { "X", "Q", "K", "V",
						     "S", "A", "Z", "logits",
						     "H", "Kq", "Vq", "Qr", "Kr" };
static const char *const status_names[CELL_STATUS_COUNT] = {
	"", "computed", "reused", "recomputed", "masked", "evicted",
	"shifted",
};

const char *mode_name(Mode m)
{
	return (unsigned)m < MODE_COUNT ? mode_names[m] : "?";
}

const char *mode_title(Mode m)
{
	return (unsigned)m < MODE_COUNT ? mode_titles[m] : "?";
}

const char *matrix_name(Matrix m)
{
	return (unsigned)m < MAT_COUNT ? matrix_names[m] : "?";
}

const char *cell_status_name(CellStatus s)
{
	return (unsigned)s < CELL_STATUS_COUNT ? status_names[s] : "?";
}

static const struct {
	const char *name;
	unsigned block;      /* values a block holds */
	unsigned block_bits; /* bits a block takes, scale included */
} dtypes[KV_DTYPE_COUNT] = {
	[KV_DTYPE_FP32] = { "fp32", 1, 32 },
	[KV_DTYPE_FP16] = { "fp16", 1, 16 },
	[KV_DTYPE_BF16] = { "bf16", 1, 16 },
	[KV_DTYPE_FP8] = { "fp8", 1, 8 },
	[KV_DTYPE_INT4] = { "int4", 1, 4 },
	[KV_DTYPE_Q8_0] = { "q8_0", 32, 34 * 8 },
	[KV_DTYPE_Q4_0] = { "q4_0", 32, 18 * 8 },
};

static int find(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i][0] && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int mode_parse(const char *s)
{
	return find(mode_names, MODE_COUNT, s);
}

int matrix_parse(const char *s)
{
	return find(matrix_names, MAT_COUNT, s);
}

int cell_status_parse(const char *s)
{
	return find(status_names, CELL_STATUS_COUNT, s);
}

const char *kv_dtype_name(KvDtype d)
{
	return (unsigned)d < KV_DTYPE_COUNT ? dtypes[d].name : "?";
}

unsigned kv_dtype_block(KvDtype d)
{
	return (unsigned)d < KV_DTYPE_COUNT ? dtypes[d].block : 0;
}

unsigned kv_dtype_block_bits(KvDtype d)
{
	return (unsigned)d < KV_DTYPE_COUNT ? dtypes[d].block_bits : 0;
}

unsigned kv_dtype_bytes(KvDtype d)
{
	if (kv_dtype_block(d) != 1 || kv_dtype_block_bits(d) % 8 != 0)
		return 0;
	return kv_dtype_block_bits(d) / 8;
}

bool kv_dtype_parse(const char *s, KvDtype *out)
{
	for (int d = 0; d < KV_DTYPE_COUNT; d++) {
		if (strcmp(s, dtypes[d].name) == 0) {
			*out = (KvDtype)d;
			return true;
		}
	}
	return false;
}
