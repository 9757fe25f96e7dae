#include "tui_screen.h"

#include <stdio.h>

/*
 * The bottom row (the legend's) says what the last key did when it did
 * nothing or hit a limit, shows the jump prompt, and while auto-play runs
 * its pace. The legend comes back with the next key.
 */
static void draw_message(TuiBuf *b, const TuiState *s)
{
	char buf[TUI_MSG_MAX + 32];
	const char *text = s->msg;
	Role role = s->jumping ? ROLE_CURRENT : ROLE_WARN;
	if (!text[0] && s->playing) {
		snprintf(buf, sizeof buf, "auto-play: a step every %.2g s  "
			 "a pauses  f faster  s slower",
			 tui_pace_ms[s->pace] / 1000.0);
		text = buf;
		role = ROLE_CURRENT;
	}
	if (!text[0])
		return;
	int y = b->h - 1;
	tui_buf_fill(b, 0, y, b->w, ' ', ROLE_NORMAL);
	tui_buf_put(b, 0, y, b->w, role, text);
}

void tui_render_screen(TuiBuf *b, const TuiView *v, const TuiState *s)
{
	tui_render_frame(b, v, s);
	if (b->w < TUI_MIN_W || b->h < TUI_MIN_H)
		return;
	if (s->memory && !s->help)
		tui_render_memory(b, v, s);
	if (!s->help)
		draw_message(b, s);
}
