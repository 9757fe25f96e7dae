/*
 * Template lexer and parser: splits a template into lines of literal text
 * and placeholders, and checks each placeholder's name and options. Values
 * (steps, indices) are checked against the trace later, when rendering.
 */
#include "sheet_tmpl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options a placeholder may take. */
enum {
	OPT_MODE = 1 << 0,   /* nocache | cache | prefill | mode=... */
	OPT_STEP = 1 << 1,   /* step=... */
	OPT_GIVEN = 1 << 2,  /* given, given=reused,... */
	OPT_MARKS = 1 << 3,  /* marks */
	OPT_STATUS = 1 << 4, /* status=... */
	OPT_OF = 1 << 5,     /* of=Q,K,V */
	OPT_W = 1 << 6,      /* w=N */
	OPT_LAYER = 1 << 7,  /* layer=N */
	OPT_HEAD = 1 << 8,   /* head=N: a query head, or for K and V a K/V head */
	OPT_FORMULA = 1 << 9, /* global, mha, saved */
	OPT_HIDEMASK = 1 << 10, /* hidemask */
	OPT_QPART = 1 << 11, /* min, scale, code, error: of a Kq/Vq cell */
	OPT_KERNEL = 1 << 12, /* kernel=standard | kernel=tiled */
};

static const char *const counter_names[CTR_COUNT] = {
	[CTR_MACS] = "macs",
	[CTR_MACS_PROJ] = "macs_proj",
	[CTR_MACS_SCORES] = "macs_scores",
	[CTR_MACS_AV] = "macs_av",
	[CTR_MACS_LOGITS] = "macs_logits",
	[CTR_EXPS] = "exps",
	[CTR_RECOMPUTED_MACS] = "recomputed_macs",
	[CTR_CACHE_CELLS] = "cache_cells",
	[CTR_CACHE_BYTES] = "cache_bytes",
	[CTR_CACHE_READS] = "cache_reads",
	[CTR_PASSES] = "passes",
	[CTR_PASS] = "pass",
};

static const char *const fact_names[FACT_COUNT] = {
	[FACT_PROMPT] = "prompt",
	[FACT_GENERATED] = "generated",
	[FACT_TOKENS] = "tokens",
	[FACT_TOKEN] = "token",
	[FACT_CHOSEN] = "chosen",
	[FACT_MODEL] = "model",
	[FACT_D_MODEL] = "d_model",
	[FACT_D_K] = "d_k",
	[FACT_D_V] = "d_v",
	[FACT_VOCAB] = "vocab",
	[FACT_INDEX] = NULL, /* written as P, T, P-1 ... */
	[FACT_SCALE] = "scale",
	[FACT_ELEM_BYTES] = "elem_bytes",
	[FACT_DASH] = "dash",
	[FACT_N_LAYERS] = "n_layers",
	[FACT_N_HEADS] = "n_heads",
	[FACT_N_KV_HEADS] = "n_kv_heads",
	[FACT_WINDOW] = "window",
	[FACT_KV_HEAD] = "kv_head",
	[FACT_RANGE] = NULL, /* written as range LO HI */
	[FACT_EVICTED] = "evicted",
};

static const char *const weight_names[] = { "W_Q", "W_K", "W_V", "W_out",
					    "W_O" };

/* The parser's state while it walks one template. */
typedef struct Parser {
	Template *tp;
	KvError *err;
	int line;            /* current template line, 1-based */
	int def_mode;        /* {{set mode=...}}, -1 when unset */
	SheetIndex def_step; /* {{set step=...}} */
	int def_layer;       /* {{set layer=...}}, 0 when unset (layer 1) */
	int def_head;        /* {{set head=...}}, 0 when unset (head 1) */
	int cur_model;       /* {{model NAME}} in force, -1 for the run's */
	int cap_items;
	int cap_lines;
} Parser;

/* A word of a placeholder body: [at, at+len) in the template. */
typedef struct Word {
	const char *s;
	size_t len;
} Word;

const char *sheet_counter_name(SheetCounter c)
{
	return (unsigned)c < CTR_COUNT ? counter_names[c] : "";
}

const char *sheet_fact_name(SheetFact f)
{
	return (unsigned)f < FACT_COUNT ? fact_names[f] : "";
}

