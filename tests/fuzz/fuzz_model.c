/*
 * libFuzzer target: the model-file loader (libinih reader, validation, and a
 * run of the engine on whatever loads), which reads teachers' hand-edited
 * files. Any crash, leak or sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "estimate.h"
#include "model.h"
#include "run.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names and tokens reach the terminal: a loaded model has no control byte. */
static void check_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			abort();
}

/* The estimate a run is refused by equals the counters of the real run. */
static void check_estimate(const Model *m, const RunConfig *cfg, const Trace *t)
{
	int T = cfg->prompt_n + cfg->generate;
	RunEstimate e = estimate_run(m, cfg->prompt_n, T);
	for (int mode = 0; mode < MODE_COUNT; mode++)
		if (e.macs[mode] != counters_macs(&trace_step(t, T, (Mode)mode)->total))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("fuzz.ini", (const char *)data, size, &err);
	if (!m)
		return 0;
	check_printable(m->name);
	for (int i = 0; i < m->vocab_n; i++)
		check_printable(m->vocab[i]);
	RunConfig cfg = run_config_default(m);
	if (cfg.prompt_n + cfg.generate > 64)
		cfg.generate = 0; /* keep each input fast */
	if (m->rope > 0 && cfg.prompt_n + cfg.generate >= 3) {
		cfg.ctx = 2; /* a RoPE model: the context shift too */
		cfg.shift = 1;
	}
	if (cfg.prompt_n <= 64) {
		Trace *t = run_trace(m, &cfg, &err);
		if (t)
			check_estimate(m, &cfg, t);
		trace_free(t);
	}
	model_free(m);
	return 0;
}
