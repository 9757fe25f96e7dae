#include "mem_format.h"

#include <inttypes.h>
#include <string.h>

#include "mem_fit.h"

/* The few non-ASCII symbols the report uses, and their ASCII stand-ins. */
typedef struct Glyphs {
	const char *times;  /* multiplication */
	const char *approx; /* a rounded value follows */
	const char *arrow;  /* "gives" */
} Glyphs;

static const Glyphs glyphs_ascii = { "x", "~", "->" };
static const Glyphs glyphs_utf8 = { "\u00d7", "\u2248", "\u2192" };

void mem_format_bytes(uint64_t bytes, char *buf, size_t size, bool *exact)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned u = 0;
	while (u + 1 < sizeof units / sizeof units[0] && bytes >> (10 * (u + 1)))
		u++;
	if (u == 0) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		if (exact)
			*exact = true;
		return;
	}
	unsigned shift = 10 * u;
	uint64_t unit = (uint64_t)1 << shift;
	uint64_t whole = bytes >> shift;
	uint64_t rem100 = (bytes & (unit - 1)) * 100; /* < 2^50 × 100 */
	uint64_t cents = (rem100 + unit / 2) >> shift;
	if (cents == 100) {
		whole++;
		cents = 0;
	}
	if (whole == 1024 && u + 1 < sizeof units / sizeof units[0]) {
		/* 1073741820 B rounds to 1024.00 MiB: say 1.00 GiB instead. */
		whole = 1;
		u++;
	}
	if (exact)
		*exact = (rem100 & (unit - 1)) == 0;
	snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 " %s", whole, cents, units[u]);
}

void mem_format_bp(uint32_t bp, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIu32 ".%02" PRIu32 "%%", bp / 100, bp % 100);
}

void mem_format_bits_as_bytes(uint64_t bits, char *buf, size_t size)
{
	/* An eighth of a byte has at most three decimals: 0.125. */
	static const char *const eighths[] = {
		"", ".125", ".25", ".375", ".5", ".625", ".75", ".875",
	};
	snprintf(buf, size, "%" PRIu64 "%s", bits / 8, eighths[bits % 8]);
}

/* "62 = 10 global + 52 local, window 1024 tokens (pattern LLLLLG ...)" */
static void report_layers(FILE *out, const MemConfig *c)
{
	fprintf(out, "  layers      ");
	if (c->n_local == 0)
		fprintf(out, "%u, all global (no sliding window)\n", c->n_layers);
	else if (c->n_global == 0)
		fprintf(out, "%u, all local: each keeps the last %u tokens (sliding window)\n",
			c->n_layers, c->window);
	else
		fprintf(out, "%u = %u global + %u local (window %u), pattern %s from layer 1\n",
			c->n_layers, c->n_global, c->n_local, c->window, c->pattern);
}

static void report_heads(FILE *out, const MemConfig *c)
{
	if (c->attention == MEM_ATTN_MLA) {
		fprintf(out, "  attention   MLA: n_heads %u; per layer the cache holds one latent of %u\n"
			     "              and one shared RoPE key of %u, from which every head's K (%u + %u)\n"
			     "              and V (%u) are rebuilt\n",
			c->n_heads, c->kv_lora_rank, c->qk_rope_head_dim,
			c->qk_nope_head_dim, c->qk_rope_head_dim, c->v_head_dim);
		return;
	}
	const char *kind = c->n_kv_heads == c->n_heads ? "MHA"
			   : c->n_kv_heads == 1		  ? "MQA"
							  : "GQA";
	fprintf(out, "  attention   %s: n_heads %u, n_kv_heads %u, head_dim %u", kind,
		c->n_heads, c->n_kv_heads, c->head_dim);
	if (c->n_kv_heads == c->n_heads)
		fprintf(out, " (each query head has its own K and V)\n");
	else
		fprintf(out, " (%u query heads share each K/V head)\n",
			c->n_heads / c->n_kv_heads);
}

