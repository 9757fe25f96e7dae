#include "grade.h"

#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "columns.h"
#include "csv_table.h"
#include "key_table.h"
#include "report.h"
#include "score.h"
#include "summary.h"

/* One student file's outcome, kept until the class table and summary. */
typedef struct Graded {
	Score score;
	bool ok;      /* score is valid */
	KvError why;  /* when not ok: why the file was not graded */
} Graded;

/*
 * Grades and reports one file. The report needs the given values, which
 * live in the student's table, so the block is printed before it is freed.
 */
static void grade_report_one(FILE *out, const KeyTable *kt, const char *path,
			     double tol, Graded *g)
{
	kv_error_clear(&g->why);
	CsvTable t;
	ColMap m;
	if (!csvtab_read(path, &t, &g->why) &&
	    !colmap_build(&t.rows[0], path, &m, &g->why) &&
	    !score_student(kt, &t, &m, tol, &g->score, &g->why)) {
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
static int write_summary(AtomicFile *af, const KeyTable *kt,
			 const StudentResult *r, int n, KvError *err)
{
	if (summary_write(af->fp, kt, r, n, err)) {
		atomic_abort(af);
		return err->code;
	}
	return atomic_commit(af, err);
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
	report_key(out, key, kt, o->tol);
	for (int i = 0; i < n; i++)
		grade_report_one(out, kt, students[i], o->tol, &g[i]);
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
			rc = write_summary(af, kt, r, n, err);
	}
	free(r);
	for (int i = 0; i < n; i++)
		score_free(&g[i].score);
	free(g);
	return rc;
}

int grade_run(const char *key, char **students, int n,
	      const GradeOptions *o, FILE *out, KvError *err)
{
	if (!key || !students || n < 1)
		return kv_error_set(err, EX_USAGE,
				    "usage: kvstep grade KEY.csv STUDENT.csv...");
	if (!(o->tol >= 0))
		return kv_error_set(err, EX_USAGE, "--tol must be a number >= 0");
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
