/*
 * Grading: the CSV reader, number parsing, scoring and the exact report
 * text. Keys are made by the real engine (run_trace + csv_write_trace);
 * the spreadsheet fixtures were saved by LibreOffice (fixtures/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "csv_out.h"
#include "csv_table.h"
#include "grade.h"
#include "key_table.h"
#include "model.h"
#include "number.h"
#include "report.h"
#include "run.h"
#include "score.h"
#include "summary.h"

#define FIX GRADE_FIXTURES "/"

/* The group's scratch directory; tests run inside it with short names. */
typedef struct Scratch {
	char dir[64];
	char old_cwd[4096];
} Scratch;

static int group_setup(void **state)
{
	Scratch *s = calloc(1, sizeof *s);
	if (!s || !getcwd(s->old_cwd, sizeof s->old_cwd))
		return -1;
	strcpy(s->dir, "/tmp/kvstep-grade-XXXXXX");
	if (!mkdtemp(s->dir) || chdir(s->dir) != 0)
		return -1;
	*state = s;
	return 0;
}

static int group_teardown(void **state)
{
	Scratch *s = *state;
	DIR *d = opendir(s->dir);
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.')
			unlink(e->d_name);
	if (d)
		closedir(d);
	int rc = chdir(s->old_cwd);
	rmdir(s->dir);
	free(s);
	return rc;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* The cache-mode step-4 key, as `kvstep export --mode cache --step 4`. */
static char *make_key(unsigned modes, unsigned matrices)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ExportFilter f = { .modes = modes, .matrices = matrices, .step_lo = 4,
			   .step_hi = 4 };
	assert_int_equal(csv_write_trace(out, t, &f, &err), 0);
	fclose(out);
	trace_free(t);
	model_free(m);
	return buf;
}

/* `text` with 1-based line `line` changed: its 9th field (value) set to
 * `value`, or the whole line dropped when `value` is NULL. */
static char *edit_line(const char *text, int line, const char *value)
{
	char *out = malloc(strlen(text) + 64);
	char *o = out;
	int n = 1;
	for (const char *p = text; *p; n++) {
		const char *end = strstr(p, "\r\n");
		end = end ? end + 2 : p + strlen(p);
		if (n != line) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
		} else if (value) {
			const char *f = p;
			for (int commas = 0; commas < 8; f++)
				commas += *f == ',';
			memcpy(o, p, (size_t)(f - p));
			o += f - p;
			o += sprintf(o, "%s", value);
			const char *rest = strchr(f, ',');
			memcpy(o, rest, (size_t)(end - rest));
			o += end - rest;
		}
		p = end;
	}
	*o = '\0';
	return out;
}

/* Runs grade_run and returns what it printed; *rc gets its result. */
static char *grade_text(const char *key, const char *const *students, int n,
			double tol, const char *summary, int *rc, KvError *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	GradeOptions o = { .tol = tol, .summary = summary };
	char **names = n > 0 ? calloc((size_t)n, sizeof *names) : NULL;
	for (int i = 0; i < n; i++)
		names[i] = strdup(students[i]);
	kv_error_clear(err);
	*rc = grade_run(key, names, n, &o, out, err);
	fclose(out);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return buf;
}

static const char *const PERFECT_BLOCK =
	"  by matrix: X 5/5, Q 4/4, K 16/16, V 12/12, S 4/4, A 4/4, Z 3/3, logits 7/7\n"
	"  by step:   4: 55/55\n";

static void test_perfect_copy(void **state)
{
	(void)state;
	char *key = make_key(1u << MODE_CACHE, 0);
	write_file("key.csv", key);
	write_file("alice.csv", key);
	const char *students[] = { "alice.csv" };
	KvError err;
	int rc;
	char *out = grade_text("key.csv", students, 1, 0.005, NULL, &rc, &err);
	assert_int_equal(rc, 0);
	char want[1024];
	snprintf(want, sizeof want,
		 "key key.csv: 55 cells to grade, tolerance 0.005\n"
		 "\nalice.csv: 55/55 correct (100.0%%)\n%s", PERFECT_BLOCK);
	assert_string_equal(out, want);
	free(out);
	free(key);
}