/* Bits a value of d takes: "16", "8.5" (q8_0: 272 bits per 32 values). */
static void value_bits(KvDtype d, char *buf, size_t size)
{
	mem_format_bits_as_bytes((uint64_t)kv_dtype_block_bits(d) * 8 /
					 kv_dtype_block(d),
				 buf, size);
}

/* "2 x 16 x 128" or "(512 + 64)": the elements of K and V together. */
static void elems_formula(const MemConfig *c, bool mha, const Glyphs *g,
			  char *buf, size_t size)
{
	if (c->attention == MEM_ATTN_MLA && !mha)
		snprintf(buf, size, "(%u + %u)", c->kv_lora_rank, c->qk_rope_head_dim);
	else if (c->attention == MEM_ATTN_MLA)
		snprintf(buf, size, "%u %s (%u + %u + %u)", c->n_heads, g->times,
			 c->qk_nope_head_dim, c->qk_rope_head_dim, c->v_head_dim);
	else
		snprintf(buf, size, "2 %s %u %s %u", g->times,
			 mha ? c->n_heads : c->n_kv_heads, g->times, c->head_dim);
}

/*
 * "2 x 16 x 128 x 16 bits / 8 = 8192 B"; with K and V of different dtypes
 * "16 x 128 x (16 + 8.5) bits / 8 = 6272 B"; block dtypes name their block.
 */
static void per_token_formula(const MemConfig *c, bool mha, MemKvType t,
			      const Glyphs *g, char *buf, size_t size)
{
	char elems[96], bytes[32], kb[16], vb[16], note[64] = "";
	uint64_t bits = mha ? mem_cell_bits_mha(c, t) : mem_cell_bits(c, t);
	bool one_type = t.k == t.v || (c->attention == MEM_ATTN_MLA && !mha);
	mem_format_bits_as_bytes(bits, bytes, sizeof bytes);
	value_bits(t.k, kb, sizeof kb);
	value_bits(t.v, vb, sizeof vb);
	if (kv_dtype_block(t.k) > 1 || (!one_type && kv_dtype_block(t.v) > 1))
		snprintf(note, sizeof note, " (%s: %u B per %u values)",
			 kv_dtype_name(kv_dtype_block(t.k) > 1 ? t.k : t.v),
			 kv_dtype_block_bits(kv_dtype_block(t.k) > 1 ? t.k : t.v) / 8,
			 kv_dtype_block(kv_dtype_block(t.k) > 1 ? t.k : t.v));
	if (one_type) {
		elems_formula(c, mha, g, elems, sizeof elems);
		snprintf(buf, size, "%s %s %s bits / 8 = %s B%s", elems, g->times, kb,
			 bytes, note);
	} else if (c->attention == MEM_ATTN_MLA) {
		snprintf(buf, size, "%u %s ((%u + %u) %s %s + %u %s %s) bits / 8 = %s B%s",
			 c->n_heads, g->times, c->qk_nope_head_dim, c->qk_rope_head_dim,
			 g->times, kb, c->v_head_dim, g->times, vb, bytes, note);
	} else {
		snprintf(buf, size, "%u %s %u %s (%s + %s) bits / 8 = %s B%s",
			 mha ? c->n_heads : c->n_kv_heads, g->times, c->head_dim,
			 g->times, kb, vb, bytes, note);
	}
}

/* "10 x 65536 + 52 x min(65536, 1024) = 655360 + 53248 = 708608" */
static void report_layer_tokens(FILE *out, const MemConfig *c, uint64_t ctx,
				const Glyphs *g, uint64_t total)
{
	uint64_t local = ctx < c->window ? ctx : c->window;
	fprintf(out, "    layer-tokens  ");
	if (c->n_global)
		fprintf(out, "%u %s %" PRIu64, c->n_global, g->times, ctx);
	if (c->n_global && c->n_local)
		fprintf(out, " + ");
	if (c->n_local)
		fprintf(out, "%u %s min(%" PRIu64 ", %u)", c->n_local, g->times,
			ctx, c->window);
	if (c->n_global && c->n_local)
		fprintf(out, " = %" PRIu64 " + %" PRIu64,
			(uint64_t)c->n_global * ctx, (uint64_t)c->n_local * local);
	fprintf(out, " = %" PRIu64 "\n", total);
}

