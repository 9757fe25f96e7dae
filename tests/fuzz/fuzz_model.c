/*
 * libFuzzer target: the model-file loader (libinih reader, validation, and a
 * run of the engine on whatever loads), which reads teachers' hand-edited
 * files. Any crash, leak or sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "run.h"
#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("fuzz.ini", (const char *)data, size, &err);
	if (!m)
		return 0;
	RunConfig cfg = run_config_default(m);
	if (cfg.prompt_n + cfg.generate > 64)
		cfg.generate = 0; /* keep each input fast */
	if (cfg.prompt_n <= 64)
		trace_free(run_trace(m, &cfg, &err));
	model_free(m);
	return 0;
}
