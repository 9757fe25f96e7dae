#include "text_view.h"

static void put_tokens(FILE *out, const Trace *t)
{
	const Model *m = trace_model(t);
	for (int pos = 1; pos <= trace_steps(t); pos++)
		fprintf(out, "%s%s", pos == 1 ? "" :
			pos == trace_prompt_len(t) + 1 ? " | " : " ",
			m->vocab[trace_token(t, pos)]);
	fputc('\n', out);
}

int text_view_summary(FILE *out, const Trace *t)
{
	const Model *m = trace_model(t);
	fprintf(out, "model: %s (d_model=%d d_k=%d d_v=%d vocab=%d)\n", m->name,
		m->d_model, m->d_k, m->d_v, m->vocab_n);
	fputs("tokens: ", out);
	put_tokens(out, t);
	fputs("\nstep token  ", out);
	for (int mode = 0; mode < MODE_COUNT; mode++)
		fprintf(out, "| %-8s pass   macs  total redone cache ",
			mode_title((Mode)mode));
	fputs("| next\n", out);
	for (int step = 1; step <= trace_steps(t); step++) {
		fprintf(out, "%4d %-6s ", step, m->vocab[trace_token(t, step)]);
		for (int mode = 0; mode < MODE_COUNT; mode++) {
			const TraceStep *s = trace_step(t, step, (Mode)mode);
			fprintf(out, "| %13d %6llu %6llu %6llu %5llu ", s->pass,
				(unsigned long long)counters_macs(&s->pass_c),
				(unsigned long long)counters_macs(&s->total),
				(unsigned long long)s->total.recomputed_macs,
				(unsigned long long)s->total.cache_cells);
		}
		fprintf(out, "| %s\n",
			m->vocab[trace_step(t, step, MODE_NOCACHE)->chosen]);
	}
	return ferror(out) ? -1 : 0;
}