/* " = 1.00 GiB" or " ~ 1.03 GiB"; nothing below 1 KiB, where it would
 * only repeat the byte count. */
static void units_suffix(uint64_t bytes, const Glyphs *g, char *buf, size_t size)
{
	char u[32];
	bool exact;
	if (bytes < 1024) {
		buf[0] = '\0';
		return;
	}
	mem_format_bytes(bytes, u, sizeof u, &exact);
	snprintf(buf, size, " %s %s", exact ? "=" : g->approx, u);
}

/* "1 x 135168 x 8192 B = 1107296256 B ~ 1.03 GiB" */
static void report_product(FILE *out, uint64_t batch, const char *tokens,
			   uint64_t bits, uint64_t bytes, const Glyphs *g)
{
	char per[32], units[48];
	mem_format_bits_as_bytes(bits, per, sizeof per);
	units_suffix(bytes, g, units, sizeof units);
	fprintf(out, "%" PRIu64 " %s %s %s %s B = %" PRIu64 " B%s%s\n", batch,
		g->times, tokens, g->times, per, bytes, units,
		(batch * bits) % 8 ? ", rounded up to whole bytes" : "");
}

/* "saves 73.39% = 1 - 1107296256 / 4160749568" */
static void report_saving(FILE *out, uint32_t bp, uint64_t bytes, uint64_t base)
{
	char pct[16];
	mem_format_bp(bp, pct, sizeof pct);
	fprintf(out, "                  saves %s = 1 - %" PRIu64 " / %" PRIu64 "\n",
		pct, bytes, base);
}

/* "+16777216 B", "-262144 B", "+0 B": engine minus exact. */
static void signed_diff(uint64_t engine, uint64_t exact, char *buf, size_t size)
{
	if (engine >= exact)
		snprintf(buf, size, "+%" PRIu64 " B", engine - exact);
	else
		snprintf(buf, size, "-%" PRIu64 " B", exact - engine);
}

/* "vllm          10 x 8192 + 52 x 1024 cells = 133120 x 8192 B = ..." */
static void report_engine(FILE *out, const MemConfig *c, const MemView *v,
			  const MemTotals *t, const Glyphs *g)
{
	char units[48], diff[32], per[32];
	mem_format_bits_as_bytes(mem_cell_bits(c, v->type), per, sizeof per);
	units_suffix(t->engine_bytes, g, units, sizeof units);
	signed_diff(t->engine_bytes, t->bytes, diff, sizeof diff);
	fprintf(out, "    %-13s ", mem_engine_name(v->policy.engine));
	if (c->n_global)
		fprintf(out, "%u %s %" PRIu64, c->n_global, g->times, t->engine_global);
	if (c->n_global && c->n_local)
		fprintf(out, " + ");
	if (c->n_local)
		fprintf(out, "%u %s %" PRIu64, c->n_local, g->times, t->engine_local);
	fprintf(out, " cells = %" PRIu64 " %s %s B = %" PRIu64 " B%s\n",
		t->engine_layer_tokens, g->times, per, t->engine_bytes, units);
	fprintf(out, "                  %s against exact (%" PRIu64 " B)\n", diff, t->bytes);
}

