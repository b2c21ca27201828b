/* Table-driven command-line flags. Each command describes its flags as an
 * array of struct cli_opt ending with a zeroed entry; one function walks the
 * table to parse argv into the command's own options struct (each flag
 * writes the field at its offset) and another prints the help from the same
 * table, so the two never disagree.
 *
 * Spellings follow Go's flag package, which runc's command line is built
 * on: "--name value", "--name=value", "-name value", "-n value", "-n=value";
 * a bool flag takes no separate value but accepts "--name=true|false"; "--"
 * ends the flags. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct berth_err;

enum cli_opt_kind {
	CLI_OPT_BOOL,   /* bool */
	CLI_OPT_STRING, /* const char *, pointing into argv; the last one wins */
	CLI_OPT_INT,    /* int, decimal, in [min, INT_MAX] */
	CLI_OPT_STRV,   /* char **, repeatable: each use appends a copy */
};

struct cli_opt {
	const char *name; /* long name without dashes; NULL ends the table */
	char short_name;  /* 0 when none */
	enum cli_opt_kind kind;
	size_t offset;       /* of the field in the options struct */
	const char *metavar; /* for help: "FILE", "N"; NULL for bool */
	const char *help;    /* NULL hides the flag from help (accepted, ignored) */
	int min;             /* CLI_OPT_INT: the least value taken (-1 where docker takes
				it, as ps -n); 0 unless given */
};

#define CLI_OPT_END                                                                                \
	{                                                                                          \
		NULL, 0, CLI_OPT_BOOL, 0, NULL, NULL                                               \
	}

enum {
	/* The first positional argument ends the flags (exec ID CMD --flag,
	 * ps ID -ef): what follows belongs to something else. Without it,
	 * flags may also follow the positional arguments, as in runc. */
	CLI_ARGS_STOP_AT_POSITIONAL = 1 << 0,
	/* Docker's spelling (pflag) instead of Go's: "--name[=value]" only for
	 * long names, "-aq" for two short bool flags, "-ofile" or "-o file"
	 * for a short flag's value. */
	CLI_ARGS_POSIX = 1 << 1,
};

/* Parses argv[0..argc) (the command's arguments, without the command name)
 * into dst. Positional arguments are returned in *positional as a
 * NULL-terminated array of pointers into argv (free the array only).
 * Returns 0, 1 when --help or -h was given (nothing else is checked), or -1
 * with err naming the unknown flag or bad value. */
int cli_args_parse(const struct cli_opt *table, void *dst, int argc, char **argv, unsigned flags,
		   char ***positional, struct berth_err *err);

/* Frees what CLI_OPT_STRV fields collected. */
void cli_args_free(const struct cli_opt *table, void *dst);

/* "true"/"false" and the spellings Go's strconv.ParseBool accepts. */
int cli_parse_bool(const char *s, bool *out);

/* Prints the flags, one per line, aligned. */
void cli_args_help(FILE *f, const struct cli_opt *table);
