#ifndef KVSTEP_SHEET_RENDER_H
#define KVSTEP_SHEET_RENDER_H
/*
 * Resolves a parsed template against a trace: one page of text, as the
 * answer key or as the student copy. Every value comes from the trace
 * (trace_value, TraceStep counters) or the model's weights; nothing is
 * recomputed here.
 */
#include <stdbool.h>
#include <stdio.h>

#include "kv_error.h"
#include "sheet.h"
#include "sheet_grid.h"
#include "sheet_tmpl.h"
#include "trace.h"

/* One rendered worksheet. */
typedef struct SheetPage {
	SheetBuf text;  /* lines, each ending in '\n' */
	int lines;
	bool stream;    /* sheet_render_stream: drop each line once written */
	FILE *sink;
	SheetRef *refs; /* (n_refs) every value printed; line = page line */
	int n_refs;
	int cap_refs;
} SheetPage;

/*
 * Renders `tp` against `t` with options `o` (o->blank picks the copy).
 * Returns 0, or EX_DATAERR with "source:line: ..." when a placeholder
 * does not fit the trace (a step out of range, a cell outside its matrix
 * or not held by the mode), EX_OSERR when memory runs out. The page is
 * only valid on success; free it either way.
 */
int sheet_render(const Template *tp, const Trace *t, const SheetOptions *o,
		 SheetPage *page, KvError *err);

/*
 * As sheet_render, for a template with {{model NAME}} directives:
 * runs[0] is the command line's run, runs[1 + i] the run of
 * tp->models[i] (see sheet_runs.h). sheet_render refuses such a template
 * (EX_SOFTWARE).
 */
int sheet_render_runs(const Template *tp, const Trace *const *runs,
		      const SheetOptions *o, SheetPage *page, KvError *err);

/*
 * As sheet_render_runs, but streamed: each template line's output is
 * written to `sink` as soon as it is rendered and then dropped, so only
 * one line's text is ever held. A NULL sink writes nothing: the call
 * only checks that every line renders. Errors as sheet_render_runs, plus
 * EX_IOERR when `sink` fails (lines before the failure were written).
 * A non-NULL `info` receives the page's lines and the most bytes of text
 * held at once.
 */
typedef struct SheetStreamInfo {
	int lines;   /* lines of the page */
	size_t held; /* most bytes of text held at once */
} SheetStreamInfo;
int sheet_render_stream(const Template *tp, const Trace *const *runs,
			const SheetOptions *o, FILE *sink, SheetStreamInfo *info,
			KvError *err);

void sheet_page_free(SheetPage *page);

#endif
