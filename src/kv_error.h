#ifndef KVSTEP_KV_ERROR_H
#define KVSTEP_KV_ERROR_H
/*
 * Errors travel up as values. Library code never prints and never exits: it
 * fills a KvError and returns its code; only main() turns that into a
 * message on stderr and an exit status.
 *
 * Codes are sysexits.h values, so main() can exit with them unchanged.
 */
#include <sysexits.h>

typedef struct KvError {
	int code;       /* 0 on success, else an EX_* value from sysexits.h */
	char msg[1024]; /* "file:line: what was expected", without "kvstep: " */
} KvError;

/* Clears `e` to success. */
void kv_error_clear(KvError *e);

/*
 * Records an error in `e` (which may be NULL) unless one is already there:
 * the first error is the one the user needs. Returns `code`.
 */
int kv_error_set(KvError *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
