#include "cli/args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/num.h"
#include "util/strv.h"
#include "util/xalloc.h"

int cli_parse_bool(const char *s, bool *out)
{
	static const char *const truths[] = { "1", "t", "T", "true", "TRUE", "True", NULL };
	static const char *const falsehoods[] = { "0", "f", "F", "false", "FALSE", "False", NULL };

	for (size_t i = 0; truths[i] != NULL; i++) {
		if (strcmp(s, truths[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, falsehoods[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const struct cli_opt *cli_opt_find(const struct cli_opt *table, const char *name, size_t len)
{
	for (const struct cli_opt *o = table; o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	if (len == 1)
		for (const struct cli_opt *o = table; o->name != NULL; o++)
			if (o->short_name == name[0])
				return o;
	return NULL;
}

/* A bad number for an int flag, one line naming the flag and the value:
 * pflag's words for docker's command line ("invalid argument "x" for
 * "-t, --time" flag: strconv.ParseInt: parsing "x": invalid syntax"), Go's
 * flag package's for runc's. */
static int cli_int_error(const struct cli_opt *o, const char *value, int r, bool posix,
			 struct berth_err *err)
{
	const char *why = num_strerror(r);
	char name[64];
	int64_t v;

	if (!posix)
		return berth_err_set(err, 0, "invalid value \"%s\" for flag --%s: %s", value,
				     o->name, why);
	if (o->short_name != 0)
		snprintf(name, sizeof(name), "-%c, --%s", o->short_name, o->name);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	/* In range for strconv but not for the flag: a negative count. */
	if (r == -ERANGE && value[0] == '-' && num_parse_i64(value, 10, INT64_MIN, -1, &v) == 0)
		return berth_err_set(err, 0, "invalid argument \"%s\" for \"%s\" flag: %s", value,
				     name,
				     o->min == 0 ? "must not be negative" : "value out of range");
	return berth_err_set(err, 0,
			     "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: parsing "
			     "\"%s\": %s",
			     value, name, value, why);
}

static int cli_opt_set(const struct cli_opt *o, void *dst, const char *value, bool posix,
		       struct berth_err *err)
{
	char *field = (char *)dst + o->offset;

	switch (o->kind) {
	case CLI_OPT_BOOL: {
		bool b = true;

		if (value != NULL && cli_parse_bool(value, &b) < 0)
			return berth_err_set(err, 0, "invalid boolean value \"%s\" for flag --%s",
					     value, o->name);
		*(bool *)field = b;
		return 0;
	}
	case CLI_OPT_STRING:
		*(const char **)field = value;
		return 0;
	case CLI_OPT_INT: {
		int r = num_parse_int(value, o->min, INT_MAX, (int *)field);

		return r < 0 ? cli_int_error(o, value, r, posix, err) : 0;
	}
	case CLI_OPT_STRV:
		strv_push((char ***)field, value);
		return 0;
	}
	return berth_err_set(err, EINVAL, "flag --%s has an unknown kind", o->name);
}

/* One flag at argv[*i]; advances *i past a separate value. */
static int cli_args_flag(const struct cli_opt *table, void *dst, int argc, char **argv, int *i,
			 struct berth_err *err)
{
	const char *arg = argv[*i];
	const char *name = arg + (arg[1] == '-' ? 2 : 1);
	const char *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const char *value = eq != NULL ? eq + 1 : NULL;
	const struct cli_opt *o = cli_opt_find(table, name, len);

	if (o == NULL)
		return berth_err_set(err, 0, "flag provided but not defined: %.*s",
				     (int)(len + (size_t)(name - arg)), arg);
	if (o->kind != CLI_OPT_BOOL && value == NULL) {
		if (*i + 1 >= argc)
			return berth_err_set(err, 0, "flag needs an argument: %s", arg);
		value = argv[++*i];
	}
	return cli_opt_set(o, dst, value, false, err);
}

/* pflag's spelling, as docker's command line has it: "--name[=value]" is
 * long only, "-abc" is a cluster of short flags, and a short flag that
 * takes a value takes the rest of the cluster or the next argument. */
static int cli_args_posix_flag(const struct cli_opt *table, void *dst, int argc, char **argv,
			       int *i, struct berth_err *err)
{
	const char *arg = argv[*i];

	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		const struct cli_opt *o = NULL;

		for (const struct cli_opt *t = table; t->name != NULL; t++)
			if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
				o = t;
		if (o == NULL)
			return berth_err_set(err, 0, "unknown flag: --%.*s", (int)len, name);
		if (o->kind != CLI_OPT_BOOL && eq == NULL) {
			if (*i + 1 >= argc)
				return berth_err_set(err, 0, "flag needs an argument: --%s",
						     o->name);
			return cli_opt_set(o, dst, argv[++*i], true, err);
		}
		return cli_opt_set(o, dst, eq != NULL ? eq + 1 : NULL, true, err);
	}
	for (const char *p = arg + 1; *p != '\0'; p++) {
		const struct cli_opt *o = NULL;

		for (const struct cli_opt *t = table; t->name != NULL; t++)
			if (t->short_name == *p)
				o = t;
		if (o == NULL)
			return berth_err_set(err, 0, "unknown shorthand flag: '%c' in %s", *p, arg);
		if (o->kind == CLI_OPT_BOOL) {
			if (p[1] == '=')
				return cli_opt_set(o, dst, p + 2, true, err);
			if (cli_opt_set(o, dst, NULL, true, err) < 0)
				return -1;
			continue;
		}
		if (p[1] != '\0')
			return cli_opt_set(o, dst, p[1] == '=' ? p + 2 : p + 1, true, err);
		if (*i + 1 >= argc)
			return berth_err_set(err, 0, "flag needs an argument: '%c' in %s", *p, arg);
		return cli_opt_set(o, dst, argv[++*i], true, err);
	}
	return 0;
}

static bool cli_is_help(const struct cli_opt *table, const char *arg)
{
	if (strcmp(arg, "--help") != 0 && strcmp(arg, "-help") != 0 && strcmp(arg, "-h") != 0)
		return false;
	/* A command that defines -h for itself keeps it. */
	return cli_opt_find(table, arg + (arg[1] == '-' ? 2 : 1), strlen(arg) > 2 ? 4 : 1) == NULL;
}

int cli_args_parse(const struct cli_opt *table, void *dst, int argc, char **argv, unsigned flags,
		   char ***positional, struct berth_err *err)
{
	char **pos = xcalloc(1, sizeof(char *));
	size_t n = 0;
	bool flags_done = false;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!flags_done && strcmp(arg, "--") == 0) {
			flags_done = true;
			continue;
		}
		if (flags_done || arg[0] != '-' || arg[1] == '\0') {
			pos = xreallocarray(pos, n + 2, sizeof(char *));
			pos[n++] = argv[i];
			pos[n] = NULL;
			if (flags & CLI_ARGS_STOP_AT_POSITIONAL)
				flags_done = true;
			continue;
		}
		if (cli_is_help(table, arg)) {
			free(pos);
			*positional = NULL;
			return 1;
		}
		if (((flags & CLI_ARGS_POSIX)
			 ? cli_args_posix_flag(table, dst, argc, argv, &i, err)
			 : cli_args_flag(table, dst, argc, argv, &i, err)) < 0) {
			free(pos);
			*positional = NULL;
			return -1;
		}
	}
	*positional = pos;
	return 0;
}

void cli_args_free(const struct cli_opt *table, void *dst)
{
	for (const struct cli_opt *o = table; o->name != NULL; o++) {
		if (o->kind == CLI_OPT_STRV) {
			char ***field = (char ***)((char *)dst + o->offset);

			strv_free(*field);
			*field = NULL;
		}
	}
}

static int cli_opt_format(char *buf, size_t size, const struct cli_opt *o)
{
	const char *mv = o->metavar != NULL ? o->metavar : "";
	const char *sp = o->metavar != NULL ? " " : "";

	if (o->short_name != 0)
		return snprintf(buf, size, "--%s%s%s, -%c%s%s", o->name, sp, mv, o->short_name, sp,
				mv);
	return snprintf(buf, size, "--%s%s%s", o->name, sp, mv);
}

void cli_args_help(FILE *f, const struct cli_opt *table)
{
	char buf[128];
	int width = 0;

	for (const struct cli_opt *o = table; o->name != NULL; o++) {
		int w = cli_opt_format(buf, sizeof(buf), o);

		if (o->help != NULL && w > width)
			width = w;
	}
	for (const struct cli_opt *o = table; o->name != NULL; o++) {
		if (o->help == NULL)
			continue;
		cli_opt_format(buf, sizeof(buf), o);
		fprintf(f, "   %-*s  %s\n", width, buf, o->help);
	}
}
