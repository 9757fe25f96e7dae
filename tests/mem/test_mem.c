/*
 * Unit tests for `kvstep mem`: model files, exact byte counts worked out by
 * hand, formatting, CSV, the chart (golden text) and every CLI error.
 *
 * Golden files live in $MEM_GOLDEN_DIR. With MEM_GOLDEN_UPDATE=1 the tests
 * rewrite them instead of comparing; review the diff before committing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"
#include "mem_calc.h"
#include "mem_chart.h"
#include "mem_config.h"
#include "mem_fit.h"
#include "mem_format.h"
#include "mem_json.h"
#include "mem_models.h"

/* ---- helpers ----------------------------------------------------------- */

/* K and V of one dtype. */
#define KV(d) ((MemKvType){ (d), (d) })

static MemConfig load_bundled(const char *id)
{
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	int rc = mem_models_load(id, &c, &e);
	if (rc != 0)
		fail_msg("%s: %s", id, e.msg);
	return c;
}

/* Loads `text` as t.ini; returns the code and leaves the message in *e. */
static int load_text(const char *text, MemConfig *c, KvError *e)
{
	kv_error_clear(e);
	return mem_config_load("t.ini", text, strlen(text), c, e);
}

static void expect_load_error(const char *text, const char *msg)
{
	MemConfig c;
	KvError e;
	assert_int_equal(load_text(text, &c, &e), EX_DATAERR);
	assert_string_equal(e.msg, msg);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			char *p = realloc(buf, cap);
			assert_non_null(p);
			buf = p;
		}
		size_t n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Compares `got` with golden file `name`, or rewrites it in update mode. */
static void expect_golden(const char *name, const char *got)
{
	const char *dir = getenv("MEM_GOLDEN_DIR");
	char path[1024];
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	const char *update = getenv("MEM_GOLDEN_UPDATE");
	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputs(got, f);
		assert_int_equal(fclose(f), 0);
		return;
	}
	char *want = read_file(path);
	if (!want)
		fail_msg("cannot read golden file %s", path);
	if (strcmp(want, got) != 0)
		print_error("golden %s differs; got:\n%s\n", name, got);
	assert_string_equal(want, got);
	free(want);
}

/* Output of mem_main for the given arguments. */
typedef struct Run {
	int rc;
	char *out;
	char *err;
	size_t out_len, err_len;
} Run;

