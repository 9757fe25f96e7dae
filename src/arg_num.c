#include "arg_num.h"

#include <errno.h>
#include <stdlib.h>

int arg_long(const char *prefix, const char *opt, const char *s, long lo,
	     long hi, long *out, KvError *err)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		return kv_error_set(err, EX_USAGE,
				    "%s%s expects a whole number from %ld to %ld, got '%s'",
				    prefix, opt, lo, hi, s);
	*out = v;
	return 0;
}

int arg_int(const char *prefix, const char *opt, const char *s, int lo,
	    int hi, int *out, KvError *err)
{
	long v;
	if (arg_long(prefix, opt, s, lo, hi, &v, err))
		return err->code;
	*out = (int)v;
	return 0;
}

int arg_getopt_error(const char *cmd, int c, const char *arg, KvError *err)
{
	return kv_error_set(err, EX_USAGE, "%s: %s '%s'; try 'kvstep %s --help'",
			    cmd, c == '?' ? "unknown option"
					  : "a value is missing after",
			    arg, cmd);
}