static void test_three_perturbed_cells(void **state)
{
	(void)state;
	char *key = make_key(1u << MODE_CACHE, 0);
	write_file("key.csv", key);
	/* line 8 is Q[2,4] = 0, line 45 A[3,4], line 52 logits[3,4] */
	char *a = edit_line(key, 8, "2.5");
	char *b = edit_line(a, 45, "0.32");
	char *c = edit_line(b, 52, "-0.55");
	write_file("bob.csv", c);
	const char *students[] = { "bob.csv" };
	KvError err;
	int rc;
	char *out = grade_text("key.csv", students, 1, 0.005, NULL, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"key key.csv: 55 cells to grade, tolerance 0.005\n"
		"\nbob.csv: 52/55 correct (94.5%), 3 wrong, 0 missing\n"
		"  by matrix: X 5/5, Q 3/4, K 16/16, V 12/12, S 4/4, A 3/4, Z 3/3, logits 6/7\n"
		"  by step:   4: 52/55\n"
		"  first wrong or missing cells:\n"
		"    step 4 cache Q[2,4]: expected 0, given 2.5 (line 8)\n"
		"    step 4 cache A[3,4]: expected 0.599, given 0.32 (line 45)\n"
		"    step 4 cache logits[3,4]: expected -6, given -0.55 (line 52)\n");
	free(out);
	free(a);
	free(b);
	free(c);
	free(key);
}

static void test_missing_rows_count_as_wrong(void **state)
{
	(void)state;
	char *key = make_key(1u << MODE_CACHE, 0);
	write_file("key.csv", key);
	char *a = edit_line(key, 30, NULL); /* V[1,4] */
	char *b = edit_line(a, 10, NULL);   /* Q[4,4] */
	char *c = edit_line(b, 43, "  ");   /* A[3,4], was line 45 */
	write_file("carol.csv", c);
	const char *students[] = { "carol.csv" };
	KvError err;
	int rc;
	char *out = grade_text("key.csv", students, 1, 0.005, NULL, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"key key.csv: 55 cells to grade, tolerance 0.005\n"
		"\ncarol.csv: 52/55 correct (94.5%), 0 wrong, 3 missing\n"
		"  by matrix: X 5/5, Q 3/4, K 16/16, V 11/12, S 4/4, A 3/4, Z 3/3, logits 7/7\n"
		"  by step:   4: 52/55\n"
		"  first wrong or missing cells:\n"
		"    step 4 cache Q[4,4]: expected 1, no row in the file\n"
		"    step 4 cache V[1,4]: expected 0, no row in the file\n"
		"    step 4 cache A[3,4]: expected 0.599, left empty (line 43)\n");
	free(out);
	free(a);
	free(b);
	free(c);
	free(key);
}

/* Reads, maps and scores `path` against `kt` with the internal API. */
static void score_file(const KeyTable *kt, const char *path, double tol,
		       Score *s)
{
	KvError err;
	kv_error_clear(&err);
	CsvTable t;
	ColMap m;
	assert_int_equal(csvtab_read(path, NULL, &t, &err), 0);
	assert_int_equal(colmap_build(&t.rows[0], path, &m, &err), 0);
	Tolerance tl = { tol, 0 };
	assert_int_equal(score_student(kt, &t, &m, &tl, s, &err), 0);
	csvtab_free(&t);
}