static Run run_mem(int argc, const char *const *args)
{
	Run r = { 0 };
	char *argv[16];
	assert_true(argc < 16);
	for (int i = 0; i < argc; i++)
		argv[i] = (char *)(uintptr_t)args[i]; /* mem_main does not write */
	FILE *out = open_memstream(&r.out, &r.out_len);
	FILE *err = open_memstream(&r.err, &r.err_len);
	assert_non_null(out);
	assert_non_null(err);
	r.rc = mem_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void run_free(Run *r)
{
	free(r->out);
	free(r->err);
}

#define RUN(...)                                                          \
	run_mem((int)(sizeof((const char *[]){ __VA_ARGS__ }) /            \
		      sizeof(const char *)),                               \
		(const char *[]){ __VA_ARGS__ })

static void expect_usage_error(Run r, const char *msg)
{
	assert_int_equal(r.rc, 64);
	assert_string_equal(r.err, msg);
	assert_string_equal(r.out, "");
	run_free(&r);
}

/* ---- bundled configs --------------------------------------------------- */

typedef struct Expect {
	const char *id;
	uint32_t layers, global, local, window, heads, kv_heads, head_dim;
} Expect;

/* The published figures, as in the .ini files (see their comments). */
static const Expect expected[] = {
	{ "llama-2-7b", 32, 32, 0, 0, 32, 32, 128 },
	{ "llama-3.1-8b", 32, 32, 0, 0, 32, 8, 128 },
	{ "llama-3.1-70b", 80, 80, 0, 0, 64, 8, 128 },
	{ "llama-3.1-405b", 126, 126, 0, 0, 128, 8, 128 },
	{ "mistral-7b-v0.1", 32, 0, 32, 4096, 32, 8, 128 },
	{ "gemma-2-9b", 42, 21, 21, 4096, 16, 8, 256 },
	{ "gemma-3-1b", 26, 4, 22, 512, 4, 1, 256 },
	{ "gemma-3-4b", 34, 5, 29, 1024, 8, 4, 256 },
	{ "gemma-3-12b", 48, 8, 40, 1024, 16, 8, 256 },
	{ "gemma-3-27b", 62, 10, 52, 1024, 32, 16, 128 },
	{ "gpt-oss-20b", 24, 12, 12, 128, 64, 8, 64 },
	{ "gpt-oss-120b", 36, 18, 18, 128, 64, 8, 64 },
	{ "deepseek-v3", 61, 61, 0, 0, 128, 0, 0 },
};

static void test_bundled_models(void **state)
{
	(void)state;
	size_t n = sizeof expected / sizeof expected[0];
	assert_int_equal(mem_models_count(), n);
	for (size_t i = 0; i < n; i++) {
		char id[MEM_ID_MAX];
		mem_models_id(i, id, sizeof id);
		assert_string_equal(id, expected[i].id);
		MemConfig c = load_bundled(id);
		assert_string_equal(c.id, expected[i].id);
		assert_int_equal(c.n_layers, expected[i].layers);
		assert_int_equal(c.n_global, expected[i].global);
		assert_int_equal(c.n_local, expected[i].local);
		assert_int_equal(c.window, expected[i].window);
		assert_int_equal(c.n_heads, expected[i].heads);
		assert_int_equal(c.n_kv_heads, expected[i].kv_heads);
		assert_int_equal(c.head_dim, expected[i].head_dim);
	}
}

static void test_deepseek_mla(void **state)
{
	(void)state;
	MemConfig c = load_bundled("deepseek-v3");
	assert_int_equal(c.attention, MEM_ATTN_MLA);
	/* 512 latent + 64 RoPE key = 576 elements a layer-token. */
	assert_int_equal(mem_elems_per_layer_token(&c), 576);
	/* Full MHA: 128 heads × (K 128 + 64, V 128) = 128 × 320 = 40960. */
	assert_int_equal(mem_elems_per_layer_token_mha(&c), 40960);
}

/* ---- config loader errors ---------------------------------------------- */

#define GOOD_HEAD                                                            \
	"[model]\n"                                                          \
	"name = Tiny\n"                                                      \
	"source = by hand\n"

static void test_config_minimal(void **state)
{
	(void)state;
	MemConfig c;
	KvError e;
	assert_int_equal(load_text(GOOD_HEAD
				   "num_hidden_layers = 7\n"
				   "num_attention_heads = 4\n"
				   "num_key_value_heads = 2 ; inline comment\n"
				   "head_dim = 8\n"
				   "layer_pattern = LLG\n"
				   "sliding_window = 16\n",
				   &c, &e),
			 0);
	assert_string_equal(c.id, "t");
	assert_string_equal(c.name, "Tiny");
	/* LLG LLG L: 2 global, 5 local. */
	assert_int_equal(c.n_global, 2);
	assert_int_equal(c.n_local, 5);
	assert_int_equal(c.n_kv_heads, 2);
}

static void test_config_id_from_path(void **state)
{
	(void)state;
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	const char *text = GOOD_HEAD "num_hidden_layers = 1\nnum_attention_heads = 1\n"
				     "num_key_value_heads = 1\nhead_dim = 1\n";
	assert_int_equal(mem_config_load("a/b/my-model.ini", text, strlen(text), &c, &e), 0);
	assert_string_equal(c.id, "my-model");
}

static void test_config_long_line(void **state)
{
	(void)state;
	/* "name = " + 250 digits is 257 bytes before the newline; the core
	 * reader (ini_doc) takes 198. */
	char text[400];
	snprintf(text, sizeof text, "[model]\nname = %0250d\n", 0);
	expect_load_error(text, "t.ini:2: line is 257 bytes long; the limit is 198");
}

static void test_config_nul_byte(void **state)
{
	(void)state;
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	static const char text[] = "[model]\nname = a\nsource = b\0c\n";
	assert_int_equal(mem_config_load("t.ini", text, sizeof text - 1, &c, &e),
			 EX_DATAERR);
	assert_string_equal(e.msg, "t.ini:3: NUL byte in the file; is it text?");
}

static void test_config_syntax(void **state)
{
	(void)state;
	expect_load_error(GOOD_HEAD "garbage\n",
			  "t.ini:4: expected `key = value`, `[section]` or a comment");
	expect_load_error("name = x\n",
			  "t.ini:1: expected the section header [model] before 'name'");
	expect_load_error("[modle]\nname = x\n",
			  "t.ini:1: expected section [model], found [modle]");
}

static void test_config_keys(void **state)
{
	(void)state;
	expect_load_error(GOOD_HEAD "layers = 3\n",
			  "t.ini:4: unknown key 'layers' (expected name, source, attention, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, layer_pattern, sliding_window, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim or v_head_dim)");
	expect_load_error(GOOD_HEAD "name = again\n",
			  "t.ini:4: name given twice (first on line 2)");
	/* The core reader never continues a key on an indented line. */
	expect_load_error(GOOD_HEAD "num_hidden_layers = 2\n  3\n",
			  "t.ini:5: expected `key = value`, `[section]` or a comment");
	expect_load_error(GOOD_HEAD "num_attention_heads = 4\n",
			  "t.ini:4: expected key num_hidden_layers in [model]");
	expect_load_error(GOOD_HEAD "num_hidden_layers = 2\nnum_attention_heads = 4\nhead_dim = 8\n",
			  "t.ini:6: expected key num_key_value_heads in [model] for attention = gqa");
}

static void test_config_values(void **state)
{
	(void)state;
	expect_load_error(GOOD_HEAD "num_hidden_layers = 0\n",
			  "t.ini:4: num_hidden_layers: expected a whole number from 1 to 1024, found '0'");
	expect_load_error(GOOD_HEAD "head_dim = 12x\n",
			  "t.ini:4: head_dim: expected a whole number from 1 to 65536, found '12x'");
	expect_load_error(GOOD_HEAD "sliding_window = 2147483649\n",
			  "t.ini:4: sliding_window: expected a whole number from 1 to 2147483648, found '2147483649'");
	expect_load_error(GOOD_HEAD "attention = mha\n",
			  "t.ini:4: attention: expected gqa or mla, found 'mha'");
	expect_load_error(GOOD_HEAD "layer_pattern = LXG\n",
			  "t.ini:4: layer_pattern: expected 1 to 128 letters L (local) or G (global), found 'LXG'");
}

#define GQA_BODY                                                             \
	"num_hidden_layers = 4\n"                                            \
	"num_attention_heads = 32\n"                                         \
	"head_dim = 8\n"

static void test_config_consistency(void **state)
{
	(void)state;
	expect_load_error(GOOD_HEAD GQA_BODY "num_key_value_heads = 5\n",
			  "t.ini:7: num_key_value_heads: expected a divisor of num_attention_heads (32), found 5");
	expect_load_error(GOOD_HEAD GQA_BODY "num_key_value_heads = 8\nlayer_pattern = LG\n",
			  "t.ini:8: expected key sliding_window: layer_pattern has local (L) layers");
	expect_load_error(GOOD_HEAD GQA_BODY "num_key_value_heads = 8\nsliding_window = 8\n",
			  "t.ini:8: sliding_window is given, but layer_pattern has no local (L) layer");
	expect_load_error(GOOD_HEAD GQA_BODY "num_key_value_heads = 8\nlayer_pattern = LLGLG\n",
			  "t.ini:8: layer_pattern: expected at most num_hidden_layers (4) letters, found 5");
	expect_load_error(GOOD_HEAD GQA_BODY "num_key_value_heads = 8\nkv_lora_rank = 8\n",
			  "t.ini:8: kv_lora_rank does not apply to attention = gqa");
	expect_load_error(GOOD_HEAD "attention = mla\n" GQA_BODY
				    "kv_lora_rank = 8\nqk_rope_head_dim = 2\n"
				    "qk_nope_head_dim = 4\nv_head_dim = 4\n",
			  "t.ini:7: head_dim does not apply to attention = mla (its cache holds a latent, not KV heads)");
}

/* ---- arithmetic, worked by hand ---------------------------------------- */

static MemTotals totals(const char *id, uint64_t ctx, uint64_t batch, KvDtype d)
{
	MemConfig c = load_bundled(id);
	MemTotals t;
	KvError e;
	kv_error_clear(&e);
	if (mem_totals(&c, ctx, batch, KV(d), NULL, &t, &e) != 0)
		fail_msg("%s", e.msg);
	return t;
}

static void test_llama_8b_8192_fp16(void **state)
{
	(void)state;
	/*
	 * One layer-token: K and V = 2 × 8 KV heads × 128 = 2048 elements,
	 * × 16 bits = 32768 bits = 4096 B. 32 global layers × 8192 tokens =
	 * 262144 layer-tokens; × 4096 B = 1073741824 B = 2^30 = 1 GiB.
	 */
	MemTotals t = totals("llama-3.1-8b", 8192, 1, KV_DTYPE_FP16);
	assert_int_equal(t.layer_tokens, 262144);
	assert_int_equal(t.bytes, UINT64_C(1073741824));
	assert_int_equal(t.bytes_all_global, UINT64_C(1073741824));
	/* MHA: 2 × 32 × 128 × 2 B = 16384 B a layer-token; 4 GiB; GQA saves 3/4. */
	assert_int_equal(t.bytes_mha, UINT64_C(4294967296));
	assert_int_equal(t.saving_all_global_bp, 0);
	assert_int_equal(t.saving_mha_bp, 7500);
}

static void test_gemma_27b_65536_bf16(void **state)
{
	(void)state;
	/*
	 * One layer-token: 2 × 16 × 128 = 4096 elements × 2 B = 8192 B.
	 * 10 global layers hold all 65536 tokens: 655360 layer-tokens;
	 * 52 local layers hold 1024 each:          53248 layer-tokens;
	 * 708608 × 8192 B = 5804916736 B (≈ 5.41 GiB).
	 * Every layer global: 62 × 65536 = 4063232; × 8192 = 33285996544 B
	 * (= 31744 MiB). Saving 1 - 708608/4063232 = 819/992 = 82.5605 %.
	 */
	MemTotals t = totals("gemma-3-27b", 65536, 1, KV_DTYPE_BF16);
	assert_int_equal(t.layer_tokens, 708608);
	assert_int_equal(t.bytes, UINT64_C(5804916736));
	assert_int_equal(t.layer_tokens_all_global, 4063232);
	assert_int_equal(t.bytes_all_global, UINT64_C(33285996544));
	assert_int_equal(t.bytes_all_global, UINT64_C(31744) << 20);
	assert_int_equal(t.saving_all_global_bp, 8256);
	/* MHA doubles the heads (32 instead of 16): 11609833472 B, saves 50 %. */
	assert_int_equal(t.bytes_mha, UINT64_C(11609833472));
	assert_int_equal(t.saving_mha_bp, 5000);
	/* The global part alone is llama.cpp's 5120 MiB "global" figure. */
	assert_int_equal(UINT64_C(655360) * 8192, UINT64_C(5120) << 20);
}

static void test_gpt_oss_20b_131072(void **state)
{
	(void)state;
	/*
	 * One layer-token: 2 × 8 × 64 = 1024 elements × 2 B = 2048 B.
	 * 12 full layers: 12 × 131072 = 1572864; 12 sliding: 12 × 128 = 1536;
	 * 1574400 × 2048 B = 3224371200 B. All full: 24 × 131072 × 2048 =
	 * 6442450944 B = 6 GiB. Saving = 1/2 - 1536/3145728 = 49.951 %.
	 */
	MemTotals t = totals("gpt-oss-20b", 131072, 1, KV_DTYPE_BF16);
	assert_int_equal(t.layer_tokens, 1574400);
	assert_int_equal(t.bytes, UINT64_C(3224371200));
	assert_int_equal(t.bytes_all_global, UINT64_C(6442450944));
	assert_int_equal(t.saving_all_global_bp, 4995);
	/* 64 query heads share 8 KV heads: MHA is 8 × as big, 87.5 % saved. */
	assert_int_equal(t.bytes_mha, UINT64_C(25794969600));
	assert_int_equal(t.saving_mha_bp, 8750);
}

static void test_deepseek_per_token(void **state)
{
	(void)state;
	/* 576 elements × 2 B × 61 layers = 70272 B a token (68.625 KiB). */
	MemTotals t = totals("deepseek-v3", 1, 1, KV_DTYPE_FP16);
	assert_int_equal(t.bytes, 70272);
	/* 128K tokens: 70272 × 131072 = 9210691584 B. */
	t = totals("deepseek-v3", 131072, 1, KV_DTYPE_FP16);
	assert_int_equal(t.bytes, UINT64_C(9210691584));
	/* 1 - 576/40960 = 98.59375 % -> 98.59 %. */
	assert_int_equal(t.saving_mha_bp, 9859);
}

static void test_mistral_rolling_buffer(void **state)
{
	(void)state;
	/* The Mistral paper: at 32k tokens the 4096 window cuts the cache 8x. */
	MemTotals t = totals("mistral-7b-v0.1", 32768, 1, KV_DTYPE_FP16);
	assert_int_equal(t.bytes_all_global, 8 * t.bytes);
	assert_int_equal(t.saving_all_global_bp, 8750);
	/* Below the window nothing is saved. */
	t = totals("mistral-7b-v0.1", 4096, 1, KV_DTYPE_FP16);
	assert_int_equal(t.bytes, t.bytes_all_global);
}

static void test_dtypes_and_batch(void **state)
{
	(void)state;
	/* llama-3.1-8b at 8192: 1 GiB in fp16, so 2 GiB fp32, 512 MiB fp8,
	 * 256 MiB int4 (4 bits: 2048 × 4 = 8192 bits = 1024 B a layer-token). */
	assert_int_equal(totals("llama-3.1-8b", 8192, 1, KV_DTYPE_FP32).bytes, UINT64_C(2147483648));
	assert_int_equal(totals("llama-3.1-8b", 8192, 1, KV_DTYPE_FP8).bytes, UINT64_C(536870912));
	assert_int_equal(totals("llama-3.1-8b", 8192, 1, KV_DTYPE_INT4).bytes, UINT64_C(268435456));
	assert_int_equal(totals("llama-3.1-8b", 8192, 4, KV_DTYPE_FP16).bytes, UINT64_C(4294967296));
}

static void test_int4_rounds_up(void **state)
{
	(void)state;
	MemConfig c;
	KvError e;
	MemTotals t;
	/* 2 + 1 = 3 elements × 4 bits = 12 bits a layer-token. */
	assert_int_equal(load_text(GOOD_HEAD "attention = mla\nnum_hidden_layers = 1\n"
					     "num_attention_heads = 1\nkv_lora_rank = 2\n"
					     "qk_rope_head_dim = 1\nqk_nope_head_dim = 1\n"
					     "v_head_dim = 1\n",
				   &c, &e),
			 0);
	assert_int_equal(mem_totals(&c, 1, 1, KV(KV_DTYPE_INT4), NULL, &t, &e), 0);
	assert_int_equal(t.bytes, 2); /* 12 bits = 1.5 B, rounded up */
	assert_int_equal(mem_totals(&c, 2, 1, KV(KV_DTYPE_INT4), NULL, &t, &e), 0);
	assert_int_equal(t.bytes, 3); /* 24 bits, exact */
}

static void test_totals_errors(void **state)
{
	(void)state;
	MemConfig c = load_bundled("deepseek-v3");
	MemTotals t;
	KvError e;
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&c, 0, 1, KV(KV_DTYPE_FP16), NULL, &t, &e), EX_USAGE);
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&c, MEM_CONTEXT_MAX + 1, 1, KV(KV_DTYPE_FP16), NULL, &t, &e), EX_USAGE);
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&c, 1, 0, KV(KV_DTYPE_FP16), NULL, &t, &e), EX_USAGE);
	/* 2^20 × 61 × 2^31 × 40960 × 32 bits is about 2^77: too big. */
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&c, MEM_CONTEXT_MAX, 1 << 20, KV(KV_DTYPE_FP32), NULL, &t, &e), EX_USAGE);
	assert_string_equal(e.msg, "the cache is too large to count in 64 bits; use a smaller --batch or --context");
}

