/*
 * Runs of the bundled models a worksheet names with {{model NAME}}.
 */
#include "sheet_runs.h"

#include "run.h"

/* Loads and runs model i of the template. */
static int run_one(const Template *tp, int i, const Trace *base,
		   SheetRuns *sr, KvError *err)
{
	const char *name = tp->models[i];
	KvError e;
	kv_error_clear(&e);
	sr->models[i] = model_load_named(name, &e);
	if (!sr->models[i])
		return kv_error_set(err, EX_DATAERR, "%s:%d: unknown model '%s' "
				    "(bundled: %s)", tp->source,
				    tp->model_lines[i], name,
				    model_bundled_names());
	RunConfig cfg = run_config_default(sr->models[i]);
	cfg.elem_bytes = trace_elem_bytes(base);
	cfg.quant = tp->model_quant[i];
	sr->traces[i] = run_trace(sr->models[i], &cfg, err);
	if (!sr->traces[i])
		return err->code;
	sr->runs[1 + i] = sr->traces[i];
	return 0;
}

int sheet_runs_load(const Template *tp, const Trace *base, SheetRuns *sr,
		    KvError *err)
{
	*sr = (SheetRuns){ .runs = { base } };
	for (int i = 0; i < tp->n_models; i++)
		if (run_one(tp, i, base, sr, err))
			return err->code;
	return 0;
}

void sheet_runs_free(SheetRuns *sr)
{
	for (int i = 0; i < SHEET_MAX_MODELS; i++) {
		trace_free(sr->traces[i]);
		model_free(sr->models[i]);
	}
	*sr = (SheetRuns){ 0 };
}
