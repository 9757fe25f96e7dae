#include "tui_keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

enum {
	KEY_TAB = '\t',
	KEY_ESC = TUI_KEY_ESC,
	KEY_CTRL_H = 8,   /* Backspace on vt100 and some PuTTY setups */
	KEY_DEL = 127,    /* Backspace on most terminals (^?) */
	KEY_CTRL_L = 12,
	KEY_CR = '\r',    /* Enter under nonl() */
};

/* Every binding, in the order the help lists them. */
static const KeyBinding bindings[] = {
	{ KEY_RIGHT, SCOPE_ANY, ACT_NEXT, "→" },
	{ 'l', SCOPE_NORMAL, ACT_NEXT, "l" },
	{ ' ', SCOPE_ANY, ACT_NEXT, "space" },
	{ KEY_LEFT, SCOPE_ANY, ACT_PREV, "←" },
	{ 'h', SCOPE_NORMAL, ACT_PREV, "h" },
	{ KEY_BACKSPACE, SCOPE_ANY, ACT_PREV, "Backspace" },
	{ KEY_CTRL_H, SCOPE_ANY, ACT_PREV, NULL },
	{ KEY_DEL, SCOPE_ANY, ACT_PREV, NULL },
	/* Option-← and Option-→ in macOS Terminal send ESC b and ESC f */
	{ TUI_KEY_ALT + 'b', SCOPE_ANY, ACT_PREV, NULL },
	{ TUI_KEY_ALT + 'f', SCOPE_ANY, ACT_NEXT, NULL },
	{ KEY_HOME, SCOPE_ANY, ACT_FIRST, "Home" },
	{ 'g', SCOPE_ANY, ACT_FIRST, "g" },
	{ KEY_END, SCOPE_ANY, ACT_LAST, "End" },
	{ 'G', SCOPE_ANY, ACT_LAST, "G" },
	{ 'p', SCOPE_ANY, ACT_PROMPT_END, "p" },
	{ KEY_TAB, SCOPE_ANY, ACT_FOCUS_NEXT, "Tab" },
	{ '1', SCOPE_ANY, ACT_SHOW_NOCACHE, "1" },
	{ '2', SCOPE_ANY, ACT_SHOW_CACHE, "2" },
	{ '3', SCOPE_ANY, ACT_SHOW_PREFILL, "3" },
	{ '0', SCOPE_ANY, ACT_SHOW_ALL, "0" },
	{ 'i', SCOPE_ANY, ACT_INSPECT, "i" },
	{ KEY_CR, SCOPE_ANY, ACT_INSPECT, "Enter" },
	{ '\n', SCOPE_ANY, ACT_INSPECT, NULL },
	{ KEY_ENTER, SCOPE_ANY, ACT_INSPECT, NULL },
	{ KEY_SLEFT, SCOPE_ANY, ACT_CUR_LEFT, "Shift-←" },
	{ 'h', SCOPE_INSPECT, ACT_CUR_LEFT, "h" },
	{ KEY_SRIGHT, SCOPE_ANY, ACT_CUR_RIGHT, "Shift-→" },
	{ 'l', SCOPE_INSPECT, ACT_CUR_RIGHT, "l" },
	{ KEY_SR, SCOPE_ANY, ACT_CUR_UP, "Shift-↑" },
	{ KEY_UP, SCOPE_INSPECT, ACT_CUR_UP, "↑" },
	{ 'k', SCOPE_INSPECT, ACT_CUR_UP, "k" },
	{ KEY_SF, SCOPE_ANY, ACT_CUR_DOWN, "Shift-↓" },
	{ KEY_DOWN, SCOPE_INSPECT, ACT_CUR_DOWN, "↓" },
	{ 'j', SCOPE_INSPECT, ACT_CUR_DOWN, "j" },
	{ ']', SCOPE_ANY, ACT_MAT_NEXT, "]" },
	{ KEY_NPAGE, SCOPE_ANY, ACT_MAT_NEXT, "PgDn" },
	{ '[', SCOPE_ANY, ACT_MAT_PREV, "[" },
	{ KEY_PPAGE, SCOPE_ANY, ACT_MAT_PREV, "PgUp" },
	{ '>', SCOPE_ANY, ACT_LAYER_NEXT, ">" },
	{ '<', SCOPE_ANY, ACT_LAYER_PREV, "<" },
	{ '.', SCOPE_ANY, ACT_HEAD_NEXT, "." },
	{ ',', SCOPE_ANY, ACT_HEAD_PREV, "," },
	{ '+', SCOPE_ANY, ACT_DIGITS_MORE, "+" },
	{ '=', SCOPE_ANY, ACT_DIGITS_MORE, "=" },
	{ '-', SCOPE_ANY, ACT_DIGITS_LESS, "-" },
	{ ':', SCOPE_ANY, ACT_JUMP, ":" },
	{ 'a', SCOPE_ANY, ACT_PLAY, "a" },
	{ 'f', SCOPE_ANY, ACT_FASTER, "f" },
	{ 's', SCOPE_ANY, ACT_SLOWER, "s" },
	{ 'm', SCOPE_ANY, ACT_MEMORY, "m" },
	{ 't', SCOPE_ANY, ACT_KERNEL, "t" },
	{ KEY_ESC, SCOPE_ANY, ACT_CLOSE, "Esc" },
	{ '?', SCOPE_ANY, ACT_HELP, "?" },
	{ KEY_F(1), SCOPE_ANY, ACT_HELP, "F1" },
	{ KEY_CTRL_L, SCOPE_ANY, ACT_REDRAW, "Ctrl-L" },
	{ 'q', SCOPE_ANY, ACT_QUIT, "q" },
};

