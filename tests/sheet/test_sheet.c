/*
 * Worksheet tests: golden keys and blanks of the bundled sheets, key and
 * blank aligned line for line, every printed value read back and checked
 * against the trace, number formatting, and bad templates.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "run.h"
#include "sheet.h"
#include "sheet_bundle.h"
#include "sheet_format.h"
#include "sheet_render.h"
#include "sheet_tmpl.h"
#include "trace.h"

/* The default model's run, shared by every test of the group. */
typedef struct Fixture {
	Model *m;
	Trace *t;
} Fixture;

static int setup(void **state)
{
	KvError err;
	kv_error_clear(&err);
	Fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->m = model_load_default(&err);
	assert_non_null(f->m);
	RunConfig cfg = run_config_default(f->m);
	f->t = run_trace(f->m, &cfg, &err);
	assert_non_null(f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;
	trace_free(f->t);
	model_free(f->m);
	free(f);
	return 0;
}

/* Output of sheet_print into a string (caller frees); rc into *rc. */
static char *print_sheets(const Trace *t, char **names, int n, bool blank,
			  int digits, bool ascii, KvError *err, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	SheetOptions o = { .blank = blank, .ascii = ascii, .digits = digits };
	kv_error_clear(err);
	*rc = sheet_print(fp, t, names, n, &o, err);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static char *read_golden(const char *name)
{
	const char *dir = getenv("SHEET_GOLDEN_DIR");
	assert_non_null(dir);
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, fp);
	assert_true(n > 0);
	fclose(fp);
	return buf;
}

/* sheet_print takes argv-style names; string literals are const. */
#define NAME(s) ((char *)(uintptr_t)(s))

/* Bundled stems in print order. */
static const char *const stems[] = { "1-no-cache", "2-kv-cache", "3-prefill" };

static void test_bundled_names(void **state)
{
	(void)state;
	assert_int_equal(kv_worksheets_count, 3);
	for (int i = 0; i < 3; i++) {
		char want[64];
		snprintf(want, sizeof want, "%s.txt", stems[i]);
		assert_string_equal(kv_worksheets[i].name, want);
	}
}

static void check_golden(const Trace *t, int i, bool blank)
{
	char *names[] = { NAME(stems[i]) };
	char file[64];
	snprintf(file, sizeof file, "%s.%s.txt", stems[i],
		 blank ? "blank" : "key");
	KvError err;
	int rc;
	char *got = print_sheets(t, names, 1, blank, -1, false, &err, &rc);
	assert_int_equal(rc, 0);
	char *want = read_golden(file);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_golden(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 3; i++) {
		check_golden(f->t, i, false);
		check_golden(f->t, i, true);
	}
}

/* With no names, all three sheets in order, a form feed between them. */
static void test_all_with_form_feeds(void **state)
{
	Fixture *f = *state;
	KvError err;
	int rc;
	char *all = print_sheets(f->t, NULL, 0, false, -1, false, &err, &rc);
	assert_int_equal(rc, 0);
	char *want = calloc(1, 1 << 16);
	assert_non_null(want);
	for (int i = 0; i < 3; i++) {
		char file[64];
		snprintf(file, sizeof file, "%s.key.txt", stems[i]);
		char *g = read_golden(file);
		if (i > 0)
			strcat(want, "\f");
		strcat(want, g);
		free(g);
	}
	assert_string_equal(all, want);
	free(want);
	free(all);
}

/* Parses and renders bundled sheet i. */
static void render_bundled(const Trace *t, int i, const SheetOptions *o,
			   Template *tp, SheetPage *page)
{
	KvError err;
	kv_error_clear(&err);
	const struct blob *b = &kv_worksheets[i];
	assert_int_equal(sheet_tmpl_parse(b->name, (const char *)b->data,
					  b->size, tp, &err), 0);
	assert_int_equal(sheet_render(tp, t, o, page, &err), 0);
}

/* Start of line `n` (0-based) of `text`. */
static const char *line_at(const char *text, int n)
{
	for (int i = 0; i < n; i++) {
		text = strchr(text, '\n');
		assert_non_null(text);
		text++;
	}
	return text;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Code points of one line, for column-by-column comparison. */
static int line_points(const char *s, unsigned *out, int cap)
{
	int n = 0;
	while (*s && *s != '\n' && n < cap) {
		unsigned char c = (unsigned char)*s;
		int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		unsigned cp = len == 1 ? c : c & (0x3Fu >> (len - 1));
		for (int i = 1; i < len; i++)
			cp = (cp << 6) | ((unsigned char)s[i] & 0x3Fu);
		out[n++] = cp;
		s += len;
	}
	return n;
}

/*
 * Same lines in key and blank, and in every column where they differ the
 * blank has an underscore: a key laid over a student sheet lines up. The
 * title line ({{copy}}) is the one exception.
 */
static void check_aligned(const char *ks, const char *bs, int lines)
{
	unsigned a[256], b[256];
	int differing = 0;
	for (int l = 0; l < lines; l++) {
		const char *kl = line_at(ks, l), *bl = line_at(bs, l);
		int na = line_points(kl, a, 256), nb = line_points(bl, b, 256);
		if (strncmp(kl, "KVSTEP WORKSHEET", 16) == 0)
			continue;
		int n = na > nb ? na : nb;
		bool differs = false;
		for (int i = 0; i < n; i++) {
			unsigned kc = i < na ? a[i] : ' ', bc = i < nb ? b[i] : ' ';
			if (kc == bc)
				continue;
			differs = true;
			if (bc != '_')
				fail_msg("line %d column %d: key '%c', blank '%c'",
					 l + 1, i + 1, (char)kc, (char)bc);
		}
		differing += differs;
	}
	assert_true(differing > 20);
}

static void test_key_blank_aligned(void **state)
{
	Fixture *f = *state;
	for (int i = 0; i < 3; i++) {
		Template tk, tb;
		SheetPage key, blank;
		SheetOptions ok = { .digits = -1 }, ob = { .blank = true,
							    .digits = -1 };
		render_bundled(f->t, i, &ok, &tk, &key);
		render_bundled(f->t, i, &ob, &tb, &blank);
		const char *ks = sheet_buf_str(&key.text);
		const char *bs = sheet_buf_str(&blank.text);
		assert_int_equal(count_lines(ks), key.lines);
		assert_int_equal(count_lines(bs), key.lines);
		assert_int_equal(blank.lines, key.lines);
		check_aligned(ks, bs, key.lines);
		sheet_page_free(&key);
		sheet_page_free(&blank);
		sheet_tmpl_free(&tk);
		sheet_tmpl_free(&tb);
	}
}

/* The trace's (or the model's) value of a cell reference. */
static double ref_truth(const Trace *t, const SheetRef *r)
{
	const Model *m = trace_model(t);
	double v = (double)NAN;
	switch (r->what) {
	case SHEET_W_Q: return m->wq[(r->row - 1) * m->d_model + r->col - 1];
	case SHEET_W_K: return m->wk[(r->row - 1) * m->d_model + r->col - 1];
	case SHEET_W_V: return m->wv[(r->row - 1) * m->d_model + r->col - 1];
	case SHEET_W_OUT: return m->wout[(r->row - 1) * m->d_v + r->col - 1];
	default:
		assert_true(trace_value(t, (Matrix)r->what, r->row, r->col, &v));
		return v;
	}
}

/* The trace's value of a counter reference, read from TraceStep. */
static double counter_truth(const Trace *t, const SheetRef *r)
{
	const TraceStep *s = trace_step(t, r->step, (Mode)r->mode);
	const Counters *c = r->total ? &s->total : &s->pass_c;
	switch ((SheetCounter)r->what) {
	case CTR_MACS:
		return (double)(c->macs_proj + c->macs_scores + c->macs_av +
				c->macs_logits);
	case CTR_MACS_PROJ: return (double)c->macs_proj;
	case CTR_MACS_SCORES: return (double)c->macs_scores;
	case CTR_MACS_AV: return (double)c->macs_av;
	case CTR_MACS_LOGITS: return (double)c->macs_logits;
	case CTR_EXPS: return (double)c->exps;
	case CTR_RECOMPUTED_MACS: return (double)c->recomputed_macs;
	case CTR_CACHE_CELLS: return (double)c->cache_cells;
	case CTR_CACHE_BYTES: return (double)c->cache_bytes;
	case CTR_CACHE_READS: return (double)c->cache_reads;
	case CTR_PASSES: return (double)c->passes;
	case CTR_PASS: return s->pass;
	case CTR_COUNT: break;
	}
	fail_msg("unknown counter %d", r->what);
	return (double)NAN;
}

/* Reads one printed value back and checks it is the truth, rounded. */
static int check_ref(const char *text, const SheetRef *r, double truth,
		     int digits)
{
	const char *at = line_at(text, r->line) + r->byte;
	char buf[64];
	assert_true(r->len > 0 && r->len < (int)sizeof buf);
	memcpy(buf, at, (size_t)r->len);
	buf[r->len] = '\0';
	char *end;
	double printed = strtod(buf, &end);
	assert_true(*end == '\0');
	const char *dot = strchr(buf, '.');
	int decimals = dot ? (int)strlen(dot + 1) : 0;
	assert_true(decimals <= (digits < 0 ? 2 : digits));
	double half = 0.5 * pow(10.0, -decimals);
	if (fabs(printed - truth) > half * (1 + 1e-9)) {
		fail_msg("line %d: printed %s, trace has %.17g", r->line + 1, buf,
			 truth);
	}
	if (!dot)
		assert_true(printed == nearbyint(truth) ||
			    fabs(truth - printed) <= 0.5);
	return 1;
}

static void check_values(const Trace *t, int digits)
{
	for (int i = 0; i < 3; i++) {
		Template tp;
		SheetPage page;
		SheetOptions o = { .digits = digits };
		render_bundled(t, i, &o, &tp, &page);
		const char *text = sheet_buf_str(&page.text);
		int cells = 0, counters = 0;
		for (int r = 0; r < page.n_refs; r++) {
			const SheetRef *ref = &page.refs[r];
			if (ref->kind == REF_CELL)
				cells += check_ref(text, ref, ref_truth(t, ref),
						   digits);
			else
				counters += check_ref(text, ref,
						      counter_truth(t, ref),
						      digits);
		}
		assert_true(cells > 80);
		assert_true(counters > 10);
		sheet_page_free(&page);
		sheet_tmpl_free(&tp);
	}
}

static void test_values_match_trace(void **state)
{
	Fixture *f = *state;
	check_values(f->t, -1);
	check_values(f->t, 0);
	check_values(f->t, 4);
}

/* A few values whose printed form a teacher relies on. */
static void test_known_answers(void **state)
{
	Fixture *f = *state;
	char *names[] = { NAME("1-no-cache") };
	KvError err;
	int rc;
	char *key = print_sheets(f->t, names, 1, false, -1, false, &err, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(key, "k1     1*  0.02*  0.00\n"));
	assert_non_null(strstr(key, "k3     \xe2\x80\x94      \xe2\x80\x94   12.5"));
	assert_non_null(strstr(key, "= 228\n"));
	assert_non_null(strstr(key, "recomputed cells?       131\n"));
	assert_non_null(strstr(key, "largest logit:  on\n"));
	free(key);
}

static void test_format(void **state)
{
	(void)state;
	char s[SHEET_TEXT_MAX];
	sheet_format_value(3.0, -1, s);
	assert_string_equal(s, "3");
	sheet_format_value(-12.0, -1, s);
	assert_string_equal(s, "-12");
	sheet_format_value(-1.5, -1, s);
	assert_string_equal(s, "-1.5");
	sheet_format_value(0.25, -1, s);
	assert_string_equal(s, "0.25");
	sheet_format_value(0.982013790037908, -1, s);
	assert_string_equal(s, "0.98");
	sheet_format_value(0.9999243223689305, -1, s);
	assert_string_equal(s, "1.00");
	sheet_format_value(-8.3e-7, -1, s);
	assert_string_equal(s, "0.00");
	sheet_format_value(-0.0, -1, s);
	assert_string_equal(s, "0");
	sheet_format_value(-1.5, 0, s);
	assert_string_equal(s, "-2");
	sheet_format_value(0.017986209962091555, 3, s);
	assert_string_equal(s, "0.018");
	sheet_format_value(12.5, 3, s);
	assert_string_equal(s, "12.5");
	assert_int_equal(sheet_text_width("a\xe2\x80\x94" "b", 5), 3);
}

/* Every line fits 80 columns; --ascii prints only ASCII. */
static void test_width_and_ascii(void **state)
{
	Fixture *f = *state;
	KvError err;
	int rc;
	for (int blank = 0; blank < 2; blank++) {
		char *all = print_sheets(f->t, NULL, 0, blank, -1, false, &err,
					 &rc);
		assert_int_equal(rc, 0);
		for (const char *l = all; *l;) {
			size_t n = strcspn(l, "\n");
			assert_true(sheet_text_width(l, n) <= 80);
			l += n + (l[n] == '\n');
		}
		free(all);
		all = print_sheets(f->t, NULL, 0, blank, -1, true, &err, &rc);
		assert_int_equal(rc, 0);
		for (const char *p = all; *p; p++)
			assert_true((unsigned char)*p < 0x80);
		assert_non_null(strstr(all, "k2     -"));
		free(all);
	}
}

/* Writes `text` to a temporary template file; returns its path. */
static char *temp_template(const char *text)
{
	char *path = strdup("/tmp/kvstep-sheet-XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* A bad template: EX_DATAERR, "path:line: want", and no output at all. */
static void check_bad(const Trace *t, const char *text, int line,
		      const char *want)
{
	char *path = temp_template(text);
	char *names[] = { NAME("1-no-cache"), path };
	KvError err;
	int rc;
	char *out = print_sheets(t, names, 2, false, -1, false, &err, &rc);
	assert_int_equal(rc, EX_DATAERR);
	assert_string_equal(out, "");
	char prefix[1200];
	snprintf(prefix, sizeof prefix, "%s:%d: %s", path, line, want);
	assert_string_equal(err.msg, prefix);
	free(out);
	remove(path);
	free(path);
}

static void test_bad_templates(void **state)
{
	Fixture *f = *state;
	check_bad(f->t, "fine\n{{macs nocache step=1}}\n{{bogus}}\n", 3,
		  "unknown placeholder 'bogus'");
	check_bad(f->t, "{{W[1,2]}}\n", 1,
		  "unknown matrix 'W' (expected X Q K V S A Z logits W_Q W_K "
		  "W_V W_out)");
	check_bad(f->t, "{{set mode=cache}}\n\n{{Q step=7}}\n", 3,
		  "step 7 is out of range (this run has steps 1..6)");
	check_bad(f->t, "{{? macs cache step=T+1}}\n", 1,
		  "step T+1 = 7 is out of range (this run has steps 1..6)");
	check_bad(f->t, "{{S[7,1]}}\n", 1,
		  "S has no cell [7,1] (rows 1..6, columns 1..6)");
	check_bad(f->t, "{{Q cache step=3}} {{Q[1,2] cache step=3}}\n", 1,
		  "cache does not hold Q[1,2] at step 3");
	check_bad(f->t, "{{Q step=2}}\n", 1,
		  "missing mode for 'Q' (write nocache, cache or prefill, or "
		  "{{set mode=...}} above)");
	check_bad(f->t, "{{Q nocache step=2 marks=3}}\n", 1,
		  "unknown option 'marks=3'");
	check_bad(f->t, "{{prompt step=2}}\n", 1,
		  "option not allowed here 'step=2'");
	check_bad(f->t, "text {{Q nocache\n", 1, "no closing '}}' for '{{'");
}

static void test_unknown_and_missing(void **state)
{
	Fixture *f = *state;
	KvError err;
	int rc;
	char *names[] = { NAME("4-nope") };
	char *out = print_sheets(f->t, names, 1, false, -1, false, &err, &rc);
	assert_int_equal(rc, EX_USAGE);
	assert_string_equal(out, "");
	free(out);
	char *files[] = { NAME("/nonexistent/sheet.txt") };
	out = print_sheets(f->t, files, 1, false, -1, false, &err, &rc);
	assert_int_equal(rc, EX_NOINPUT);
	assert_string_equal(out, "");
	free(out);
}

/* set and comment lines print nothing; P and T work as numbers. */
static void test_directives(void **state)
{
	Fixture *f = *state;
	char *path = temp_template(
		"{{# a comment}}\n"
		"{{set mode=cache step=T}}\n"
		"P={{P}} T-1={{T-1}} {{prompt}} / {{generated}} {{dash}}\n"
		"{{macs}} {{total_macs}} {{pass prefill}} {{chosen}}\n"
		"{{? cache_bytes w=3}}|{{? say why}}|{{copy}}\n"
		"{{cols status=reused of=K}} {{cells status=reused of=K,V}}\n");
	char *names[] = { path };
	KvError err;
	int rc;
	char *key = print_sheets(f->t, names, 1, false, -1, false, &err, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(key,
		"P=3 T-1=5 the cat sat / on the mat \xe2\x80\x94\n"
		"118 603 4 .\n"
		"168|why   |ANSWER KEY\n"
		"1-5 35\n");
	char *blank = print_sheets(f->t, names, 1, true, -1, false, &err, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(blank,
		"P=3 T-1=5 the cat sat / on the mat \xe2\x80\x94\n"
		"118 603 4 .\n"
		"___|______|Name: ______________\n"
		"1-5 35\n");
	free(key);
	free(blank);
	remove(path);
	free(path);
}

/* A small grid, exact: labels, alignment, given cells, marks. */
static void test_grid_text(void **state)
{
	Fixture *f = *state;
	char *path = temp_template("{{? K cache step=2 given=reused marks}}\n"
				   "{{A prefill step=2}}\n");
	char *names[] = { path };
	KvError err;
	int rc;
	char *blank = print_sheets(f->t, names, 1, true, -1, true, &err, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(blank,
		"K    k1     k2\n"
		"1     1^  _____\n"
		"2     0^  _____\n"
		"3     1^  _____\n"
		"4    -1^  _____\n"
		"A   q1    q2    q3\n"
		"k1   1  0.02  0.00\n"
		"k2   -  0.98  0.00\n"
		"k3   -     -  1.00\n");
	free(blank);
	remove(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_names),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_all_with_form_feeds),
		cmocka_unit_test(test_key_blank_aligned),
		cmocka_unit_test(test_values_match_trace),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_width_and_ascii),
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_unknown_and_missing),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_grid_text),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
