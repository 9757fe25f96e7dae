/*
 * Model loading: the classroom model's values, checked by hand, and every
 * kind of bad model file, with the exact `file:line` message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "run.h"
#include "trace.h"

/* A small valid model; tests break one line of it at a time. */
static const char good[] =
	"[model]\n"                          /* 1 */
	"name = tiny\n"                      /* 2 */
	"vocab = a b c\n"                    /* 3 */
	"d_model = 2\n"                      /* 4 */
	"d_k = 2\n"                          /* 5 */
	"d_v = 1\n"                          /* 6 */
	"prompt = a b\n"                     /* 7 */
	"generate = 2\n"                     /* 8 */
	"[embedding]\n"                      /* 9 */
	"a = 1 0\n"                          /* 10 */
	"b = 0 1\n"                          /* 11 */
	"c = 1 1\n"                          /* 12 */
	"[W_Q]\n"                            /* 13 */
	"row = 1 0\n"                        /* 14 */
	"row = 0 1\n"                        /* 15 */
	"[W_K]\n"                            /* 16 */
	"row = 1 1\n"                        /* 17 */
	"row = 0 1\n"                        /* 18 */
	"[W_V]\n"                            /* 19 */
	"row = 2 1\n"                        /* 20 */
	"[W_out]\n"                          /* 21 */
	"a = 1\n"                            /* 22 */
	"b = -1\n"                           /* 23 */
	"c = 0\n";                           /* 24 */

/* `base` with line `line` (1-based) replaced by `with` ("" deletes it). */
static char *edit_text(const char *base, int line, const char *with)
{
	char *out = malloc(strlen(base) + strlen(with) + 2);
	const char *p = base;
	char *o = out;
	for (int n = 1; *p; n++) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p) + 1;
		if (n == line) {
			if (*with)
				o += sprintf(o, "%s\n", with);
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
}

static char *edit_line(int line, const char *with)
{
	return edit_text(good, line, with);
}

/* The good model with line `line` replaced by `with`; it must load. */
static Model *parse_edited(int line, const char *with)
{
	char *text = edit_line(line, with);
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", text, strlen(text), &err);
	free(text);
	assert_non_null(m);
	return m;
}

static void expect_error(const char *text, const char *msg)
{
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", text, strlen(text), &err);
	assert_null(m);
	assert_int_equal(err.code, 65);
	assert_string_equal(err.msg, msg);
}

static void expect_line_error(int line, const char *with, const char *msg)
{
	char *text = edit_line(line, with);
	expect_error(text, msg);
	free(text);
}

static void test_good_model_loads(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", good, strlen(good), &err);
	assert_non_null(m);
	assert_int_equal(err.code, 0);
	assert_string_equal(m->name, "tiny");
	assert_int_equal(m->vocab_n, 3);
	assert_int_equal(m->prompt_n, 2);
	assert_int_equal(m->prompt[1], 1);
	assert_int_equal(m->generate, 2);
	assert_true(m->scale == 1.0 / sqrt(2.0));
	assert_true(m->wk[1] == 1.0 && m->wk[2] == 0.0);
	assert_true(m->wout[1] == -1.0);
	model_free(m);
}

static void test_short_row(void **state)
{
	(void)state;
	expect_line_error(15, "row = 0",
			  "t.ini:15: [W_Q] row 2 has 1 values, expected 2 (d_model)");
}

static void test_long_token_line(void **state)
{
	(void)state;
	expect_line_error(22, "a = 1 2",
			  "t.ini:22: [W_out] 'a' has 2 values, expected 1 (d_v)");
}

static void test_unknown_prompt_token(void **state)
{
	(void)state;
	expect_line_error(7, "prompt = a dog",
			  "t.ini:7: prompt word 'dog' is not in the vocab");
}

static void test_missing_section(void **state)
{
	(void)state;
	char *text = edit_line(19, "");
	char *cut = strstr(text, "row = 2 1\n");
	memmove(cut, cut + 10, strlen(cut + 10) + 1);
	expect_error(text, "t.ini:22: missing section [W_V] (1 rows, d_v of 2 values)");
	free(text);
}