/* Every spreadsheet save grades exactly like the file that was saved. */
static void test_spreadsheet_saves_grade_identically(void **state)
{
	(void)state;
	static const struct { const char *file; int commas; } saves[] = {
		{ "lo_csv.csv", 0 },           /* LibreOffice, CSV to CSV */
		{ "lo_xlsx.csv", 0 },          /* LibreOffice, via .xlsx */
		{ "lo_de_semicolon.csv", 14 }, /* German locale: ';' and 0,51 */
		{ "lo_de_comma.csv", 14 },     /* German locale: "0,51" quoted */
		{ "lo_reordered.csv", 0 },     /* columns moved, comment column */
		{ "excel_like.csv", 0 },       /* BOM, CRLF, all quoted, ,,,, */
		{ "sheets_like.csv", 0 },      /* LF, no quotes, no last newline */
		{ "hand_edited.csv", 0 },      /* " 2.0 ", step 4.0, Cache */
	};
	KvError err;
	kv_error_clear(&err);
	KeyTable kt;
	assert_int_equal(keytab_load(FIX "key.csv", &kt, &err), 0);
	assert_int_equal(kt.graded, 55);
	Score ref;
	score_file(&kt, FIX "filled.csv", 0.005, &ref);
	assert_int_equal(ref.total.correct, 55);
	for (size_t i = 0; i < sizeof saves / sizeof *saves; i++) {
		char path[512];
		snprintf(path, sizeof path, FIX "%s", saves[i].file);
		Score s;
		score_file(&kt, path, 0.005, &s);
		assert_int_equal(s.total.correct, 55);
		assert_int_equal(s.total.graded, 55);
		assert_memory_equal(s.by_matrix, ref.by_matrix, sizeof s.by_matrix);
		for (int c = 0; c < kt.n; c++) {
			assert_int_equal(s.answers[c].verdict, ref.answers[c].verdict);
			assert_int_equal(s.answers[c].line, ref.answers[c].line);
		}
		assert_int_equal(s.n_notes, 0);
		assert_int_equal(s.extra_rows, 0);
		assert_int_equal(s.comma_values, saves[i].commas);
		score_free(&s);
	}
	score_free(&ref);
	/* With --tol 0 the 2-decimal answers are wrong: the test can fail. */
	Score exact;
	score_file(&kt, FIX "lo_de_semicolon.csv", 0, &exact);
	assert_int_equal(exact.total.correct, 41); /* all but A, Z, logits */
	score_free(&exact);
	keytab_free(&kt);
}

static void test_malformed_rows_report_lines(void **state)
{
	(void)state;
	const char *students[] = { FIX "malformed_rows.csv" };
	KvError err;
	int rc;
	char *out = grade_text(FIX "key.csv", students, 1, 0.005, NULL, &rc,
			       &err);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"key " FIX "key.csv: 55 cells to grade, tolerance 0.005\n"
		"\n" FIX "malformed_rows.csv: 51/55 correct (92.7%), 3 wrong, 1 missing\n"
		"  by matrix: X 5/5, Q 3/4, K 14/16, V 12/12, S 4/4, A 4/4, Z 3/3, logits 6/7\n"
		"  by step:   4: 51/55\n"
		"  first wrong or missing cells:\n"
		"    step 4 cache Q[2,4]: expected 2, given 'two', unreadable (line 8; see notes)\n"
		"    step 4 cache K[1,3]: expected -1, given '0', unreadable (line 13; see notes)\n"
		"    step 4 cache K[3,3]: expected 4, no row in the file\n"
		"    step 4 cache logits[7,4]: expected 3.3814, unreadable row (line 56; see notes)\n"
		"  notes:\n"
		"    line 8: 'two' is not a number\n"
		"    line 13: 11 fields where the header has 10 (an unquoted decimal comma?); value not graded\n"
		"    line 21: column 'mode' is 'kache', not nocache, cache or prefill; row ignored\n"
		"    line 56: only 8 fields where the header has 10 (is the file cut short?); value not graded\n");
	free(out);
}

/* Bad student files are reported by name and line; the rest is graded. */
static void test_bad_files_do_not_stop_the_class(void **state)
{
	(void)state;
	const char *students[] = {
		"nobody.csv", FIX "empty.csv", FIX "unterminated.csv",
		FIX "saved_as.xlsx", FIX "not_a_trace.csv", FIX "filled.csv",
	};
	KvError err;
	int rc;
	char *out = grade_text(FIX "key.csv", students, 6, 0.005, NULL, &rc,
			       &err);
	assert_int_equal(rc, 0);
	assert_int_equal(err.code, 0);
	int w = (int)strlen(FIX "unterminated.csv"); /* the longest name */
	char want[8192];
	snprintf(want, sizeof want,
		"key " FIX "key.csv: 55 cells to grade, tolerance 0.005\n"
		"\nnobody.csv: not graded: cannot open: No such file or directory\n"
		"\n" FIX "empty.csv: not graded: the file is empty\n"
		"\n" FIX "unterminated.csv: not graded: line 21: unterminated quoted field (is the file cut short?)\n"
		"\n" FIX "saved_as.xlsx: not graded: this is a zip file (an .xlsx or .ods spreadsheet?), not CSV; save the sheet as CSV\n"
		"\n" FIX "not_a_trace.csv: not graded: line 1: not a kvstep trace: no 'step' column (the header should be step,mode,pass,layer,head,matrix,row,col,value,status,run)\n"
		"\n" FIX "filled.csv: 55/55 correct (100.0%%)\n%s"
		"\nclass: 1 of 6 files graded\n"
		"  %-*s      correct  percent\n"
		"  %-*s            -  not graded\n"
		"  %-*s            -  not graded\n"
		"  %-*s            -  not graded\n"
		"  %-*s            -  not graded\n"
		"  %-*s            -  not graded\n"
		"  %-*s        55/55   100.0%%\n",
		PERFECT_BLOCK, w, "file", w, "nobody.csv", w, FIX "empty.csv",
		w, FIX "unterminated.csv", w, FIX "saved_as.xlsx",
		w, FIX "not_a_trace.csv", w, FIX "filled.csv");
	assert_string_equal(out, want);
	free(out);
}

