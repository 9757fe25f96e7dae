/*
 * libFuzzer target: the worksheet-template parser and renderer. A
 * teacher's fourth worksheet is outside input: each input is parsed as a
 * template and, when it parses, rendered as key and blank against the
 * classroom run (and any bundled model it names).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "run.h"
#include "sheet_render.h"
#include "sheet_runs.h"
#include "sheet_tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The classroom run, built once and only read (harness only). */
static const Trace *the_run(void)
{
	static Trace *t;
	if (!t) {
		Model *m = model_load_default(NULL);
		RunConfig cfg = run_config_default(m);
		t = run_trace(m, &cfg, NULL);
		if (!t)
			abort();
	}
	return t;
}

static void render(const Template *tp, const Trace *t, bool blank)
{
	SheetRuns sr;
	SheetPage page;
	KvError err;
	kv_error_clear(&err);
	SheetOptions o = { .blank = blank, .digits = -1 };
	memset(&page, 0, sizeof page);
	if (sheet_runs_load(tp, t, &sr, &err) == 0) {
		sheet_render_runs(tp, sr.runs, &o, &page, &err);
		/* the streamed render `answers` uses, writing nowhere */
		kv_error_clear(&err);
		sheet_render_stream(tp, sr.runs, &o, NULL, NULL, &err);
	}
	sheet_page_free(&page);
	sheet_runs_free(&sr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Template tp;
	KvError err;
	kv_error_clear(&err);
	if (sheet_tmpl_parse("fuzz.txt", (const char *)data, size, &tp, &err))
		return 0;
	render(&tp, the_run(), false);
	render(&tp, the_run(), true);
	sheet_tmpl_free(&tp);
	return 0;
}