const char *sheet_matrix_name(int mat)
{
	if (mat >= 0 && mat < MAT_COUNT)
		return matrix_name((Matrix)mat);
	if (mat >= SHEET_W_Q && mat < SHEET_MAT_COUNT)
		return weight_names[mat - SHEET_W_Q];
	return "";
}

/* "source:line: what 'word' hint" */
static int fail_hint(Parser *ps, const char *what, const Word *w,
		     const char *hint)
{
	return kv_error_set(ps->err, EX_DATAERR, "%s:%d: %s '%.*s'%s%s",
			    ps->tp->source, ps->line, what, (int)w->len, w->s,
			    *hint ? " " : "", hint);
}

static int fail(Parser *ps, const char *what, const Word *w)
{
	return fail_hint(ps, what, w, "");
}

static bool word_is(const Word *w, const char *s)
{
	return strlen(s) == w->len && memcmp(w->s, s, w->len) == 0;
}

/* Index of `w` in names[0..n), or -1. */
static int word_lookup(const Word *w, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] && word_is(w, names[i]))
			return i;
	return -1;
}

static int matrix_lookup(const Word *w)
{
	for (int m = 0; m < SHEET_MAT_COUNT; m++)
		if (word_is(w, sheet_matrix_name(m)))
			return m;
	return -1;
}

/* Next whitespace-separated word of [*p, end); false at the end. */
static bool word_next(const char **p, const char *end, Word *w)
{
	const char *s = *p;
	while (s < end && isspace((unsigned char)*s))
		s++;
	const char *e = s;
	while (e < end && !isspace((unsigned char)*e))
		e++;
	*p = e;
	*w = (Word){ s, (size_t)(e - s) };
	return e > s;
}

/* Splits "key=value"; false when there is no '='. */
static bool word_split(const Word *w, Word *key, Word *val)
{
	const char *eq = memchr(w->s, '=', w->len);
	if (!eq)
		return false;
	*key = (Word){ w->s, (size_t)(eq - w->s) };
	*val = (Word){ eq + 1, w->len - (size_t)(eq - w->s) - 1 };
	return true;
}