/* At most 20 characters each: the help fits two columns at 80x24. */
static const char *const help_text[ACT_COUNT] = {
	[ACT_NONE] = "",
	[ACT_NEXT] = "next step",
	[ACT_PREV] = "previous step",
	[ACT_FIRST] = "first step",
	[ACT_LAST] = "last step",
	[ACT_PROMPT_END] = "end of the prompt",
	[ACT_FOCUS_NEXT] = "focus the next pane",
	[ACT_SHOW_NOCACHE] = "no cache full width",
	[ACT_SHOW_CACHE] = "KV cache full width",
	[ACT_SHOW_PREFILL] = "prefill full width",
	[ACT_SHOW_ALL] = "show all three modes",
	[ACT_CUR_LEFT] = "cursor left",
	[ACT_CUR_RIGHT] = "cursor right",
	[ACT_CUR_UP] = "cursor up",
	[ACT_CUR_DOWN] = "cursor down",
	[ACT_MAT_NEXT] = "next matrix",
	[ACT_MAT_PREV] = "previous matrix",
	[ACT_LAYER_NEXT] = "next layer (wraps)",
	[ACT_LAYER_PREV] = "previous layer",
	[ACT_HEAD_NEXT] = "next query head",
	[ACT_HEAD_PREV] = "previous query head",
	[ACT_INSPECT] = "inspector on/off",
	[ACT_DIGITS_MORE] = "more digits",
	[ACT_DIGITS_LESS] = "fewer digits",
	[ACT_JUMP] = "jump: type N, Enter",
	[ACT_PLAY] = "auto-play on/off",
	[ACT_FASTER] = "auto-play faster",
	[ACT_SLOWER] = "auto-play slower",
	[ACT_MEMORY] = "cache memory view",
	[ACT_KERNEL] = "tiled/standard view",
	[ACT_CLOSE] = "close help/inspector",
	[ACT_HELP] = "this help",
	[ACT_REDRAW] = "redraw",
	[ACT_QUIT] = "quit",
};

static bool in_scope(KeyScope s, bool inspect)
{
	return s == SCOPE_ANY || (s == SCOPE_INSPECT) == inspect;
}

Action tui_key_action(int key, bool inspect)
{
	for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
		if (bindings[i].key == key && in_scope(bindings[i].scope, inspect))
			return bindings[i].action;
	return ACT_NONE;
}

const KeyBinding *tui_key_table(int *n)
{
	*n = (int)(sizeof bindings / sizeof bindings[0]);
	return bindings;
}

const char *tui_action_help(Action a)
{
	return (unsigned)a < ACT_COUNT && help_text[a] ? help_text[a] : "";
}