static void test_bad_keys_are_refused(void **state)
{
	(void)state;
	static const struct { const char *key; int code; const char *msg; } keys[] = {
		{ "missing.csv", EX_NOINPUT,
		  "missing.csv: cannot open: No such file or directory" },
		{ FIX "not_a_trace.csv", EX_DATAERR,
		  FIX "not_a_trace.csv:1: not a kvstep trace: no 'step' column (the header should be step,mode,pass,layer,head,matrix,row,col,value,status,run)" },
		{ FIX "counters.csv", EX_DATAERR,
		  FIX "counters.csv: this is a counters export (--counters); grading needs the cell export, header step,mode,pass,layer,head,matrix,row,col,value,status,run" },
		{ FIX "blank.csv", EX_DATAERR,
		  FIX "blank.csv: every cell is empty; export the key without --blank" },
		{ FIX "empty.csv", EX_DATAERR, FIX "empty.csv: the file is empty" },
		{ FIX "malformed_rows.csv", EX_DATAERR,
		  FIX "malformed_rows.csv:8: value 'two' is not a number" },
	};
	const char *students[] = { FIX "filled.csv" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		KvError err;
		int rc;
		char *out = grade_text(keys[i].key, students, 1, 0.005, NULL, &rc,
				       &err);
		assert_int_equal(rc, keys[i].code);
		assert_string_equal(err.msg, keys[i].msg);
		assert_string_equal(out, "");
		free(out);
	}
}

static void test_summary_read_back(void **state)
{
	(void)state;
	const char *students[] = { FIX "filled.csv", FIX "malformed_rows.csv",
				   FIX "empty.csv" };
	KvError err;
	int rc;
	char *out = grade_text(FIX "key.csv", students, 3, 0.005, "summary.csv",
			       &rc, &err);
	assert_int_equal(rc, 0);
	free(out);
	CsvTable t;
	assert_int_equal(csvtab_read("summary.csv", NULL, &t, &err), 0);
	assert_int_equal(t.n_rows, 4);
	static const char *const want[4][10] = {
		{ "file", "status", "correct", "graded", "percent", "wrong",
		  "missing", "error", "X_correct", "X_graded" },
		{ FIX "filled.csv", "graded", "55", "55", "100.0", "0", "0", "",
		  "5", "5" },
		{ FIX "malformed_rows.csv", "graded", "51", "55", "92.7", "3", "1",
		  "", "5", "5" },
		{ FIX "empty.csv", "not graded", "", "", "", "", "", "the file is empty",
		  "", "" },
	};
	for (int r = 0; r < 4; r++) {
		assert_int_equal(t.rows[r].n, 8 + 2 * 8);
		for (int c = 0; c < 10; c++)
			assert_string_equal(t.rows[r].f[c], want[r][c]);
	}
	assert_string_equal(t.rows[0].f[23], "logits_graded");
	assert_string_equal(t.rows[2].f[12], "14"); /* K_correct */
	assert_string_equal(t.rows[2].f[23], "7");
	csvtab_free(&t);
	/* RFC 4180 line ends, like the trace. */
	FILE *fp = fopen("summary.csv", "rb");
	char line[512];
	assert_non_null(fgets(line, sizeof line, fp));
	fclose(fp);
	assert_string_equal(line + strlen(line) - 2, "\r\n");
}

static void test_summary_not_creatable(void **state)
{
	(void)state;
	const char *students[] = { FIX "filled.csv" };
	KvError err;
	int rc;
	char *out = grade_text(FIX "key.csv", students, 1, 0.005,
			       "no-such-dir/summary.csv", &rc, &err);
	assert_int_equal(rc, EX_CANTCREAT);
	assert_string_equal(out, "");
	assert_int_equal(access("no-such-dir", F_OK), -1);
	free(out);
}

