#include "mem_format.h"

#include <inttypes.h>
#include <string.h>

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

/* "2 x 16 x 128" or "(512 + 64)": the elements one layer-token holds. */
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

/* "2 x 16 x 128 x 16 bits / 8 = 8192 B" */
static void per_token_formula(const MemConfig *c, bool mha, MemDtype d,
			      const Glyphs *g, char *buf, size_t size)
{
	char elems[96], bytes[32];
	uint64_t n = mha ? mem_elems_per_layer_token_mha(c) : mem_elems_per_layer_token(c);
	elems_formula(c, mha, g, elems, sizeof elems);
	mem_format_bits_as_bytes(n * mem_dtype_bits(d), bytes, sizeof bytes);
	snprintf(buf, size, "%s %s %u bits / 8 = %s B", elems, g->times,
		 mem_dtype_bits(d), bytes);
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

/* "= 1.00 GiB" or "~ 1.03 GiB" */
static void units_suffix(uint64_t bytes, const Glyphs *g, char *buf, size_t size)
{
	char u[32];
	bool exact;
	mem_format_bytes(bytes, u, sizeof u, &exact);
	snprintf(buf, size, "%s %s", exact ? "=" : g->approx, u);
}

/* "1 x 135168 x 8192 B = 1107296256 B ~ 1.03 GiB" */
static void report_product(FILE *out, uint64_t batch, const char *tokens,
			   uint64_t bits, uint64_t bytes, const Glyphs *g)
{
	char per[32], units[48];
	mem_format_bits_as_bytes(bits, per, sizeof per);
	units_suffix(bytes, g, units, sizeof units);
	fprintf(out, "%" PRIu64 " %s %s %s %s B = %" PRIu64 " B %s%s\n", batch,
		g->times, tokens, g->times, per, bytes, units,
		bits % 8 ? ", rounded up to whole bytes" : "");
}

/* "saves 73.39% = 1 - 1107296256 / 4160749568" */
static void report_saving(FILE *out, uint32_t bp, uint64_t bytes, uint64_t base)
{
	char pct[16];
	mem_format_bp(bp, pct, sizeof pct);
	fprintf(out, "                  saves %s = 1 - %" PRIu64 " / %" PRIu64 "\n",
		pct, bytes, base);
}

static void report_context(FILE *out, const MemConfig *c, MemDtype d,
			   const MemTotals *t, const Glyphs *g)
{
	char tokens[64], formula[160];
	uint64_t bits = mem_elems_per_layer_token(c) * mem_dtype_bits(d);
	uint64_t bits_mha = mem_elems_per_layer_token_mha(c) * mem_dtype_bits(d);

	fprintf(out, "\n  %" PRIu64 " tokens, batch %" PRIu64 ", %s\n", t->context,
		t->batch, mem_dtype_name(d));
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
		per_token_formula(c, true, d, g, formula, sizeof formula);
		fprintf(out, "                  with %s a layer-token\n", formula);
		report_saving(out, t->saving_mha_bp, t->bytes, t->bytes_mha);
	}
}

int mem_report_write(FILE *out, const MemConfig *c, MemDtype d, uint64_t batch,
		     const uint64_t *contexts, size_t n, bool unicode,
		     KvError *e)
{
	const Glyphs *g = unicode ? &glyphs_utf8 : &glyphs_ascii;
	char formula[160];

	fprintf(out, "%s: %s\n", c->id, c->name);
	fprintf(out, "  source      %s\n", c->source);
	report_layers(out, c);
	report_heads(out, c);
	per_token_formula(c, false, d, g, formula, sizeof formula);
	fprintf(out, "  per token   one %slayer holds %s\n",
		c->n_global ? "global " : "", formula);
	for (size_t i = 0; i < n; i++) {
		MemTotals t;
		if (mem_totals(c, contexts[i], batch, d, &t, e))
			return e->code;
		report_context(out, c, d, &t, g);
	}
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

int mem_csv_write(FILE *out, const MemConfig *c, MemDtype d, uint64_t batch,
		  const uint64_t *contexts, size_t n, KvError *e)
{
	char per[32], pg[16], pm[16], window[16] = "";
	uint64_t bits = mem_elems_per_layer_token(c) * mem_dtype_bits(d);
	mem_format_bits_as_bytes(bits, per, sizeof per);
	if (c->n_local)
		snprintf(window, sizeof window, "%u", c->window);
	for (size_t i = 0; i < n; i++) {
		MemTotals t;
		if (mem_totals(c, contexts[i], batch, d, &t, e))
			return e->code;
		snprintf(pg, sizeof pg, "%" PRIu32 ".%02" PRIu32,
			 t.saving_all_global_bp / 100, t.saving_all_global_bp % 100);
		snprintf(pm, sizeof pm, "%" PRIu32 ".%02" PRIu32,
			 t.saving_mha_bp / 100, t.saving_mha_bp % 100);
		csv_field(out, c->id);
		fprintf(out, ",%s,%" PRIu64 ",%" PRIu64 ",%u,%u,%s,%s,%" PRIu64
			     ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s\r\n",
			mem_dtype_name(d), batch, t.context, c->n_global,
			c->n_local, window, per, t.layer_tokens, t.bytes,
			t.bytes_all_global, t.bytes_mha, pg, pm);
	}
	return 0;
}
