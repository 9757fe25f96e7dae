#include "tui_keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

enum { KEY_TAB = '\t', KEY_ESC = 27, KEY_CTRL_L = 12 };

/* Every binding, in the order the help lists them. */
static const KeyBinding bindings[] = {
	{ KEY_RIGHT, SCOPE_ANY, ACT_NEXT, "→" },
	{ 'l', SCOPE_NORMAL, ACT_NEXT, "l" },
	{ ' ', SCOPE_ANY, ACT_NEXT, "space" },
	{ KEY_LEFT, SCOPE_ANY, ACT_PREV, "←" },
	{ 'h', SCOPE_NORMAL, ACT_PREV, "h" },
	{ KEY_BACKSPACE, SCOPE_ANY, ACT_PREV, "Backspace" },
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
	{ '\n', SCOPE_ANY, ACT_INSPECT, "Enter" },
	{ KEY_ESC, SCOPE_INSPECT, ACT_INSPECT, "Esc" },
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
	{ '?', SCOPE_ANY, ACT_HELP, "?" },
	{ KEY_F(1), SCOPE_ANY, ACT_HELP, "F1" },
	{ KEY_CTRL_L, SCOPE_ANY, ACT_REDRAW, "Ctrl-L" },
	{ 'q', SCOPE_ANY, ACT_QUIT, "q" },
	{ KEY_ESC, SCOPE_NORMAL, ACT_QUIT, "Esc" },
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
	return (unsigned)a < ACT_COUNT ? help_text[a] : "";
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
		if (bindings[i].action != a ||
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