static void test_saving_bp(void **state)
{
	(void)state;
	assert_int_equal(mem_saving_bp(0, 5), 10000);
	assert_int_equal(mem_saving_bp(5, 5), 0);
	assert_int_equal(mem_saving_bp(1, 3), 6667);         /* 66.666.. */
	assert_int_equal(mem_saving_bp(19999, 20000), 1);    /* 0.5 bp rounds up */
	assert_int_equal(mem_saving_bp(39999, 40000), 0);    /* 0.25 bp rounds down */
	assert_int_equal(mem_saving_bp(UINT64_MAX / 2, UINT64_MAX), 5000);
}

static void test_dtype_names(void **state)
{
	(void)state;
	KvDtype d;
	assert_true(kv_dtype_parse("bf16", &d));
	assert_int_equal(d, KV_DTYPE_BF16);
	assert_false(kv_dtype_parse("fp7", &d));
	assert_false(kv_dtype_parse("FP16", &d));
	assert_int_equal(kv_dtype_block_bits(KV_DTYPE_INT4), 4);
	assert_int_equal(kv_dtype_block(KV_DTYPE_INT4), 1);
	assert_string_equal(kv_dtype_name(KV_DTYPE_FP8), "fp8");
	/* q8_0: 34 bytes per 32 values (8.5 bits); q4_0: 18 bytes (4.5 bits). */
	assert_true(kv_dtype_parse("q8_0", &d));
	assert_int_equal(kv_dtype_block(d), 32);
	assert_int_equal(kv_dtype_block_bits(d), 34 * 8);
	assert_true(kv_dtype_parse("q4_0", &d));
	assert_int_equal(kv_dtype_block_bits(d), 18 * 8);
	/* Rows take whole blocks: 33 values of q8_0 are 2 blocks, 68 B. */
	assert_int_equal(mem_row_bits(32, KV_DTYPE_Q8_0), 272);
	assert_int_equal(mem_row_bits(33, KV_DTYPE_Q8_0), 544);
	assert_int_equal(mem_row_bits(3, KV_DTYPE_INT4), 12);
}

/* ---- formatting -------------------------------------------------------- */

static void expect_bytes(uint64_t v, const char *text, bool exact)
{
	char buf[32];
	bool ex;
	mem_format_bytes(v, buf, sizeof buf, &ex);
	assert_string_equal(buf, text);
	assert_int_equal(ex, exact);
}