/* Parses a small non-negative number of at most 6 digits. */
static bool number_parse(const char *s, size_t len, int *out)
{
	if (len == 0 || len > 6)
		return false;
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "3", "P", "T", "P+1", "T-2". */
static bool index_parse(const Word *w, SheetIndex *ix)
{
	*ix = (SheetIndex){ .set = true };
	if (w->len > 0 && (w->s[0] == 'P' || w->s[0] == 'T')) {
		ix->base = w->s[0];
		if (w->len == 1)
			return true;
		int n;
		if ((w->s[1] != '+' && w->s[1] != '-') ||
		    !number_parse(w->s + 2, w->len - 2, &n))
			return false;
		ix->off = w->s[1] == '+' ? n : -n;
		return true;
	}
	return number_parse(w->s, w->len, &ix->off);
}

/* Layer and head options a matrix takes: X and H have a layer, no head. */
static unsigned matrix_takes(int mat)
{
	switch (mat) {
	case MAT_X:
	case MAT_H:
	case SHEET_W_O:
		return OPT_LAYER;
	case MAT_LOGITS:
	case SHEET_W_OUT:
		return 0;
	default:
		return OPT_LAYER | OPT_HEAD;
	}
}

/* Options each kind of placeholder accepts. */
static unsigned ph_takes(const Placeholder *ph)
{
	switch (ph->kind) {
	case PH_GRID:
		return ph->what < MAT_COUNT
			       ? OPT_MODE | OPT_STEP | OPT_GIVEN | OPT_MARKS |
					 OPT_HIDEMASK | OPT_KERNEL |
					 matrix_takes(ph->what)
			       : matrix_takes(ph->what);
	case PH_CELL:
		return OPT_MODE | OPT_STEP | OPT_W | matrix_takes(ph->what) |
		       (ph->what == MAT_KQ || ph->what == MAT_VQ ? OPT_QPART
								  : 0) |
		       (ph->what < MAT_COUNT ? OPT_KERNEL : 0);
	case PH_TILES:
		return OPT_MODE | OPT_STEP | OPT_GIVEN | OPT_LAYER | OPT_HEAD;
	case PH_COUNTER:
		if (ph->what == CTR_CACHE_CELLS || ph->what == CTR_CACHE_BYTES)
			return OPT_MODE | OPT_STEP | OPT_W | OPT_LAYER;
		return OPT_MODE | OPT_STEP | OPT_W;
	case PH_FACT:
		if (ph->what == FACT_CHOSEN)
			return OPT_MODE | OPT_STEP | OPT_W;
		if (ph->what == FACT_WINDOW)
			return OPT_LAYER | OPT_W;
		if (ph->what == FACT_KV_HEAD)
			return OPT_HEAD | OPT_W;
		return ph->what == FACT_TOKEN ? OPT_STEP | OPT_W : OPT_W;
	case PH_CELLS:
	case PH_COLS:
		return OPT_MODE | OPT_STEP | OPT_STATUS | OPT_OF | OPT_W |
		       OPT_LAYER;
	case PH_SLOTS:
		return OPT_MODE | OPT_STEP | OPT_LAYER;
	case PH_FORMULA:
		return OPT_STEP | OPT_W | OPT_FORMULA;
	case PH_CHOICES:
		return OPT_STEP; /* columns x1..x(step); every step without */
	case PH_SAY:
	case PH_COPY:
		return 0;
	}
	return 0;
}

/* Options a placeholder cannot do without (after the set defaults). */
static unsigned ph_needs(const Placeholder *ph)
{
	unsigned takes = ph_takes(ph);
	if (ph->kind == PH_CELL)
		return 0; /* mode and step only check that the mode holds it */
	if (ph->kind == PH_CELLS || ph->kind == PH_COLS)
		return takes & (OPT_MODE | OPT_STEP | OPT_STATUS);
	if (ph->kind == PH_FORMULA)
		return OPT_STEP;
	if (ph->kind == PH_CHOICES)
		return 0;
	return takes & (OPT_MODE | OPT_STEP);
}

/* "given" alone shows every cell; "given=reused,computed" some statuses. */
static int opt_given(Parser *ps, Placeholder *ph, const Word *val)
{
	if (!val) {
		ph->given = ~0u;
		return 0;
	}
	const char *p = val->s, *end = val->s + val->len;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		char name[16];
		int st = -1;
		if ((size_t)(e - p) < sizeof name) {
			memcpy(name, p, (size_t)(e - p));
			name[e - p] = '\0';
			st = cell_status_parse(name);
		}
		if (st < 0) {
			Word w = { p, (size_t)(e - p) };
			return fail_hint(ps, "unknown cell status", &w,
					 "(expected computed, reused or recomputed)");
		}
		ph->given |= 1u << st;
		p = comma ? comma + 1 : end;
	}
	return 0;
}

/* "of=Q,K,V": matrices of the trace. */
static int opt_of(Parser *ps, Placeholder *ph, const Word *val)
{
	const char *p = val->s, *end = val->s + val->len;
	ph->of = 0;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		Word w = { p, (size_t)((comma ? comma : end) - p) };
		int m = matrix_lookup(&w);
		if (m < 0 || m >= MAT_COUNT)
			return fail(ps, "unknown matrix", &w);
		ph->of |= 1u << m;
		p = comma ? comma + 1 : end;
	}
	return ph->of ? 0 : fail_hint(ps, "no matrices in", val, "(write of=Q,K,V)");
}

static int opt_status(Parser *ps, Placeholder *ph, const Word *val)
{
	char name[16];
	int st = -1;
	if (val->len < sizeof name) {
		memcpy(name, val->s, val->len);
		name[val->len] = '\0';
		st = cell_status_parse(name);
	}
	if (st < 0)
		return fail_hint(ps, "unknown cell status", val, "(expected "
				 "computed, reused, recomputed or masked)");
	ph->status = st;
	return 0;
}

/* The Mode a word spells, or -1. */
static int mode_parse_word(const Word *w)
{
	char name[16];
	if (w->len >= sizeof name)
		return -1;
	memcpy(name, w->s, w->len);
	name[w->len] = '\0';
	return mode_parse(name);
}

static int opt_mode(Parser *ps, Placeholder *ph, const Word *val)
{
	int m = mode_parse_word(val);
	if (m < 0)
		return fail_hint(ps, "unknown mode", val,
				 "(expected nocache, cache or prefill)");
	ph->mode = m;
	return 0;
}