static void test_not_a_number(void **state)
{
	(void)state;
	expect_line_error(17, "row = 1 x1",
			  "t.ini:17: expected a number, got 'x1'");
	expect_line_error(17, "row = 1 nan",
			  "t.ini:17: 'nan' is not a finite number within ±1e6");
	expect_line_error(17, "row = 1 2e7",
			  "t.ini:17: '2e7' is not a finite number within ±1e6");
	expect_line_error(17, "row = 1 0x10",
			  "t.ini:17: expected a number, got '0x10'");
	expect_line_error(17, "row = 1 1e-400",
			  "t.ini:17: '1e-400' is too small for a double; write 0");
	expect_line_error(3, "vocab = a b c:d",
			  "t.ini:3: token 'c:d' cannot be a key in [embedding]: no '=' or ':' in a token, and none may start with ';', '#' or '['");
}

static void test_dimension_limits(void **state)
{
	(void)state;
	expect_line_error(4, "d_model = 65",
			  "t.ini:4: d_model = 65 is outside the limits 1..64");
	expect_line_error(5, "d_k = 0",
			  "t.ini:5: d_k = 0 is outside the limits 1..64");
	expect_line_error(6, "d_v = two",
			  "t.ini:6: d_v: expected a whole number, got 'two'");
}

static void test_structure_errors(void **state)
{
	(void)state;
	expect_line_error(2, "colour = red",
			  "t.ini:2: unknown key 'colour' in [model]; expected name, vocab, d_model, d_k, d_v, scale, prompt, generate, n_layers, n_heads, n_kv_heads, windows, pattern, window, sink, sink_tokens or rope");
	expect_line_error(13, "[W_Qx]",
			  "t.ini:13: unknown section [W_Qx]; expected [model], [embedding], [position], [W_Q], [W_K], [W_V] or [W_out]");
	expect_line_error(14, "row 1 0",
			  "t.ini:14: expected `key = value`, `[section]` or a comment");
	expect_line_error(12, "",
			  "t.ini:9: [embedding] has no line for token 'c'");
	expect_line_error(16, "[W_K]\nrow = 1 1\nrow = 1 1\nrow = 1 1",
			  "t.ini:19: one row too many: expected 2 rows (rows, d_k)");
	expect_line_error(3, "vocab = a b a",
			  "t.ini:3: token 'a' appears twice in vocab");
	expect_line_error(8, "generate = 2000",
			  "t.ini:8: generate = 2000 is outside the limits 0..1023");
	expect_line_error(5, "d_k = 2\nd_k = 3",
			  "t.ini:6: key given twice in [model] (first on line 5)");
}

/* The documented limits, each refused with its line. */
static void test_limits(void **state)
{
	(void)state;
	char vocab[700] = "vocab =";
	for (int i = 0; i < 65; i++)
		sprintf(vocab + strlen(vocab), " t%d", i);
	/* 65 tokens do not fit in a 198-byte line: the line limit speaks first */
	expect_line_error(3, vocab, "t.ini:3: line is 257 bytes long; the limit is 198");
	expect_line_error(3, "vocab = a b c abcdefghijklmnopqrstuvwxyz0123456",
			  "t.ini:3: token 'abcdefghijklmnopqrstuvwxyz0123456' is longer than 31 bytes");
	expect_line_error(2, "n_heads = 17",
			  "t.ini:2: n_heads = 17 is outside the limits 1..16");
	expect_line_error(2, "n_kv_heads = 0",
			  "t.ini:2: n_kv_heads = 0 is outside the limits 1..16");
	/* a file over 1 MiB is refused before it is parsed */
	size_t big = (1u << 20) + 1;
	char *text = malloc(big + 1);
	memset(text, ';', big);
	text[big] = '\0';
	expect_error(text, "t.ini:1: file is 1048577 bytes; the limit is 1048576");
	free(text);
	expect_line_error(17, "row = 1 inf",
			  "t.ini:17: 'inf' is not a finite number within ±1e6");
}

