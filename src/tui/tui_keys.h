#ifndef KVSTEP_TUI_KEYS_H
#define KVSTEP_TUI_KEYS_H
/*
 * Keys map to actions before anything acts on them. One table holds every
 * binding, and the `?` help overlay is generated from it, so the help can
 * never disagree with the keys.
 */
#include <stdbool.h>

typedef enum Action {
	ACT_NONE,
	ACT_NEXT,         /* next step */
	ACT_PREV,         /* previous step */
	ACT_FIRST,        /* step 1 */
	ACT_LAST,         /* last step */
	ACT_PROMPT_END,   /* last prompt position: the end of prefill */
	ACT_FOCUS_NEXT,   /* cycle the focused pane */
	ACT_SHOW_NOCACHE, /* one mode full width */
	ACT_SHOW_CACHE,
	ACT_SHOW_PREFILL,
	ACT_SHOW_ALL,     /* all three side by side */
	ACT_CUR_LEFT,     /* move the cell cursor */
	ACT_CUR_RIGHT,
	ACT_CUR_UP,
	ACT_CUR_DOWN,
	ACT_MAT_NEXT,     /* cursor to the next matrix */
	ACT_MAT_PREV,
	ACT_LAYER_NEXT,   /* stacked models: the layer the panes show */
	ACT_LAYER_PREV,
	ACT_HEAD_NEXT,    /* multi-head models: the query head shown */
	ACT_HEAD_PREV,
	ACT_INSPECT,      /* toggle inspector mode (hjkl move the cursor) */
	ACT_DIGITS_MORE,
	ACT_DIGITS_LESS,
	ACT_HELP,
	ACT_REDRAW,
	ACT_QUIT,
	ACT_COUNT
} Action;

/* When a binding applies. */
typedef enum KeyScope {
	SCOPE_ANY,     /* in both modes */
	SCOPE_NORMAL,  /* only outside inspector mode */
	SCOPE_INSPECT, /* only in inspector mode */
} KeyScope;

typedef struct KeyBinding {
	int key;          /* a character or a curses KEY_* code */
	KeyScope scope;
	Action action;
	const char *name; /* how the help spells the key: "→", "Tab", "q" */
} KeyBinding;

/*
 * The action of `key` (a getch() value) in inspector mode (`inspect`) or
 * not. Returns ACT_NONE for an unbound key.
 */
Action tui_key_action(int key, bool inspect);

/* The binding table and its length, for the help overlay and tests. */
const KeyBinding *tui_key_table(int *n);

/*
 * One line of help for `a`: "next step", at most 20 characters. Empty for
 * ACT_NONE.
 */
const char *tui_action_help(Action a);

/*
 * Writes the keys bound to `a` as "→ l space" into out (size n, always
 * NUL-terminated). With `inspector` false: the keys that work outside
 * inspector mode; with true: the keys that work only in inspector mode
 * ("↑ k" for cursor up), which the help shows in a column of their own.
 * `ascii` spells arrows as "Right" etc. Returns the length.
 */
int tui_action_keys(Action a, bool ascii, bool inspector, char *out, int n);

#endif