static void test_format_bytes(void **state)
{
	(void)state;
	expect_bytes(0, "0 B", true);
	expect_bytes(1023, "1023 B", true);
	expect_bytes(1024, "1.00 KiB", true);
	expect_bytes(1536, "1.50 KiB", true);
	expect_bytes(UINT64_C(1073741824), "1.00 GiB", true);
	expect_bytes(UINT64_C(1107296256), "1.03 GiB", false); /* 1.03125 */
	expect_bytes(UINT64_C(5804916736), "5.41 GiB", false); /* 5.40625 */
	expect_bytes(UINT64_C(33285996544), "31.00 GiB", true);
	/* Issue 18: a value that rounds to 1024.00 of a unit is shown in the
	 * next unit, never as "1024.00 MiB". */
	expect_bytes(UINT64_C(1048575), "1.00 MiB", false);
	expect_bytes(UINT64_C(1073741820), "1.00 GiB", false);
	expect_bytes(UINT64_C(1073736000), "1023.99 MiB", false);
	expect_bytes(UINT64_MAX, "16384.00 PiB", false);
	char buf[32];
	mem_format_bits_as_bytes(12, buf, sizeof buf);
	assert_string_equal(buf, "1.5");
	mem_format_bits_as_bytes(65536, buf, sizeof buf);
	assert_string_equal(buf, "8192");
	mem_format_bits_as_bytes(1, buf, sizeof buf);
	assert_string_equal(buf, "0.125");
	mem_format_bp(8256, buf, sizeof buf);
	assert_string_equal(buf, "82.56%");
	mem_format_bp(5, buf, sizeof buf);
	assert_string_equal(buf, "0.05%");
}

static void test_csv(void **state)
{
	(void)state;
	MemConfig c = load_bundled("gemma-3-27b");
	MemConfig l = load_bundled("llama-3.1-8b");
	const uint64_t ctx[] = { 65536 };
	char *buf = NULL;
	size_t len = 0;
	KvError e;
	kv_error_clear(&e);
	FILE *f = open_memstream(&buf, &len);
	fputs(MEM_CSV_HEADER, f);
	MemView v = { .type = KV(KV_DTYPE_BF16), .policy = mem_policy_default(), .batch = 1 };
	assert_int_equal(mem_csv_write(f, &c, &v, ctx, 1, &e), 0);
	v.type = KV(KV_DTYPE_INT4);
	v.batch = 2;
	assert_int_equal(mem_csv_write(f, &l, &v, ctx, 1, &e), 0);
	fclose(f);
	assert_string_equal(buf,
		"model,dtype,batch,context,global_layers,local_layers,window,"
		"bytes_per_layer_token,layer_tokens,bytes,bytes_all_global,"
		"bytes_full_mha,saving_vs_all_global_pct,saving_vs_full_mha_pct,"
		"engine,engine_layer_tokens,engine_bytes,engine_minus_exact,"
		"budget,max_tokens,max_batch\r\n"
		"gemma-3-27b,bf16,1,65536,10,52,1024,8192,708608,5804916736,"
		"33285996544,11609833472,82.56,50.00,exact,708608,5804916736,0,,,\r\n"
		/* 2 × 32 × 65536 × 1024 B = 4 GiB; MHA 4 × that. */
		"llama-3.1-8b,int4,2,65536,32,0,,1024,2097152,4294967296,"
		"4294967296,17179869184,0.00,75.00,exact,4194304,4294967296,0,,,\r\n");
	free(buf);
}

/* ---- chart ------------------------------------------------------------- */

static MemChart chart_of(const char *id, unsigned lo, unsigned hi)
{
	MemConfig c = load_bundled(id);
	MemChart ch;
	KvError e;
	kv_error_clear(&e);
	if (mem_chart_fill(&ch, &c, KV(KV_DTYPE_FP16), 1, lo, hi, &e))
		fail_msg("%s", e.msg);
	return ch;
}

static void expect_chart(const char *golden, const MemChart *ch, int width,
			 int height, bool unicode)
{
	char buf[8192];
	int n = mem_chart_render(ch, width, height, unicode, buf, sizeof buf);
	assert_true(n > 0 && (size_t)n < sizeof buf);
	assert_int_equal(strlen(buf), (size_t)n);
	expect_golden(golden, buf);
}

static void test_chart_fill(void **state)
{
	(void)state;
	MemChart ch = chart_of("gemma-3-27b", 10, 17);
	assert_int_equal(ch.n, 8);
	assert_int_equal(ch.context[0], 1024);
	assert_int_equal(ch.context[7], 131072);
	/* At 1024 tokens every layer holds all of them: nothing saved. */
	assert_int_equal(ch.actual[0], ch.all_global[0]);
	assert_int_equal(ch.all_global[7], UINT64_C(66571993088)); /* 62 GiB */
	assert_int_equal(ch.actual[7], UINT64_C(11173625856));
}

static void test_chart_golden(void **state)
{
	(void)state;
	MemChart g = chart_of("gemma-3-27b", 10, 17);
	expect_chart("chart-gemma-3-27b-ascii.txt", &g, 60, 8, false);
	expect_chart("chart-gemma-3-27b-unicode.txt", &g, 60, 8, true);
	MemChart o = chart_of("gpt-oss-20b", 7, 17);
	expect_chart("chart-gpt-oss-20b-wide.txt", &o, 100, 10, true);
	/* 30 columns hold 3 groups: the smallest contexts are left out. */
	expect_chart("chart-gpt-oss-20b-narrow.txt", &o, 30, 4, false);
}

static void test_chart_buffer(void **state)
{
	(void)state;
	MemChart ch = chart_of("llama-3.1-8b", 10, 13);
	char small[16];
	int need = mem_chart_render(&ch, 60, 6, false, NULL, 0);
	assert_true(need > 16);
	assert_int_equal(mem_chart_render(&ch, 60, 6, false, small, sizeof small), need);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_int_equal(mem_chart_render(&ch, 29, 6, false, small, sizeof small), -1);
	assert_int_equal(mem_chart_render(&ch, 60, 1, false, small, sizeof small), -1);
	ch.n = 0;
	assert_int_equal(mem_chart_render(&ch, 60, 6, false, small, sizeof small), -1);
}

/* ---- suggestions and the CLI ------------------------------------------- */

static void test_suggest(void **state)
{
	(void)state;
	static const char *const ids[] = { "gemma-3-1b", "gemma-3-27b", "llama-3.1-8b" };
	size_t picked[3];
	char text[128];
	size_t n = mem_suggest("gemma-3-28b", ids, 3, picked, 3);
	assert_int_equal(n, 3);
	assert_int_equal(picked[0], 1);
	assert_int_equal(picked[1], 0);
	mem_suggest_text(ids, picked, 2, text, sizeof text);
	assert_string_equal(text, "did you mean gemma-3-27b or gemma-3-1b?");
	n = mem_suggest("LLAMA3.1-8B", ids, 3, picked, 1);
	assert_int_equal(n, 1);
	assert_int_equal(picked[0], 2);
	assert_int_equal(mem_suggest("x", ids, 0, picked, 3), 0);
}

static void test_cli_list(void **state)
{
	(void)state;
	Run r = RUN("mem", "--list");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	expect_golden("list.txt", r.out);
	run_free(&r);
}

static void test_cli_report(void **state)
{
	(void)state;
	Run r = RUN("mem", "gemma-3-27b", "--context", "8192,131072");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	expect_golden("gemma-3-27b.txt", r.out);
	run_free(&r);
	r = RUN("mem", "deepseek-v3", "llama-2-7b", "--context=4k", "--dtype", "int4",
		"--unicode", "--width=64");
	assert_int_equal(r.rc, 0);
	expect_golden("deepseek-llama2-int4.txt", r.out);
	run_free(&r);
}

static void test_cli_csv(void **state)
{
	(void)state;
	Run r = RUN("mem", "--csv", "gpt-oss-20b");
	assert_int_equal(r.rc, 0);
	/* Header plus every power of two from 1k to 128k. */
	size_t lines = 0;
	for (const char *p = r.out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 9);
	assert_memory_equal(r.out, MEM_CSV_HEADER, strlen(MEM_CSV_HEADER));
	assert_non_null(strstr(r.out, "\r\ngpt-oss-20b,fp16,1,131072,12,12,128,2048,1574400,3224371200,"));
	run_free(&r);
}