/* A vocabulary of 64 tokens is the most a file may have. */
static void test_vocab_limit(void **state)
{
	(void)state;
	/* 65 tokens "0".."64" make a 192-byte line, within the line limit */
	char text[4096] = "[model]\nvocab = ";
	size_t n = strlen(text);
	for (int i = 0; i < 65; i++)
		n += (size_t)sprintf(text + n, "%s%d", i ? " " : "", i);
	strcat(text, "\n");
	KvError err;
	kv_error_clear(&err);
	assert_null(model_parse("t.ini", text, strlen(text), &err));
	assert_string_equal(err.msg, "t.ini:2: vocab has more than 64 tokens");
}

static void test_line_too_long(void **state)
{
	(void)state;
	/* libinih would split this line silently; we refuse it by number. */
	char line[260] = "row = 1";
	while (strlen(line) < 250)
		strcat(line, " 0");
	expect_line_error(17, line,
			  "t.ini:17: line is 251 bytes long; the limit is 198");
}

static void test_comments_and_indent(void **state)
{
	(void)state;
	/* '#' after a blank starts a comment; indented lines are ordinary. */
	Model *m = parse_edited(17, "   row = 1 1   # first key row");
	assert_true(m->wk[0] == 1.0 && m->wk[1] == 1.0);
	model_free(m);
}

static void test_position_rows(void **state)
{
	(void)state;
	char *text = edit_line(13, "[position]\n1 = 1 0\n2 = 0 0\n3 = 0 0\n[W_Q]");
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", text, strlen(text), &err);
	assert_null(m);
	assert_string_equal(err.msg,
			    "t.ini:13: [position] has 3 rows but prompt plus generate needs 4");
	free(text);
	text = edit_line(13, "[position]\n1 = 1 0\n3 = 0 0\n[W_Q]");
	kv_error_clear(&err);
	assert_null(model_parse("t.ini", text, strlen(text), &err));
	assert_string_equal(err.msg, "t.ini:15: expected position 2 next, got 3");
	free(text);
}

static void test_missing_file(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	assert_null(model_load_file("/nonexistent/m.ini", &err));
	assert_int_equal(err.code, 66);
	assert_string_equal(err.msg,
			    "/nonexistent/m.ini: cannot open: No such file or directory");
}

/* An editor's UTF-8 byte order mark before [model] is not a stray byte. */
static void test_bom(void **state)
{
	(void)state;
	char *text = malloc(sizeof good + 3);
	memcpy(text, "\xEF\xBB\xBF", 3);
	memcpy(text + 3, good, sizeof good);
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("t.ini", text, strlen(text), &err);
	assert_non_null(m);
	assert_string_equal(m->name, "tiny");
	model_free(m);
	/* only at the start of the file: later it is a stray character */
	free(text);
	expect_line_error(9, "\xEF\xBB\xBF[embedding]",
			  "t.ini:9: expected `key = value`, `[section]` or a comment");
}

/* A subnormal double is a number; only 0-valued underflow is refused. */
static void test_subnormal(void **state)
{
	(void)state;
	Model *m = parse_edited(17, "row = 1 1e-310");
	assert_true(m->wk[1] == 1e-310 && m->wk[1] > 0);
	model_free(m);
	expect_line_error(17, "row = 1 1e-400",
			  "t.ini:17: '1e-400' is too small for a double; write 0");
}

/* Names, tokens and prompts reach the terminal: no control bytes. */
static void test_control_characters(void **state)
{
	(void)state;
	expect_line_error(2, "name = \x1b]0;PWNED\x07\x1b[2J",
			  "t.ini:2: control character (byte 0x1b, column 8); a model file is plain text");
	expect_line_error(3, "vocab = a b \x1b[31mc",
			  "t.ini:3: control character (byte 0x1b, column 13); a model file is plain text");
	expect_line_error(7, "prompt = a\x7f b",
			  "t.ini:7: control character (byte 0x7f, column 11); a model file is plain text");
	/* C1 controls in their UTF-8 form (U+009B is a CSI on some terminals) */
	expect_line_error(2, "name = x\xc2\x9b" "2J",
			  "t.ini:2: control character (byte 0xc2, column 9); a model file is plain text");
	expect_line_error(2, "name = caf\xe9",
			  "t.ini:2: byte 0xe9 (column 11) is not UTF-8; save the file as UTF-8");
	expect_line_error(2, "name = \xc0\xaf overlong",
			  "t.ini:2: byte 0xc0 (column 8) is not UTF-8; save the file as UTF-8");
	expect_line_error(2, "name = \xed\xa0\x80 surrogate",
			  "t.ini:2: byte 0xed (column 8) is not UTF-8; save the file as UTF-8");
	/* tabs and real UTF-8 are fine */
	Model *m = parse_edited(2, "name = caf\xc3\xa9\tau lait \xe2\x96\xbc");
	assert_string_equal(m->name, "caf\xc3\xa9\tau lait \xe2\x96\xbc");
	model_free(m);
}

