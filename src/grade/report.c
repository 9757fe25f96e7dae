/* wcswidth is an X/Open function; nothing else here needs it. */
#define _XOPEN_SOURCE 700

#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "csv_answer.h"
#include "csv_out.h"
#include "text_visible.h"

/* Outside text (file names, values, notes quoting them) goes out visible. */
static void put_vis(FILE *out, const char *s)
{
	text_visible_put(out, s);
}

void report_format_expected(double v, double tol, char *buf, size_t size)
{
	if (!(tol > 0)) {
		csv_format_double(buf, size, v);
		return;
	}
	int decimals = (int)ceil(-log10(tol)) + 1;
	decimals = decimals < 1 ? 1 : decimals > 12 ? 12 : decimals;
	snprintf(buf, size, "%.*f", decimals, v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		strcpy(buf, "0");
}

void report_key(FILE *out, const char *path, const KeyTable *kt,
		const Tolerance *tol)
{
	fputs("key ", out);
	put_vis(out, path);
	fprintf(out, ": %d cells to grade, tolerance %g", kt->graded, tol->abs);
	if (tol->rel > 0)
		fprintf(out, " or %g%% of the key value, whichever is larger",
			100 * tol->rel);
	int given = 0, counters = 0, tokens = 0;
	for (int i = 0; i < kt->n; i++) {
		const KeyCell *c = &kt->cells[i];
		given += c->given;
		if (c->masked || c->given)
			continue;
		counters += csv_kind_is_counter(c->k.mat);
		tokens += c->k.mat == CSV_KIND_TOKEN;
	}
	if (counters || tokens)
		fprintf(out, " (of them %d counter%s and %d token%s, graded exactly)",
			counters, counters == 1 ? "" : "s", tokens,
			tokens == 1 ? "" : "s");
	int masked = kt->n - kt->graded - given;
	if (masked)
		fprintf(out, " (%d masked cell%s not graded)", masked,
			masked == 1 ? "" : "s");
	if (given)
		fprintf(out, " (%d given cell%s, printed on the sheet, not graded)",
			given, given == 1 ? "" : "s");
	fputs("\n", out);
}

static void put_tally(FILE *out, const char *label, const Tally *t, bool first)
{
	fprintf(out, "%s%s %d/%d", first ? "" : ", ", label, t->correct,
		t->graded);
}

static void report_breakdown(FILE *out, const KeyTable *kt, const Score *s)
{
	fputs("  by matrix:", out);
	bool first = true;
	for (int m = 0; m < CSV_KIND_COUNT; m++)
		if (s->by_matrix[m].graded) {
			fputs(first ? " " : "", out);
			put_tally(out, csv_kind_name(m), &s->by_matrix[m], first);
			first = false;
		}
	if (kt->modes & (kt->modes - 1)) { /* more than one mode */
		fputs("\n  by mode:  ", out);
		first = true;
		for (int m = 0; m < MODE_COUNT; m++)
			if (s->by_mode[m].graded) {
				fputs(first ? " " : "", out);
				put_tally(out, mode_name((Mode)m), &s->by_mode[m],
					  first);
				first = false;
			}
	}
	fputs("\n  by step:  ", out);
	first = true;
	for (int t = 1; t <= kt->max_step; t++)
		if (s->by_step[t].graded) {
			char label[16];
			snprintf(label, sizeof label, "%s%d:", first ? " " : "", t);
			put_tally(out, label, &s->by_step[t], first);
			first = false;
		}
	fputs("\n", out);
}

/* What the student wrote for a wrong or missing cell; a token in quotes. */
static void put_given(FILE *out, const Answer *a, bool token)
{
	char given[48];
	switch (a->verdict) {
	case VERDICT_NO_ROW:
		fputs("no row in the file", out);
		return;
	case VERDICT_EMPTY:
		fprintf(out, "left empty (line %d)", a->line);
		return;
	case VERDICT_BAD:
		if (csvtab_trim(a->given, given, sizeof given)[0]) {
			fputs("given '", out);
			put_vis(out, given);
			fprintf(out, "', unreadable (line %d; see notes)", a->line);
		} else {
			fprintf(out, "unreadable row (line %d; see notes)", a->line);
		}
		return;
	case VERDICT_NONFINITE:
		fputs("given '", out);
		put_vis(out, csvtab_trim(a->given, given, sizeof given));
		fprintf(out, "', not a finite number (line %d)", a->line);
		return;
	case VERDICT_WRONG:
	case VERDICT_CORRECT:
		break;
	}
	fputs(token ? "given \"" : "given ", out);
	put_vis(out, csvtab_trim(a->given, given, sizeof given));
	fprintf(out, "%s (line %d)", token ? "\"" : "", a->line);
}

static void report_wrong(FILE *out, const KeyTable *kt, const Score *s,
			 const Tolerance *tol)
{
	int shown = 0, total = s->wrong + s->missing;
	if (!total)
		return;
	fputs("  first wrong or missing cells:\n", out);
	for (int i = 0; i < kt->n && shown < REPORT_SHOW_WRONG; i++) {
		const KeyCell *c = &kt->cells[i];
		const Answer *a = &s->answers[i];
		if (c->masked || c->given || a->verdict == VERDICT_CORRECT)
			continue;
		char cell[96], expected[48];
		bool token = c->k.mat == CSV_KIND_TOKEN;
		cellkey_format(&c->k, cell, sizeof cell);
		fprintf(out, "    %s: expected ", cell);
		if (token) {
			fputs("\"", out);
			put_vis(out, c->text);
			fputs("\", ", out);
		} else {
			/* a counter is exact: no tolerance to round it to */
			report_format_expected(c->value,
					       csv_kind_is_counter(c->k.mat)
						       ? 0
						       : tolerance_at(tol, c->value),
					       expected, sizeof expected);
			fprintf(out, "%s, ", expected);
		}
		put_given(out, a, token);
		fputs("\n", out);
		shown++;
	}
	if (total > shown)
		fprintf(out, "    ... and %d more\n", total - shown);
}

static void report_notes(FILE *out, const Score *s)
{
	if (!s->n_notes && !s->extra_rows && !s->masked_given &&
	    !s->comma_values && !s->glyph_values && s->quote != '\'' &&
	    !s->run_unchecked)
		return;
	fputs("  notes:\n", out);
	if (s->run_unchecked)
		fputs("    no run column: could not check that the file is of the key's run\n",
		      out);
	if (s->quote == '\'')
		fputs("    the file uses ' as its text delimiter; read it as such\n",
		      out);
	for (int i = 0; i < s->n_notes; i++) {
		fprintf(out, "    line %d: ", s->notes[i].line);
		put_vis(out, s->notes[i].msg);
		fputs("\n", out);
	}
	if (s->notes_dropped)
		fprintf(out, "    ... and %d more problems\n", s->notes_dropped);
	if (s->comma_values)
		fprintf(out, "    read %d value%s written with a decimal comma (first on line %d) as decimals\n",
			s->comma_values, s->comma_values == 1 ? "" : "s",
			s->first_comma_line);
	if (s->glyph_values)
		fprintf(out, "    read %d value%s with a status glyph (! or =) after the number (first on line %d) as the number alone\n",
			s->glyph_values, s->glyph_values == 1 ? "" : "s",
			s->first_glyph_line);
	if (s->extra_rows && !s->matched_graded)
		fputs("    none of its rows are cells of this key: a CSV of another sheet or another --step/--mode?\n",
		      out);
	else if (s->extra_rows)
		fprintf(out, "    %d row%s for cells the key does not have (first on line %d) ignored; was the key exported with the same --mode, --step and --matrix?\n",
			s->extra_rows, s->extra_rows == 1 ? "" : "s",
			s->first_extra_line);
	if (s->masked_given)
		fprintf(out, "    %d value%s written in masked cells, not graded\n",
			s->masked_given, s->masked_given == 1 ? "" : "s");
}

void report_student(FILE *out, const char *path, const KeyTable *kt,
		    const Score *s, const Tolerance *tol)
{
	char pct[16];
	score_percent(&s->total, pct, sizeof pct);
	fputs("\n", out);
	put_vis(out, path);
	fprintf(out, ": %d/%d correct (%s%%)", s->total.correct,
		s->total.graded, pct);
	if (s->wrong || s->missing)
		fprintf(out, ", %d wrong, %d missing", s->wrong, s->missing);
	fputs("\n", out);
	report_breakdown(out, kt, s);
	report_wrong(out, kt, s, tol);
	report_notes(out, s);
}

void report_reason(const char *path, const char *why, char *buf, size_t size)
{
	size_t n = strlen(path);
	if (strncmp(why, path, n) != 0 || why[n] != ':') {
		snprintf(buf, size, "%s", why);
		return;
	}
	const char *rest = why + n + 1;
	size_t digits = strspn(rest, "0123456789");
	if (digits && rest[digits] == ':')
		snprintf(buf, size, "line %.*s:%s", (int)digits, rest,
			 rest + digits + 1);
	else
		snprintf(buf, size, "%s", rest + (*rest == ' '));
}

void report_not_graded(FILE *out, const char *path, const char *why)
{
	char reason[1100];
	report_reason(path, why, reason, sizeof reason);
	fputs("\n", out);
	put_vis(out, path);
	fputs(": not graded: ", out);
	put_vis(out, reason);
	fputs("\n", out);
}

int report_width(const char *s)
{
	size_t n = mbstowcs(NULL, s, 0);
	if (n != (size_t)-1 && n < 4096) {
		wchar_t *w = malloc((n + 1) * sizeof *w);
		int width = -1;
		if (w && mbstowcs(w, s, n + 1) == n)
			width = wcswidth(w, n);
		free(w);
		if (width >= 0)
			return width;
	}
	int chars = 0; /* no locale to ask: one column per UTF-8 character */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	return chars;
}

/* `s` made visible, then padded with spaces to `width` display columns. */
static void put_padded(FILE *out, const char *s, int width)
{
	char vis[1024];
	text_visible(s, vis, sizeof vis);
	fputs(vis, out);
	for (int w = report_width(vis); w < width; w++)
		fputc(' ', out);
}

void report_class(FILE *out, const StudentResult *r, int n)
{
	int width = 4, graded = 0;
	for (int i = 0; i < n; i++) {
		char vis[1024];
		text_visible(r[i].file, vis, sizeof vis);
		int w = report_width(vis);
		width = w > width ? w : width;
		graded += r[i].score != NULL;
	}
	fprintf(out, "\nclass: %d of %d file%s graded\n", graded, n,
		n == 1 ? "" : "s");
	fprintf(out, "  %-*s  %11s  %7s\n", width, "file", "correct", "percent");
	for (int i = 0; i < n; i++) {
		fputs("  ", out);
		put_padded(out, r[i].file, width);
		if (!r[i].score) {
			fprintf(out, "  %11s  not graded\n", "-");
			continue;
		}
		const Tally *t = &r[i].score->total;
		char score[32], pct[16];
		snprintf(score, sizeof score, "%d/%d", t->correct, t->graded);
		score_percent(t, pct, sizeof pct);
		fprintf(out, "  %11s  %6s%%\n", score, pct);
	}
}
