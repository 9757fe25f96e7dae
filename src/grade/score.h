#ifndef KVSTEP_GRADE_SCORE_H
#define KVSTEP_GRADE_SCORE_H
/*
 * Scoring one student's table against the key: every graded key cell gets a
 * verdict, tallied overall, per matrix, per mode and per step, plus notes
 * about rows that could not be used. Reads the tables; prints nothing.
 */
#include "columns.h"
#include "csv_answer.h"
#include "csv_table.h"
#include "key_table.h"

typedef enum Verdict {
	VERDICT_NO_ROW,  /* no row for this cell (the default) */
	VERDICT_CORRECT, /* |given - key| <= tol */
	VERDICT_WRONG,   /* a number outside the tolerance */
	VERDICT_EMPTY,   /* the row is there, the value is empty */
	VERDICT_BAD,     /* the value is not a number, or the row is broken */
	VERDICT_NONFINITE, /* NaN or infinite: wrong, and the report says why */
} Verdict;

/*
 * What counts as correct: |given - key| <= max(abs, rel * |key|). The
 * larger allowance wins, so abs covers values near zero and rel large ones.
 */
typedef struct Tolerance {
	double abs; /* --tol */
	double rel; /* --rel-tol, 0 = none */
} Tolerance;

/* The allowance for key value `key`: max(abs, rel * |key|). */
double tolerance_at(const Tolerance *tol, double key);

/* One graded key cell's outcome; parallel to KeyTable.cells. */
typedef struct Answer {
	Verdict verdict;
	int line;           /* the student's line, 0 for VERDICT_NO_ROW */
	const char *given;  /* the value as written, into the student's table */
} Answer;

typedef struct Tally {
	int correct;
	int graded;
} Tally;

/* A problem with one row of the student's file. */
typedef struct Note {
	int line;
	char msg[160];
} Note;

#define SCORE_MAX_NOTES 20

typedef struct Score {
	Answer *answers;            /* KeyTable.n entries */
	Tally total;
	int wrong;                  /* VERDICT_WRONG, _BAD and _NONFINITE */
	int missing;                /* VERDICT_NO_ROW and VERDICT_EMPTY */
	Tally by_matrix[CSV_KIND_COUNT]; /* by matrix, counter and token */
	Tally by_mode[MODE_COUNT];
	Tally *by_step;             /* KeyTable.max_step + 1 entries, [step] */
	Note notes[SCORE_MAX_NOTES];
	int n_notes;                /* notes stored */
	int notes_dropped;          /* notes past SCORE_MAX_NOTES */
	int extra_rows;             /* rows for cells the key does not have */
	int matched_graded;         /* rows for cells the key grades */
	int first_extra_line;
	int masked_given;           /* values written into masked cells */
	int comma_values;           /* values read with a decimal comma */
	int first_comma_line;
	int glyph_values;           /* values with a ! or = glyph dropped */
	int first_glyph_line;
	char quote;                 /* the file's text delimiter */
	bool run_unchecked;         /* the key has a run, the file none */
} Score;

/*
 * Scores the data rows of `t` (header mapped as `m`) against `kt`. A value
 * counts as correct when |given - key| <= tolerance_at(tol, key), plus
 * 1e-9 times max(1, |key|) so that an answer on the rounding boundary
 * (0.125 written as 0.13) is not lost to binary floating point; with both
 * tolerances 0, only the exact double is correct. A counter (export
 * --sheet) is a whole number: only the exact value is correct, whatever
 * the tolerance. A token is correct when its text, with surrounding
 * blanks trimmed, equals the key's, case included. Returns 0, or EX_OSERR.
 * Free `s` with score_free, also after an error.
 */
int score_student(const KeyTable *kt, const CsvTable *t, const ColMap *m,
		  const Tolerance *tol, Score *s, KvError *err);

void score_free(Score *s);

/*
 * The percentage as the report and the summary print it: one decimal,
 * never "100.0" unless every cell is correct. Writes "-" when graded is 0.
 */
void score_percent(const Tally *t, char *buf, size_t size);

#endif
