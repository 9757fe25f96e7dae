#ifndef KVSTEP_GRADE_RUN_CHECK_H
#define KVSTEP_GRADE_RUN_CHECK_H
/*
 * Is a student's file of the key's run? Every exported row carries the
 * run's fingerprint in a `run` column (run_fingerprint.h); a file whose
 * fingerprint differs was made for another model, prompt or -n, and its
 * numbers would grade as wrong answers, so it is refused instead.
 */
#include <stddef.h>

#include "columns.h"
#include "csv_table.h"
#include "key_table.h"

typedef enum RunMatch {
	RUN_SAME,      /* every non-empty run field is the key's */
	RUN_NO_KEY,    /* the key has no run column (an older export) */
	RUN_NO_COLUMN, /* the key has one, the file none or only empty ones */
	RUN_OTHER,     /* a row names another run: do not grade */
} RunMatch;

/*
 * Checks the data rows of `t` (mapped as `m`) against the key's run. For
 * RUN_OTHER, writes to `why` (size `size`) the first row that differs:
 * "line 2: run 'kv1234abcd', the key's is 'kv99990000': ..." (the student's
 * field is copied as written, cut at 40 bytes).
 */
RunMatch run_check(const KeyTable *kt, const CsvTable *t, const ColMap *m,
		   char *why, size_t size);

#endif
