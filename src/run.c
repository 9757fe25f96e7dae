#include "run.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "dot.h"
#include "engine.h"
#include "estimate.h"
#include "schedule.h"

RunConfig run_config_default(const Model *m)
{
	return (RunConfig){ .prompt = m->prompt, .prompt_n = m->prompt_n,
			    .generate = m->generate, .elem_bytes = 4 };
}

/* The quantised cache's settings (kv_quant.h). */
static int quant_check(const Model *m, const RunConfig *cfg, KvError *err)
{
	const KvQuant *q = &cfg->quant;
	if (!kv_quant_on(q))
		return 0;
	if (q->bits != 8 && q->bits != 4)
		return kv_error_set(err, EX_USAGE,
				    "--kv-quant expects int8 or int4");
	if (q->group < 1 || q->group > KV_QUANT_MAX_GROUP)
		return kv_error_set(err, EX_USAGE,
				    "--kv-group expects 1 to %d, got %d",
				    KV_QUANT_MAX_GROUP, q->group);
	if (q->residual < q->group || q->residual > 2 * KV_QUANT_MAX_GROUP)
		return kv_error_set(err, EX_USAGE,
				    "--kv-residual expects %d (the group) to %d, got %d",
				    q->group, 2 * KV_QUANT_MAX_GROUP,
				    q->residual);
	if (cfg->tiled)
		return kv_error_set(err, EX_USAGE,
				    "--kv-quant goes with the standard attention kernel, not --attention flash");
	long total = (long)cfg->prompt_n + cfg->generate;
	for (int l = 0; l < m->n_layers; l++)
		if (m->window[l] > 0 && m->window[l] < total &&
		    q->residual > m->window[l])
			return kv_error_set(err, EX_USAGE,
					    "--kv-residual %d is longer than the window %d of layer %d",
					    q->residual, m->window[l], l + 1);
	return 0;
}

int run_config_check(const Model *m, const RunConfig *cfg, KvError *err)
{
	if (cfg->prompt_n < 1)
		return kv_error_set(err, EX_USAGE, "the prompt is empty");
	if (cfg->tile < 0 || cfg->tile > ENGINE_MAX_TILE || cfg->split < 0 ||
	    cfg->split > ENGINE_MAX_TILE)
		return kv_error_set(err, EX_USAGE,
				    "--tile and --split expect 1 to %d",
				    ENGINE_MAX_TILE);
	if (cfg->generate < 0)
		return kv_error_set(err, EX_USAGE,
				    "cannot generate a negative number of tokens");
	if (quant_check(m, cfg, err))
		return err ? err->code : EX_USAGE;
	long total = (long)cfg->prompt_n + cfg->generate;
	if (total > model_max_positions(m))
		return kv_error_set(err, EX_USAGE,
				    "%d prompt + %d generated tokens is %ld positions; %s allows %d",
				    cfg->prompt_n, cfg->generate, total,
				    m->source, model_max_positions(m));
	if ((cfg->ctx || cfg->shift) &&
	    (!cfg->shift || !cfg->ctx || cfg->shift >= cfg->ctx))
		return kv_error_set(err, EX_USAGE,
				    "--shift N and --ctx C go together, with 1 <= N < C (got --ctx %d --shift %d)",
				    cfg->ctx, cfg->shift);
	if (cfg->shift && m->rope <= 0)
		return kv_error_set(err, EX_USAGE,
				    "--shift turns cached keys back by N positions: it needs a model with rope (e.g. -m rope); %s has none",
				    m->source);
	if (cfg->shift && (cfg->quant.bits > 0 || cfg->tiled))
		return kv_error_set(err, EX_USAGE,
				    "--shift replays the run through an exact, standard cache; it does not go with --kv-quant or --attention flash");
	for (int l = 0; cfg->shift && l < m->n_layers; l++)
		if (model_sink_tokens(m, l) > 0)
			return kv_error_set(err, EX_USAGE,
					    "--shift drops the oldest positions; %s pins them (sink_tokens), so it has no context shift",
					    m->source);
	for (int i = 0; i < cfg->prompt_n; i++)
		if (cfg->prompt[i] < 0 || cfg->prompt[i] >= m->vocab_n)
			return kv_error_set(err, EX_USAGE,
					    "prompt token %d is not in the vocab", i + 1);
	return 0;
}