/* A FIFO would block a reader forever: refused at once. */
static void test_fifo_refused(void **state)
{
	(void)state;
	char dir[] = "/tmp/kvstep-fifo-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/m.ini", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	KvError err;
	kv_error_clear(&err);
	assert_null(model_load_file(path, &err));
	assert_int_equal(err.code, 66);
	assert_non_null(strstr(err.msg, "m.ini: not a regular file (a FIFO)"));
	kv_error_clear(&err);
	assert_null(model_load_file(dir, &err));
	assert_non_null(strstr(err.msg, "not a regular file (a directory)"));
	unlink(path);
	rmdir(dir);
}

/* Bundled names win; a path needs a '/' or an extension. */
static void test_name_rule(void **state)
{
	(void)state;
	char dir[] = "/tmp/kvstep-name-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	FILE *fp = fopen("gqa", "w");
	fputs(good, fp);
	fclose(fp);
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load("gqa", &err);
	assert_non_null(m);
	assert_string_equal(m->name, "grouped-query attention");
	model_free(m);
	m = model_load("./gqa", &err);
	assert_non_null(m);
	assert_string_equal(m->name, "tiny");
	model_free(m);
	/* the bundled name with its extension is still the bundled model */
	rename("gqa", "gqa.ini");
	m = model_load("gqa.ini", &err);
	assert_non_null(m);
	assert_string_equal(m->name, "grouped-query attention");
	model_free(m);
	m = model_load("./gqa.ini", &err);
	assert_non_null(m);
	assert_string_equal(m->name, "tiny");
	model_free(m);
	rename("gqa.ini", "gqa");
	rename("gqa", "mine");
	assert_null(model_load("mine", &err));
	assert_int_equal(err.code, 66);
	assert_string_equal(err.msg, "mine: not a bundled model (default, gqa, mqa, local-global, streaming, rope); to read a file, give a path such as ./mine");
	unlink("mine");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
}

/* A stacked two-layer, two-head file; tests break one line at a time. */
static const char stacked[] =
	"[model]\n"                /* 1 */
	"vocab = a b\n"            /* 2 */
	"d_model = 2\n"            /* 3 */
	"d_k = 1\n"                /* 4 */
	"d_v = 1\n"                /* 5 */
	"n_layers = 2\n"           /* 6 */
	"n_heads = 2\n"            /* 7 */
	"n_kv_heads = 1\n"         /* 8 */
	"windows = 1 0\n"          /* 9 */
	"prompt = a b\n"           /* 10 */
	"[embedding]\na = 1 0\nb = 0 1\n"                         /* 11-13 */
	"[L1.H1.W_Q]\nrow = 1 0\n[L1.H2.W_Q]\nrow = 0 1\n"        /* 14-17 */
	"[L1.H1.W_K]\nrow = 1 1\n[L1.H1.W_V]\nrow = 1 0\n"        /* 18-21 */
	"[L1.W_O]\nrow = 1 0\nrow = 0 1\n"                        /* 22-24 */
	"[L2.H1.W_Q]\nrow = 1 0\n[L2.H2.W_Q]\nrow = 0 1\n"        /* 25-28 */
	"[L2.H1.W_K]\nrow = 1 1\n[L2.H1.W_V]\nrow = 1 0\n"        /* 29-32 */
	"[L2.W_O]\nrow = 1 0\nrow = 0 1\n"                        /* 33-35 */
	"[W_out]\na = 1 0\nb = 0 1\n";                            /* 36-38 */

static char *edit_stacked(int line, const char *with)
{
	return edit_text(stacked, line, with);
}