static void test_cli_help(void **state)
{
	(void)state;
	Run r = RUN("mem", "--help");
	assert_int_equal(r.rc, 0);
	assert_memory_equal(r.out, "usage: kvstep mem [MODEL...]", 28);
	run_free(&r);
}

static void test_cli_errors(void **state)
{
	(void)state;
	expect_usage_error(RUN("mem", "gemma-3-28b"),
		"kvstep: unknown model 'gemma-3-28b'; did you mean gemma-3-27b, gemma-3-1b or gemma-3-4b? (kvstep mem --list shows them all)\n");
	expect_usage_error(RUN("mem", "llama-3.1-8b", "--context", "0"),
		"kvstep: --context: 0 tokens is not a context; the closest valid length is 1 (expected 1 to 2147483648 = 2^31)\n");
	expect_usage_error(RUN("mem", "--context=8192,2147483649"),
		"kvstep: --context: 2147483649 is beyond 2^31 tokens; the closest valid length is 2147483648 (expected 1 to 2^31)\n");
	expect_usage_error(RUN("mem", "--context", "2048m,2049m"),
		"kvstep: --context: 2049m is beyond 2^31 tokens; the closest valid length is 2147483648 (expected 1 to 2^31)\n");
	expect_usage_error(RUN("mem", "--context", "8192,,1"),
		"kvstep: --context: expected a number of tokens such as 8192 or 128k, found ''\n");
	expect_usage_error(RUN("mem", "--dtype", "fp7"),
		"kvstep: --dtype: unknown dtype 'fp7'; did you mean fp8? (expected fp32, fp16, bf16, fp8, int4, q8_0 or q4_0)\n");
	expect_usage_error(RUN("mem", "--batch", "0"),
		"kvstep: --batch: expected a whole number from 1 to 1048576, found '0'\n");
	expect_usage_error(RUN("mem", "--width", "10"),
		"kvstep: --width: expected a whole number from 30 to 1000, found '10'\n");
	expect_usage_error(RUN("mem", "--dtype"),
		"kvstep: --dtype: expected a value after it\n");
	expect_usage_error(RUN("mem", "--frobnicate"),
		"kvstep: mem: unknown option '--frobnicate' (kvstep mem --help lists them)\n");
	expect_usage_error(RUN("mem", "deepseek-v3", "--context", "2147483648", "--batch", "1048576",
			       "--dtype", "fp32", "--no-chart"),
		"kvstep: the cache is too large to count in 64 bits; use a smaller --batch or --context\n");
}

static void test_cli_file_errors(void **state)
{
	(void)state;
	Run r = RUN("mem", "/nonexistent/model.ini");
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_string_equal(r.err, "kvstep: /nonexistent/model.ini: cannot open the model file: No such file or directory\n");
	run_free(&r);
}

static void test_cli_context_limits(void **state)
{
	(void)state;
	Run r = RUN("mem", "llama-3.1-8b", "--context", "1,2147483648", "--no-chart");
	assert_int_equal(r.rc, 0);
	/* 32 × 2^31 × 4096 B = 2^48 B = 256 TiB. */
	assert_non_null(strstr(r.out, "= 281474976710656 B = 256.00 TiB\n"));
	run_free(&r);
}

/*
 * Found by fuzzing: an MLA latent larger than the per-head K and V it
 * replaces made the saving negative and divided by zero. Refused at load.
 */
static void test_mla_latent_larger_than_heads(void **state)
{
	(void)state;
	static const char text[] =
		"[model]\nname = x\nsource = y\nattention = mla\n"
		"num_hidden_layers = 2\nnum_attention_heads = 1\n"
		"kv_lora_rank = 512\nqk_rope_head_dim = 32\n"
		"qk_nope_head_dim = 128\nv_head_dim = 128\n";
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	assert_int_equal(mem_config_load("t.ini", text, strlen(text), &c, &e),
			 EX_DATAERR);
	assert_string_equal(e.msg,
			    "t.ini:7: kv_lora_rank + qk_rope_head_dim (544) is larger than the per-head K and V it replaces, num_attention_heads x (qk_nope_head_dim + qk_rope_head_dim + v_head_dim) = 288");
	/* and the arithmetic never divides by zero on its own */
	assert_int_equal(mem_saving_bp(5, 3), 0);
	assert_int_equal(mem_saving_bp(0, 0), 0);
}

/* ---- config.json (issue 18) -------------------------------------------- */

static MemConfig load_json_file(const char *id)
{
	char path[1024];
	const char *dir = getenv("MEM_HF_DIR");
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/%s/config.json", dir, id);
	char *text = read_file(path);
	if (!text)
		fail_msg("cannot read %s", path);
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	if (mem_json_load(path, text, strlen(text), &c, &e) != 0)
		fail_msg("%s", e.msg);
	free(text);
	return c;
}

static int load_json(const char *text, MemConfig *c, KvError *e)
{
	kv_error_clear(e);
	return mem_json_load("m/config.json", text, strlen(text), c, e);
}

static void expect_json_error(const char *text, const char *msg)
{
	MemConfig c;
	KvError e;
	assert_int_equal(load_json(text, &c, &e), EX_DATAERR);
	assert_string_equal(e.msg, msg);
}

static uint64_t engine_bytes(const MemConfig *c, uint64_t ctx, uint64_t batch,
			     MemKvType t, const MemPolicy *p)
{
	MemTotals tot;
	KvError e;
	kv_error_clear(&e);
	if (mem_totals(c, ctx, batch, t, p, &tot, &e) != 0)
		fail_msg("%s", e.msg);
	return tot.engine_bytes;
}

