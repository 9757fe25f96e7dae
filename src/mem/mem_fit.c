#include "mem_fit.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *unit;
	uint64_t mul;
} units[] = {
	{ "", 1 },
	{ "B", 1 },
	{ "KiB", (uint64_t)1 << 10 },
	{ "MiB", (uint64_t)1 << 20 },
	{ "GiB", (uint64_t)1 << 30 },
	{ "TiB", (uint64_t)1 << 40 },
	{ "kB", 1000 },
	{ "MB", 1000000 },
	{ "GB", 1000000000 },
	{ "TB", UINT64_C(1000000000000) },
};

bool mem_size_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX / 2 - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(p, units[i].unit) != 0 || strcmp(p, "b") == 0)
			continue;
		if (v > (UINT64_MAX / 2) / units[i].mul)
			return false;
		*out = v * units[i].mul;
		return true;
	}
	return false;
}

uint64_t mem_weight_bytes(const MemConfig *c)
{
	if (c->n_params == 0 || c->n_params > UINT64_MAX / 64)
		return 0;
	uint64_t bits = c->n_params * c->weight_bits;
	return bits / 8 + (bits % 8 != 0);
}

/* Bytes the engine keeps at (ctx, batch); *fits false on overflow. */
static int cache_bytes(const MemConfig *c, MemKvType t, const MemPolicy *p,
		       uint64_t ctx, uint64_t batch, uint64_t *bytes, bool *ok)
{
	MemTotals tot;
	KvError quiet;
	kv_error_clear(&quiet);
	int rc = mem_totals(c, ctx, batch, t, p, &tot, &quiet);
	*ok = rc == 0;
	*bytes = rc == 0 ? tot.engine_bytes : UINT64_MAX;
	return rc == EX_USAGE ? 0 : rc;
}

typedef struct Search {
	const MemConfig *c;
	MemKvType t;
	const MemPolicy *p;
	bool by_tokens; /* vary the context (else the batch) */
	uint64_t fixed; /* the batch, or the context */
	uint64_t avail;
} Search;

static bool fits(const Search *s, uint64_t x, uint64_t *bytes)
{
	bool ok;
	uint64_t ctx = s->by_tokens ? x : s->fixed;
	uint64_t batch = s->by_tokens ? s->fixed : x;
	cache_bytes(s->c, s->t, s->p, ctx, batch, bytes, &ok);
	return ok && *bytes <= s->avail;
}

/* Largest x in [0, hi] that fits (monotone), with its bytes. */
static void search(const Search *s, uint64_t hi, uint64_t *max, uint64_t *bytes_at)
{
	uint64_t b;
	*max = 0;
	*bytes_at = 0;
	if (!fits(s, 1, &b))
		return;
	uint64_t lo = 1, lo_bytes = b;
	if (fits(s, hi, &b)) {
		*max = hi;
		*bytes_at = b;
		return;
	}
	while (hi - lo > 1) { /* lo fits, hi does not */
		uint64_t mid = lo + (hi - lo) / 2;
		if (fits(s, mid, &b)) {
			lo = mid;
			lo_bytes = b;
		} else {
			hi = mid;
		}
	}
	*max = lo;
	*bytes_at = lo_bytes;
}

int mem_fit_tokens(const MemConfig *c, MemKvType t, const MemPolicy *p,
		   uint64_t batch, uint64_t avail, uint64_t *max,
		   uint64_t *bytes_at, KvError *e)
{
	if (batch < 1)
		return kv_error_set(e, EX_USAGE, "batch must be at least 1");
	Search s = { c, t, p, true, batch, avail };
	search(&s, MEM_CONTEXT_MAX, max, bytes_at);
	return 0;
}

int mem_fit_batch(const MemConfig *c, MemKvType t, const MemPolicy *p,
		  uint64_t ctx, uint64_t avail, uint64_t *max,
		  uint64_t *bytes_at, KvError *e)
{
	if (ctx < 1 || ctx > MEM_CONTEXT_MAX)
		return kv_error_set(e, EX_USAGE, "context out of range");
	Search s = { c, t, p, false, ctx, avail };
	search(&s, MEM_FIT_BATCH_MAX, max, bytes_at);
	return 0;
}
