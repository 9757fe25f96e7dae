#include "grade.h"

#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "columns.h"
#include "csv_table.h"
#include "key_table.h"
#include "report.h"
#include "run_check.h"
#include "score.h"
#include "summary.h"
#include "text_visible.h"

/* One student file's outcome, kept until the class table and summary. */
typedef struct Graded {
	Score score;
	bool ok;        /* score is valid */
	bool other_run; /* refused: the file is of another run */
	KvError why;    /* when not ok: why the file was not graded */
} Graded;

/* How much of a student's file is read: bounded by the key's size. */
typedef struct StudentLimits {
	CsvLimits lim;
	char why[240];
} StudentLimits;

static void student_limits(const KeyTable *kt, StudentLimits *sl)
{
	int rows = 4 * kt->n + 64;
	if (kt->sheet) /* a full export against a sheet's key, likely */
		snprintf(sl->why, sizeof sl->why,
			 "; the key is a worksheet's (export --sheet) with %d rows, so a student's file has at most 4 x %d + 64: is this a full export instead of the sheet's CSV? not read further",
			 kt->n, kt->n);
	else
		snprintf(sl->why, sizeof sl->why,
			 "; the key has %d rows, so a student's file has at most 4 x %d + 64; not read further",
			 kt->n, kt->n);
	sl->lim = (CsvLimits){ .max_rows = rows,
			       .max_field = CSVTAB_DEFAULT_FIELD,
			       .max_bytes = (size_t)rows * 2048 + ((size_t)4 << 20),
			       .why = sl->why };
}

/* Maps and scores a read table; false with g->why set when it cannot. */
static bool grade_table(const KeyTable *kt, const char *path,
			const CsvTable *t, const Tolerance *tol, Graded *g)
{
	ColMap m;
	if (colmap_build(&t->rows[0], path, &m, &g->why))
		return false;
	char why[400];
	RunMatch run = run_check(kt, t, &m, why, sizeof why);
	if (run == RUN_OTHER) {
		g->other_run = true;
		kv_error_set(&g->why, EX_DATAERR, "%s: %s", path, why);
		return false;
	}
	if (score_student(kt, t, &m, tol, &g->score, &g->why))
		return false;
	g->score.run_unchecked = run == RUN_NO_COLUMN;
	return true;
}

/*
 * Grades and reports one file. The report needs the given values, which
 * live in the student's table, so the block is printed before it is freed.
 */
static void grade_report_one(FILE *out, const KeyTable *kt, const char *path,
			     const Tolerance *tol, Graded *g)
{
	kv_error_clear(&g->why);
	StudentLimits sl;
	student_limits(kt, &sl);
	CsvTable t;
	if (!csvtab_read(path, &sl.lim, &t, &g->why) &&
	    grade_table(kt, path, &t, tol, g)) {
		g->ok = true;
		report_student(out, path, kt, &g->score, tol);
		for (int i = 0; i < kt->n; i++)
			g->score.answers[i].given = NULL;
	} else {
		report_not_graded(out, path, g->why.msg);
	}
	csvtab_free(&t);
}

/* The view of `g` the class table and the summary read; NULL if no memory. */
static StudentResult *results_make(const Graded *g, char **students, int n)
{
	StudentResult *r = calloc((size_t)n, sizeof *r);
	for (int i = 0; r && i < n; i++)
		r[i] = (StudentResult){ students[i], g[i].ok ? &g[i].score : NULL,
					g[i].why.msg };
	return r;
}

/* Writes the summary through `af` and commits it; aborts it on failure. */
static int write_summary(AtomicFile *af, const GradeOptions *o,
			 const KeyTable *kt, const StudentResult *r, int n,
			 KvError *err)
{
	if (summary_write(af->fp, o->summary, o->bom, kt, r, n, err)) {
		atomic_abort(af);
		return err->code;
	}
	return atomic_commit(af, err);
}

/* EX_DATAERR naming the files of another run, or 0 when there are none. */
static int other_runs(const Graded *g, char **students, int n, KvError *err)
{
	int count = 0, first = -1;
	for (int i = 0; i < n; i++)
		if (g[i].other_run && count++ == 0)
			first = i;
	if (!count)
		return 0;
	if (count == 1)
		return kv_error_set(err, EX_DATAERR,
				    "%s: made for another run than the key; not graded (see the report)",
				    students[first]);
	return kv_error_set(err, EX_DATAERR,
			    "%s and %d more file%s: made for another run than the key; not graded (see the report)",
			    students[first], count - 1, count == 2 ? "" : "s");
}

static int grade_all(const char *key, const KeyTable *kt, char **students,
		     int n, const GradeOptions *o, FILE *out, AtomicFile *af,
		     KvError *err)
{
	Graded *g = calloc((size_t)n, sizeof *g);
	if (!g) {
		if (af)
			atomic_abort(af);
		return kv_error_set(err, EX_OSERR, "out of memory");
	}
	Tolerance tol = { o->tol, o->rel_tol };
	report_key(out, key, kt, &tol);
	for (int i = 0; i < n; i++)
		grade_report_one(out, kt, students[i], &tol, &g[i]);
	int rc = 0;
	StudentResult *r = results_make(g, students, n);
	if (!r) {
		rc = kv_error_set(err, EX_OSERR, "out of memory");
		if (af)
			atomic_abort(af);
	} else {
		if (n > 1)
			report_class(out, r, n);
		if (af)
			rc = write_summary(af, o, kt, r, n, err);
	}
	if (!rc)
		rc = other_runs(g, students, n, err);
	free(r);
	for (int i = 0; i < n; i++)
		score_free(&g[i].score);
	free(g);
	return rc;
}

static int run_checked(const char *key, char **students, int n,
		       const GradeOptions *o, FILE *out, KvError *err)
{
	if (!key || !students || n < 1)
		return kv_error_set(err, EX_USAGE,
				    "usage: kvstep grade KEY.csv STUDENT.csv...");
	if (!(o->tol >= 0) || !(o->rel_tol >= 0))
		return kv_error_set(err, EX_USAGE,
				    "--tol and --rel-tol must be numbers >= 0");
	KeyTable kt;
	if (keytab_load(key, &kt, err))
		return err->code;
	AtomicFile af;
	if (o->summary && atomic_open(&af, o->summary, err)) {
		keytab_free(&kt);
		return err->code;
	}
	int rc = grade_all(key, &kt, students, n, o, out,
			   o->summary ? &af : NULL, err);
	keytab_free(&kt);
	return rc;
}

int grade_run(const char *key, char **students, int n,
	      const GradeOptions *o, FILE *out, KvError *err)
{
	/* kv_error_set keeps control characters of messages visible */
	return run_checked(key, students, n, o, out, err);
}