static int opt_step(Parser *ps, SheetIndex *ix, const Word *val)
{
	if (!index_parse(val, ix))
		return fail_hint(ps, "bad step", val,
				 "(expected a number, P, T, P+k or T-k)");
	return 0;
}

static int opt_width(Parser *ps, Placeholder *ph, const Word *val)
{
	if (!number_parse(val->s, val->len, &ph->width) || ph->width < 1 ||
	    ph->width > 60)
		return fail_hint(ps, "bad width", val, "(expected w=1..60)");
	return 0;
}

/* layer=N, head=N: 1-based; the range is checked against the model later. */
static int opt_count(Parser *ps, int *out, const Word *val, const char *what)
{
	if (number_parse(val->s, val->len, out) && *out >= 1)
		return 0;
	char hint[48];
	snprintf(hint, sizeof hint, "(expected %s=1, 2, ...)", what);
	return fail_hint(ps, "bad number", val, hint);
}

/* Which option a word is: its bit, or 0 for none. */
static unsigned opt_bit(const Word *key, bool has_value)
{
	if (!has_value) {
		if (word_is(key, "given"))
			return OPT_GIVEN;
		if (word_is(key, "marks"))
			return OPT_MARKS;
		if (word_is(key, "global") || word_is(key, "mha") ||
		    word_is(key, "saved"))
			return OPT_FORMULA;
		if (word_is(key, "hidemask"))
			return OPT_HIDEMASK;
		if (word_is(key, "min") || word_is(key, "scale") ||
		    word_is(key, "code") || word_is(key, "error") ||
		    word_is(key, "max"))
			return OPT_QPART;
		return 0;
	}
	static const struct { const char *name; unsigned bit; } keys[] = {
		{ "mode", OPT_MODE }, { "step", OPT_STEP },
		{ "given", OPT_GIVEN }, { "status", OPT_STATUS },
		{ "of", OPT_OF }, { "w", OPT_W }, { "layer", OPT_LAYER },
		{ "head", OPT_HEAD }, { "kernel", OPT_KERNEL },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (word_is(key, keys[i].name))
			return keys[i].bit;
	return 0;
}

/* Applies one option word to `ph`. */
static int opt_apply(Parser *ps, Placeholder *ph, const Word *w)
{
	Word key = *w, val;
	bool has_value = word_split(w, &key, &val);
	unsigned bit = has_value ? opt_bit(&key, true) : opt_bit(w, false);
	if (!has_value && mode_parse_word(w) >= 0)
		bit = OPT_MODE;
	if (!bit)
		return fail(ps, "unknown option", w);
	if (!(ph_takes(ph) & bit))
		return fail(ps, "option not allowed here", w);
	switch (bit) {
	case OPT_MODE:
		return opt_mode(ps, ph, has_value ? &val : w);
	case OPT_STEP:
		return opt_step(ps, &ph->step, &val);
	case OPT_GIVEN:
		return opt_given(ps, ph, has_value ? &val : NULL);
	case OPT_MARKS:
		ph->marks = true;
		return 0;
	case OPT_STATUS:
		return opt_status(ps, ph, &val);
	case OPT_OF:
		return opt_of(ps, ph, &val);
	case OPT_LAYER:
		ph->layer_given = true;
		return opt_count(ps, &ph->layer, &val, "layer");
	case OPT_HEAD:
		return opt_count(ps, &ph->head, &val, "head");
	case OPT_FORMULA:
		ph->formula |= word_is(w, "global") ? FORMULA_GLOBAL
			       : word_is(w, "mha")  ? FORMULA_MHA
						    : FORMULA_SAVED;
		return 0;
	case OPT_HIDEMASK:
		ph->hidemask = true;
		return 0;
	case OPT_QPART:
		ph->qpart = word_is(w, "min")     ? SHEET_QPART_MIN
			    : word_is(w, "scale") ? SHEET_QPART_SCALE
			    : word_is(w, "code")  ? SHEET_QPART_CODE
			    : word_is(w, "max")   ? SHEET_QPART_MAX
						  : SHEET_QPART_ERROR;
		return 0;
	case OPT_KERNEL:
		if (!word_is(&val, "standard") && !word_is(&val, "tiled"))
			return fail_hint(ps, "unknown kernel", &val,
					 "(expected standard or tiled)");
		ph->standard = word_is(&val, "standard");
		return 0;
	default:
		return opt_width(ps, ph, &val);
	}
}

/* "S[2,3]": a matrix name with a row and a column index. */
static int ph_cell(Parser *ps, Placeholder *ph, const Word *name)
{
	const char *open = memchr(name->s, '[', name->len);
	const char *end = name->s + name->len;
	const char *comma = memchr(open, ',', (size_t)(end - open));
	Word mat = { name->s, (size_t)(open - name->s) };
	if (!comma || end[-1] != ']')
		return fail_hint(ps, "bad cell", name, "(expected like S[2,3])");
	int m = matrix_lookup(&mat);
	if (m < 0)
		return fail_hint(ps, "unknown matrix", &mat, "(expected X Q K V "
				 "S A Z H logits W_Q W_K W_V W_O W_out)");
	Word r = { open + 1, (size_t)(comma - open - 1) };
	Word c = { comma + 1, (size_t)(end - 1 - comma - 1) };
	if (!index_parse(&r, &ph->row) || !index_parse(&c, &ph->col))
		return fail_hint(ps, "bad cell index", name, "(expected "
				 "numbers, P or T, like S[2,3] or A[1,T])");
	ph->kind = PH_CELL;
	ph->what = m;
	return 0;
}

/* Sets kind and what from the placeholder's first word. */
static int ph_name(Parser *ps, Placeholder *ph, const Word *name)
{
	if (memchr(name->s, '[', name->len))
		return ph_cell(ps, ph, name);
	int m = matrix_lookup(name);
	if (m >= 0) {
		ph->kind = PH_GRID;
		ph->what = m;
		return 0;
	}
	Word ctr = *name;
	if (name->len > 6 && memcmp(name->s, "total_", 6) == 0) {
		ctr = (Word){ name->s + 6, name->len - 6 };
		ph->total = true;
	}
	int c = word_lookup(&ctr, counter_names, CTR_COUNT);
	if (c >= 0 && !(ph->total && c == CTR_PASS)) {
		ph->kind = PH_COUNTER;
		ph->what = c;
		return 0;
	}
	ph->total = false;
	int f = word_lookup(name, fact_names, FACT_COUNT);
	if (f >= 0) {
		ph->kind = PH_FACT;
		ph->what = f;
		return 0;
	}
	if ((name->s[0] == 'P' || name->s[0] == 'T') &&
	    index_parse(name, &ph->row)) {
		ph->kind = PH_FACT;
		ph->what = FACT_INDEX;
		return 0;
	}
	static const struct { const char *name; PhKind kind; } others[] = {
		{ "cells", PH_CELLS }, { "cols", PH_COLS },
		{ "choices", PH_CHOICES }, { "copy", PH_COPY },
		{ "slots", PH_SLOTS }, { "formula_cells", PH_FORMULA },
		{ "formula_bytes", PH_FORMULA }, { "tiles", PH_TILES },
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		if (word_is(name, others[i].name)) {
			ph->kind = others[i].kind;
			if (word_is(name, "formula_bytes"))
				ph->formula = FORMULA_BYTES;
			return 0;
		}
	}
	return fail(ps, "unknown placeholder", name);
}

/* Fills in the {{set}} defaults and checks nothing required is missing. */
static int ph_finish(Parser *ps, Placeholder *ph, const Word *name)
{
	unsigned takes = ph_takes(ph), needs = ph_needs(ph);
	if ((takes & OPT_MODE) && ph->mode < 0)
		ph->mode = ps->def_mode;
	if ((takes & OPT_STEP) && !ph->step.set)
		ph->step = ps->def_step;
	if ((takes & OPT_LAYER) && !ph->layer)
		ph->layer = ph->kind == PH_COUNTER ? 0 /* whole model */
			    : ps->def_layer ? ps->def_layer : 1;
	if ((takes & OPT_HEAD) && !ph->head)
		ph->head = ps->def_head ? ps->def_head : 1;
	if (!(takes & OPT_LAYER))
		ph->layer = 1;
	if (!(takes & OPT_HEAD))
		ph->head = 1;
	ph->model = ps->cur_model;
	if ((needs & OPT_MODE) && ph->mode < 0)
		return fail_hint(ps, "missing mode for", name, "(write "
				 "nocache, cache or prefill, or {{set mode=...}} "
				 "above)");
	if ((needs & OPT_STEP) && !ph->step.set)
		return fail_hint(ps, "missing step for", name,
				 "(write step=N, or {{set step=...}} above)");
	if ((needs & OPT_STATUS) && ph->status == CELL_ABSENT)
		return fail_hint(ps, "missing status for", name, "(write "
				 "status=computed|reused|recomputed|masked)");
	if ((takes & OPT_OF) && !ph->of)
		ph->of = (1u << MAT_COUNT) - 1;
	return 0;
}

/* "say any words": the rest of the body is the answer text. */
static int ph_say(Parser *ps, Placeholder *ph, const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end) {
		Word w = { "say", 3 };
		return fail_hint(ps, "missing answer text after", &w, "");
	}
	ph->kind = PH_SAY;
	ph->text_at = (size_t)(p - ps->tp->text);
	ph->text_len = (size_t)(end - p);
	return 0;
}

