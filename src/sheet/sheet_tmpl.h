#ifndef KVSTEP_SHEET_TMPL_H
#define KVSTEP_SHEET_TMPL_H
/*
 * The worksheet template language: plain text with placeholders in double
 * braces. This module only reads the text (lexing and syntax); what a
 * placeholder means against a trace is sheet_render's business.
 *
 *   {{Q nocache step=3}}      a given placeholder, printed in both copies
 *   {{? macs cache}}          an answer: blank in the student copy
 *   {{set mode=cache step=T}} defaults for the placeholders below it
 *   {{# a comment}}           dropped
 *   {{needs single}}          refuse a stacked model on the command line
 *   {{page 60}}               refuse a run whose sheet is longer
 *   {{attention flash tile=2}} read the run as the tiled kernel made it
 *
 * The full language is documented in docs/worksheet-templates.md.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kv_error.h"
#include "kv_quant.h"
#include "kv_types.h"

/* What a placeholder stands for. */
typedef enum PhKind {
	PH_GRID,    /* a whole matrix of a mode at a step */
	PH_CELL,    /* one cell of a matrix: S[2,3] */
	PH_COUNTER, /* a counter of the pass, or total_ for the mode's total */
	PH_FACT,    /* prompt, tokens, token, chosen, model sizes ... */
	PH_CELLS,   /* how many cells have a status */
	PH_COLS,    /* which columns have a status */
	PH_CHOICES, /* grid of the token each mode picks at each step */
	PH_SAY,     /* literal answer text */
	PH_COPY,    /* "ANSWER KEY" or a name line, by copy */
	PH_SLOTS,   /* grid: the K/V column in each cache slot of a layer */
	PH_FORMULA, /* cache size from the closed form, from model sizes */
	PH_TILES,   /* grid: the tiled kernel's states of the step's query */
} PhKind;

/* Rows of a {{tiles}} grid: what each tile state holds. */
typedef enum SheetTileField {
	TILE_FIELD_M,     /* running max m */
	TILE_FIELD_ALPHA, /* α = exp(m_prev − m) */
	TILE_FIELD_L,     /* running sum l */
	TILE_FIELD_O,     /* unnormalised output o, rows 1..d_v */
	TILE_FIELD_COUNT
} SheetTileField;

/* Matrices a template can name: the trace's, then the model's weights. */
enum {
	SHEET_W_Q = MAT_COUNT, /* (d_k, d_model) */
	SHEET_W_K,             /* (d_k, d_model) */
	SHEET_W_V,             /* (d_v, d_model) */
	SHEET_W_OUT,           /* (vocab, out_dim) */
	SHEET_W_O,             /* (d_model, n_heads·d_v); stacked only */
	SHEET_MAT_COUNT
};

/* Facts about the run. */
typedef enum SheetFact {
	FACT_PROMPT,     /* the prompt's words */
	FACT_GENERATED,  /* the generated words */
	FACT_TOKENS,     /* all words, positions 1..T */
	FACT_TOKEN,      /* the word at position `step` */
	FACT_CHOSEN,     /* the word a mode predicts after position `step` */
	FACT_MODEL,      /* the model's name */
	FACT_D_MODEL,
	FACT_D_K,
	FACT_D_V,
	FACT_VOCAB,      /* vocabulary size */
	FACT_INDEX,      /* P, T, P-1, T+2 ...: prompt length, positions */
	FACT_SCALE,      /* the score scale */
	FACT_ELEM_BYTES, /* bytes per cached cell */
	FACT_DASH,       /* the masked-cell mark, as grids print it */
	FACT_N_LAYERS,
	FACT_N_HEADS,
	FACT_N_KV_HEADS,
	FACT_WINDOW,     /* window of `layer`: W, or "global" */
	FACT_KV_HEAD,    /* the K/V head query head `head` reads */
	FACT_RANGE,      /* row..col as "1..3", "1", or "none" */
	FACT_EVICTED,    /* the evicted-cell mark, as grids print it */
	FACT_COUNT
} SheetFact;

/* Counters of a pass (TraceStep.pass_c); PH_COUNTER with `total` reads .total. */
typedef enum SheetCounter {
	CTR_MACS,        /* all stages */
	CTR_MACS_PROJ,
	CTR_MACS_SCORES,
	CTR_MACS_AV,
	CTR_MACS_LOGITS,
	CTR_EXPS,
	CTR_RECOMPUTED_MACS,
	CTR_CACHE_CELLS,
	CTR_CACHE_BYTES,
	CTR_CACHE_READS,
	CTR_PASSES,
	CTR_PASS,        /* the mode's number of the pass covering the step */
	CTR_COUNT
} SheetCounter;

/* PH_FORMULA: what the closed form assumes and returns. */
enum {
	FORMULA_GLOBAL = 1 << 0, /* every layer global (W_l = t) */
	FORMULA_MHA = 1 << 1,    /* one K/V head per query head */
	FORMULA_BYTES = 1 << 2,  /* bytes instead of cells */
	FORMULA_SAVED = 1 << 3,  /* minus the closed form of the model as is */
};

