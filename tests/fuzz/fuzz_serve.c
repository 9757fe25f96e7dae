/*
 * libFuzzer target: scenario files (`kvstep serve`), which teachers write
 * by hand, and a run of whatever loads. Any crash, leak or sanitizer
 * report is a bug, and so is a run that fails for another reason than
 * memory or its documented limits, or that breaks the schedule's rules:
 * an iteration over its budget, a block whose reference count is not its
 * number of holders.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_run(const ServeRun *r)
{
	const Scenario *s = serve_scenario(r);
	for (int i = 1; i <= serve_iters(r); i++) {
		if (serve_iter(r, i)->tokens > s->max_tokens)
			abort();
		for (int b = 1; b <= s->blocks; b++) {
			int holders = 0;
			for (int k = 1; k <= s->n_requests; k++) {
				const ServeEntry *en = serve_entry(r, i, k);
				for (int j = 0; j < en->table_n; j++)
					holders += en->table[j] == b;
			}
			if (holders != serve_block(r, i, b)->refcount)
				abort();
		}
	}
	for (int k = 1; k <= s->n_requests; k++)
		if (serve_outcome(r, k)->finish < s->req[k - 1].arrive)
			abort();
}

/* Positions in all: keeps each input fast. */
static int positions(const Scenario *s)
{
	int n = 0;
	for (int k = 0; k < s->n_requests; k++)
		n += s->req[k].prompt_n + s->req[k].generate;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	KvError err;
	kv_error_clear(&err);
	Scenario *s = scenario_parse("fuzz.ini", (const char *)data, size, &err);
	if (!s)
		return 0;
	if (positions(s) <= 96 && s->blocks <= 64) {
		for (int b = SERVE_CONTINUOUS; b <= SERVE_STATIC; b++) {
			ServeConfig cfg = { .override_batching = true,
					    .batching = (ServeBatching)b,
					    .cells = true };
			ServeRun *r = serve_run(s, &cfg, &err);
			if (!r && err.code != EX_OSERR && err.code != EX_DATAERR)
				abort();
			if (r)
				check_run(r);
			serve_free(r);
		}
	}
	scenario_free(s);
	return 0;
}
