/*
 * The bytes of a quantised cache (--kv-quant) three ways, which must agree:
 * the engine's cache_bytes counter, the sum of the cache panel's layers,
 * and `kvstep mem`'s rule (mem_kivi_bytes) for the same model, at every
 * step of a run, for bundled stacked models with d_k = d_v.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "mem_calc.h"
#include "model_loader.h"
#include "run.h"
#include "tui_render.h"

/* The MemConfig of a teaching model: its layers, kv heads and head width. */
static MemConfig mem_of(const Model *m)
{
	MemConfig c;
	memset(&c, 0, sizeof c);
	strcpy(c.id, "teaching");
	c.attention = MEM_ATTN_GQA;
	c.n_layers = (uint32_t)m->n_layers;
	c.n_kv_heads = (uint32_t)m->n_kv_heads;
	c.head_dim = (uint32_t)m->d_k;
	for (int l = 0; l < m->n_layers; l++) {
		if (m->window[l] > 0) {
			c.n_local++;
			c.window = (uint32_t)m->window[l];
		} else {
			c.n_global++;
		}
	}
	return c;
}

static void check_model(const char *name, int max_group)
{
	KvError err = { 0 };
	Model *m = model_load(name, &err);
	assert_non_null(m);
	assert_int_equal(m->d_k, m->d_v);
	MemConfig mc = mem_of(m);
	for (int G = 1; G <= max_group; G++)
		for (int R = G; R <= max_group; R++)
			for (int bits = 4; bits <= 8; bits += 4) {
				RunConfig cfg = run_config_default(m);
				cfg.generate = 7;
				cfg.elem_bytes = bits == 4 ? 2 : 4;
				cfg.quant = (KvQuant){ bits, G, R };
				Trace *t = run_trace(m, &cfg, &err);
				assert_non_null(t);
				for (int step = 1; step <= trace_steps(t); step++) {
					const TraceStep *s = trace_step(t, step, MODE_CACHE);
					uint64_t panel = 0, mem = 0;
					for (int l = 1; l <= m->n_layers; l++) {
						TuiLayerCache lc;
						tui_cache_layer(t, step, MODE_CACHE, l, &lc);
						panel += lc.bytes;
					}
					assert_int_equal(mem_kivi_bytes(&mc, (uint64_t)step, 1, &cfg.quant, (unsigned)cfg.elem_bytes, &mem, &err), 0);
					assert_int_equal(s->pass_c.cache_bytes, panel);
					assert_int_equal(panel, mem);
				}
				trace_free(t);
			}
	model_free(m);
}

static void test_gqa(void **state)
{
	(void)state;
	check_model("gqa", 4);
}

static void test_local_global(void **state)
{
	(void)state;
	check_model("local-global", 2); /* window 2: R ≤ 2 */
}

static void test_mem_refuses_mla(void **state)
{
	(void)state;
	MemConfig c;
	memset(&c, 0, sizeof c);
	c.attention = MEM_ATTN_MLA;
	KvQuant q = { 4, 2, 2 };
	uint64_t b;
	KvError err = { 0 };
	assert_int_equal(mem_kivi_bytes(&c, 10, 1, &q, 2, &b, &err), EX_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gqa),
		cmocka_unit_test(test_local_global),
		cmocka_unit_test(test_mem_refuses_mla),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