/* "range LO HI": two indices, printed as "LO..HI", "LO" or "none". */
static int ph_range(Parser *ps, Placeholder *ph, const char *p,
		    const char *end)
{
	Word lo, hi, extra;
	if (!word_next(&p, end, &lo) || !word_next(&p, end, &hi) ||
	    word_next(&p, end, &extra) || !index_parse(&lo, &ph->row) ||
	    !index_parse(&hi, &ph->col)) {
		Word w = { "range", 5 };
		return fail_hint(ps, "bad", &w, "(expected range LO HI, like "
				 "range 1 P-1)");
	}
	ph->kind = PH_FACT;
	ph->what = FACT_RANGE;
	ph->layer = ph->head = 1;
	ph->model = ps->cur_model;
	return 0;
}

/* Parses a placeholder body [p, end), already trimmed. */
static int ph_parse(Parser *ps, const char *p, const char *end,
		    Placeholder *ph)
{
	*ph = (Placeholder){ .line = ps->line, .mode = -1, .layer = 0,
			     .head = 0, .model = ps->cur_model };
	if (p < end && *p == '?') {
		ph->answer = true;
		p++;
	}
	Word name, w;
	if (!word_next(&p, end, &name)) {
		Word empty = { "{{}}", 4 };
		return fail(ps, "empty placeholder", &empty);
	}
	if (word_is(&name, "say"))
		return ph_say(ps, ph, p, end);
	if (word_is(&name, "range"))
		return ph_range(ps, ph, p, end);
	if (ph_name(ps, ph, &name))
		return ps->err->code;
	while (word_next(&p, end, &w))
		if (opt_apply(ps, ph, &w))
			return ps->err->code;
	return ph_finish(ps, ph, &name);
}

