#ifndef KVSTEP_SHEET_GRID_H
#define KVSTEP_SHEET_GRID_H
/*
 * Layout: text blocks that sit side by side on a page, and matrix grids
 * with row and column labels. Everything is measured in terminal columns,
 * so a grid with em dashes lines up like one without.
 */
#include <stdbool.h>

#include "sheet_buf.h"
#include "sheet_format.h"

/* Columns of a printed page: no line of a sheet is wider. */
enum { SHEET_PAGE_W = 80 };

/* What a printed value stands for, so a test can read the page back. */
typedef enum SheetRefKind {
	REF_NONE,
	REF_CELL,    /* what = Matrix or SHEET_W_*, row and col 1-based */
	REF_COUNTER, /* what = SheetCounter of (mode, step), total or not */
	REF_TILE,    /* what = SheetTileField of the query column `step`:
		      * row (o's row, else 1), col = the state's number */
} SheetRefKind;

typedef struct SheetRef {
	int line;  /* line on the page (0-based) or row of a block */
	int byte;  /* byte offset of the value in that line */
	int len;   /* bytes of the value as printed in the key */
	SheetRefKind kind;
	int what;
	int row, col;
	int mode, step;
	int layer, head; /* REF_CELL: 1-based; REF_COUNTER: layer 0 = all */
	int run;         /* Template model index, -1 for the command line's */
	bool total;
	bool answer; /* blank in the student copy */
	bool standard; /* kernel=standard: not a value of the run's kernel */
} SheetRef;

/* Lines of text `w` columns wide, with the values printed in them. */
typedef struct SheetBlock {
	SheetBuf *rows; /* (h) lines, without newlines */
	int *cols;      /* (h) width of each row, in columns, kept as rows grow */
	int h;
	int w;          /* widest line, in columns */
	SheetRef *refs; /* (n_refs) line = row of this block */
	int n_refs;
	int cap_refs;
	bool oom;       /* an allocation failed; the block is incomplete */
} SheetBlock;

/* Frees a block and leaves it empty. */
void sheet_block_free(SheetBlock *b);

/*
 * Appends `n` bytes of `s` to row `row` of `b`, adding empty rows as
 * needed. A non-NULL `ref` records the text as that value.
 */
void sheet_block_put(SheetBlock *b, int row, const char *s, size_t n,
		     const SheetRef *ref);

/*
 * Places `src` to the right of everything in `dst`: every row of dst is
 * padded to dst's width first, so columns line up; refs move along.
 */
void sheet_block_beside(SheetBlock *dst, const SheetBlock *src);

/* One cell of a grid. */
typedef struct GridCell {
	char text[SHEET_TEXT_MAX]; /* the value as the key prints it */
	bool masked;               /* causal mask: a dash in both copies */
	bool evicted;              /* out of a sliding window's ring: a cross */
	bool blank;                /* this copy shows underscores instead */
	char mark;                 /* status mark after the value, or ' ' */
	SheetRef ref;              /* what the value is; kind REF_NONE if text */
} GridCell;

typedef struct GridSpec {
	const char *corner;               /* top-left label, e.g. "Q" */
	int rows, cols;
	char (*row_labels)[SHEET_TEXT_MAX]; /* (rows) */
	char (*col_labels)[SHEET_TEXT_MAX]; /* (cols) */
	GridCell *cells;                  /* (rows, cols) row-major */
	int min_w;                        /* narrowest cell, room to write */
	bool marks;                       /* leave a column for status marks */
	bool ascii;
	int max_w;                        /* widest line; 0 = no limit */
} GridSpec;

/*
 * Lays `g` out as a header line of column labels and one line per row.
 * Cell widths come from the key's texts, so a key and a blank copy of the
 * same grid have identical columns. Values are right-aligned. A grid
 * wider than max_w is split into bands of columns (q1..q6, then q7..q12),
 * one under the other with an empty line between, each with the corner
 * and row labels again; a single column wider than max_w still gets a
 * band of its own.
 */
void sheet_grid_layout(const GridSpec *g, SheetBlock *out);

#endif