/* The ASCII spelling of a key name that uses arrows. */
static const char *ascii_name(const char *name)
{
	static const char *const pairs[][2] = {
		{ "→", "Right" }, { "←", "Left" }, { "↑", "Up" }, { "↓", "Down" },
		{ "Shift-→", "Shift-Right" }, { "Shift-←", "Shift-Left" },
		{ "Shift-↑", "Shift-Up" }, { "Shift-↓", "Shift-Down" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (strcmp(pairs[i][0], name) == 0)
			return pairs[i][1];
	return name;
}

int tui_action_keys(Action a, bool ascii, bool inspector, char *out, int n)
{
	int len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++) {
		if (bindings[i].action != a || !bindings[i].name ||
		    (bindings[i].scope == SCOPE_INSPECT) != inspector)
			continue;
		const char *name = ascii ? ascii_name(bindings[i].name)
					 : bindings[i].name;
		int w = snprintf(out + len, (size_t)(n - len), "%s%s",
				 len ? " " : "", name);
		if (w < 0 || len + w >= n)
			break;
		len += w;
	}
	return len;
}

/* CSI and SS3 final bytes with no parameter: ESC [ A, ESC O H ... */
static int final_key(int fin)
{
	switch (fin) {
	case 'A': return KEY_UP;
	case 'B': return KEY_DOWN;
	case 'C': return KEY_RIGHT;
	case 'D': return KEY_LEFT;
	case 'H': return KEY_HOME;
	case 'F': return KEY_END;
	case 'P': return KEY_F(1);
	default: return TUI_KEY_UNKNOWN;
	}
}

/* ESC [ n ~: the VT220 editing keys, as PuTTY and tmux send them. */
static int tilde_key(int n)
{
	switch (n) {
	case 1: case 7: return KEY_HOME;
	case 4: case 8: return KEY_END;
	case 5: return KEY_PPAGE;
	case 6: return KEY_NPAGE;
	default: return TUI_KEY_UNKNOWN;
	}
}

/* Shift held: ESC [ 1 ; 2 A and the like (xterm's modifier 2). */
static int shifted_key(int fin)
{
	switch (fin) {
	case 'A': return KEY_SR;
	case 'B': return KEY_SF;
	case 'C': return KEY_SRIGHT;
	case 'D': return KEY_SLEFT;
	default: return TUI_KEY_UNKNOWN;
	}
}

/*
 * The rest of a CSI or SS3 sequence, read to its final byte. Parameters
 * are kept only in the simple forms the keys above use: "n" and "1;m".
 */
/*
 * An X10 mouse report, ESC [ M then three raw bytes (button, column and
 * row, each plus 32), arrives from a terminal that reports clicks the old
 * way. Its bytes are not keys: a space would step forward. Drop them.
 */
static int drop_x10_mouse(int (*next)(void *ctx), void *ctx)
{
	for (int i = 0; i < 3 && next(ctx) >= 0; i++)
		;
	return TUI_KEY_UNKNOWN;
}

static int decode_csi(int (*next)(void *ctx), void *ctx, bool ss3)
{
	int nums[2] = { 0, 0 }, count = 0, odd = 0;
	for (int i = 0; i < TUI_ESC_SEQ_MAX; i++) {
		int c = next(ctx);
		if (c < 0)
			return TUI_KEY_UNKNOWN; /* cut short: drop what came */
		if (c >= '0' && c <= '9') {
			if (count == 0)
				count = 1;
			if (count <= 2 && nums[count - 1] < 1000)
				nums[count - 1] = nums[count - 1] * 10 + (c - '0');
		} else if (c == ';') {
			count = count == 0 ? 2 : count + 1;
		} else if (c >= 0x20 && c <= 0x3F) {
			odd = 1; /* '<', '?', intermediates: mouse, private */
		} else if (c >= 0x40 && c <= 0x7E) {
			if (c == 'M' && count == 0 && !odd && !ss3)
				return drop_x10_mouse(next, ctx);
			if (odd || count > 2)
				return TUI_KEY_UNKNOWN;
			if (c == '~')
				return count == 1 ? tilde_key(nums[0])
						  : TUI_KEY_UNKNOWN;
			if (count == 2)
				return nums[0] == 1 && nums[1] == 2
					       ? shifted_key(c) : TUI_KEY_UNKNOWN;
			if (count == 1 && !(ss3 || nums[0] == 1))
				return TUI_KEY_UNKNOWN;
			return final_key(c);
		} else {
			return TUI_KEY_UNKNOWN; /* a control byte: give up */
		}
	}
	return TUI_KEY_UNKNOWN;
}

int tui_key_decode_esc(int (*next)(void *ctx), void *ctx)
{
	int c = next(ctx);
	if (c < 0)
		return TUI_KEY_ESC;
	if (c == '[')
		return decode_csi(next, ctx, false);
	if (c == 'O') {
		/* SS3 is one more byte; a lone ESC O is Alt+O */
		int f = next(ctx);
		if (f < 0)
			return TUI_KEY_ALT + 'O';
		return f >= 0x40 && f <= 0x7E ? final_key(f) : TUI_KEY_UNKNOWN;
	}
	if (c == TUI_KEY_ESC) {
		/* Esc twice in one read, or Alt with an escape sequence */
		int k = tui_key_decode_esc(next, ctx);
		return k == TUI_KEY_ESC ? TUI_KEY_ESC : TUI_KEY_UNKNOWN;
	}
	if (c >= 0x20 && c < 0x7F)
		return TUI_KEY_ALT + c;
	return TUI_KEY_UNKNOWN;
}

void tui_key_name(int key, char *out, int n)
{
	const char *kn;
	if (key >= TUI_KEY_ALT && key < TUI_KEY_ALT + 0x80)
		snprintf(out, (size_t)n, "M-%c", key - TUI_KEY_ALT);
	else if (key == TUI_KEY_UNKNOWN)
		snprintf(out, (size_t)n, "escape sequence");
	else if (key >= 0 && key < 0x20)
		snprintf(out, (size_t)n, "^%c", key + '@');
	else if (key == 127)
		snprintf(out, (size_t)n, "^?");
	else if (key > 0x20 && key < 0x7F)
		snprintf(out, (size_t)n, "%c", key);
	else if (key >= KEY_F(1) && key <= KEY_F(63))
		snprintf(out, (size_t)n, "F%d", key - KEY_F0);
	else if (key >= KEY_MIN && key <= KEY_MAX && (kn = keyname(key)))
		snprintf(out, (size_t)n, "%s", kn);
	else
		snprintf(out, (size_t)n, "key %d", key);
}

bool tui_key_is_erase(int key)
{
	return key == KEY_BACKSPACE || key == KEY_CTRL_H || key == KEY_DEL;
}

bool tui_key_is_enter(int key)
{
	return key == KEY_CR || key == '\n' || key == KEY_ENTER;
}