/* {{set mode=cache step=T}}: defaults for the placeholders below. */
static int set_parse(Parser *ps, const char *p, const char *end)
{
	Placeholder ph = { .kind = PH_GRID, .what = MAT_Q, .mode = -1 };
	Word w;
	while (word_next(&p, end, &w)) {
		Word key, val;
		unsigned bit = word_split(&w, &key, &val) ? opt_bit(&key, true)
							    : 0;
		if (!(bit & (OPT_MODE | OPT_STEP | OPT_LAYER | OPT_HEAD)))
			return fail(ps, "set takes mode=, step=, layer= and "
				    "head=, not", &w);
		if (opt_apply(ps, &ph, &w))
			return ps->err->code;
	}
	if (ph.mode >= 0)
		ps->def_mode = ph.mode;
	if (ph.step.set)
		ps->def_step = ph.step;
	if (ph.layer)
		ps->def_layer = ph.layer;
	if (ph.head)
		ps->def_head = ph.head;
	return 0;
}

/*
 * {{model NAME}}: the placeholders below read a run of the bundled model
 * NAME with its own prompt and generate count.
 */
/* kv-quant=int8|int4, kv-group=G, kv-residual=R after a model's name. */
static int model_quant(Parser *ps, const Word *w, KvQuant *q)
{
	Word key, val;
	char v[16] = "";
	int n = 0;
	if (!word_split(w, &key, &val) || val.len >= sizeof v)
		return fail(ps, "model takes a name, then kv-quant=, kv-group= "
			    "and kv-residual=, not", w);
	memcpy(v, val.s, val.len);
	if (word_is(&key, "kv-quant") && kv_quant_parse_bits(v, &q->bits))
		return 0;
	if (word_is(&key, "kv-group") && number_parse(v, val.len, &n) &&
	    n >= 1 && n <= KV_QUANT_MAX_GROUP)
		return q->group = n, 0;
	if (word_is(&key, "kv-residual") && number_parse(v, val.len, &n) &&
	    n >= 1 && n <= 2 * KV_QUANT_MAX_GROUP)
		return q->residual = n, 0;
	return fail(ps, "bad model option", w);
}

