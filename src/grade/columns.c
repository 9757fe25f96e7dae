#include "columns.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "csv_answer.h"
#include "number.h"

/* Header names, indexed by Column. */
static const char *const col_names[COL_COUNT] = {
	"step", "mode", "layer", "head", "matrix", "row", "col", "value",
	"pass", "status", "run",
};

#define TRACE_HEADER "step,mode,pass,layer,head,matrix,row,col,value,status,run"

static int column_of(const char *name)
{
	for (int c = 0; c < COL_COUNT; c++)
		if (strcasecmp(name, col_names[c]) == 0)
			return c;
	return -1;
}

/* A counters export is a kvstep CSV too, just not one that can be graded. */
static int missing_column(const CsvRow *header, const char *name, Column c,
			  KvError *err)
{
	for (int i = 0; i < header->n; i++)
		if (strcasecmp(header->f[i], "macs") == 0)
			return kv_error_set(err, EX_DATAERR,
					    "%s: this is a counters export (--counters); grading needs the cell export, header " TRACE_HEADER,
					    name);
	return kv_error_set(err, EX_DATAERR,
			    "%s:%d: not a kvstep trace: no '%s' column (the header should be " TRACE_HEADER ")",
			    name, header->line, col_names[c]);
}

int colmap_build(const CsvRow *header, const char *name, ColMap *m,
		 KvError *err)
{
	for (int c = 0; c < COL_COUNT; c++)
		m->idx[c] = -1;
	m->width = header->n;
	for (int i = 0; i < header->n; i++) {
		char buf[64];
		int c = column_of(csvtab_trim(header->f[i], buf, sizeof buf));
		if (c < 0)
			continue;
		if (m->idx[c] >= 0)
			return kv_error_set(err, EX_DATAERR,
					    "%s:%d: column '%s' appears twice (columns %d and %d)",
					    name, header->line, col_names[c],
					    m->idx[c] + 1, i + 1);
		m->idx[c] = i;
	}
	for (int c = 0; c < COL_REQUIRED; c++)
		if (m->idx[c] < 0)
			return missing_column(header, name, (Column)c, err);
	return 0;
}

const char *colmap_field(const ColMap *m, const CsvRow *r, Column c)
{
	int i = m->idx[c];
	return i >= 0 && i < r->n ? r->f[i] : NULL;
}

/* Case-insensitive lookup in a name function's table; -1 if none. */
static int parse_name(const char *s, int count, const char *(*name)(int))
{
	char buf[32];
	csvtab_trim(s, buf, sizeof buf);
	for (int i = 0; i < count; i++)
		if (strcasecmp(buf, name(i)) == 0)
			return i;
	return -1;
}

static const char *mode_at(int i)
{
	return mode_name((Mode)i);
}

static const char *matrix_at(int i)
{
	return matrix_name((Matrix)i);
}

static const char *kind_at(int i)
{
	return csv_kind_name(i);
}

/* "nocache, cache or prefill": every name of a table, for messages. */
static const char *names_list(int count, const char *(*name)(int), char *buf,
			      size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < count && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
				      i == 0 ? "" : i + 1 < count ? ", " : " or ",
				      name(i));
	return buf;
}

static bool bad_field(const char *col, const char *s, const char *what,
		      char *why, size_t size)
{
	if (!s)
		snprintf(why, size, "the row has no '%s' field", col);
	else
		snprintf(why, size, "column '%s' is '%.40s', not %s", col, s, what);
	return false;
}

bool colmap_key(const ColMap *m, const CsvRow *r, CellKey *k, char *why,
		size_t size)
{
	static const Column ints[] = { COL_STEP, COL_LAYER, COL_HEAD, COL_ROW,
				       COL_COL };
	int *dest[] = { &k->step, &k->layer, &k->head, &k->row, &k->col };
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		const char *s = colmap_field(m, r, ints[i]);
		if (!s || !number_parse_index(s, dest[i]))
			return bad_field(col_names[ints[i]], s, "a whole number",
					 why, size);
	}
	const char *s = colmap_field(m, r, COL_MODE);
	int mode = s ? parse_name(s, MODE_COUNT, mode_at) : -1;
	char names[128];
	if (mode < 0)
		return bad_field("mode", s,
				 names_list(MODE_COUNT, mode_at, names, sizeof names),
				 why, size);
	s = colmap_field(m, r, COL_MATRIX);
	int mat = s ? parse_name(s, CSV_KIND_COUNT, kind_at) : -1;
	if (mat < 0) {
		char what[160];
		snprintf(what, sizeof what, "%s, nor a counter such as macs, nor token",
			 names_list(MAT_COUNT, matrix_at, names, sizeof names));
		return bad_field("matrix", s, what, why, size);
	}
	k->mode = (Mode)mode;
	k->mat = mat;
	return true;
}

static int cmp_int(int a, int b)
{
	return (a > b) - (a < b);
}

int cellkey_cmp(const CellKey *a, const CellKey *b)
{
	const int d[] = {
		cmp_int(a->step, b->step), cmp_int((int)a->mode, (int)b->mode),
		cmp_int(a->layer, b->layer), cmp_int(a->head, b->head),
		cmp_int((int)a->mat, (int)b->mat), cmp_int(a->row, b->row),
		cmp_int(a->col, b->col),
	};
	for (size_t i = 0; i < sizeof d / sizeof *d; i++)
		if (d[i])
			return d[i];
	return 0;
}

void cellkey_format(const CellKey *k, char *buf, size_t size)
{
	if (csv_kind_is_tile(k->mat)) /* a tile state: o's row, the state */
		snprintf(buf, size, "step %d %s layer %d head %d %s[%d,%d]",
			 k->step, mode_name(k->mode), k->layer, k->head,
			 csv_kind_name(k->mat), k->row, k->col);
	else if (k->mat >= MAT_COUNT && (k->layer != 1 || k->head != 1))
		snprintf(buf, size, "step %d %s layer %d head %d %s", k->step,
			 mode_name(k->mode), k->layer, k->head,
			 csv_kind_name(k->mat));
	else if (k->mat >= MAT_COUNT)
		snprintf(buf, size, "step %d %s %s", k->step, mode_name(k->mode),
			 csv_kind_name(k->mat));
	else if (k->layer != 1 || k->head != 1)
		snprintf(buf, size, "step %d %s layer %d head %d %s[%d,%d]",
			 k->step, mode_name(k->mode), k->layer, k->head,
			 matrix_name((Matrix)k->mat), k->row, k->col);
	else
		snprintf(buf, size, "step %d %s %s[%d,%d]", k->step,
			 mode_name(k->mode), matrix_name((Matrix)k->mat), k->row,
			 k->col);
}