/* A config.json and the bundled .ini give the same bytes, everywhere. */
static void test_json_matches_ini(void **state)
{
	(void)state;
	static const char *const ids[] = {
		"llama-3.1-8b", "gemma-3-27b", "gpt-oss-20b", "deepseek-v3",
	};
	static const uint64_t ctx[] = { 1, 127, 128, 129, 1023, 1024, 1025, 8192,
					8200, 131072, MEM_CONTEXT_MAX };
	static const MemKvType types[] = {
		{ KV_DTYPE_FP16, KV_DTYPE_FP16 }, { KV_DTYPE_INT4, KV_DTYPE_INT4 },
		{ KV_DTYPE_Q4_0, KV_DTYPE_Q4_0 }, { KV_DTYPE_Q8_0, KV_DTYPE_FP8 },
	};
	for (size_t m = 0; m < 4; m++) {
		MemConfig j = load_json_file(ids[m]), i = load_bundled(ids[m]);
		assert_string_equal(j.id, i.id);
		assert_int_equal(j.attention, i.attention);
		assert_int_equal(j.n_layers, i.n_layers);
		assert_int_equal(j.n_global, i.n_global);
		assert_int_equal(j.n_local, i.n_local);
		assert_int_equal(j.window, i.window);
		assert_string_equal(j.pattern, i.pattern);
		for (int k = 0; k < MEM_ENGINE_COUNT; k++) {
			MemPolicy p = mem_policy_default();
			p.engine = (MemEngine)k;
			for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++)
				for (size_t t = 0; t < 4; t++) {
					assert_int_equal(engine_bytes(&j, ctx[x], 3, types[t], &p),
							 engine_bytes(&i, ctx[x], 3, types[t], &p));
					MemTotals a, b;
					KvError e;
					kv_error_clear(&e);
					assert_int_equal(mem_totals(&j, ctx[x], 1, types[t], &p, &a, &e), 0);
					assert_int_equal(mem_totals(&i, ctx[x], 1, types[t], &p, &b, &e), 0);
					assert_int_equal(a.bytes, b.bytes);
					assert_int_equal(a.bytes_mha, b.bytes_mha);
					assert_int_equal(a.bytes_all_global, b.bytes_all_global);
				}
		}
	}
	/* The published figures, now from config.json. */
	MemPolicy exact = mem_policy_default();
	MemConfig l = load_json_file("llama-3.1-8b");
	assert_int_equal(l.head_dim, 128); /* hidden_size 4096 / 32 heads */
	assert_int_equal(engine_bytes(&l, 8192, 1, KV(KV_DTYPE_FP16), &exact), UINT64_C(1073741824));
	MemConfig g = load_json_file("gemma-3-27b");
	assert_string_equal(g.pattern, "LLLLLG");
	assert_int_equal(engine_bytes(&g, 65536, 1, KV(KV_DTYPE_BF16), &exact), UINT64_C(5804916736));
	MemConfig o = load_json_file("gpt-oss-20b");
	assert_string_equal(o.pattern, "LG"); /* 24 layer_types, period 2 */
	assert_int_equal(engine_bytes(&o, 131072, 1, KV(KV_DTYPE_BF16), &exact), UINT64_C(3224371200));
	MemConfig d = load_json_file("deepseek-v3");
	assert_int_equal(d.attention, MEM_ATTN_MLA);
	assert_int_equal(engine_bytes(&d, 131072, 1, KV(KV_DTYPE_FP16), &exact), UINT64_C(9210691584));
	/* Weights: Llama 3.1 8B is 8030261248 parameters; MoE and MLA are not
	 * estimated. */
	assert_int_equal(l.n_params, UINT64_C(8030261248));
	assert_int_equal(mem_weight_bytes(&l), UINT64_C(16060522496));
	assert_int_equal(o.n_params, 0);
	assert_string_equal(o.weight_note, "not estimated: a mixture of experts (num_local_experts)");
	assert_int_equal(d.n_params, 0);
	/* Gemma 3 27B text model: tied embeddings, no vision tower counted. */
	assert_int_equal(g.n_params, UINT64_C(27008663808));
}

static void test_json_defaults(void **state)
{
	(void)state;
	MemConfig c;
	KvError e;
	/* num_key_value_heads defaults to num_attention_heads (MHA). */
	assert_int_equal(load_json("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
				   " \"hidden_size\": 64}", &c, &e), 0);
	assert_int_equal(c.n_kv_heads, 4);
	assert_int_equal(c.head_dim, 16);
	assert_string_equal(c.id, "m");
	/* use_sliding_window: false ignores the window (Qwen2). */
	assert_int_equal(load_json("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
				   " \"head_dim\": 8, \"sliding_window\": 4096,"
				   " \"use_sliding_window\": false}", &c, &e), 0);
	assert_int_equal(c.n_local, 0);
	assert_int_equal(c.window, 0);
	/* A window without a pattern: Mistral, every layer local ... */
	assert_int_equal(load_json("{\"num_hidden_layers\": 32, \"num_attention_heads\": 32,"
				   " \"num_key_value_heads\": 8, \"head_dim\": 128,"
				   " \"sliding_window\": 4096}", &c, &e), 0);
	assert_int_equal(c.n_local, 32);
	MemConfig mi = load_bundled("mistral-7b-v0.1");
	assert_int_equal(mem_layer_tokens(&c, 32768), mem_layer_tokens(&mi, 32768));
	/* ... except for Gemma 3, whose default pattern is 6. */
	assert_int_equal(load_json("{\"text_config\": {\"model_type\": \"gemma3_text\","
				   " \"num_hidden_layers\": 26, \"num_attention_heads\": 4,"
				   " \"num_key_value_heads\": 1, \"head_dim\": 256,"
				   " \"sliding_window\": 512}}", &c, &e), 0);
	assert_string_equal(c.pattern, "LLLLLG");
	assert_int_equal(c.n_global, 4);
	/* sliding_window null: every layer global. */
	assert_int_equal(load_json("{\"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
				   " \"head_dim\": 8, \"sliding_window\": null}", &c, &e), 0);
	assert_int_equal(c.n_global, 2);
	/* A UTF-8 byte order mark and CRLF are fine; the id comes from a .json name. */
	static const char bom[] = "\xef\xbb\xbf{\"num_hidden_layers\": 1,\r\n\"num_attention_heads\": 1, \"head_dim\": 2}\r\n";
	kv_error_clear(&e);
	assert_int_equal(mem_json_load("dir/tiny.json", bom, strlen(bom), &c, &e), 0);
	assert_string_equal(c.id, "tiny");
}

static void test_json_errors(void **state)
{
	(void)state;
	expect_json_error("{\"num_hidden_layers\": 2,\n \"num_attention_heads\": 4,}",
			  "m/config.json:2:27: JSON: unexpected character");
	expect_json_error("{\"num_hidden_layers\": 2", "m/config.json:1:24: JSON: the text ends inside a value");
	expect_json_error("[1, 2]", "m/config.json:1:1: JSON: expected one object {...} and nothing after it");
	expect_json_error("{} {}", "m/config.json:1:4: JSON: unexpected character");
	expect_json_error("{\"num_attention_heads\": 4}",
			  "m/config.json: expected key num_hidden_layers, a whole number from 1 to 1024");
	expect_json_error("{\"num_hidden_layers\": \"32\", \"num_attention_heads\": 4}",
			  "m/config.json: num_hidden_layers: expected a whole number from 1 to 1024, found \"32\"");
	expect_json_error("{\"num_hidden_layers\": 32.5, \"num_attention_heads\": 4}",
			  "m/config.json: num_hidden_layers: expected a whole number from 1 to 1024, found 32.5");
	expect_json_error("{\"text_config\": {\"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
			  " \"num_key_value_heads\": 3, \"head_dim\": 8}}",
			  "m/config.json: text_config.num_key_value_heads: expected a divisor of num_attention_heads");
	expect_json_error("{\"num_hidden_layers\": 2, \"num_attention_heads\": 3, \"hidden_size\": 64}",
			  "m/config.json: hidden_size: expected a multiple of num_attention_heads (head_dim is absent, so it is hidden_size / num_attention_heads)");
	expect_json_error("{\"num_hidden_layers\": 3, \"num_attention_heads\": 1, \"head_dim\": 8,"
			  " \"sliding_window\": 4, \"layer_types\": [\"full_attention\"]}",
			  "m/config.json: layer_types: expected an array with one entry per layer (num_hidden_layers)");
	expect_json_error("{\"num_hidden_layers\": 2, \"num_attention_heads\": 1, \"head_dim\": 8,"
			  " \"sliding_window\": 4, \"layer_types\": [\"full_attention\", \"chunked_attention\"]}",
			  "m/config.json: layer_types: entry 2: expected \"sliding_attention\" or \"full_attention\", found \"chunked_attention\"");
	expect_json_error("{\"num_hidden_layers\": 2, \"num_attention_heads\": 1, \"head_dim\": 8,"
			  " \"layer_types\": [\"full_attention\", \"sliding_attention\"]}",
			  "m/config.json: sliding_window: expected a window: layer_types has sliding_attention layers");
	expect_json_error("{\"num_hidden_layers\": 2, \"num_attention_heads\": 1, \"kv_lora_rank\": 512}",
			  "m/config.json: expected key qk_rope_head_dim, a whole number from 1 to 65536");
	expect_json_error("{\"text_config\": 3}", "m/config.json: text_config: expected an object");
	static const char nul[] = "{\"a\":\n 1\0}";
	MemConfig c;
	KvError e;
	kv_error_clear(&e);
	assert_int_equal(mem_json_load("x.json", nul, sizeof nul - 1, &c, &e), EX_DATAERR);
	assert_string_equal(e.msg, "x.json:2:3: expected text, found a NUL byte");
}

