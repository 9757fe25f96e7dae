#ifndef KVSTEP_CLI_H
#define KVSTEP_CLI_H
/*
 * Command-line parsing into a plain struct; no I/O besides what the caller
 * does with the result. Options may come before or after the command word.
 */
#include <stdbool.h>

#include "csv_out.h"
#include "kv_error.h"

typedef enum Command {
	CMD_UI,      /* no command word: the terminal UI */
	CMD_ANSWERS, /* worksheet answer keys */
	CMD_EXPORT,  /* CSV trace */
	CMD_GRADE,   /* grade students' CSVs */
	CMD_HELP,
	CMD_VERSION,
} Command;

typedef struct CliOpts {
	Command cmd;
	const char *model_path; /* -m; NULL = the built-in default model */
	const char *prompt;     /* -p; NULL = the model's prompt */
	int generate;           /* -n; -1 = the model's generate */
	int digits;             /* --digits; -1 = each view's default */
	int elem_bytes;         /* --dtype; bytes per cached cell, 4 = fp32 */
	bool no_color;          /* --no-color (NO_COLOR is read by the UI) */
	bool ascii;             /* --ascii: no Unicode box drawing */
	bool counters;          /* export --counters */
	bool cache;             /* export --cache */
	bool tiles;             /* export --tiles */
	bool tiled;             /* --attention flash */
	int tile;               /* --tile B; 0 = 2 */
	int split;              /* --split S; 0 = 1 */
	int kv_bits;            /* --kv-quant: 8 or 4; 0 = exact cache */
	int kv_group;           /* --kv-group G; 0 = 2 */
	int kv_residual;        /* --kv-residual R; 0 = G */
	int ctx;                /* --ctx C: cache size of the context shift */
	int shift;              /* --shift N: positions a full cache drops */
	const char *sheet;      /* export --sheet N: the cells of worksheet N */
	const char *output;     /* -o FILE; NULL = stdout */
	const char *summary;    /* grade --summary FILE */
	double tol;             /* grade --tol */
	double rel_tol;         /* grade --rel-tol; 0 = none */
	bool bom;               /* grade --bom: BOM before the summary */
	ExportFilter filter;    /* export filters, --blank, --masked */
	unsigned given;         /* bit per option given (cli.c's scope table) */
	char **args;            /* words after the command word */
	int n_args;
} CliOpts;

/*
 * Parses argv. Returns 0, or EX_USAGE with `err` saying what is wrong.
 * `args` points into argv.
 */
int cli_parse(int argc, char **argv, CliOpts *o, KvError *err);

/* The --help text. */
const char *cli_usage(void);

#endif
