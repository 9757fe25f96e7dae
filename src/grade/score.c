#include "score.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

static void note_add(Score *s, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note_add(Score *s, int line, const char *fmt, ...)
{
	if (s->n_notes == SCORE_MAX_NOTES) {
		s->notes_dropped++;
		return;
	}
	Note *n = &s->notes[s->n_notes++];
	n->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof n->msg, fmt, ap);
	va_end(ap);
}

double tolerance_at(const Tolerance *tol, double key)
{
	return fmax(tol->abs, tol->rel * fabs(key));
}

static bool within(double given, double key, const Tolerance *tol)
{
	double allow = tolerance_at(tol, key);
	/* With no tolerance the teacher asked for the exact double: no slack. */
	double slack = allow > 0 ? 1e-9 * fmax(1.0, fabs(key)) : 0;
	return fabs(given - key) <= allow + slack;
}

static void count_flags(Score *s, unsigned flags, int line)
{
	if ((flags & NUMBER_FLAG_COMMA) && s->comma_values++ == 0)
		s->first_comma_line = line;
	if ((flags & NUMBER_FLAG_GLYPH) && s->glyph_values++ == 0)
		s->first_glyph_line = line;
}

/* A token: its trimmed text, case and all, against the key's. */
static Verdict judge_token(const KeyCell *c, const char *v)
{
	char word[4100]; /* a field has at most 4096 bytes */
	csvtab_trim(v, word, sizeof word);
	if (!word[0])
		return VERDICT_EMPTY;
	return strcmp(word, c->text) == 0 ? VERDICT_CORRECT : VERDICT_WRONG;
}

/* The verdict for the value `v` of a row at `line` for key cell `c`. */
static Verdict judge(Score *s, const KeyCell *c, const char *v, int line,
		     const Tolerance *tol)
{
	if (c->k.mat == CSV_KIND_TOKEN)
		return judge_token(c, v);
	double d;
	unsigned flags;
	switch (number_parse_flags(v, &d, &flags)) {
	case NUMBER_EMPTY:
		return VERDICT_EMPTY;
	case NUMBER_NONFINITE:
		return VERDICT_NONFINITE;
	case NUMBER_BAD:
		if (number_is_sheet_error(v))
			note_add(s, line,
				 "'%.40s' is a spreadsheet error, not a number", v);
		else
			note_add(s, line, "'%.40s' is not a number", v);
		return VERDICT_BAD;
	case NUMBER_COMMA:
	case NUMBER_OK:
		break;
	}
	count_flags(s, flags, line);
	if (csv_kind_is_counter(c->k.mat)) /* whole numbers: exact */
		return d == c->value ? VERDICT_CORRECT : VERDICT_WRONG;
	return within(d, c->value, tol) ? VERDICT_CORRECT : VERDICT_WRONG;
}

/* True when `r` has non-empty fields beyond the header's width. */
static bool extra_fields_filled(const ColMap *m, const CsvRow *r)
{
	for (int i = m->width; i < r->n; i++) {
		char buf[8];
		if (csvtab_trim(r->f[i], buf, sizeof buf)[0])
			return true;
	}
	return false; /* none, or only empty ones: trailing delimiters */
}

/*
 * A row wider than the header almost always means an unquoted decimal comma
 * (0,26 split into "0" and "26"), and a row too short to reach the value
 * column a file cut short; either way its value cannot be trusted.
 */
static bool row_unusable(Score *s, const ColMap *m, const CsvRow *r)
{
	if (extra_fields_filled(m, r)) {
		note_add(s, r->line,
			 "%d fields where the header has %d (an unquoted decimal comma?); value not graded",
			 r->n, m->width);
		return true;
	}
	if (!colmap_field(m, r, COL_VALUE)) {
		note_add(s, r->line,
			 "only %d fields where the header has %d (is the file cut short?); value not graded",
			 r->n, m->width);
		return true;
	}
	return false;
}

/* Which key cell row `r` answers: its index, or -1 after noting why not. */
static int match_row(Score *s, const KeyTable *kt, const ColMap *m,
		     const CsvRow *r)
{
	CellKey k;
	char why[160];
	if (!colmap_key(m, r, &k, why, sizeof why)) {
		note_add(s, r->line, "%s; row ignored", why);
		return -1;
	}
	int i = keytab_find(kt, &k);
	if (i < 0 && s->extra_rows++ == 0)
		s->first_extra_line = r->line;
	return i;
}

static void score_row(Score *s, const KeyTable *kt, const ColMap *m,
		      const CsvRow *r, const Tolerance *tol)
{
	int i = match_row(s, kt, m, r);
	if (i < 0)
		return;
	const KeyCell *c = &kt->cells[i];
	Answer *a = &s->answers[i];
	const char *v = colmap_field(m, r, COL_VALUE);
	if (a->line) {
		char cell[96];
		cellkey_format(&c->k, cell, sizeof cell);
		note_add(s, r->line, "%s again (first on line %d); ignored", cell,
			 a->line);
		return;
	}
	a->line = r->line;
	a->given = v ? v : "";
	if (c->given)
		return; /* printed on the sheet: nothing to grade */
	if (!c->masked)
		s->matched_graded++;
	if (c->masked) {
		char buf[8];
		if (csvtab_trim(a->given, buf, sizeof buf)[0])
			s->masked_given++;
		return;
	}
	if (row_unusable(s, m, r))
		a->verdict = VERDICT_BAD;
	else
		a->verdict = judge(s, c, a->given, r->line, tol);
}

static void add(Tally *t, bool correct)
{
	t->graded++;
	t->correct += correct;
}

static void tally_cells(Score *s, const KeyTable *kt)
{
	for (int i = 0; i < kt->n; i++) {
		const KeyCell *c = &kt->cells[i];
		if (c->masked || c->given)
			continue;
		Verdict v = s->answers[i].verdict;
		bool ok = v == VERDICT_CORRECT;
		add(&s->total, ok);
		add(&s->by_matrix[c->k.mat], ok);
		add(&s->by_mode[c->k.mode], ok);
		add(&s->by_step[c->k.step], ok);
		s->wrong += v == VERDICT_WRONG || v == VERDICT_BAD ||
			    v == VERDICT_NONFINITE;
		s->missing += v == VERDICT_NO_ROW || v == VERDICT_EMPTY;
	}
}

int score_student(const KeyTable *kt, const CsvTable *t, const ColMap *m,
		  const Tolerance *tol, Score *s, KvError *err)
{
	memset(s, 0, sizeof *s);
	s->quote = t->quote;
	s->answers = calloc((size_t)kt->n, sizeof *s->answers);
	s->by_step = calloc((size_t)kt->max_step + 1, sizeof *s->by_step);
	if (!s->answers || !s->by_step)
		return kv_error_set(err, EX_OSERR, "out of memory");
	for (int r = 1; r < t->n_rows; r++)
		score_row(s, kt, m, &t->rows[r], tol);
	tally_cells(s, kt);
	return 0;
}

void score_free(Score *s)
{
	free(s->answers);
	free(s->by_step);
	memset(s, 0, sizeof *s);
}

void score_percent(const Tally *t, char *buf, size_t size)
{
	if (t->graded == 0) {
		snprintf(buf, size, "-");
		return;
	}
	double p = 100.0 * t->correct / t->graded;
	if (t->correct < t->graded && p > 99.9)
		p = 99.9;
	snprintf(buf, size, "%.1f", p);
}
