#include "grade.h"

int grade_run(const char *key, char **students, int n,
	      const GradeOptions *o, FILE *out, KvError *err)
{
	(void)key, (void)students, (void)n, (void)o, (void)out;
	return kv_error_set(err, EX_UNAVAILABLE, "grading is not built yet");
}