static void report_context(FILE *out, const MemConfig *c, const MemView *v,
			   const MemTotals *t, const Glyphs *g)
{
	char tokens[64], formula[192], type[16];
	uint64_t bits = mem_cell_bits(c, v->type);
	uint64_t bits_mha = mem_cell_bits_mha(c, v->type);

	mem_kv_type_name(v->type, type, sizeof type);
	fprintf(out, "\n  %" PRIu64 " token%s, batch %" PRIu64 ", %s\n", t->context,
		t->context == 1 ? "" : "s", t->batch, type);
	report_layer_tokens(out, c, t->context, g, t->layer_tokens);

	snprintf(tokens, sizeof tokens, "%" PRIu64, t->layer_tokens);
	fprintf(out, "    total         ");
	report_product(out, t->batch, tokens, bits, t->bytes, g);

	if (c->n_local == 0) {
		fprintf(out, "    all global    every layer is already global: saves 0.00%%\n");
	} else {
		snprintf(tokens, sizeof tokens, "(%u %s %" PRIu64 ")", c->n_layers,
			 g->times, t->context);
		fprintf(out, "    all global    ");
		report_product(out, t->batch, tokens, bits, t->bytes_all_global, g);
		report_saving(out, t->saving_all_global_bp, t->bytes, t->bytes_all_global);
	}

	if (c->attention == MEM_ATTN_GQA && c->n_kv_heads == c->n_heads) {
		fprintf(out, "    full MHA      already MHA (n_kv_heads = n_heads): saves 0.00%%\n");
	} else {
		snprintf(tokens, sizeof tokens, "%" PRIu64, t->layer_tokens);
		fprintf(out, "    full MHA      ");
		report_product(out, t->batch, tokens, bits_mha, t->bytes_mha, g);
		per_token_formula(c, true, v->type, g, formula, sizeof formula);
		fprintf(out, "                  with %s a layer-token\n", formula);
		report_saving(out, t->saving_mha_bp, t->bytes, t->bytes_mha);
	}
	if (v->policy.engine != MEM_ENGINE_EXACT)
		report_engine(out, c, v, t, g);
}

/* One line on how the chosen engine lays out the cache. */
static void report_policy(FILE *out, const MemConfig *c, const MemPolicy *p)
{
	switch (p->engine) {
	case MEM_ENGINE_VLLM:
		fprintf(out, "  engine      vllm: each sequence takes whole blocks of %u tokens%s\n",
			p->block_size,
			c->n_local ? "; a local layer frees only the blocks wholly before its window" : "");
		break;
	case MEM_ENGINE_LLAMACPP:
		if (c->n_local && !p->swa_full)
			fprintf(out, "  engine      llama.cpp: one pool of cells for all sequences, padded to %d;\n"
				     "              a local layer keeps min(that, pad(W x sequences + ubatch %u))\n",
				MEM_LLAMACPP_PAD, p->ubatch);
		else
			fprintf(out, "  engine      llama.cpp: one pool of cells for all sequences, padded to %d%s\n",
				MEM_LLAMACPP_PAD, c->n_local ? "; --swa-full: local layers keep every cell" : "");
		break;
	case MEM_ENGINE_HF:
		fprintf(out, "  engine      hf: %s\n",
			c->n_local ? "a local layer keeps the last W - 1 tokens (DynamicCache)"
				   : "every layer keeps every token (DynamicCache)");
		break;
	case MEM_ENGINE_EXACT:
	case MEM_ENGINE_COUNT:
		break;
	}
}

int mem_fit_answer(const MemConfig *c, const MemView *v, MemFitAnswer *out,
		   KvError *e)
{
	memset(out, 0, sizeof *out);
	out->weights_known = v->has_weights || c->n_params > 0;
	out->weights = v->has_weights ? v->weights : mem_weight_bytes(c);
	out->avail = v->budget > out->weights ? v->budget - out->weights : 0;
	return mem_fit_tokens(c, v->type, &v->policy, v->batch, out->avail,
			      &out->max_tokens, &out->tokens_bytes, e);
}

