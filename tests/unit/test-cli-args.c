#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/units.h"
#include "util/human.h"
#include "test.h"
#include "util/err.h"
#include "util/strv.h"

struct opts {
	const char *bundle;
	bool detach;
	bool tty;
	int fds;
	char **env;
};

static const struct cli_opt table[] = {
	{ "bundle", 'b', CLI_OPT_STRING, offsetof(struct opts, bundle), "DIR", "bundle" },
	{ "detach", 'd', CLI_OPT_BOOL, offsetof(struct opts, detach), NULL, "detach" },
	{ "tty", 't', CLI_OPT_BOOL, offsetof(struct opts, tty), NULL, "tty" },
	{ "preserve-fds", 0, CLI_OPT_INT, offsetof(struct opts, fds), "N", "fds" },
	{ "env", 'e', CLI_OPT_STRV, offsetof(struct opts, env), "VAR", "env" },
	CLI_OPT_END,
};

/* The parser never writes argv; the literals stay const here. */
static int parse(struct opts *o, char ***pos, unsigned flags, struct berth_err *err, int argc,
		 const char **argv)
{
	*o = (struct opts){ 0 };
	return cli_args_parse(table, o, argc, (char **)argv, flags, pos, err);
}

#define ARGV(...)                                                                                  \
	(const char *[])                                                                           \
	{                                                                                          \
		__VA_ARGS__, NULL                                                                  \
	}
