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
	ACT_JUMP,         /* ":" opens the jump prompt: digits, Enter */
	ACT_PLAY,         /* auto-play on/off */
	ACT_FASTER,       /* auto-play pace */
	ACT_SLOWER,
	ACT_MEMORY,       /* the cache-memory view on/off */
	ACT_KERNEL,       /* --attention flash: tiled or standard view */
	ACT_CLOSE,        /* Esc: close the help, memory view or inspector */
	ACT_HELP,
	ACT_REDRAW,
	ACT_QUIT,
	ACT_COUNT,        /* the help lists the actions before this */
	/* actions the jump prompt and the mouse produce, never a binding */
	ACT_JUMP_DIGIT,   /* arg: the digit 0..9 */
	ACT_JUMP_ERASE,   /* Backspace in the prompt */
	ACT_JUMP_GO,      /* Enter in the prompt */
	ACT_CLICK,        /* arg: a TuiHit tag (tui_buf.h) */
	ACT_UNKNOWN,      /* a key bound to nothing: says so */
	ACT_END
} Action;

/*
 * Key codes beyond curses' own, made by tui_key_decode_esc() from an
 * escape sequence the terminal description does not know.
 */
enum {
	TUI_KEY_ESC = 27,
	TUI_KEY_ALT = 0x110000,     /* + a character: Alt (Meta) held, ESC c */
	TUI_KEY_UNKNOWN = 0x120000, /* a whole sequence, swallowed */
	/* how many bytes may follow an ESC before it is given up on */
	TUI_ESC_SEQ_MAX = 32,
};

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
	const char *name; /* how the help spells the key: "→", "Tab", "q";
			   * NULL for an alias the help leaves out (^H, CR) */
} KeyBinding;

/*
 * The action of `key` (a getch() value) in inspector mode (`inspect`) or
 * not. Returns ACT_NONE for an unbound key.
 */
Action tui_key_action(int key, bool inspect);

/*
 * Decodes what followed an ESC byte. `next(ctx)` returns the next byte
 * that is already waiting, or -1 when none is; it is called only as long
 * as the sequence is incomplete. Returns:
 *   - TUI_KEY_ESC for a lone ESC (or ESC ESC);
 *   - a curses KEY_* code for the CSI and SS3 sequences of arrows, Home,
 *     End, PgUp, PgDn, Shift-arrows and F1, whatever the terminfo entry
 *     says (PuTTY's ESC [ 1 ~ is Home, vt100 has no Home at all);
 *   - TUI_KEY_ALT + c for ESC followed by a printable character c;
 *   - TUI_KEY_UNKNOWN for any other CSI or SS3 sequence, read to its
 *     final byte (parameters 0x30-0x3F, intermediates 0x20-0x2F, final
 *     0x40-0x7E) so none of it is taken for keys.
 */
int tui_key_decode_esc(int (*next)(void *ctx), void *ctx);

/*
 * How a message names `key` (a getch() value or one of the codes above):
 * "M-b", "^X", "x", "F5", "escape sequence". Writes at most n bytes.
 */
void tui_key_name(int key, char *out, int n);

/* Backspace however it arrives: KEY_BACKSPACE, ^H or ^?. */
bool tui_key_is_erase(int key);

/* Enter however it arrives: CR (under nonl()), LF or KEY_ENTER. */
bool tui_key_is_enter(int key);

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