static int model_directive(Parser *ps, const Word *name, const char *q,
			   const char *e)
{
	Template *tp = ps->tp;
	KvQuant kq = { 0 };
	Word w;
	while (word_next(&q, e, &w))
		if (model_quant(ps, &w, &kq))
			return ps->err->code;
	if (kq.bits) {
		kq.group = kq.group ? kq.group : 2;
		kq.residual = kq.residual ? kq.residual : kq.group;
		if (kq.residual < kq.group)
			return fail(ps, "kv-residual is shorter than kv-group in",
				    name);
	} else if (kq.group || kq.residual) {
		return fail(ps, "kv-group and kv-residual go with kv-quant, "
			    "after", name);
	}
	if (name->len >= SHEET_MODEL_NAME_MAX)
		return fail(ps, "model name too long:", name);
	for (int i = 0; i < tp->n_models; i++) {
		if (word_is(name, tp->models[i]) &&
		    memcmp(&kq, &tp->model_quant[i], sizeof kq) == 0) {
			ps->cur_model = i;
			return 0;
		}
	}
	if (tp->n_models == SHEET_MAX_MODELS)
		return fail_hint(ps, "too many models at", name,
				 "(a sheet may name 4)");
	memcpy(tp->models[tp->n_models], name->s, name->len);
	tp->models[tp->n_models][name->len] = '\0';
	tp->model_lines[tp->n_models] = ps->line;
	tp->model_quant[tp->n_models] = kq;
	ps->cur_model = tp->n_models++;
	return 0;
}

/*
 * {{attention flash}} or {{attention flash tile=B}} (B 1..1024, default
 * 2): the sheet reads the command line's tokens as the tiled kernel
 * computes them. Once per template.
 */
static int attention_directive(Parser *ps, const Word *kernel, const char *q,
			       const char *e)
{
	Template *tp = ps->tp;
	if (!word_is(kernel, "flash"))
		return fail_hint(ps, "unknown attention", kernel,
				 "(only 'flash' is known)");
	if (tp->attention_line)
		return fail(ps, "a second attention directive:", kernel);
	int tile = 2;
	Word w, key, val;
	while (word_next(&q, e, &w)) {
		if (!word_split(&w, &key, &val) || !word_is(&key, "tile"))
			return fail_hint(ps, "attention flash takes tile=B, "
					 "not", &w, "");
		if (!number_parse(val.s, val.len, &tile) || tile < 1 ||
		    tile > 1024)
			return fail_hint(ps, "tile takes 1..1024, not", &val,
					 "");
	}
	tp->attention_tile = tile;
	tp->attention_line = ps->line;
	return 0;
}

static int item_push(Parser *ps, const TmplItem *it)
{
	Template *tp = ps->tp;
	if (tp->n_items == ps->cap_items) {
		int cap = ps->cap_items ? 2 * ps->cap_items : 64;
		TmplItem *n = realloc(tp->items, (size_t)cap * sizeof *n);
		if (!n)
			return kv_error_set(ps->err, EX_OSERR, "out of memory");
		tp->items = n;
		ps->cap_items = cap;
	}
	tp->items[tp->n_items++] = *it;
	return 0;
}

static int line_push(Parser *ps, int first)
{
	Template *tp = ps->tp;
	if (tp->n_lines == ps->cap_lines) {
		int cap = ps->cap_lines ? 2 * ps->cap_lines : 64;
		TmplLine *n = realloc(tp->lines, (size_t)cap * sizeof *n);
		if (!n)
			return kv_error_set(ps->err, EX_OSERR, "out of memory");
		tp->lines = n;
		ps->cap_lines = cap;
	}
	tp->lines[tp->n_lines++] = (TmplLine){ ps->line, first,
					       tp->n_items - first };
	return 0;
}

