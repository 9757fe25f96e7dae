#include "tui_mouse.h"

enum {
	HIT_VALID = 1u << 30, /* a tag fits an int: ACT_CLICK carries it */
	MODE_SHIFT = 28,
	MAT_SHIFT = 24,
	ROW_SHIFT = 12,
};

uint32_t tui_hit_pack(Mode mode, Matrix mat, int row, int col)
{
	if ((unsigned)mode >= MODE_COUNT || (unsigned)mat >= MAT_COUNT ||
	    row < 1 || row > TUI_HIT_ROW_MAX || col < 1 ||
	    col > TUI_HIT_COL_MAX)
		return 0;
	return HIT_VALID | (uint32_t)mode << MODE_SHIFT |
	       (uint32_t)mat << MAT_SHIFT | (uint32_t)row << ROW_SHIFT |
	       (uint32_t)col;
}

bool tui_hit_unpack(uint32_t tag, TuiHit *out)
{
	if (!(tag & HIT_VALID))
		return false;
	unsigned mode = (tag >> MODE_SHIFT) & 3u;
	unsigned mat = (tag >> MAT_SHIFT) & 15u;
	int row = (int)((tag >> ROW_SHIFT) & TUI_HIT_ROW_MAX);
	int col = (int)(tag & TUI_HIT_COL_MAX);
	if (mode >= MODE_COUNT || mat >= MAT_COUNT || row < 1 || col < 1)
		return false;
	*out = (TuiHit){ (Mode)mode, (Matrix)mat, row, col };
	return true;
}

uint32_t tui_mouse_hit(const TuiBuf *b, int x, int y)
{
	if (x < 0 || y < 0 || x >= b->w || y >= b->h)
		return 0;
	return b->cells[(size_t)y * (size_t)b->w + (size_t)x].hit;
}
