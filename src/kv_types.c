#include "kv_types.h"

#include <string.h>

static const char *const mode_names[MODE_COUNT] = { "nocache", "cache",
						    "prefill" };
static const char *const mode_titles[MODE_COUNT] = { "no cache", "KV cache",
						     "prefill" };
static const char *const matrix_names[MAT_COUNT] = { "X", "Q", "K", "V",
						     "S", "A", "Z", "logits",
						     "H" };
static const char *const status_names[CELL_STATUS_COUNT] = {
	"", "computed", "reused", "recomputed", "masked", "evicted",
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