static void report_weights(FILE *out, const MemConfig *c, const MemView *v,
			   const MemFitAnswer *f, const Glyphs *g)
{
	char units[48];
	units_suffix(f->weights, g, units, sizeof units);
	if (v->has_weights)
		fprintf(out, "    weights       %" PRIu64 " B%s (--weights)\n", f->weights, units);
	else if (c->n_params)
		fprintf(out, "    weights       %" PRIu64 " B%s = %" PRIu64 " parameters %s %u bits / 8,\n"
			     "                  %s (an estimate; --weights SIZE overrides)\n",
			f->weights, units, c->n_params, g->times, c->weight_bits,
			c->weight_note);
	else
		fprintf(out, "    weights       not subtracted: %s\n"
			     "                  (give --weights SIZE)\n",
			c->weight_note[0] ? c->weight_note : "the model file gives no weight figures");
	units_suffix(f->avail, g, units, sizeof units);
	if (f->weights >= v->budget && f->weights > 0)
		fprintf(out, "    for the cache nothing: the weights alone need the whole budget\n");
	else
		fprintf(out, "    for the cache %" PRIu64 " - %" PRIu64 " = %" PRIu64 " B%s\n",
			v->budget, f->weights, f->avail, units);
}

/* " (74076 need 9709289472 B)": what one more token or sequence takes. */
static void one_more(const MemConfig *c, const MemView *v, uint64_t ctx,
		     uint64_t batch, uint64_t next, const char *unit, char *buf,
		     size_t size)
{
	MemTotals t;
	KvError quiet;
	kv_error_clear(&quiet);
	buf[0] = '\0';
	if (mem_totals(c, ctx, batch, v->type, &v->policy, &t, &quiet) == 0)
		snprintf(buf, size, " (%" PRIu64 " %s %" PRIu64 " B)", next, unit,
			 t.engine_bytes);
}

static int report_fit(FILE *out, const MemConfig *c, const MemView *v,
		      const uint64_t *contexts, size_t n, const Glyphs *g,
		      KvError *e)
{
	MemFitAnswer f;
	char units[48], more[64];
	if (mem_fit_answer(c, v, &f, e))
		return e->code;
	units_suffix(v->budget, g, units, sizeof units);
	fprintf(out, "\n  will it fit in %" PRIu64 " B%s? (%s engine)\n", v->budget, units,
		mem_engine_name(v->policy.engine));
	report_weights(out, c, v, &f, g);
	fprintf(out, "    longest       ");
	if (f.max_tokens == 0)
		fprintf(out, "nothing fits at batch %" PRIu64 ": one token needs more\n", v->batch);
	else if (f.max_tokens == MEM_CONTEXT_MAX)
		fprintf(out, "every context up to 2^31 tokens fits at batch %" PRIu64 " (%" PRIu64 " B)\n",
			v->batch, f.tokens_bytes);
	else {
		one_more(c, v, f.max_tokens + 1, v->batch, f.max_tokens + 1, "need", more, sizeof more);
		fprintf(out, "%" PRIu64 " token%s a sequence at batch %" PRIu64 ": %" PRIu64 " B%s\n",
			f.max_tokens, f.max_tokens == 1 ? "" : "s", v->batch, f.tokens_bytes, more);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t mb, bytes;
		const char *s = contexts[i] == 1 ? "" : "s";
		if (mem_fit_batch(c, v->type, &v->policy, contexts[i], f.avail, &mb, &bytes, e))
			return e->code;
		fprintf(out, "    largest batch ");
		if (mb == 0)
			fprintf(out, "none: one sequence of %" PRIu64 " token%s needs more\n",
				contexts[i], s);
		else if (mb == MEM_FIT_BATCH_MAX)
			fprintf(out, "%" PRIu64 " sequences or more at %" PRIu64 " token%s: %" PRIu64 " B\n",
				mb, contexts[i], s, bytes);
		else {
			one_more(c, v, contexts[i], mb + 1, mb + 1, "need", more, sizeof more);
			fprintf(out, "%" PRIu64 " sequence%s at %" PRIu64 " token%s: %" PRIu64 " B%s\n",
				mb, mb == 1 ? "" : "s", contexts[i], s, bytes, more);
		}
	}
	return 0;
}