static bool all_space(const char *s, const char *end)
{
	for (; s < end; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Finds "{{" or "}}" in [p, end); NULL when absent. */
static const char *find2(const char *p, const char *end, char c)
{
	for (; p + 1 < end; p++)
		if (p[0] == c && p[1] == c)
			return p;
	return NULL;
}

/* Handles one {{...}} body; sets *printed when it prints something. */
static int body_parse(Parser *ps, const char *b, const char *e, bool *printed)
{
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	Word first;
	const char *p = b;
	if (b < e && *b == '#')
		return 0;
	if (word_next(&p, e, &first) && word_is(&first, "set"))
		return set_parse(ps, p, e);
	Word arg, more;
	const char *q = p;
	if (word_is(&first, "needs") && word_next(&q, e, &arg)) {
		if (!word_is(&arg, "single"))
			return fail_hint(ps, "unknown need", &arg,
					 "(only 'single' is known)");
		if (word_next(&q, e, &more))
			return fail(ps, "needs takes one word, not", &more);
		ps->tp->needs_single_line = ps->line;
		return 0;
	}
	if (word_is(&first, "page") && word_next(&q, e, &arg)) {
		char num[8] = "";
		if (arg.len < sizeof num)
			memcpy(num, arg.s, arg.len);
		char *end;
		long n = strtol(num, &end, 10);
		if (!*num || *end || n < 1 || n > 10000)
			return fail_hint(ps, "page takes a line count 1..10000,"
					 " not", &arg, "");
		if (word_next(&q, e, &more))
			return fail(ps, "page takes one number, not", &more);
		ps->tp->page_lines = (int)n;
		return 0;
	}
	if (word_is(&first, "attention") && word_next(&q, e, &arg))
		return attention_directive(ps, &arg, q, e);
	if (word_is(&first, "model") && word_next(&q, e, &arg) &&
	    !memchr(arg.s, '=', arg.len))
		return model_directive(ps, &arg, q, e);
	TmplItem it = { .is_ph = true };
	if (ph_parse(ps, b, e, &it.ph))
		return ps->err->code;
	*printed = true;
	return item_push(ps, &it);
}

/* One template line [s, end): literal runs and placeholders. */
static int line_parse(Parser *ps, const char *s, const char *end)
{
	const char *text = ps->tp->text;
	int first = ps->tp->n_items;
	bool printed = false, directive = false;
	while (s < end) {
		const char *open = find2(s, end, '{');
		const char *lit_end = open ? open : end;
		if (lit_end > s) {
			TmplItem it = { .at = (size_t)(s - text),
					.len = (size_t)(lit_end - s) };
			printed |= !all_space(s, lit_end);
			if (item_push(ps, &it))
				return ps->err->code;
		}
		if (!open)
			break;
		const char *close = find2(open + 2, end, '}');
		if (!close) {
			Word w = { "{{", 2 };
			return fail(ps, "no closing '}}' for", &w);
		}
		bool ph_printed = false;
		if (body_parse(ps, open + 2, close, &ph_printed))
			return ps->err->code;
		printed |= ph_printed;
		directive |= !ph_printed;
		s = close + 2;
	}
	if (directive && !printed) {
		ps->tp->n_items = first; /* a line of only set/# prints nothing */
		return 0;
	}
	return line_push(ps, first);
}

int sheet_tmpl_parse(const char *source, const char *text, size_t len,
		     Template *tp, KvError *err)
{
	*tp = (Template){ .source = source, .text = text };
	Parser ps = { .tp = tp, .err = err, .def_mode = -1, .cur_model = -1 };
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		ps.line++;
		if (e > p && e[-1] == '\r')
			e--; /* CRLF templates from Windows editors */
		const char *nul =
			e > p ? memchr(p, '\0', (size_t)(e - p)) : NULL;
		if (nul) { /* C strings would drop the rest of the line */
			sheet_tmpl_free(tp);
			return kv_error_set(err, EX_DATAERR, "%s:%d: a NUL byte "
					    "at column %d; a template is text",
					    source, ps.line,
					    (int)(nul - p) + 1);
		}
		if (line_parse(&ps, p, e)) {
			sheet_tmpl_free(tp);
			return err->code;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

void sheet_tmpl_free(Template *tp)
{
	free(tp->items);
	free(tp->lines);
	tp->items = NULL;
	tp->lines = NULL;
	tp->n_items = tp->n_lines = 0;
}