bool run_plan(Mode mode, int step, int prompt_n, int *lo, int *hi)
{
	return schedule_span(mode, step, prompt_n, lo, hi);
}

typedef struct Lockstep {
	const Model *m;
	const RunConfig *cfg;
	Trace *trace;
	Engine *eng[MODE_COUNT];
	int *tokens;           /* (T) ids at positions 1..T */
	Counters total[MODE_COUNT];
	TraceStep last[MODE_COUNT];
	uint64_t macs_total;   /* the estimate, for progress */
} Lockstep;

/* The producer the teaching modes write: the run's kernel (trace.h). */
static Producer run_producer(const RunConfig *cfg)
{
	return producer_make(PRODUCER_MODEL_TARGET,
			     cfg->tiled ? PRODUCER_KERNEL_TILED
					: PRODUCER_KERNEL_STANDARD);
}

/* The producer `mode` writes: the quantised cache's for the cache modes. */
static Producer mode_producer(const RunConfig *cfg, Mode mode)
{
	if (kv_quant_on(&cfg->quant) && mode != MODE_NOCACHE)
		return PRODUCER_TARGET_QUANT;
	return run_producer(cfg);
}

/* Runs `mode`'s pass for `step`, or repeats the record of the pass covering it. */
static void step_mode(Lockstep *L, int step, Mode mode)
{
	SchedulePass pass;
	TraceStep *s = &L->last[mode];
	if (schedule_teaching(mode, step, L->cfg->prompt_n, L->tokens, &pass)) {
		EngineSink sink = trace_sink_for(L->trace,
						 mode_producer(L->cfg, mode));
		trace_begin_pass(L->trace, mode, mode != MODE_NOCACHE);
		engine_run(L->eng[mode], pass.chunk, pass.n, &sink, &s->pass_c,
			   &s->info, NULL);
		counters_accumulate(&L->total[mode], &s->pass_c);
		s->total = L->total[mode];
		s->pass = (int)s->pass_c.passes;
		s->keeps_cache = mode != MODE_NOCACHE;
		s->chosen = argmax(engine_logits(L->eng[mode]), L->m->vocab_n);
	}
	trace_set_step(L->trace, step, mode, s);
}

/*
 * True when two modes that must agree chose different tokens at `step`:
 * all three, or with a quantised cache only the cache and prefill modes
 * (the no-cache mode reads exact values; its token leads, teacher-forced).
 */
static bool modes_disagree(const Lockstep *L, int step)
{
	bool quant = kv_quant_on(&L->cfg->quant);
	Mode lead = quant ? MODE_CACHE : MODE_NOCACHE;
	int want = L->last[lead].chosen;
	for (int mode = 0; mode < MODE_COUNT; mode++)
		if ((!quant || mode != MODE_NOCACHE) &&
		    L->last[mode].info.hi == step &&
		    L->last[mode].chosen != want)
			return true;
	return false;
}

/* Tells the progress callback the MACs done so far; false = stop. */
static bool report_progress(const Lockstep *L)
{
	uint64_t done = 0;
	for (int mode = 0; mode < MODE_COUNT; mode++)
		done += counters_macs(&L->total[mode]);
	return L->cfg->progress.step(L->cfg->progress.ctx, done, L->macs_total);
}