static void expect_stacked_error(int line, const char *with, const char *msg)
{
	char *text = edit_stacked(line, with);
	expect_error(text, msg);
	free(text);
}

static void test_stacked_loads(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_parse("s.ini", stacked, strlen(stacked), &err);
	assert_non_null(m);
	assert_true(m->stacked);
	assert_int_equal(m->n_layers, 2);
	assert_int_equal(m->n_heads, 2);
	assert_int_equal(m->n_kv_heads, 1);
	assert_int_equal(m->window[0], 1);
	assert_int_equal(m->window[1], 0);
	assert_true(model_wq(m, 1, 1)[1] == 1.0);
	assert_int_equal(model_kv_head(m, 1), 0);
	model_free(m);
	/* a pattern repeats over the layers: LG over 2 layers, window 3 */
	char *text = edit_stacked(9, "pattern = lG\nwindow = 3");
	m = model_parse("s.ini", text, strlen(text), &err);
	assert_non_null(m);
	assert_int_equal(m->window[0], 3);
	assert_int_equal(m->window[1], 0);
	model_free(m);
	free(text);
}

static void test_stacked_errors(void **state)
{
	(void)state;
	expect_stacked_error(8, "n_kv_heads = 3",
			     "t.ini:8: n_heads = 2 is not a multiple of n_kv_heads = 3");
	expect_stacked_error(9, "windows = 1 0 2",
			     "t.ini:9: windows has 3 values but n_layers = 2");
	expect_stacked_error(9, "pattern = LX",
			     "t.ini:9: pattern: expected letters L (local) and G (global), got 'LX'");
	expect_stacked_error(9, "pattern = LG",
			     "t.ini:9: pattern has local layers: give their `window = W` too");
	expect_stacked_error(9, "windows = 1 0\npattern = LG",
			     "t.ini:9: give either `windows = ...` or `pattern` with `window`, not both");
	expect_stacked_error(9, "windows = -1 0",
			     "t.ini:9: window: '-1' (value 1 of the list) is not a whole number 0..1024 (0 = global)");
	/* the window limit, not the ±1e6 limit of weights */
	expect_stacked_error(9, "windows = 1 99999999",
			     "t.ini:9: window: '99999999' (value 2 of the list) is not a whole number 0..1024 (0 = global)");
	expect_stacked_error(9, "windows = 1 2.5",
			     "t.ini:9: window: '2.5' (value 2 of the list) is not a whole number 0..1024 (0 = global)");
	expect_stacked_error(9, "pattern = LLG\nwindow = 2",
			     "t.ini:9: pattern has 3 letters but n_layers = 2; it repeats over the layers, so give at most 2");
	expect_stacked_error(9, "pattern = GG\nwindow = 2",
			     "t.ini:10: window is given, but pattern has no local (L) layer");
	expect_stacked_error(6, "n_layers = 17",
			     "t.ini:6: n_layers = 17 is outside the limits 1..16");
	expect_stacked_error(25, "[W_Q]",
			     "t.ini:25: unknown section [W_Q]; this model (n_layers = 2, n_heads = 2, n_kv_heads = 1) expects [model], [embedding], [position], [L<l>.H<h>.W_Q], [L<l>.H<g>.W_K], [L<l>.H<g>.W_V], [L<l>.W_O] or [W_out]");
	expect_stacked_error(23, "row = 1",
			     "t.ini:23: [L1.W_O] row 1 has 1 values, expected 2 (n_heads·d_v)");
	expect_stacked_error(37, "a = 1",
			     "t.ini:37: [W_out] 'a' has 1 values, expected 2 (d_model)");
}

