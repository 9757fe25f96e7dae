#include "run_check.h"

#include <stdio.h>
#include <string.h>

RunMatch run_check(const KeyTable *kt, const CsvTable *t, const ColMap *m,
		   char *why, size_t size)
{
	if (!kt->run[0])
		return RUN_NO_KEY;
	if (m->idx[COL_RUN] < 0)
		return RUN_NO_COLUMN;
	bool seen = false;
	for (int r = 1; r < t->n_rows; r++) {
		const char *f = colmap_field(m, &t->rows[r], COL_RUN);
		char run[48];
		if (!f || !csvtab_trim(f, run, sizeof run)[0])
			continue;
		if (strcmp(run, kt->run) != 0) {
			snprintf(why, size,
				 "made for another run: line %d says run '%.40s', the key is run '%s' (another model, prompt or -n); export the blank copy with the key's -m, -p and -n",
				 t->rows[r].line, run, kt->run);
			return RUN_OTHER;
		}
		seen = true;
	}
	return seen ? RUN_SAME : RUN_NO_COLUMN;
}