static int lockstep_run(Lockstep *L, KvError *err)
{
	const RunConfig *cfg = L->cfg;
	int T = cfg->prompt_n + cfg->generate;
	for (int i = 0; i < cfg->prompt_n; i++)
		L->tokens[i] = cfg->prompt[i];
	for (int step = 1; step <= T; step++) {
		trace_set_token(L->trace, step, L->tokens[step - 1]);
		for (int mode = 0; mode < MODE_COUNT; mode++)
			step_mode(L, step, (Mode)mode);
		const TraceOverflow *o = trace_overflow(L->trace);
		if (o->found)
			return kv_error_set(err, EX_DATAERR,
					    "%s: the numbers overflow at step %d: %s[%d,%d] of layer %d, head %d is not finite; use smaller weights",
					    L->m->source, step, matrix_name(o->mat),
					    o->row, o->col, o->layer, o->head);
		int next = L->last[MODE_NOCACHE].chosen;
		if (modes_disagree(L, step))
			return kv_error_set(err, EX_SOFTWARE,
					    "modes chose different tokens at step %d",
					    step);
		if (step >= cfg->prompt_n && step < T)
			L->tokens[step] = next;
		if (cfg->progress.step && !report_progress(L))
			return kv_error_set(err, EX_TEMPFAIL, "interrupted");
	}
	if (trace_events_lost(L->trace))
		return kv_error_set(err, EX_OSERR,
				    "out of memory for the cache events");
	if (trace_values_lost(L->trace))
		return kv_error_set(err, EX_OSERR,
				    "out of memory for the trace's values");
	if (trace_misfits(L->trace))
		return kv_error_set(err, EX_SOFTWARE,
				    "%llu columns fit no cell of the trace",
				    (unsigned long long)trace_misfits(L->trace));
	uint64_t bad = trace_mismatches(L->trace) +
		       trace_tiles_mismatches(trace_tiles(L->trace));
	if (bad)
		return kv_error_set(err, EX_SOFTWARE,
				    "modes disagree in %llu cells",
				    (unsigned long long)bad);
	return 0;
}

/* Folds one cell's two values into the comparison. */
static void compare_cell(TileCompare *c, Matrix mat, int layer, int head,
			 int row, int col, double tiled, double std)
{
	c->cells++;
	if (memcmp(&tiled, &std, sizeof std) == 0)
		return;
	c->differ++;
	double d = fabs(tiled - std);
	uint64_t u = trace_tiles_ulps(tiled, std);
	if (d > c->max_abs)
		c->max_abs = d;
	if (mat == MAT_Z && u > c->max_ulps) {
		*c = (TileCompare){ .done = c->done, .cells = c->cells,
				    .differ = c->differ, .max_abs = c->max_abs,
				    .max_ulps = u, .layer = layer,
				    .head = head, .row = row, .col = col,
				    .tiled_z = tiled, .standard_z = std };
	}
}

/* Every Z cell and the last logits of the two producers. */
static TileCompare compare_planes(const Trace *t)
{
	const Model *m = trace_model(t);
	int T = trace_steps(t);
	TileCompare c = { .done = true };
	double a, b;
	for (int l = 1; l <= m->n_layers; l++)
		for (int h = 1; h <= m->n_heads; h++)
			for (int j = 1; j <= T; j++)
				for (int r = 1; r <= m->d_v; r++)
					if (trace_value_of(t, PRODUCER_TARGET_TILED, l, h, MAT_Z, r, j, &a) &&
					    trace_value_of(t, PRODUCER_TARGET_STANDARD, l, h, MAT_Z, r, j, &b))
						compare_cell(&c, MAT_Z, l, h, r, j, a, b);
	for (int r = 1; r <= m->vocab_n; r++)
		if (trace_value_of(t, PRODUCER_TARGET_TILED, 1, 1, MAT_LOGITS, r, T, &a) &&
		    trace_value_of(t, PRODUCER_TARGET_STANDARD, 1, 1, MAT_LOGITS, r, T, &b))
			compare_cell(&c, MAT_LOGITS, 1, 1, r, T, a, b);
	return c;
}

/*
 * Runs the standard kernel over the run's tokens in one pass (the same
 * bits as step by step: every column is computed in a fixed order), keeps
 * its values under the standard producer and compares them with the
 * tiled producer's.
 */
static int compare_kernels(Lockstep *L, KvError *err)
{
	int T = L->cfg->prompt_n + L->cfg->generate;
	for (int pos = 1; pos <= T; pos++)
		L->tokens[pos - 1] = trace_token(L->trace, pos);
	if (trace_reserve(L->trace, PRODUCER_TARGET_STANDARD, err))
		return err ? err->code : EX_OSERR;
	EngineSpec sp = { .capacity = T, .max_seqs = 1, .keeps_cache = true,
			  .elem_bytes = L->cfg->elem_bytes };
	Engine *e = engine_new_spec(L->m, &sp, err);
	if (!e)
		return err ? err->code : EX_OSERR;
	EngineSink sink = trace_sink_for(L->trace, PRODUCER_TARGET_STANDARD);
	sink.cache = NULL; /* the teaching modes' cache events only */
	sink.tile = NULL;
	Counters c;
	PassInfo info;
	engine_pass(e, L->tokens, 1, T, &sink, &c, &info);
	engine_free(e);
	TileCompare k = compare_planes(L->trace);
	trace_tiles_set_compare(trace_tiles_mut(L->trace), &k);
	return 0;
}

