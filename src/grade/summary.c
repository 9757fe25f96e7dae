#include "summary.h"

#include <csv.h>
#include <errno.h>
#include <string.h>

#include "csv_answer.h"
#include "text_visible.h"

/*
 * A field made visible (text_visible.h: no control character reaches a
 * spreadsheet or a terminal that cats the file), then quoted through
 * libcsv only when RFC 4180 needs it.
 */
static void put_field(FILE *out, const char *s, bool last)
{
	char vis[2048];
	text_visible(s, vis, sizeof vis);
	if (strpbrk(vis, ",\"\r\n"))
		csv_fwrite(out, vis, strlen(vis));
	else
		fputs(vis, out);
	fputs(last ? "\r\n" : ",", out);
}

static void put_int(FILE *out, int v, bool last)
{
	fprintf(out, "%d%s", v, last ? "\r\n" : ",");
}

static void put_header(FILE *out, const KeyTable *kt)
{
	fputs("file,status,correct,graded,percent,wrong,missing,error", out);
	for (int m = 0; m < CSV_KIND_COUNT; m++)
		if (kt->matrices & ((uint64_t)1 << m))
			fprintf(out, ",%s_correct,%s_graded", csv_kind_name(m),
				csv_kind_name(m));
	fputs("\r\n", out);
}

static void put_not_graded(FILE *out, const KeyTable *kt,
			   const StudentResult *r)
{
	put_field(out, r->file, false);
	fputs("not graded,,,,,,", out);
	bool per_matrix = kt->matrices != 0;
	char reason[1100];
	report_reason(r->file, r->error ? r->error : "", reason, sizeof reason);
	put_field(out, reason, !per_matrix);
	for (int m = 0; m < CSV_KIND_COUNT; m++)
		if (kt->matrices & ((uint64_t)1 << m))
			fputs((kt->matrices >> (m + 1)) ? ",," : ",\r\n", out);
}

static void put_graded(FILE *out, const KeyTable *kt, const StudentResult *r)
{
	const Score *s = r->score;
	char pct[16];
	score_percent(&s->total, pct, sizeof pct);
	put_field(out, r->file, false);
	fputs("graded,", out);
	put_int(out, s->total.correct, false);
	put_int(out, s->total.graded, false);
	put_field(out, pct, false);
	put_int(out, s->wrong, false);
	put_int(out, s->missing, false);
	put_field(out, "", kt->matrices == 0);
	for (int m = 0; m < CSV_KIND_COUNT; m++)
		if (kt->matrices & ((uint64_t)1 << m)) {
			put_int(out, s->by_matrix[m].correct, false);
			put_int(out, s->by_matrix[m].graded,
				(kt->matrices >> (m + 1)) == 0);
		}
}

int summary_write(FILE *out, const char *path, bool bom, const KeyTable *kt,
		  const StudentResult *r, int n, KvError *err)
{
	if (bom)
		fputs("\xEF\xBB\xBF", out);
	put_header(out, kt);
	for (int i = 0; i < n; i++) {
		if (r[i].score)
			put_graded(out, kt, &r[i]);
		else
			put_not_graded(out, kt, &r[i]);
	}
	if (fflush(out) != 0 || ferror(out))
		return kv_error_set(err, EX_IOERR, "%s: cannot write: %s", path,
				    strerror(errno ? errno : EIO));
	return 0;
}