/* `sink_tokens` and per-layer `sink` on the stacked file. */
static void test_sink_keys(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	/* one count goes to every window layer, none to a global one */
	char *text = edit_stacked(9, "windows = 1 0\nsink_tokens = 2");
	Model *m = model_parse("s.ini", text, strlen(text), &err);
	free(text);
	assert_non_null(m);
	assert_non_null(m->sink_tokens);
	assert_int_equal(m->sink_tokens[0], 2);
	assert_int_equal(m->sink_tokens[1], 0);
	assert_int_equal(model_sink_tokens(m, 0), 2);
	assert_int_equal(model_sink_tokens(m, 1), 0);
	model_free(m);
	/* one per layer, as `windows`; the pattern form too */
	text = edit_stacked(9, "pattern = L\nwindow = 3\nsink_tokens = 4 1");
	m = model_parse("s.ini", text, strlen(text), &err);
	free(text);
	assert_non_null(m);
	assert_int_equal(m->sink_tokens[0], 4);
	assert_int_equal(m->sink_tokens[1], 1);
	model_free(m);
	/* sink: one value, one per head, or one per head of each layer */
	static const struct {
		const char *line;
		double want[4]; /* (layer, head) */
	} sinks[] = {
		{ "sink = 0.5", { 0.5, 0.5, 0.5, 0.5 } },
		{ "sink = 1 -2", { 1, -2, 1, -2 } },
		{ "sink = 1 2 3 4", { 1, 2, 3, 4 } },
	};
	for (size_t i = 0; i < sizeof sinks / sizeof *sinks; i++) {
		char line[64];
		snprintf(line, sizeof line, "windows = 1 0\n%s", sinks[i].line);
		text = edit_stacked(9, line);
		m = model_parse("s.ini", text, strlen(text), &err);
		free(text);
		assert_non_null(m);
		for (int l = 0; l < 2; l++)
			for (int h = 0; h < 2; h++) {
				bool has = false;
				assert_true(model_sink(m, l, h, &has) ==
					    sinks[i].want[l * 2 + h]);
				assert_true(has);
			}
		model_free(m);
	}
}

static void test_sink_key_errors(void **state)
{
	(void)state;
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = -1",
			     "t.ini:10: sink_tokens: '-1' (value 1 of the list) is not a whole number 0..1024 of pinned first positions");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = two",
			     "t.ini:10: sink_tokens: 'two' (value 1 of the list) is not a whole number 0..1024 of pinned first positions");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = 1.5",
			     "t.ini:10: sink_tokens: '1.5' (value 1 of the list) is not a whole number 0..1024 of pinned first positions");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = 1 2 3",
			     "t.ini:10: sink_tokens: expected one count (every sliding-window layer) or one per layer (n_layers = 2), got 3 values");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens =",
			     "t.ini:10: sink_tokens: expected one count (every sliding-window layer) or one per layer (n_layers = 2), got 0 values");
	expect_stacked_error(9, "windows = 0 0\nsink_tokens = 2",
			     "t.ini:10: sink_tokens pins positions of a sliding-window cache: give `window`, `windows` or a `pattern` with local layers too");
	expect_stacked_error(9, "sink_tokens = 2",
			     "t.ini:9: sink_tokens pins positions of a sliding-window cache: give `window`, `windows` or a `pattern` with local layers too");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = 1 1",
			     "t.ini:10: sink_tokens 2: layer 2 is global (window 0); give it 0");
	expect_stacked_error(9, "windows = 1 0\nsink_tokens = 1\nsink_tokens = 2",
			     "t.ini:11: key given twice in [model] (first on line 10)");
	expect_stacked_error(9, "windows = 1 0\nsink = 1 2 3",
			     "t.ini:10: sink: expected one logit, one per head (n_heads = 2) or one per head of each layer (n_layers·n_heads = 4), got 3 values");
}

/* Entry (row, col) of matrix `mat` in the trace, which must hold it. */
static double value(const Trace *t, Matrix mat, int row, int col)
{
	double v = -999;
	assert_true(trace_value(t, mat, row, col, &v));
	return v;
}

/*
 * The classroom model at the last step, worked by hand: X columns are the
 * embeddings of "the cat sat on the mat"; Q = W_Q·X, K = W_K·X, V = W_V·X.
 */
