#include "tui_term.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "tui_keys.h"
#include "tui_mouse.h"
#include "tui_screen.h"
#include "tui_state.h"

enum {
	TICK_MS = 100,   /* getch timeout: how soon a signal is noticed */
	ESC_DELAY_MS = 25,
};

/*
 * The one piece of mutable global state: the number of the signal that
 * asked us to quit. A signal handler gets no context pointer, so a
 * file-scope sig_atomic_t is the only thing it can safely set; the loop
 * polls it every TICK_MS and restores the terminal itself (endwin() is not
 * async-signal-safe, so it never runs in the handler).
 */
static volatile sig_atomic_t quit_signal;

/* Ctrl-C and Ctrl-\ from the keyboard, kill, a closed terminal */
static const int handled_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
enum { N_SIGNALS = sizeof handled_signals / sizeof handled_signals[0] };

typedef struct Term {
	SCREEN *scr;
	bool mono, ascii;
	attr_t attr[ROLE_COUNT];  /* curses attributes per role */
	short pair[ROLE_COUNT];   /* colour pair per role, 0 in mono */
	TuiBuf buf;
	TuiView view;
	TuiState st;
	bool need_layout, dirty;
	bool mouse;               /* the terminal reports clicks */
	long played_ms;           /* monotonic time of auto-play's last step */
	struct sigaction old[N_SIGNALS];
} Term;

static void on_signal(int sig)
{
	quit_signal = sig;
}

int tui_term_check(KvError *err)
{
	const char *why = NULL;
	const char *term = getenv("TERM");
	int e = 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		why = "stdin and stdout are not both terminals";
	else if (!term || !term[0] || strcmp(term, "dumb") == 0)
		why = "TERM is unset or dumb";
	else if (setupterm(NULL, STDOUT_FILENO, &e) != OK)
		why = "TERM names an unknown terminal";
	else {
		char *cup = tigetstr("cup");
		if (!cup || cup == (char *)-1)
			why = "the terminal cannot move its cursor";
		del_curterm(cur_term);
	}
	if (!why)
		return 0;
	return kv_error_set(err, EX_USAGE,
			    "the UI needs a terminal (%s); for text use "
			    "`kvstep answers` (worksheet answer keys) or "
			    "`kvstep export` (the CSV trace)", why);
}

static void signals_install(Term *tm)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal should wake getch() */
	for (int i = 0; i < N_SIGNALS; i++)
		sigaction(handled_signals[i], &sa, &tm->old[i]);
}

static void signals_restore(Term *tm)
{
	for (int i = 0; i < N_SIGNALS; i++)
		sigaction(handled_signals[i], &tm->old[i], NULL);
}

static attr_t curses_attrs(unsigned ta)
{
	attr_t a = A_NORMAL;
	if (ta & TA_BOLD)
		a |= A_BOLD;
	if (ta & TA_REVERSE)
		a |= A_REVERSE;
	if (ta & TA_UNDERLINE)
		a |= A_UNDERLINE;
	if (ta & TA_DIM)
		a |= A_DIM;
	return a;
}

/* One colour pair per role, on the terminal's own background. */
static void theme_setup(Term *tm)
{
	if (!tm->mono && (!has_colors() || start_color() == ERR ||
			  COLORS < 8 || COLOR_PAIRS <= ROLE_COUNT))
		tm->mono = true;
	if (!tm->mono)
		use_default_colors();
	for (int r = 0; r < ROLE_COUNT; r++) {
		TuiStyle st = tui_theme_style((Role)r, tm->mono);
		tm->attr[r] = curses_attrs(st.attrs);
		tm->pair[r] = 0;
		if (tm->mono || (st.fg == TC_DEFAULT && st.bg == TC_DEFAULT))
			continue;
		tm->pair[r] = (short)(r + 1);
		init_pair(tm->pair[r], (short)st.fg, (short)st.bg);
	}
}