/* ---- engines and quantised caches --------------------------------------- */

static void test_engines(void **state)
{
	(void)state;
	MemConfig l = load_bundled("llama-3.1-8b"), g = load_bundled("gemma-3-27b");
	MemConfig o = load_bundled("gpt-oss-20b");
	MemKvType f16 = KV(KV_DTYPE_FP16);
	MemPolicy p = mem_policy_default();
	/* vLLM: 8193 tokens take 513 blocks of 16 = 8208 cells: 16 cells x 32
	 * layers x 4096 B = 2097152 B more than exact. */
	p.engine = MEM_ENGINE_VLLM;
	assert_int_equal(engine_bytes(&l, 8192, 1, f16, &p), UINT64_C(1073741824));
	assert_int_equal(engine_bytes(&l, 8193, 1, f16, &p), UINT64_C(1073741824) + 2097152);
	assert_int_equal(engine_bytes(&l, 8193, 2, f16, &p), 2 * (UINT64_C(1073741824) + 2097152));
	p.block_size = 32; /* 8224 cells */
	assert_int_equal(engine_bytes(&l, 8193, 1, f16, &p), UINT64_C(8224) * 32 * 4096);
	p.block_size = 16;
	/* A local layer at 8200 tokens keeps blocks 449..513: 65 blocks, 1040
	 * cells; global 8208. (10 x 8208 + 52 x 1040) x 8192 B. */
	assert_int_equal(engine_bytes(&g, 8200, 1, f16, &p),
			 (UINT64_C(82080) + 54080) * 8192);
	/* llama.cpp: Gemma 3 27B at 64k, ubatch 512: 10 x 65536 + 52 x 1536
	 * cells = 5120 MiB + 624 MiB, the figures llama.cpp prints. */
	p.engine = MEM_ENGINE_LLAMACPP;
	assert_int_equal(engine_bytes(&g, 65536, 1, f16, &p), (UINT64_C(5120) + 624) << 20);
	/* 8000 tokens pad to 8192 cells: exactly 1 GiB for Llama 3.1 8B. */
	assert_int_equal(engine_bytes(&l, 8000, 1, f16, &p), UINT64_C(1073741824));
	/* Four sequences share one pool: W x 4 + 512 = 4608 local cells. */
	MemTotals t;
	KvError e;
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&g, 8192, 4, f16, &p, &t, &e), 0);
	assert_int_equal(t.engine_global, 32768);
	assert_int_equal(t.engine_local, 4608);
	/* gpt-oss-20b at 128k: 128 + 512 pads to 768 cells per sliding layer. */
	assert_int_equal(engine_bytes(&o, 131072, 1, f16, &p),
			 (UINT64_C(12) * 131072 + 12 * 768) * 2048);
	p.swa_full = true; /* every layer keeps every cell */
	assert_int_equal(engine_bytes(&g, 65536, 1, f16, &p), UINT64_C(33285996544));
	p.swa_full = false;
	/* hf keeps W - 1 tokens: 52 cells fewer a local layer at 8192. */
	p.engine = MEM_ENGINE_HF;
	assert_int_equal(engine_bytes(&g, 8192, 1, f16, &p), UINT64_C(1107296256) - 52 * 8192);
	assert_int_equal(engine_bytes(&l, 8192, 1, f16, &p), UINT64_C(1073741824));
	MemEngine en;
	assert_true(mem_engine_parse("llama.cpp", &en));
	assert_int_equal(en, MEM_ENGINE_LLAMACPP);
	assert_false(mem_engine_parse("llamacpp", &en));
}

static void test_quantised(void **state)
{
	(void)state;
	MemConfig l = load_bundled("llama-3.1-8b"), d = load_bundled("deepseek-v3");
	/* A K row is 8 x 128 = 1024 values = 32 blocks: q8_0 32 x 34 = 1088 B,
	 * q4_0 32 x 18 = 576 B. Twice that a layer-token, x 262144 at 8192. */
	assert_int_equal(mem_cell_bits(&l, KV(KV_DTYPE_Q8_0)), 2 * 1088 * 8);
	assert_int_equal(totals("llama-3.1-8b", 8192, 1, KV_DTYPE_Q8_0).bytes, UINT64_C(570425344));
	assert_int_equal(totals("llama-3.1-8b", 8192, 1, KV_DTYPE_Q4_0).bytes, UINT64_C(301989888));
	MemTotals t;
	KvError e;
	kv_error_clear(&e);
	assert_int_equal(mem_totals(&l, 8192, 1, (MemKvType){ KV_DTYPE_Q8_0, KV_DTYPE_Q4_0 },
				    NULL, &t, &e), 0);
	assert_int_equal(t.bytes, UINT64_C(262144) * (1088 + 576));
	/* K fp16, V q8_0: 2048 + 1088 = 3136 B. */
	assert_int_equal(mem_cell_bits(&l, (MemKvType){ KV_DTYPE_FP16, KV_DTYPE_Q8_0 }), 3136 * 8);
	/* MLA keeps one latent row of 576 values in the K dtype: 18 blocks of
	 * q8_0 = 612 B, whatever --v-dtype says. */
	assert_int_equal(mem_cell_bits(&d, (MemKvType){ KV_DTYPE_Q8_0, KV_DTYPE_FP32 }), 612 * 8);
}

/* ---- will it fit ------------------------------------------------------- */

static void test_size_parse(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_true(mem_size_parse("24GiB", &v));
	assert_int_equal(v, UINT64_C(25769803776));
	assert_true(mem_size_parse("80GB", &v));
	assert_int_equal(v, UINT64_C(80000000000));
	assert_true(mem_size_parse("1073741824", &v));
	assert_int_equal(v, UINT64_C(1073741824));
	assert_true(mem_size_parse("512mib", &v));
	assert_int_equal(v, UINT64_C(536870912));
	assert_true(mem_size_parse("7B", &v));
	assert_int_equal(v, 7);
	assert_false(mem_size_parse("24G", &v));
	assert_false(mem_size_parse("24 GiB", &v));
	assert_false(mem_size_parse("1.5GiB", &v));
	assert_false(mem_size_parse("7b", &v));
	assert_false(mem_size_parse("", &v));
	assert_false(mem_size_parse("99999999999TiB", &v));
}

static void test_fit_boundaries(void **state)
{
	(void)state;
	MemConfig l = load_bundled("llama-3.1-8b");
	MemKvType f16 = KV(KV_DTYPE_FP16);
	MemPolicy p = mem_policy_default();
	uint64_t max, bytes;
	KvError e;
	kv_error_clear(&e);
	/* 131072 B a token: 1 GiB holds exactly 8192 tokens, one byte less 8191. */
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, UINT64_C(1073741824), &max, &bytes, &e), 0);
	assert_int_equal(max, 8192);
	assert_int_equal(bytes, UINT64_C(1073741824));
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, UINT64_C(1073741823), &max, &bytes, &e), 0);
	assert_int_equal(max, 8191);
	assert_int_equal(bytes, UINT64_C(1073741824) - 131072);
	/* Batch 2 halves it. */
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 2, UINT64_C(1073741824), &max, &bytes, &e), 0);
	assert_int_equal(max, 4096);
	/* 3 GiB holds 3 sequences of 8192 tokens; one byte less, 2. */
	assert_int_equal(mem_fit_batch(&l, f16, &p, 8192, UINT64_C(3) << 30, &max, &bytes, &e), 0);
	assert_int_equal(max, 3);
	assert_int_equal(mem_fit_batch(&l, f16, &p, 8192, (UINT64_C(3) << 30) - 1, &max, &bytes, &e), 0);
	assert_int_equal(max, 2);
	/* Nothing fits under one token; everything fits in a huge budget. */
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, 131071, &max, &bytes, &e), 0);
	assert_int_equal(max, 0);
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, UINT64_MAX, &max, &bytes, &e), 0);
	assert_int_equal(max, MEM_CONTEXT_MAX);
	/* vLLM: the first token takes a whole block of 16. */
	p.engine = MEM_ENGINE_VLLM;
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, 16 * 131072, &max, &bytes, &e), 0);
	assert_int_equal(max, 16);
	assert_int_equal(mem_fit_tokens(&l, f16, &p, 1, 16 * 131072 - 1, &max, &bytes, &e), 0);
	assert_int_equal(max, 0);
	/* Mistral's cache stops growing at its window: any context fits. */
	MemConfig m = load_bundled("mistral-7b-v0.1");
	p.engine = MEM_ENGINE_EXACT;
	assert_int_equal(mem_fit_tokens(&m, f16, &p, 1, UINT64_C(4096) * 131072, &max, &bytes, &e), 0);
	assert_int_equal(max, MEM_CONTEXT_MAX);
}

