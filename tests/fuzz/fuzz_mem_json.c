/*
 * libFuzzer target: the `kvstep mem` config.json reader (json-c underneath),
 * then the arithmetic, every engine and the fit search on what it accepts.
 */
#include <stddef.h>
#include <stdint.h>

#include "mem_calc.h"
#include "mem_config.h"
#include "mem_fit.h"
#include "mem_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MemConfig c;
	KvError err;
	kv_error_clear(&err);
	if (mem_json_load("fuzz/config.json", (const char *)data, size, &c, &err))
		return 0;
	MemPolicy p = mem_policy_default();
	MemKvType t = { KV_DTYPE_Q8_0, KV_DTYPE_FP16 };
	for (int k = 0; k < MEM_ENGINE_COUNT; k++) {
		MemTotals tot;
		uint64_t max, bytes;
		KvError e2;
		kv_error_clear(&e2);
		p.engine = (MemEngine)k;
		mem_totals(&c, 4096, 3, t, &p, &tot, &e2);
		mem_fit_tokens(&c, t, &p, 2, (uint64_t)1 << 34, &max, &bytes, &e2);
		mem_fit_batch(&c, t, &p, 8192, (uint64_t)1 << 34, &max, &bytes, &e2);
	}
	(void)mem_weight_bytes(&c);
	return 0;
}