#define ARGC(...)         ((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(flags, ...) parse(&o, &pos, flags, &err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_sizes(void)
{
	static const struct {
		const char *in;
		int64_t want; /* -2: rejected */
	} cases[] = {
		{ "1024", 1024 },     { "64m", 64 << 20 },   { "64M", 64 << 20 },
		{ "64MB", 64 << 20 }, { "64MiB", 64 << 20 }, { "1g", 1 << 30 },
		{ "1.5g", 3 << 29 },  { "100b", 100 },       { "2 k", 2048 },
		{ "1t", 1LL << 40 },  { "-1", -1 },          { "", -2 },
		{ "m", -2 },          { "64x", -2 },         { "-2", -2 },
		{ "0x10", -2 },       { "1e3", -2 },         { " 5", -2 },
		{ "+5", -2 },         { "1.", -2 },          { "inf", -2 },
		{ "99999999p", -2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -2;
		int r = cli_parse_size(cases[i].in, &v);

		if (cases[i].want == -2)
			CHECK(r < 0, "size \"%s\" rejected", cases[i].in);
		else
			CHECK(r == 0 && v == cases[i].want, "size \"%s\" = %lld (got %lld)",
			      cases[i].in, (long long)cases[i].want, (long long)v);
	}
}

static void test_durations(void)
{
	struct timespec ts = { 0 };

	CHECK(cli_parse_duration("5s", &ts) == 0 && ts.tv_sec == 5 && ts.tv_nsec == 0, "5s");
	CHECK(cli_parse_duration("500ms", &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec == 500000000,
	      "500ms");
	CHECK(cli_parse_duration("1m30s", &ts) == 0 && ts.tv_sec == 90, "1m30s");
	CHECK(cli_parse_duration("1.5h", &ts) == 0 && ts.tv_sec == 5400, "1.5h");
	CHECK(cli_parse_duration("10us", &ts) == 0 && ts.tv_nsec == 10000, "10us");
	CHECK(cli_parse_duration("0s", &ts) < 0, "0s is not positive");
	CHECK(cli_parse_duration("5", &ts) < 0, "no unit");
	CHECK(cli_parse_duration("5x", &ts) < 0, "bad unit");
	CHECK(cli_parse_duration("", &ts) < 0, "empty");
	CHECK(cli_parse_duration("-1s", &ts) < 0, "negative");
	CHECK(cli_parse_duration("0", &ts) < 0, "0 is not positive");
}

static void test_go_durations(void)
{
	int64_t ns = 1;

	CHECK(human_parse_go_duration("0", &ns) == 0 && ns == 0, "go: 0");
	CHECK(human_parse_go_duration("1m30s", &ns) == 0 && ns == 90000000000LL, "go: 1m30s");
	CHECK(human_parse_go_duration("-2s", &ns) == 0 && ns == -2000000000LL, "go: -2s");
	CHECK(human_parse_go_duration("+1ms", &ns) == 0 && ns == 1000000, "go: +1ms");
	CHECK(human_parse_go_duration("5", &ns) < 0, "go: 5 needs a unit");
	CHECK(human_parse_go_duration("", &ns) < 0, "go: empty");
	CHECK(human_parse_go_duration("-", &ns) < 0, "go: a sign alone");
	CHECK(human_parse_go_duration("1e3s", &ns) < 0, "go: no exponents");
	CHECK(human_parse_go_duration(".5s", &ns) == 0 && ns == 500000000, "go: .5s");
	CHECK(human_parse_go_duration("1.s", &ns) == 0 && ns == 1000000000, "go: 1.s");
	CHECK(human_parse_go_duration(".s", &ns) < 0, "go: . alone");
}

/* Int flags refuse what does not fit, with one line naming the flag and
 * the value, in Go's flag words (runc) or pflag's (docker). */
static void test_int_flags(void)
{
	static const struct {
		const char *value;
		unsigned flags;
		const char *want;
	} cases[] = {
		{ "18446744073709551617", 0,
		  "invalid value \"18446744073709551617\" for flag --preserve-fds: value out of "
		  "range" },
		{ "2147483648", 0,
		  "invalid value \"2147483648\" for flag --preserve-fds: value out of range" },
		{ "12abc", 0, "invalid value \"12abc\" for flag --preserve-fds: invalid syntax" },
		{ "", 0, "invalid value \"\" for flag --preserve-fds: invalid syntax" },
		{ " 1", 0, "invalid value \" 1\" for flag --preserve-fds: invalid syntax" },
		{ "18446744073709551617", CLI_ARGS_POSIX,
		  "invalid argument \"18446744073709551617\" for \"--preserve-fds\" flag: "
		  "strconv.ParseInt: parsing \"18446744073709551617\": value out of range" },
		{ "-1", CLI_ARGS_POSIX,
		  "invalid argument \"-1\" for \"--preserve-fds\" flag: must not be negative" },
		{ "12abc", CLI_ARGS_POSIX,
		  "invalid argument \"12abc\" for \"--preserve-fds\" flag: strconv.ParseInt: "
		  "parsing \"12abc\": invalid syntax" },
	};
	struct berth_err err = { 0 };
	struct opts o;
	char **pos = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = PARSE(cases[i].flags, "--preserve-fds", cases[i].value);

		CHECK(r < 0 && strcmp(err.msg, cases[i].want) == 0, "int flag \"%s\": %s",
		      cases[i].value, err.msg);
	}
	CHECK(PARSE(CLI_ARGS_POSIX, "--preserve-fds=2147483647") == 0 && o.fds == 2147483647,
	      "int flag INT_MAX");
	free(pos);
}

int main(void)
{
	struct berth_err err = { 0 };
	struct opts o;
	char **pos = NULL;
	int r;

	r = PARSE(0, "--bundle", "/b", "-d", "id");
	CHECK(r == 0, "long with separate value, short bool");
	CHECK_STR(o.bundle, "/b", "bundle");
	CHECK(o.detach && !o.tty, "detach set, tty not");
	CHECK(pos != NULL && pos[0] != NULL && pos[1] == NULL, "one positional");
	CHECK_STR(pos[0], "id", "positional");
	free(pos);

	r = PARSE(0, "id", "--bundle=/x", "-b=/y", "--detach=false", "-t=true");
	CHECK(r == 0, "flags after the positional, = forms");
	CHECK_STR(o.bundle, "/y", "last one wins");
	CHECK(!o.detach && o.tty, "--detach=false, -t=true");
	free(pos);

	r = PARSE(0, "-bundle", "/single-dash", "id");
	CHECK(r == 0 && o.bundle != NULL, "single-dash long name, as Go accepts");
	CHECK_STR(o.bundle, "/single-dash", "single-dash value");
	free(pos);

	r = PARSE(0, "-e", "A=1", "--env", "B=2", "--env=C=3", "--preserve-fds", "3", "id");
	CHECK(r == 0 && strv_len(o.env) == 3, "repeatable flag");
	CHECK_STR(o.env[2], "C=3", "value keeps its own '='");
	CHECK(o.fds == 3, "int flag");
	cli_args_free(table, &o);
	CHECK(o.env == NULL, "free clears the vector");
	free(pos);

	r = PARSE(CLI_ARGS_STOP_AT_POSITIONAL, "-t", "id", "ls", "-la", "--tty");
	CHECK(r == 0, "stop at positional");
	CHECK(o.tty, "flag before the positional");
	CHECK(strv_len(pos) == 4, "the rest is positional (%zu)", strv_len(pos));
	CHECK_STR(pos[2], "-la", "a dash argument after the command");
	free(pos);

	r = PARSE(0, "--", "-id-with-dash");
	CHECK(r == 0 && strv_len(pos) == 1, "-- ends the flags");
	CHECK_STR(pos[0], "-id-with-dash", "after --");
	free(pos);

	r = PARSE(0, "-", "x");
	CHECK(r == 0 && strv_len(pos) == 2, "a lone dash is positional");
	free(pos);

	r = PARSE(0, "--memory-swap", "x");
	CHECK(r < 0, "unknown flag fails");
	CHECK(strstr(err.msg, "--memory-swap") != NULL, "the error names the flag: %s", err.msg);
	CHECK(pos == NULL, "no positional on failure");

	r = PARSE(0, "--bundle");
	CHECK(r < 0 && strstr(err.msg, "--bundle") != NULL, "missing value: %s", err.msg);

	r = PARSE(0, "--preserve-fds", "x");
	CHECK(r < 0, "non-numeric int: %s", err.msg);
	r = PARSE(0, "--preserve-fds", "-1");
	CHECK(r < 0, "negative int: %s", err.msg);
	test_int_flags();
	r = PARSE(0, "--detach=maybe");
	CHECK(r < 0, "bad bool: %s", err.msg);

	r = PARSE(0, "id", "--help");
	CHECK(r == 1 && pos == NULL, "--help");
	r = PARSE(0, "-h");
	CHECK(r == 1, "-h");

	/* A value that starts with a dash is still the value ("--memory-swap -1"). */
	r = PARSE(0, "--bundle", "-1");
	CHECK(r == 0, "dash value");
	CHECK_STR(o.bundle, "-1", "dash value kept");
	free(pos);

	bool b = false;
	CHECK(cli_parse_bool("TRUE", &b) == 0 && b, "TRUE");
	CHECK(cli_parse_bool("0", &b) == 0 && !b, "0");
	CHECK(cli_parse_bool("yes", &b) < 0, "yes is not a Go bool");
	test_sizes();
	test_durations();
	test_go_durations();
	return TEST_DONE();
}
