/*
 * Runs of the bundled models a worksheet names with {{model NAME}}.
 */
#include "sheet_runs.h"

#include "run.h"

#include <stdlib.h>

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

bool sheet_runs_tiled_as(const Trace *t, int tile)
{
	const TileKernel *k = trace_tiles_kernel(trace_tiles(t));
	return k->tiled && k->tile == tile && k->split <= 1;
}

/*
 * The command line's tokens again through the tiled kernel: the prompt
 * and the generated tokens are the base run's, so the page asks about
 * the same z as sheets 1 and 2 (the tiled argmax could only differ on a
 * tie broken by rounding; the run then fails rather than drift).
 */
static int run_tiled(const Template *tp, const Trace *base, SheetRuns *sr,
		     KvError *err)
{
	int P = trace_prompt_len(base), T = trace_steps(base);
	int *ids = calloc((size_t)P, sizeof *ids);
	if (!ids)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (int i = 0; i < P; i++)
		ids[i] = trace_token(base, i + 1);
	RunConfig cfg = run_config_default(trace_model(base));
	cfg.prompt = ids;
	cfg.prompt_n = P;
	cfg.generate = T - P;
	cfg.elem_bytes = trace_elem_bytes(base);
	cfg.tiled = true;
	cfg.tile = tp->attention_tile;
	sr->tiled = run_trace(trace_model(base), &cfg, err);
	free(ids);
	if (!sr->tiled)
		return err->code;
	for (int pos = P + 1; pos <= T; pos++)
		if (trace_token(sr->tiled, pos) != trace_token(base, pos))
			return kv_error_set(err, EX_SOFTWARE,
					    "%s: the tiled kernel chose another "
					    "token at position %d",
					    tp->source, pos);
	sr->runs[0] = sr->tiled;
	return 0;
}

int sheet_runs_load(const Template *tp, const Trace *base, SheetRuns *sr,
		    KvError *err)
{
	*sr = (SheetRuns){ .runs = { base } };
	if (tp->attention_tile > 0 &&
	    !sheet_runs_tiled_as(base, tp->attention_tile) &&
	    run_tiled(tp, base, sr, err))
		return err->code;
	for (int i = 0; i < tp->n_models; i++)
		if (run_one(tp, i, base, sr, err))
			return err->code;
	return 0;
}

void sheet_runs_free(SheetRuns *sr)
{
	trace_free(sr->tiled);
	for (int i = 0; i < SHEET_MAX_MODELS; i++) {
		trace_free(sr->traces[i]);
		model_free(sr->models[i]);
	}
	*sr = (SheetRuns){ 0 };
}
