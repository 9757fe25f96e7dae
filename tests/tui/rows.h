#ifndef KVSTEP_TUI_ROWS_H
#define KVSTEP_TUI_ROWS_H
/*
 * Expected frames for the cmocka UI suites: rows written one per line in
 * the test, joined into the text tui_buf_text returns.
 */

/* Joins NULL-terminated rows into one malloc'd string, a newline after
 * each (the caller frees it). */
char *join_rows(const char *const *rows);

#endif