/* A Kq/Vq cell's part (kv_quant.h): {{Kq[2,1] min}} ... */
enum {
	SHEET_QPART_VALUE, /* the read-back value (the default) */
	SHEET_QPART_MIN,   /* its group's min */
	SHEET_QPART_SCALE, /* its group's scale */
	SHEET_QPART_CODE,  /* its code */
	SHEET_QPART_ERROR, /* read-back minus the exact K (V) */
	SHEET_QPART_MAX,   /* its group's max: min + (2^b − 1)·scale */
};

/* Most {{model NAME}} directives in one template. */
enum { SHEET_MAX_MODELS = 4, SHEET_MODEL_NAME_MAX = 32 };

/* A step or index: a number, or P / T plus an offset ("T-1", "P+1"). */
typedef struct SheetIndex {
	char base; /* 0 for a plain number, else 'P' or 'T' */
	int off;   /* the number, or the offset from base */
	bool set;  /* false when the template gave none */
} SheetIndex;

typedef struct Placeholder {
	PhKind kind;
	int line;          /* template line, for messages */
	bool answer;       /* {{? ...}}: blank in the student copy */
	int what;          /* Matrix or SHEET_W_*, SheetCounter or SheetFact */
	bool total;        /* counter: the mode's cumulative value */
	int mode;          /* Mode, or -1 when none was given */
	SheetIndex step;
	SheetIndex row;    /* PH_CELL; FACT_INDEX: the expression */
	SheetIndex col;    /* PH_CELL */
	unsigned given;    /* grid answer: bit 1<<CellStatus shown anyway */
	bool marks;        /* grid: mark recomputed '*' and reused '^' cells */
	bool hidemask;     /* answer grid: masked cells blank in the student copy */
	int status;        /* PH_CELLS / PH_COLS: the CellStatus counted */
	unsigned of;       /* PH_CELLS / PH_COLS: bit 1<<Matrix counted */
	int width;         /* inline answer: minimum width; 0 = default */
	int layer;         /* 1-based layer (set default, else 1) */
	int head;          /* 1-based head; K and V: the K/V head */
	bool layer_given;  /* layer= on the placeholder itself */
	unsigned formula;  /* PH_FORMULA: FORMULA_* bits */
	int model;         /* run: -1 the command line's, else Template.models */
	int qpart;         /* PH_CELL of Kq/Vq: SHEET_QPART_*, 0 the value */
	bool standard;     /* kernel=standard: in a tiled run, the values of
			    * the standard kernel over the same tokens */
	size_t text_at;    /* PH_SAY: text offset in the template */
	size_t text_len;
} Placeholder;

/* A run of literal text or one placeholder. */
typedef struct TmplItem {
	bool is_ph;
	size_t at;      /* literal text: offset in the template */
	size_t len;
	Placeholder ph;
} TmplItem;

/* One output line (a grid placeholder makes it several printed lines). */
typedef struct TmplLine {
	int line;  /* template line number, 1-based */
	int first; /* index of its first item */
	int n;     /* items on it; 0 for an empty line */
} TmplLine;

typedef struct Template {
	const char *source; /* name for messages, borrowed */
	const char *text;   /* the template text, borrowed */
	TmplItem *items;
	int n_items;
	TmplLine *lines;
	int n_lines;
	/* {{model NAME}}: bundled models the sheet runs, in order of use */
	char models[SHEET_MAX_MODELS][SHEET_MODEL_NAME_MAX];
	int model_lines[SHEET_MAX_MODELS]; /* line of each name's first use */
	/* {{model NAME kv-quant=int4 kv-group=G kv-residual=R}}: the run's
	 * quantised cache (bits 0: none) */
	KvQuant model_quant[SHEET_MAX_MODELS];
	int n_models;
	/* {{needs single}}: line of the directive, 0 when absent. The sheet
	 * reads the command line's model as one layer of one head with no
	 * W_O (a stacked model's answers need what the page does not show) */
	int needs_single_line;
	/* {{page N}}: most lines a rendered copy may have; 0 = no limit */
	int page_lines;
	/* {{attention flash tile=B}}: the command line's run is read as the
	 * tiled kernel with tiles of B computed it (sheet_runs.h); 0 when
	 * absent */
	int attention_tile;
	int attention_line;
} Template;

/*
 * Parses `len` bytes of `text` (borrowed: it must outlive `tp`). `source`
 * names the template in messages. Lines holding only {{set}} and {{#}}
 * print nothing.
 *
 * Returns 0, or EX_DATAERR with "source:line: ..." for a syntax error, an
 * unknown placeholder or matrix, a bad option, or a NUL byte; EX_OSERR when memory
 * runs out. On error `tp` holds nothing to free.
 */
int sheet_tmpl_parse(const char *source, const char *text, size_t len,
		     Template *tp, KvError *err);

/* Frees what sheet_tmpl_parse allocated. */
void sheet_tmpl_free(Template *tp);

/* Spelling of a counter or fact, as templates write it. */
const char *sheet_counter_name(SheetCounter c);
const char *sheet_fact_name(SheetFact f);
/* Spelling of a trace matrix or a weight: "Q", "W_Q", ... */
const char *sheet_matrix_name(int mat);

#endif
