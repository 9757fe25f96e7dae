/*
 * libFuzzer target: the `kvstep mem` config loader and the arithmetic on
 * whatever it accepts.
 */
#include <stddef.h>
#include <stdint.h>

#include "mem_calc.h"
#include "mem_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MemConfig c;
	KvError err;
	kv_error_clear(&err);
	if (mem_config_load("fuzz.ini", (const char *)data, size, &c, &err))
		return 0;
	static const uint64_t ctx[] = { 1, 4096, 131072, 1u << 31 };
	MemPolicy p = mem_policy_default();
	for (size_t i = 0; i < sizeof ctx / sizeof *ctx; i++) {
		MemTotals t;
		KvError e2;
		kv_error_clear(&e2);
		p.engine = (MemEngine)(i % MEM_ENGINE_COUNT);
		mem_totals(&c, ctx[i], 7, (MemKvType){ KV_DTYPE_FP16, KV_DTYPE_Q4_0 },
			   &p, &t, &e2);
	}
	return 0;
}