int mem_report_write(FILE *out, const MemConfig *c, const MemView *v,
		     const uint64_t *contexts, size_t n, KvError *e)
{
	const Glyphs *g = v->unicode ? &glyphs_utf8 : &glyphs_ascii;
	char formula[192];

	fprintf(out, "%s: %s\n", c->id, c->name);
	fprintf(out, "  source      %s\n", c->source);
	report_layers(out, c);
	report_heads(out, c);
	per_token_formula(c, false, v->type, g, formula, sizeof formula);
	fprintf(out, "  per token   one %slayer holds %s\n",
		c->n_global ? "global " : "", formula);
	report_policy(out, c, &v->policy);
	for (size_t i = 0; i < n; i++) {
		MemTotals t;
		if (mem_totals(c, contexts[i], v->batch, v->type, &v->policy, &t, e))
			return e->code;
		report_context(out, c, v, &t, g);
	}
	if (v->has_budget)
		return report_fit(out, c, v, contexts, n, g, e);
	return 0;
}

/* Writes one CSV field, quoted when RFC 4180 needs it. */
static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int mem_csv_write(FILE *out, const MemConfig *c, const MemView *v,
		  const uint64_t *contexts, size_t n, KvError *e)
{
	char per[32], pg[16], pm[16], window[16] = "", type[16], diff[32];
	char budget[24] = "", max_tokens[24] = "", max_batch[24] = "";
	MemFitAnswer f;
	mem_format_bits_as_bytes(mem_cell_bits(c, v->type), per, sizeof per);
	mem_kv_type_name(v->type, type, sizeof type);
	if (c->n_local)
		snprintf(window, sizeof window, "%u", c->window);
	if (v->has_budget) {
		if (mem_fit_answer(c, v, &f, e))
			return e->code;
		snprintf(budget, sizeof budget, "%" PRIu64, v->budget);
		snprintf(max_tokens, sizeof max_tokens, "%" PRIu64, f.max_tokens);
	}
	for (size_t i = 0; i < n; i++) {
		MemTotals t;
		if (mem_totals(c, contexts[i], v->batch, v->type, &v->policy, &t, e))
			return e->code;
		if (v->has_budget) {
			uint64_t mb, bytes;
			if (mem_fit_batch(c, v->type, &v->policy, contexts[i], f.avail,
					  &mb, &bytes, e))
				return e->code;
			snprintf(max_batch, sizeof max_batch, "%" PRIu64, mb);
		}
		snprintf(pg, sizeof pg, "%" PRIu32 ".%02" PRIu32,
			 t.saving_all_global_bp / 100, t.saving_all_global_bp % 100);
		snprintf(pm, sizeof pm, "%" PRIu32 ".%02" PRIu32,
			 t.saving_mha_bp / 100, t.saving_mha_bp % 100);
		signed_diff(t.engine_bytes, t.bytes, diff, sizeof diff);
		diff[strlen(diff) - 2] = '\0'; /* drop " B" */
		csv_field(out, c->id);
		fprintf(out, ",%s,%" PRIu64 ",%" PRIu64 ",%u,%u,%s,%s,%" PRIu64
			     ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%" PRIu64
			     ",%" PRIu64 ",%s,%s,%s,%s\r\n",
			type, v->batch, t.context, c->n_global, c->n_local, window,
			per, t.layer_tokens, t.bytes, t.bytes_all_global, t.bytes_mha,
			pg, pm, mem_engine_name(v->policy.engine),
			t.engine_layer_tokens, t.engine_bytes, diff[0] == '+' ? diff + 1 : diff,
			budget, max_tokens, max_batch);
	}
	return 0;
}
