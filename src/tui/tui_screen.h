#ifndef KVSTEP_TUI_SCREEN_H
#define KVSTEP_TUI_SCREEN_H
/*
 * The whole screen as the terminal shows it: the frame (tui_frame.c),
 * then what the classroom controls add on top: the cache-memory view
 * (`m`) and the message row (a key that did nothing, the jump prompt,
 * auto-play). No curses here either, so tests compare the text.
 */
#include "tui_render.h"

/*
 * Draws the frame for `s` into `b`, the memory view when s->memory, and
 * on the bottom row s->msg (or, while playing, the auto-play pace) in
 * place of the legend. The "terminal too small" screen gets neither.
 */
void tui_render_screen(TuiBuf *b, const TuiView *v, const TuiState *s);

/*
 * The cache-memory view: a box listing, for steps 1..s->step, the bytes
 * of K and V each mode holds after that step's pass (no cache 0 B, the
 * KV cache growing by one column a step, prefill holding the whole
 * prompt from step 1), with a bar for the KV cache. Every number is the
 * trace's cache_bytes counter. Shows the latest steps when they do not
 * all fit.
 */
void tui_render_memory(TuiBuf *b, const TuiView *v, const TuiState *s);

#endif
