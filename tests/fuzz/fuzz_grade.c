/*
 * libFuzzer target: the grading CSV reader (streamed in blocks, with a
 * `sep=` line, ' or " quotes, status glyphs after numbers, the run
 * column). Each input is read as a student's file within a student's
 * limits, checked for its run and scored against a small real key, and
 * also read as a key. Students' spreadsheets are hostile input; no crash, leak or
 * sanitizer report may come of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "columns.h"
#include "csv_answer.h"
#include "csv_out.h"
#include "csv_table.h"
#include "key_table.h"
#include "model.h"
#include "report.h"
#include "run.h"
#include "run_check.h"
#include "score.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The key: step 4 of the cache mode of the classroom model, with the
 * counter and token rows an export --sheet adds, so that students' rows
 * reach the exact counter and the token comparisons too.
 */
static int build_key(KeyTable *kt)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const CsvAnswerRow answers[] = {
		{ 4, MODE_CACHE, CSV_KIND_TOKEN, false, 0, 0, 0, 0 },
		{ 4, MODE_CACHE, CSV_KIND_COUNTER + CSV_CTR_MACS, false, 0, 0, 0, 0 },
		{ 4, MODE_CACHE, CSV_KIND_TOTAL + CSV_CTR_CACHE_READS, false, 0, 0, 0, 0 },
		{ 4, MODE_CACHE, CSV_KIND_COUNTER + CSV_CTR_PASSES, true, 0, 0, 0, 0 },
	};
	ExportFilter flt = { .modes = 1u << MODE_CACHE, .step_lo = 4,
			     .step_hi = 4, .answers = answers,
			     .n_answers = 4 };
	csv_write_trace(f, t, &flt, &err);
	fclose(f);
	CsvTable tab = { 0 };
	int rc = csvtab_parse("key.csv", buf, len, NULL, &tab, &err) ||
		 keytab_build("key.csv", &tab, kt, &err);
	csvtab_free(&tab);
	free(buf);
	trace_free(t);
	model_free(m);
	return rc;
}

static void grade_as_student(const KeyTable *kt, const CsvTable *tab,
			     FILE *sink)
{
	ColMap map;
	KvError err;
	kv_error_clear(&err);
	if (tab->n_rows == 0 || colmap_build(&tab->rows[0], "s.csv", &map, &err))
		return;
	char why[400];
	if (run_check(kt, tab, &map, why, sizeof why) == RUN_OTHER)
		return;
	Score s;
	Tolerance tol = { 0.005, 0.02 };
	if (score_student(kt, tab, &map, &tol, &s, &err) == 0)
		report_student(sink, "s.csv", kt, &s, &tol);
	score_free(&s);
}

/*
 * libFuzzer gives the harness no context pointer, so the key, built once and
 * only read afterwards, is the one static here (harness only, not product
 * code). Rebuilding it per input cost 95% of the time.
 */
static const KeyTable *the_key(void)
{
	static KeyTable kt;
	static int ready;
	if (!ready && build_key(&kt))
		abort();
	ready = 1;
	return &kt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const KeyTable *key = the_key();
	FILE *sink = fopen("/dev/null", "w");
	KvError err;
	kv_error_clear(&err);
	CsvTable tab = { 0 };
	/* a student's limits for a 55-cell key, so the caps are reached */
	CsvLimits lim = { .max_rows = 4 * 55 + 64, .max_field = 4096,
			  .max_bytes = (size_t)1 << 20, .why = "; cap" };
	if (csvtab_parse("s.csv", (const char *)data, size, &lim, &tab,
			 &err) == 0) {
		grade_as_student(key, &tab, sink);
		KeyTable as_key = { 0 };
		kv_error_clear(&err);
		keytab_build("s.csv", &tab, &as_key, &err);
		keytab_free(&as_key);
	}
	csvtab_free(&tab);
	fclose(sink);
	return 0;
}
