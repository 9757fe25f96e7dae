#ifndef KVSTEP_ARG_NUM_H
#define KVSTEP_ARG_NUM_H
/*
 * Whole-number option arguments, one rule for every command: decimal
 * digits with an optional sign, nothing after them, within lo..hi.
 */
#include "kv_error.h"

/*
 * Parses `s`, the argument of option `opt`, into *out. On a bad value
 * returns EX_USAGE with "<prefix><opt> expects a whole number from lo to
 * hi, got 's'" (prefix names the command, "spec: ", or is ""); *out is
 * left alone.
 */
int arg_long(const char *prefix, const char *opt, const char *s, long lo,
	     long hi, long *out, KvError *err);

/* The same for an int. */
int arg_int(const char *prefix, const char *opt, const char *s, int lo,
	    int hi, int *out, KvError *err);

/*
 * What getopt_long (with opterr = 0 and a leading ':') returned as `c` for
 * `arg`, the word it stopped at: EX_USAGE with "<cmd>: unknown option
 * 'arg'" for '?' or "a value is missing after 'arg'" for ':', and a
 * pointer to `kvstep <cmd> --help`.
 */
int arg_getopt_error(const char *cmd, int c, const char *arg, KvError *err);

#endif