static void test_cli_budget(void **state)
{
	(void)state;
	/* 24 GiB minus --weights 16060522496 B leaves 9709281280 B: 74075
	 * tokens (9709158400 B) at batch 1; 9 sequences of 8192 tokens. */
	Run r = RUN("mem", "llama-3.1-8b", "--context", "8192", "--budget", "24GiB",
		    "--weights", "16060522496", "--no-chart");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "    for the cache 25769803776 - 16060522496 = 9709281280 B ~ 9.04 GiB\n"));
	assert_non_null(strstr(r.out, "    longest       74075 tokens a sequence at batch 1: 9709158400 B (74076 need 9709289472 B)\n"));
	assert_non_null(strstr(r.out, "    largest batch 9 sequences at 8192 tokens: 9663676416 B (10 need 10737418240 B)\n"));
	run_free(&r);
	/* CSV: on the boundary and one byte under it. */
	r = RUN("mem", "--csv", "llama-3.1-8b", "--context", "8192", "--budget", "3GiB");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, ",exact,262144,1073741824,0,3221225472,24576,3\r\n"));
	run_free(&r);
	r = RUN("mem", "--csv", "llama-3.1-8b", "--context", "8192", "--budget", "3221225471");
	assert_non_null(strstr(r.out, ",exact,262144,1073741824,0,3221225471,24575,2\r\n"));
	run_free(&r);
	expect_usage_error(RUN("mem", "--budget", "24G"),
		"kvstep: --budget: expected a size such as 24GiB, 80GB or 1073741824 (bytes), found '24G'\n");
	expect_usage_error(RUN("mem", "--weights", "1GB"),
		"kvstep: --weights: expected --budget too (weights are subtracted from it)\n");
	expect_usage_error(RUN("mem", "--engine", "vllm2"),
		"kvstep: --engine: unknown engine 'vllm2'; did you mean vllm? (expected exact, vllm, llama.cpp or hf)\n");
}

/* ---- the fixes of issue 18, point 5 ------------------------------------- */

static void test_fixes(void **state)
{
	(void)state;
	/* "1 token", not "1 tokens". */
	Run r = RUN("mem", "llama-3.1-8b", "--context", "1", "--no-chart");
	assert_non_null(strstr(r.out, "\n  1 token, batch 1, fp16\n"));
	run_free(&r);
	/* Duplicate contexts merge: 8192 and 8k are one length. */
	r = RUN("mem", "--csv", "llama-3.1-8b", "--context", "8192,8k,8192");
	size_t rows = 0;
	for (const char *p = r.out; (p = strstr(p, "\nllama-3.1-8b,")); p++)
		rows++;
	assert_int_equal(rows, 1);
	run_free(&r);
	/* Below 1 KiB the bytes are not repeated: "= 1020 B" once. */
	MemConfig c;
	KvError e;
	assert_int_equal(load_text(GOOD_HEAD "num_hidden_layers = 1\nnum_attention_heads = 1\n"
					     "num_key_value_heads = 1\nhead_dim = 255\n", &c, &e), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t one = 1;
	MemView v = { .type = KV(KV_DTYPE_FP16), .policy = mem_policy_default(), .batch = 1 };
	assert_int_equal(mem_report_write(f, &c, &v, &one, 1, &e), 0);
	fclose(f);
	assert_non_null(strstr(buf, "    total         1 x 1 x 1020 B = 1020 B\n"));
	assert_null(strstr(buf, "= 1020 B = 1020 B"));
	free(buf);
	/* q8_0 is a dtype now; a near miss suggests it, not fp32. */
	r = RUN("mem", "llama-3.1-8b", "--dtype", "q8_0", "--context", "8192", "--no-chart");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "2 x 8 x 128 x 8.5 bits / 8 = 2176 B (q8_0: 34 B per 32 values)"));
	assert_non_null(strstr(r.out, "8192 tokens, batch 1, q8_0\n"));
	assert_null(strstr(r.out, "fp32"));
	run_free(&r);
	expect_usage_error(RUN("mem", "--dtype", "q8"),
		"kvstep: --dtype: unknown dtype 'q8'; did you mean q8_0? (expected fp32, fp16, bf16, fp8, int4, q8_0 or q4_0)\n");
	/* An all-global model compares with full MHA, or draws one bar. */
	MemChart ch = chart_of("llama-3.1-8b", 10, 13);
	assert_false(ch.single);
	assert_string_equal(ch.baseline, "full MHA");
	assert_int_equal(ch.all_global[0], UINT64_C(1024) * 32 * 16384);
	ch = chart_of("llama-2-7b", 10, 13);
	assert_true(ch.single);
	ch = chart_of("gemma-3-27b", 10, 13);
	assert_string_equal(ch.baseline, "every layer global");
	/* Wider than 80 columns widens the bars: every row uses the room. */
	MemChart wide = chart_of("gemma-3-27b", 10, 17);
	char out[16384];
	assert_true(mem_chart_render(&wide, 200, 8, false, out, sizeof out) > 0);
	const char *axis = strstr(out, "0 +");
	assert_non_null(axis);
	size_t rule = strcspn(axis + 3, "\n");
	/* 8 groups of a gap and two 10-column bars; 80 columns gave 6-wide groups. */
	assert_int_equal(rule, 8 * 21);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_models),
		cmocka_unit_test(test_deepseek_mla),
		cmocka_unit_test(test_config_minimal),
		cmocka_unit_test(test_config_id_from_path),
		cmocka_unit_test(test_config_long_line),
		cmocka_unit_test(test_config_nul_byte),
		cmocka_unit_test(test_config_syntax),
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_consistency),
		cmocka_unit_test(test_llama_8b_8192_fp16),
		cmocka_unit_test(test_gemma_27b_65536_bf16),
		cmocka_unit_test(test_gpt_oss_20b_131072),
		cmocka_unit_test(test_deepseek_per_token),
		cmocka_unit_test(test_mistral_rolling_buffer),
		cmocka_unit_test(test_dtypes_and_batch),
		cmocka_unit_test(test_int4_rounds_up),
		cmocka_unit_test(test_totals_errors),
		cmocka_unit_test(test_saving_bp),
		cmocka_unit_test(test_dtype_names),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_chart_fill),
		cmocka_unit_test(test_chart_golden),
		cmocka_unit_test(test_chart_buffer),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_cli_list),
		cmocka_unit_test(test_cli_report),
		cmocka_unit_test(test_cli_csv),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_cli_file_errors),
		cmocka_unit_test(test_cli_context_limits),
		cmocka_unit_test(test_mla_latent_larger_than_heads),
		cmocka_unit_test(test_json_matches_ini),
		cmocka_unit_test(test_json_defaults),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_engines),
		cmocka_unit_test(test_quantised),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_fit_boundaries),
		cmocka_unit_test(test_cli_budget),
		cmocka_unit_test(test_fixes),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
