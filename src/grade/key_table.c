#include "key_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_answer.h"
#include "number.h"

/* A token row: its trimmed text, copied; an empty one is not graded. */
static int read_token(const char *s, KeyCell *c, KvError *err)
{
	char word[4100]; /* a field has at most 4096 bytes (csv_table.h) */
	csvtab_trim(s ? s : "", word, sizeof word);
	c->masked = !word[0];
	if (c->masked)
		return 0;
	c->text = strdup(word);
	if (!c->text)
		return kv_error_set(err, EX_OSERR, "out of memory");
	return 0;
}

/* Reads one data row of the key into `c`. Returns 0 or EX_DATAERR. */
static int read_cell(const char *name, const ColMap *m, const CsvRow *r,
		     KeyCell *c, KvError *err)
{
	char why[160];
	if (!colmap_key(m, r, &c->k, why, sizeof why))
		return kv_error_set(err, EX_DATAERR, "%s:%d: %s", name, r->line,
				    why);
	const char *s = colmap_field(m, r, COL_VALUE);
	const char *st = colmap_field(m, r, COL_STATUS);
	char status[16];
	c->given = st && strcmp(csvtab_trim(st, status, sizeof status),
				 "given") == 0;
	if (c->k.mat == CSV_KIND_TOKEN)
		return read_token(s, c, err);
	NumberKind kind = s ? number_parse(s, &c->value) : NUMBER_BAD;
	c->masked = kind == NUMBER_EMPTY;
	if (csv_kind_is_counter(c->k.mat) && kind != NUMBER_EMPTY &&
	    kind != NUMBER_BAD && kind != NUMBER_NONFINITE &&
	    (c->value < 0 || c->value != nearbyint(c->value)))
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: counter value '%.40s' is not a whole number",
				    name, r->line, s);
	if (kind == NUMBER_BAD || kind == NUMBER_NONFINITE)
		return kv_error_set(err, EX_DATAERR,
				    "%s:%d: value '%.40s' is not a number", name,
				    r->line, s ? s : "");
	return 0;
}

/* qsort_r is not in POSIX; sort (key, index) pairs instead. */
typedef struct Sortable {
	CellKey k;
	int i;
} Sortable;

static int cmp_sortable(const void *a, const void *b)
{
	const Sortable *x = a, *y = b;
	int d = cellkey_cmp(&x->k, &y->k);
	return d ? d : (x->i > y->i) - (x->i < y->i);
}

/* Builds kt->sorted and refuses a cell listed twice. */
static int index_cells(const char *name, const CsvTable *t, KeyTable *kt,
		       KvError *err)
{
	Sortable *s = malloc((size_t)kt->n * sizeof *s);
	kt->sorted = malloc((size_t)kt->n * sizeof *kt->sorted);
	if (!s || !kt->sorted) {
		free(s);
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	for (int i = 0; i < kt->n; i++)
		s[i] = (Sortable){ kt->cells[i].k, i };
	qsort(s, (size_t)kt->n, sizeof *s, cmp_sortable);
	int rc = 0;
	for (int i = 0; i < kt->n; i++) {
		kt->sorted[i] = s[i].i;
		if (!rc && i > 0 && cellkey_cmp(&s[i].k, &s[i - 1].k) == 0) {
			char cell[96];
			cellkey_format(&s[i].k, cell, sizeof cell);
			rc = kv_error_set(err, EX_DATAERR,
					  "%s:%d: %s is listed twice (also on line %d)",
					  name, t->rows[s[i].i + 1].line, cell,
					  t->rows[s[i - 1].i + 1].line);
		}
	}
	free(s);
	return rc;
}

static void tally(KeyTable *kt, const KeyCell *c)
{
	kt->modes |= 1u << c->k.mode;
	if (c->k.step > kt->max_step)
		kt->max_step = c->k.step;
	kt->sheet |= c->given || c->k.mat >= MAT_COUNT;
	if (c->masked || c->given)
		return;
	kt->graded++;
	kt->matrices |= (uint64_t)1 << c->k.mat;
}

/*
 * The run fingerprint every row carries; the rows of one key must agree.
 * Rows with an empty run field are let be.
 */
static int read_run(const char *name, const CsvTable *t, const ColMap *m,
		    KeyTable *kt, KvError *err)
{
	int first = 0;
	for (int r = 1; r < t->n_rows; r++) {
		const char *f = colmap_field(m, &t->rows[r], COL_RUN);
		char run[sizeof kt->run];
		if (!f || !csvtab_trim(f, run, sizeof run)[0])
			continue;
		if (!first) {
			strcpy(kt->run, run);
			first = t->rows[r].line;
		} else if (strcmp(run, kt->run) != 0) {
			return kv_error_set(err, EX_DATAERR,
					    "%s:%d: run '%s' differs from run '%s' on line %d; a key is the export of one run",
					    name, t->rows[r].line, run, kt->run, first);
		}
	}
	return 0;
}

int keytab_build(const char *name, const CsvTable *t, KeyTable *kt,
		 KvError *err)
{
	memset(kt, 0, sizeof *kt);
	ColMap m;
	if (colmap_build(&t->rows[0], name, &m, err))
		return err->code;
	if (t->n_rows < 2)
		return kv_error_set(err, EX_DATAERR,
				    "%s: the key has a header but no cells", name);
	kt->cells = calloc((size_t)t->n_rows - 1, sizeof *kt->cells);
	if (!kt->cells)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (int r = 1; r < t->n_rows; r++) {
		if (read_cell(name, &m, &t->rows[r], &kt->cells[kt->n], err))
			break;
		tally(kt, &kt->cells[kt->n++]);
	}
	if (!err->code)
		index_cells(name, t, kt, err);
	if (!err->code)
		read_run(name, t, &m, kt, err);
	if (!err->code && kt->graded == 0)
		kv_error_set(err, EX_DATAERR,
			     "%s: every cell is empty; export the key without --blank",
			     name);
	if (err->code)
		keytab_free(kt);
	return err->code;
}

int keytab_load(const char *path, KeyTable *kt, KvError *err)
{
	memset(kt, 0, sizeof *kt);
	CsvTable t;
	if (csvtab_read(path, NULL, &t, err))
		return err->code;
	int rc = keytab_build(path, &t, kt, err);
	csvtab_free(&t);
	return rc;
}

int keytab_find(const KeyTable *kt, const CellKey *k)
{
	int lo = 0, hi = kt->n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int d = cellkey_cmp(&kt->cells[kt->sorted[mid]].k, k);
		if (d == 0)
			return kt->sorted[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

void keytab_free(KeyTable *kt)
{
	for (int i = 0; kt->cells && i < kt->n; i++)
		free(kt->cells[i].text);
	free(kt->cells);
	free(kt->sorted);
	memset(kt, 0, sizeof *kt);
}