static void test_usage_errors(void **state)
{
	(void)state;
	KvError err;
	int rc;
	char *out = grade_text(FIX "key.csv", NULL, 0, 0.005, NULL, &rc, &err);
	assert_int_equal(rc, EX_USAGE);
	free(out);
	const char *students[] = { FIX "filled.csv" };
	out = grade_text(FIX "key.csv", students, 1, -1, NULL, &rc, &err);
	assert_int_equal(rc, EX_USAGE);
	assert_string_equal(err.msg, "--tol and --rel-tol must be numbers >= 0");
	free(out);
}

static void test_number_parse(void **state)
{
	(void)state;
	static const struct { const char *s; NumberKind k; double v; } cases[] = {
		{ "2", NUMBER_OK, 2 },          { "2.0", NUMBER_OK, 2 },
		{ "  0.5 ", NUMBER_OK, 0.5 },   { "\t-1.5", NUMBER_OK, -1.5 },
		{ "+3", NUMBER_OK, 3 },         { "1.25E-03", NUMBER_OK, 0.00125 },
		{ ".5", NUMBER_OK, 0.5 },       { "5.", NUMBER_OK, 5 },
		{ "\xE2\x88\x92" "0.25", NUMBER_OK, -0.25 },  /* U+2212 minus */
		{ "\xC2\xA0" "7\xC2\xA0", NUMBER_OK, 7 },     /* no-break spaces */
		{ "0,26", NUMBER_COMMA, 0.26 }, { "-1,5", NUMBER_COMMA, -1.5 },
		{ "", NUMBER_EMPTY, 0 },        { "   ", NUMBER_EMPTY, 0 },
		{ "1,234.5", NUMBER_BAD, 0 },   { "1,2,3", NUMBER_BAD, 0 },
		{ "nan", NUMBER_NONFINITE, 0 }, { "inf", NUMBER_NONFINITE, 0 },
		{ "0x10", NUMBER_BAD, 0 },      { "1.2.3", NUMBER_BAD, 0 },
		{ "two", NUMBER_BAD, 0 },       { "1e999", NUMBER_BAD, 0 },
		{ "-", NUMBER_BAD, 0 },         { "1e", NUMBER_BAD, 0 },
		{ "50%", NUMBER_BAD, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		double v = -99;
		assert_int_equal(number_parse(cases[i].s, &v), cases[i].k);
		if (cases[i].k == NUMBER_OK || cases[i].k == NUMBER_COMMA)
			assert_true(v == cases[i].v);
	}
	int n = 0;
	assert_true(number_parse_index("4.0", &n));
	assert_int_equal(n, 4);
	assert_true(number_parse_index(" 12 ", &n));
	assert_int_equal(n, 12);
	assert_false(number_parse_index("4.5", &n));
	assert_false(number_parse_index("0", &n));
	assert_false(number_parse_index("x", &n));
}

/* Parses `text` as a table, asserting success. */
static void parse(const char *text, CsvTable *t)
{
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(csvtab_parse("t.csv", text, strlen(text), NULL, t, &err), 0);
}

static void test_reader_lines_and_delimiters(void **state)
{
	(void)state;
	CsvTable t;
	/* BOM, CR-only line ends, a blank row, a quoted field across lines. */
	parse("\xEF\xBB\xBF" "a;b\r1;\"x\ny\"\r\r;\r2;z", &t);
	assert_int_equal(t.delim, ';');
	assert_int_equal(t.n_rows, 3);
	assert_string_equal(t.rows[0].f[0], "a");
	assert_int_equal(t.rows[1].line, 2);
	assert_string_equal(t.rows[1].f[1], "x\ny");
	assert_int_equal(t.rows[2].line, 6);
	assert_string_equal(t.rows[2].f[1], "z");
	csvtab_free(&t);
	parse("a\tb\n1\t2\n", &t);
	assert_int_equal(t.delim, '\t');
	assert_string_equal(t.rows[1].f[1], "2");
	csvtab_free(&t);
	KvError err;
	kv_error_clear(&err);
	const char *bad = "a,b\n1,2\n3,x\"y\n";
	assert_int_equal(csvtab_parse("t.csv", bad, strlen(bad), NULL, &t, &err),
			 EX_DATAERR);
	assert_string_equal(err.msg,
		"t.csv:3: malformed quoting (a quoted field must end at a delimiter, and a '\"' inside a field must be doubled)");
	kv_error_clear(&err);
	assert_int_equal(csvtab_parse("t.csv", "\xFF\xFEs", 3, NULL, &t, &err),
			 EX_DATAERR);
	assert_string_equal(err.msg,
		"t.csv: saved as UTF-16 text; save it as CSV (UTF-8) instead");
	kv_error_clear(&err);
	assert_int_equal(csvtab_parse("t.csv", "\n\r\n,,\n", 6, NULL, &t, &err),
			 EX_DATAERR);
	assert_string_equal(err.msg, "t.csv: the file is empty");
}

static void score_text(const KeyTable *kt, const char *text, double tol,
		       Score *s)
{
	CsvTable t;
	ColMap m;
	KvError err;
	kv_error_clear(&err);
	parse(text, &t);
	assert_int_equal(colmap_build(&t.rows[0], "t.csv", &m, &err), 0);
	Tolerance tl = { tol, 0 };
	assert_int_equal(score_student(kt, &t, &m, &tl, s, &err), 0);
	csvtab_free(&t);
}

static void key_from_text(const char *text, KeyTable *kt)
{
	CsvTable t;
	KvError err;
	kv_error_clear(&err);
	parse(text, &t);
	assert_int_equal(keytab_build("k.csv", &t, kt, &err), 0);
	csvtab_free(&t);
}

/* 0.125 rounds to 0.13 or 0.12; both must count at tol 0.005. */
static void test_tolerance_boundary(void **state)
{
	(void)state;
	KeyTable kt;
	key_from_text("step,mode,layer,head,matrix,row,col,value\n"
		      "1,cache,1,1,A,1,1,0.125\n1,cache,1,1,A,2,1,0.125\n"
		      "1,cache,1,1,A,3,1,0.125\n1,cache,1,1,A,4,1,0.125\n", &kt);
	Score s;
	score_text(&kt, "row,col,matrix,value,step,mode,layer,head\n"
		   "1,1,A,0.13,1,cache,1,1\n2,1,A,0.12,1,cache,1,1\n"
		   "3,1,A,0.131,1,cache,1,1\n4,1,A,0.1199,1,cache,1,1\n", 0.005,
		   &s);
	assert_int_equal(s.answers[0].verdict, VERDICT_CORRECT);
	assert_int_equal(s.answers[1].verdict, VERDICT_CORRECT);
	assert_int_equal(s.answers[2].verdict, VERDICT_WRONG);
	assert_int_equal(s.answers[3].verdict, VERDICT_WRONG);
	score_free(&s);
	keytab_free(&kt);
}

/* Masked key cells are not graded; a value written in one is noted. */
static void test_masked_extra_and_duplicate_rows(void **state)
{
	(void)state;
	char *key = make_key(1u << MODE_NOCACHE, 1u << MAT_S);
	KeyTable kt;
	key_from_text(key, &kt);
	assert_int_equal(kt.n, 16);
	assert_int_equal(kt.graded, 10);
	/* line 6 is S[2,1], masked; line 7 S[2,2] = 3 */
	char *a = edit_line(key, 6, "0");
	char *b = edit_line(a, 7, "3,0");
	size_t len = strlen(b);
	char *c = malloc(len + 128);
	sprintf(c, "%s4,nocache,4,1,1,S,2,2,1,x\r\n4,cache,4,1,1,S,1,1,1,x\r\n",
		b);
	Score s;
	score_text(&kt, c, 0.005, &s);
	assert_int_equal(s.total.correct, 9);
	assert_int_equal(s.total.graded, 10);
	assert_int_equal(s.masked_given, 1);
	assert_int_equal(s.extra_rows, 1);
	assert_int_equal(s.first_extra_line, 19);
	assert_int_equal(s.n_notes, 2);
	assert_string_equal(s.notes[0].msg,
		"12 fields where the header has 11 (an unquoted decimal comma?); value not graded");
	assert_int_equal(s.notes[1].line, 18);
	assert_string_equal(s.notes[1].msg,
		"step 4 nocache S[2,2] again (first on line 7); ignored");
	score_free(&s);
	free(a);
	free(b);
	free(c);
	free(key);
	keytab_free(&kt);
}

/*
 * export --sheet rows that are not cells: a counter is graded exactly
 * whatever the tolerance, a token by its trimmed text, case included; the
 * report names them as the sheet does, and a file of none of the key's
 * cells gets a note.
 */
#define SHEET_HEAD "step,mode,pass,layer,head,matrix,row,col,value,status,run\r\n"
static const char SHEET_KEY[] = SHEET_HEAD
	"6,cache,6,1,1,X,1,6,0,given,kv00c0ffee\r\n"
	"6,cache,6,1,1,Q,1,6,1,computed,kv00c0ffee\r\n"
	"6,cache,6,1,1,token,1,6,the,computed,kv00c0ffee\r\n"
	"6,cache,6,1,1,macs,1,6,118,computed,kv00c0ffee\r\n"
	"6,nocache,6,1,1,total_recomputed_macs,1,6,1070,computed,kv00c0ffee\r\n";

static void test_sheet_counters_and_tokens(void **state)
{
	(void)state;
	write_file("skey.csv", SHEET_KEY);
	write_file("good.csv", SHEET_HEAD
		   "6,cache,6,1,1,X,1,6,0,given,kv00c0ffee\r\n"
		   "6,cache,6,1,1,Q,1,6,1.4,computed,kv00c0ffee\r\n"
		   "6,cache,6,1,1,Token,1,6,\" the \",,kv00c0ffee\r\n"
		   "6,cache,6,1,1,macs,1,6,118.0,,kv00c0ffee\r\n"
		   "6,nocache,6,1,1,total_recomputed_macs,1,6,1070,,kv00c0ffee\r\n");
	write_file("bad.csv", SHEET_HEAD
		   "6,cache,6,1,1,Q,1,6,1,computed,kv00c0ffee\r\n"
		   "6,cache,6,1,1,token,1,6,The,,kv00c0ffee\r\n"
		   "6,cache,6,1,1,macs,1,6,118.4,,kv00c0ffee\r\n"
		   "6,nocache,6,1,1,total_recomputed_macs,1,6,,,kv00c0ffee\r\n");
	write_file("other.csv", SHEET_HEAD
		   "3,nocache,3,1,1,Q,1,3,1,computed,kv00c0ffee\r\n"
		   "3,nocache,3,1,1,macs,1,3,1,computed,kv00c0ffee\r\n");
	const char *students[] = { "good.csv", "bad.csv", "other.csv" };
	KvError err;
	int rc;
	/* a tolerance of 0.5 lets Q's 1.4 pass, never a counter's 118.4 */
	char *out = grade_text("skey.csv", students, 3, 0.5, "sum.csv", &rc,
			       &err);
	assert_int_equal(rc, 0);
	assert_string_equal(out,
		"key skey.csv: 4 cells to grade, tolerance 0.5 (of them 2 counters and 1 token, graded exactly) (1 given cell, printed on the sheet, not graded)\n"
		"\n"
		"good.csv: 4/4 correct (100.0%)\n"
		"  by matrix: Q 1/1, macs 1/1, total_recomputed_macs 1/1, token 1/1\n"
		"  by mode:   nocache 1/1, cache 3/3\n"
		"  by step:   6: 4/4\n"
		"\n"
		"bad.csv: 1/4 correct (25.0%), 2 wrong, 1 missing\n"
		"  by matrix: Q 1/1, macs 0/1, total_recomputed_macs 0/1, token 0/1\n"
		"  by mode:   nocache 0/1, cache 1/3\n"
		"  by step:   6: 1/4\n"
		"  first wrong or missing cells:\n"
		"    step 6 cache token: expected \"the\", given \"The\" (line 3)\n"
		"    step 6 cache macs: expected 118, given 118.4 (line 4)\n"
		"    step 6 nocache total_recomputed_macs: expected 1070, left empty (line 5)\n"
		"\n"
		"other.csv: 0/4 correct (0.0%), 0 wrong, 4 missing\n"
		"  by matrix: Q 0/1, macs 0/1, total_recomputed_macs 0/1, token 0/1\n"
		"  by mode:   nocache 0/1, cache 0/3\n"
		"  by step:   6: 0/4\n"
		"  first wrong or missing cells:\n"
		"    step 6 cache Q[1,6]: expected 1, no row in the file\n"
		"    step 6 cache token: expected \"the\", no row in the file\n"
		"    step 6 cache macs: expected 118, no row in the file\n"
		"    step 6 nocache total_recomputed_macs: expected 1070, no row in the file\n"
		"  notes:\n"
		"    none of its rows are cells of this key: a CSV of another sheet or another --step/--mode?\n"
		"\n"
		"class: 3 of 3 files graded\n"
		"  file           correct  percent\n"
		"  good.csv           4/4   100.0%\n"
		"  bad.csv            1/4    25.0%\n"
		"  other.csv          0/4     0.0%\n");
	free(out);
	FILE *fp = fopen("sum.csv", "rb");
	assert_non_null(fp);
	char line[512];
	assert_non_null(fgets(line, sizeof line, fp));
	assert_string_equal(line,
		"file,status,correct,graded,percent,wrong,missing,error,"
		"Q_correct,Q_graded,macs_correct,macs_graded,"
		"total_recomputed_macs_correct,total_recomputed_macs_graded,"
		"token_correct,token_graded\r\n");
	assert_non_null(fgets(line, sizeof line, fp));
	assert_string_equal(line, "good.csv,graded,4,4,100.0,0,0,,1,1,1,1,1,1,1,1\r\n");
	fclose(fp);
}

/* A counter that is not a whole number cannot be a key's. */
static void test_sheet_key_bad_counter(void **state)
{
	(void)state;
	write_file("ckey.csv", SHEET_HEAD
		   "6,cache,6,1,1,macs,1,6,1.5,computed,kv00c0ffee\r\n");
	KeyTable kt;
	KvError err;
	kv_error_clear(&err);
	assert_int_equal(keytab_load("ckey.csv", &kt, &err), EX_DATAERR);
	assert_string_equal(err.msg,
		"ckey.csv:2: counter value '1.5' is not a whole number");
}

static void test_format_helpers(void **state)
{
	(void)state;
	char buf[64];
	report_format_expected(0.30681070348166767, 0.005, buf, sizeof buf);
	assert_string_equal(buf, "0.3068");
	report_format_expected(2, 0.005, buf, sizeof buf);
	assert_string_equal(buf, "2");
	report_format_expected(-0.00001, 0.005, buf, sizeof buf);
	assert_string_equal(buf, "0");
	report_format_expected(-1.5, 0.05, buf, sizeof buf);
	assert_string_equal(buf, "-1.5");
	report_format_expected(0.30681070348166767, 0, buf, sizeof buf);
	assert_string_equal(buf, "0.30681070348166767");
	static const struct { int c, g; const char *p; } pct[] = {
		{ 1364, 1365, "99.9" }, { 2, 3, "66.7" }, { 0, 5, "0.0" },
		{ 5, 5, "100.0" }, { 0, 0, "-" },
	};
	for (size_t i = 0; i < sizeof pct / sizeof *pct; i++) {
		Tally t = { pct[i].c, pct[i].g };
		score_percent(&t, buf, sizeof buf);
		assert_string_equal(buf, pct[i].p);
	}
	CellKey k = { 4, MODE_PREFILL, 2, 3, MAT_LOGITS, 7, 4 };
	cellkey_format(&k, buf, sizeof buf);
	assert_string_equal(buf, "step 4 prefill layer 2 head 3 logits[7,4]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfect_copy),
		cmocka_unit_test(test_three_perturbed_cells),
		cmocka_unit_test(test_missing_rows_count_as_wrong),
		cmocka_unit_test(test_spreadsheet_saves_grade_identically),
		cmocka_unit_test(test_malformed_rows_report_lines),
		cmocka_unit_test(test_bad_files_do_not_stop_the_class),
		cmocka_unit_test(test_bad_keys_are_refused),
		cmocka_unit_test(test_summary_read_back),
		cmocka_unit_test(test_summary_not_creatable),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_number_parse),
		cmocka_unit_test(test_reader_lines_and_delimiters),
		cmocka_unit_test(test_tolerance_boundary),
		cmocka_unit_test(test_masked_extra_and_duplicate_rows),
		cmocka_unit_test(test_format_helpers),
		cmocka_unit_test(test_sheet_counters_and_tokens),
		cmocka_unit_test(test_sheet_key_bad_counter),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