static void test_default_model_by_hand(void **state)
{
	(void)state;
	static const double X[5][6] = {
		{ 1, 1, 0, 0, 1, 0 }, { 1, 0, 1, 1, 1, 0 }, { 0, 1, 0, 0, 0, 0 },
		{ 0, 0, 1, 0, 0, 1 }, { 0, 0, 0, 1, 0, 0 },
	};
	static const double Q[4][6] = {
		{ 0, 1, 1, -1, 0, 1 }, { 2, 1, 0, 0, 2, -1 },
		{ 1, 1, 1, 1, 1, 1 }, { 0, -1, 1, 1, 0, 1 },
	};
	static const double K[4][6] = {
		{ -2, -1, -2, -2, -2, -1 }, { 1, 2, 0, -1, 1, 0 },
		{ -1, 0, 0, -2, -1, 1 }, { -1, -1, 1, 0, -1, 1 },
	};
	static const double V[3][6] = {
		{ 0, 2, 2, 0, 0, 2 }, { 1, 3, -2, 0, 1, -1 }, { 1, 0, 3, 2, 1, 1 },
	};
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	assert_int_equal(trace_steps(t), 6);
	const char *words[] = { "the", "cat", "sat", "on", "the", "mat" };
	for (int j = 1; j <= 6; j++) {
		assert_string_equal(m->vocab[trace_token(t, j)], words[j - 1]);
		for (int r = 1; r <= 5; r++)
			assert_true(value(t, MAT_X, r, j) == X[r - 1][j - 1]);
		for (int r = 1; r <= 4; r++) {
			assert_true(value(t, MAT_Q, r, j) == Q[r - 1][j - 1]);
			assert_true(value(t, MAT_K, r, j) == K[r - 1][j - 1]);
		}
		for (int r = 1; r <= 3; r++)
			assert_true(value(t, MAT_V, r, j) == V[r - 1][j - 1]);
	}
	/* S[i][j] = k_i·q_j / √4: S[2,3] = (−1·1 + 2·0 + 0·1 − 1·1)/2 = −1 */
	assert_true(value(t, MAT_S, 2, 3) == -1.0);
	assert_true(value(t, MAT_S, 6, 6) == 0.5);
	/* the next token after "mat" is "." */
	assert_string_equal(m->vocab[trace_step(t, 6, MODE_CACHE)->chosen], ".");
	trace_free(t);
	model_free(m);
}

/*
 * The classroom model's attention is spread, so the cached K and V matter:
 * every query over two or more keys puts at most 0.9 on its favourite key
 * and at least 0.05 on some other key. (The old model put 0.9999 on one.)
 */
static void test_default_attention_is_spread(void **state)
{
	(void)state;
	KvError err;
	kv_error_clear(&err);
	Model *m = model_load_default(&err);
	assert_non_null(m);
	RunConfig cfg = run_config_default(m);
	Trace *t = run_trace(m, &cfg, &err);
	assert_non_null(t);
	for (int q = 2; q <= trace_steps(t); q++) {
		double top = 0, sum = 0;
		int at = 0;
		for (int k = 1; k <= q; k++) {
			double a = value(t, MAT_A, k, q);
			sum += a;
			if (a > top) {
				top = a;
				at = k;
			}
		}
		double other = 0;
		for (int k = 1; k <= q; k++)
			if (k != at && value(t, MAT_A, k, q) > other)
				other = value(t, MAT_A, k, q);
		assert_true(top <= 0.9);
		assert_true(other >= 0.05);
		assert_true(sum > 0.999999 && sum < 1.000001);
	}
	/* the worked column: q4 weighs k3 by e^1.5 / (3 + e^1.5) */
	assert_true(fabs(value(t, MAT_A, 3, 4) - exp(1.5) / (3 + exp(1.5))) < 1e-15);
	trace_free(t);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_model_loads),
		cmocka_unit_test(test_default_attention_is_spread),
		cmocka_unit_test(test_short_row),
		cmocka_unit_test(test_long_token_line),
		cmocka_unit_test(test_unknown_prompt_token),
		cmocka_unit_test(test_missing_section),
		cmocka_unit_test(test_not_a_number),
		cmocka_unit_test(test_dimension_limits),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_vocab_limit),
		cmocka_unit_test(test_comments_and_indent),
		cmocka_unit_test(test_position_rows),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_subnormal),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_fifo_refused),
		cmocka_unit_test(test_name_rule),
		cmocka_unit_test(test_default_model_by_hand),
		cmocka_unit_test(test_stacked_loads),
		cmocka_unit_test(test_stacked_errors),
		cmocka_unit_test(test_sink_keys),
		cmocka_unit_test(test_sink_key_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
