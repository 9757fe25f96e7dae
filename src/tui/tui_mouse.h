#ifndef KVSTEP_TUI_MOUSE_H
#define KVSTEP_TUI_MOUSE_H
/*
 * Mouse clicks on matrix cells. While drawing a cell, the pane tags the
 * screen cells it covers with a hit: the pane's mode, the matrix, the row
 * and the column (tui_buf_tag()). A click at (x, y) then reads the tag
 * of that screen cell, so the mapping is exactly what was drawn, whatever
 * the layout chose.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kv_types.h"
#include "tui_buf.h"

typedef struct TuiHit {
	Mode mode;
	Matrix mat;
	int row, col; /* 1-based, in worksheet orientation */
} TuiHit;

enum {
	TUI_HIT_ROW_MAX = 4095, /* 12 bits; rows and columns beyond are not tagged */
	TUI_HIT_COL_MAX = 4095, /* 12 bits */
};

/*
 * Packs a cell into a nonzero tag below 2^31: bit 30 set, mode in bits
 * 28-29, matrix in 24-27, row in 12-23, column in 0-11. Returns 0 (no hit) for a row or
 * column out of range.
 */
uint32_t tui_hit_pack(Mode mode, Matrix mat, int row, int col);

/* Unpacks `tag`; false for 0 or a tag tui_hit_pack() cannot make. */
bool tui_hit_unpack(uint32_t tag, TuiHit *out);

/*
 * The cell drawn at screen position (x, y) of frame `b`: its tag, or 0
 * when (x, y) shows no matrix cell (a label, a border, an overlay, or
 * outside the frame).
 */
uint32_t tui_mouse_hit(const TuiBuf *b, int x, int y);

#endif
