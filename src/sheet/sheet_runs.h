#ifndef KVSTEP_SHEET_RUNS_H
#define KVSTEP_SHEET_RUNS_H
/*
 * The runs a worksheet reads: the command line's, and one per
 * {{model NAME}} directive, a bundled model run with its own prompt and
 * generate count and the command line's bytes per cached cell (--dtype).
 */
#include "kv_error.h"
#include "sheet_tmpl.h"
#include "trace.h"

typedef struct SheetRuns {
	const Trace *runs[1 + SHEET_MAX_MODELS]; /* [0] the command line's */
	Model *models[SHEET_MAX_MODELS];         /* owned; NULL when reused */
	Trace *traces[SHEET_MAX_MODELS];         /* owned; NULL when reused */
	Trace *tiled;  /* owned: runs[0] rerun with the tiled kernel for
			* {{attention flash}}; NULL when the command line's
			* run already is that one */
} SheetRuns;

/*
 * True when `t` is the run a {{attention flash tile=B}} sheet reads: the
 * tiled kernel with tiles of `tile`, no split.
 */
bool sheet_runs_tiled_as(const Trace *t, int tile);

/*
 * Fills `sr` for the models `tp` names (and, for {{attention flash}},
 * runs[0] as the tiled kernel computes the command line's tokens: the
 * same model, prompt, generated tokens and bytes per cell): each runs with its own default
 * prompt and generate count, whatever -m, -p and -n say, so a printed
 * sheet always asks about the same run. Returns 0, or EX_DATAERR with "source:line: ..." for a
 * name that is no bundled model, or run_trace's error. Free `sr` with
 * sheet_runs_free either way.
 */
int sheet_runs_load(const Template *tp, const Trace *base, SheetRuns *sr,
		    KvError *err);

void sheet_runs_free(SheetRuns *sr);

#endif