/* Replays the run's tokens through a context shift (rope_shift.h). */
static int shift_context(Lockstep *L, KvError *err)
{
	int T = L->cfg->prompt_n + L->cfg->generate;
	for (int pos = 1; pos <= T; pos++)
		L->tokens[pos - 1] = trace_token(L->trace, pos);
	RopeShift *rs = rope_shift_run(L->m, L->tokens, T, L->cfg->ctx,
				       L->cfg->shift, err);
	if (!rs)
		return err ? err->code : EX_OSERR;
	trace_set_shift(L->trace, rs);
	return 0;
}

Trace *run_trace(const Model *m, const RunConfig *cfg, KvError *err)
{
	if (run_config_check(m, cfg, err))
		return NULL;
	int T = cfg->prompt_n + cfg->generate;
	TileKernel est_k = { .tiled = cfg->tiled,
			     .tile = cfg->tile > 0 ? cfg->tile : 2,
			     .split = cfg->split > 0 ? cfg->split : 1,
			     .split_from = cfg->prompt_n + 1 };
	RunEstimate est = estimate_run_kernel(m, cfg->prompt_n, T, &est_k);
	/* a quantised cache's modes keep a value plane of their own */
	if (kv_quant_on(&cfg->quant))
		est.trace_bytes += est.trace_bytes - est.events_bytes;
	if (estimate_check(&est, m->source, err))
		return NULL;
	Lockstep L = { .m = m, .cfg = cfg, .macs_total = est.macs_total };
	L.trace = trace_new(m, cfg->prompt_n, cfg->generate, err);
	L.tokens = calloc((size_t)T, sizeof *L.tokens);
	EngineSpec sp = { .capacity = T, .max_seqs = 1,
			  .elem_bytes = cfg->elem_bytes, .tiled = cfg->tiled,
			  .tile = cfg->tile > 0 ? cfg->tile : 2,
			  .split = cfg->split > 0 ? cfg->split : 1,
			  .split_from = cfg->prompt_n + 1 };
	TileKernel k = { .tiled = sp.tiled, .tile = sp.tile, .split = sp.split,
			 .split_from = sp.split_from };
	sp.quant = cfg->quant;
	if (L.trace)
		trace_set_elem_bytes(L.trace, cfg->elem_bytes);
	int rc = L.trace && L.tokens &&
		 !trace_tiles_set_kernel(trace_tiles_mut(L.trace), &k) ? 0 : kv_error_set(err, EX_OSERR,
							"out of memory");
	if (!rc)
		rc = trace_set_quant(L.trace, &cfg->quant, err);
	/* the modes' value planes now, so memory runs out here or never */
	for (int mode = 0; mode < MODE_COUNT && !rc; mode++)
		rc = trace_reserve(L.trace, mode_producer(cfg, (Mode)mode),
				   err);
	for (int mode = 0; mode < MODE_COUNT && !rc; mode++) {
		sp.keeps_cache = mode != MODE_NOCACHE;
		L.eng[mode] = engine_new_spec(m, &sp, err);
		rc = L.eng[mode] ? 0 : EX_OSERR;
	}
	if (!rc)
		rc = lockstep_run(&L, err);
	if (!rc && cfg->tiled)
		rc = compare_kernels(&L, err);
	if (!rc)
		trace_quant_measure(L.trace);
	if (!rc && cfg->shift)
		rc = shift_context(&L, err);
	for (int mode = 0; mode < MODE_COUNT; mode++)
		engine_free(L.eng[mode]);
	free(L.tokens);
	if (rc) {
		trace_free(L.trace);
		return NULL;
	}
	return L.trace;
}