static int term_open(Term *tm, const TuiOptions *o, KvError *err)
{
	setlocale(LC_CTYPE, "");
	tm->ascii = o->ascii || strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	tm->mono = tui_theme_wants_mono(o->no_color, getenv("NO_COLOR"));
	signals_install(tm);
	tm->scr = newterm(NULL, stdout, stdin);
	if (!tm->scr) {
		signals_restore(tm);
		return kv_error_set(err, EX_USAGE, "cannot start curses on "
				    "this terminal; use `kvstep answers` or "
				    "`kvstep export`");
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE); /* arrows, and KEY_RESIZE */
	curs_set(0);
	/* a lone Esc is known after 25 ms; sequences curses does not know are
	 * read whole by tui_key_decode_esc() */
	set_escdelay(ESC_DELAY_MS);
	wtimeout(stdscr, TICK_MS);
	/* clicks only where terminfo describes a mouse (kmous): not on vt100 */
	mouseinterval(0);
	tm->mouse = mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL) != 0;
	theme_setup(tm);
	return 0;
}

static void term_close(Term *tm)
{
	if (tm->scr) {
		endwin();
		delscreen(tm->scr);
		tm->scr = NULL;
	}
	signals_restore(tm);
	tui_buf_free(&tm->buf);
}

/* Copies the frame to the screen in one update: no flicker. */
static void blit(Term *tm)
{
	for (int y = 0; y < tm->buf.h; y++) {
		for (int x = 0; x < tm->buf.w; x++) {
			const TuiCell *c = &tm->buf.cells[(size_t)y * (size_t)tm->buf.w +
							  (size_t)x];
			wchar_t wc[2] = { (wchar_t)c->ch, 0 };
			attr_t a = tm->attr[c->role];
			/* the cursor flips reverse and adds bold, keeping the
			 * status colours underneath */
			if (c->mark & TA_REVERSE)
				a ^= A_REVERSE;
			a |= curses_attrs(c->mark & ~(unsigned)TA_REVERSE);
			cchar_t cc;
			setcchar(&cc, wc, a, tm->pair[c->role], NULL);
			mvwadd_wch(stdscr, y, x, &cc);
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
}

static int relayout(Term *tm, KvError *err)
{
	int h, w;
	getmaxyx(stdscr, h, w);
	if (tui_buf_resize(&tm->buf, w, h))
		return kv_error_set(err, EX_OSERR, "out of memory for the screen");
	tm->need_layout = false;
	tm->dirty = true;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* tui_key_decode_esc()'s source: a byte already sent, within ESC_DELAY_MS */
static int next_byte(void *ctx)
{
	(void)ctx;
	wtimeout(stdscr, ESC_DELAY_MS);
	int c = wgetch(stdscr);
	wtimeout(stdscr, TICK_MS);
	return c == ERR ? -1 : c;
}

/* A left click on a drawn matrix cell selects and inspects it. */
static void handle_mouse(Term *tm, const Trace *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK ||
	    !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;
	int tag = (int)tui_mouse_hit(&tm->buf, ev.x, ev.y);
	if (tag && tui_state_apply_arg(&tm->st, t, ACT_CLICK, tag))
		tm->dirty = true;
}

static void handle_key(Term *tm, const Trace *t, int ch)
{
	if (ch == KEY_RESIZE) {
		/* defer: relayout once, right before the next draw */
		tm->need_layout = true;
		return;
	}
	if (ch == KEY_MOUSE) {
		handle_mouse(tm, t);
		return;
	}
	if (ch == TUI_KEY_ESC)
		ch = tui_key_decode_esc(next_byte, NULL);
	int digits = tm->st.digits, step = tm->st.step;
	if (tui_state_key_action(&tm->st, ch) == ACT_REDRAW)
		clearok(curscr, TRUE);
	if (tui_state_key(&tm->st, t, ch))
		tm->dirty = true;
	if (tm->st.step != step)
		tm->played_ms = now_ms(); /* auto-play counts from here */
	if (tm->st.digits != digits)
		tui_view_init(&tm->view, t, tm->ascii, tm->st.digits);
}

/* Auto-play: step when the pace has passed; else wait at most that long. */
static void play_tick(Term *tm, const Trace *t)
{
	if (!tm->st.playing) {
		tm->played_ms = now_ms();
		wtimeout(stdscr, TICK_MS);
		return;
	}
	long elapsed = now_ms() - tm->played_ms;
	if (tui_state_play_due(&tm->st, elapsed)) {
		tm->dirty = tui_state_play_step(&tm->st, t) || tm->dirty;
		tm->played_ms = now_ms();
		elapsed = 0;
	}
	long left = tui_pace_ms[tm->st.pace] - elapsed;
	wtimeout(stdscr, (int)(left < TICK_MS ? (left > 0 ? left : 1)
					      : TICK_MS));
}

static int loop(Term *tm, const Trace *t, KvError *err)
{
	tm->need_layout = true;
	while (!tm->st.quit && !quit_signal) {
		play_tick(tm, t);
		if (tm->need_layout && relayout(tm, err))
			return err->code;
		if (tm->dirty) {
			tui_render_screen(&tm->buf, &tm->view, &tm->st);
			blit(tm);
			tm->dirty = false;
		}
		int ch = wgetch(stdscr);
		if (ch != ERR)
			handle_key(tm, t, ch);
	}
	return 0;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGTERM: return "SIGTERM";
	default: return "SIGHUP";
	}
}

int tui_term_run(const Trace *t, const TuiOptions *o, KvError *err)
{
	Term tm = { 0 };
	quit_signal = 0;
	if (term_open(&tm, o, err))
		return err->code;
	tui_state_init(&tm.st, t, o->digits);
	tui_view_init(&tm.view, t, tm.ascii, tm.st.digits);
	int rc = loop(&tm, t, err);
	term_close(&tm);
	if (!rc && quit_signal)
		rc = kv_error_set(err, 128 + quit_signal, "interrupted by %s",
				  signal_name(quit_signal));
	return rc;
}

/* A left click for a screen given by its operations. */
static void ops_mouse(Term *tm, const TuiScreenOps *ops)
{
	MEVENT ev;
	if (getmouse(&ev) != OK ||
	    !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) || !ops->click)
		return;
	if (ops->click(ops->ctx, &tm->buf, ev.x, ev.y))
		tm->dirty = true;
}

/* The loop of tui_term_run for a screen given by its operations. */
static int loop_ops(Term *tm, const TuiScreenOps *ops, KvError *err)
{
	tm->need_layout = true;
	while (!ops->quit(ops->ctx) && !quit_signal) {
		if (ops->tick && ops->tick(ops->ctx, now_ms()))
			tm->dirty = true;
		if (tm->need_layout && relayout(tm, err))
			return err->code;
		if (tm->dirty) {
			ops->render(ops->ctx, &tm->buf, tm->ascii);
			blit(tm);
			tm->dirty = false;
		}
		int ch = wgetch(stdscr);
		if (ch == ERR)
			continue;
		if (ch == KEY_RESIZE) {
			tm->need_layout = true;
			continue;
		}
		if (ch == KEY_MOUSE) {
			ops_mouse(tm, ops);
			continue;
		}
		if (ch == TUI_KEY_ESC)
			ch = tui_key_decode_esc(next_byte, NULL);
		if (tui_key_action(ch, false) == ACT_REDRAW)
			clearok(curscr, TRUE);
		if (ops->key(ops->ctx, ch))
			tm->dirty = true;
	}
	return 0;
}

int tui_term_run_ops(const TuiScreenOps *ops, const TuiOptions *o,
		     KvError *err)
{
	Term tm = { 0 };
	quit_signal = 0;
	if (term_open(&tm, o, err))
		return err->code;
	int rc = loop_ops(&tm, ops, err);
	term_close(&tm);
	if (!rc && quit_signal)
		rc = kv_error_set(err, 128 + quit_signal, "interrupted by %s",
				  signal_name(quit_signal));
	return rc;
}
