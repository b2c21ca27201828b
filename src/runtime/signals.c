/* Signal names <-> numbers. The standard signals are a table built from
 * <signal.h>, so the numbers are the ones of the architecture we run on
 * (SIGBUS is 7 on x86 and 10 on MIPS). Real-time signals are named relative
 * to glibc's SIGRTMIN/SIGRTMAX as kill(1) does: glibc reserves the first two
 * kernel real-time signals for its threads, so "RTMIN" is 34 on Linux, not 32. */
#include "runtime/signals.h"

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"
#include "util/num.h"

struct signal_entry {
	const char *name;
	int sig;
};

/* The first entry for a number is its canonical name; aliases follow. */
static const struct signal_entry signal_table[] = {
	{ "SIGHUP", SIGHUP },       { "SIGINT", SIGINT },     { "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL },       { "SIGTRAP", SIGTRAP },   { "SIGABRT", SIGABRT },
	{ "SIGIOT", SIGIOT },       { "SIGBUS", SIGBUS },     { "SIGFPE", SIGFPE },
	{ "SIGKILL", SIGKILL },     { "SIGUSR1", SIGUSR1 },   { "SIGSEGV", SIGSEGV },
	{ "SIGUSR2", SIGUSR2 },     { "SIGPIPE", SIGPIPE },   { "SIGALRM", SIGALRM },
	{ "SIGTERM", SIGTERM },
#ifdef SIGSTKFLT
	{ "SIGSTKFLT", SIGSTKFLT },
#endif
	{ "SIGCHLD", SIGCHLD },
#ifdef SIGCLD
	{ "SIGCLD", SIGCLD },
#endif
	{ "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP },   { "SIGTSTP", SIGTSTP },
	{ "SIGTTIN", SIGTTIN },     { "SIGTTOU", SIGTTOU },   { "SIGURG", SIGURG },
	{ "SIGXCPU", SIGXCPU },     { "SIGXFSZ", SIGXFSZ },   { "SIGVTALRM", SIGVTALRM },
	{ "SIGPROF", SIGPROF },     { "SIGWINCH", SIGWINCH }, { "SIGIO", SIGIO },
#ifdef SIGPOLL
	{ "SIGPOLL", SIGPOLL },
#endif
#ifdef SIGPWR
	{ "SIGPWR", SIGPWR },
#endif
	{ "SIGSYS", SIGSYS },
};

/* signal_name() returns static strings, so the real-time names are spelled
 * out: "SIGRTMIN+N" for the lower half, "SIGRTMAX-N" for the upper, as
 * `kill -l` prints them. 32 entries each cover any Linux architecture. */
static const char *const rtmin_names[] = {
	"SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
	"SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
	"SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17",
	"SIGRTMIN+18", "SIGRTMIN+19", "SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23",
	"SIGRTMIN+24", "SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
	"SIGRTMIN+30", "SIGRTMIN+31",
};
static const char *const rtmax_names[] = {
	"SIGRTMAX",    "SIGRTMAX-1",  "SIGRTMAX-2",  "SIGRTMAX-3",  "SIGRTMAX-4",  "SIGRTMAX-5",
	"SIGRTMAX-6",  "SIGRTMAX-7",  "SIGRTMAX-8",  "SIGRTMAX-9",  "SIGRTMAX-10", "SIGRTMAX-11",
	"SIGRTMAX-12", "SIGRTMAX-13", "SIGRTMAX-14", "SIGRTMAX-15", "SIGRTMAX-16", "SIGRTMAX-17",
	"SIGRTMAX-18", "SIGRTMAX-19", "SIGRTMAX-20", "SIGRTMAX-21", "SIGRTMAX-22", "SIGRTMAX-23",
	"SIGRTMAX-24", "SIGRTMAX-25", "SIGRTMAX-26", "SIGRTMAX-27", "SIGRTMAX-28", "SIGRTMAX-29",
	"SIGRTMAX-30", "SIGRTMAX-31",
};

/* A decimal number with nothing around it (no sign); -1 otherwise. */
static int signal_parse_number(const char *s)
{
	uint64_t v;

	if (num_parse_u64(s, 10, INT_MAX, &v) < 0)
		return -1;
	return (int)v;
}

/* "RTMIN", "RTMIN+3", "RTMAX-2" (no "SIG", any case). */
static int signal_parse_rt(const char *s)
{
	int base, dir, off = 0;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		dir = 1;
	} else if (strncasecmp(s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		dir = -1;
	} else {
		return -1;
	}
	s += 5;
	if (*s != '\0') {
		if (*s != (dir > 0 ? '+' : '-'))
			return -1;
		off = signal_parse_number(s + 1);
		if (off < 0)
			return -1;
	}
	if (off > SIGRTMAX - SIGRTMIN)
		return -1;
	return base + dir * off;
}

int signal_parse(const char *s)
{
	int n;

	if (s == NULL || s[0] == '\0')
		return -1;
	n = signal_parse_number(s);
	if (n >= 0)
		/* 0 is kill(2)'s existence probe; anything past SIGRTMAX is no signal. */
		return n <= SIGRTMAX ? n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (strcasecmp(s, signal_table[i].name + 3) == 0)
			return signal_table[i].sig;
	return signal_parse_rt(s);
}

const char *signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		int from_min = sig - SIGRTMIN, from_max = SIGRTMAX - sig;

		if (from_min <= from_max && (size_t)from_min < ARRAY_SIZE(rtmin_names))
			return rtmin_names[from_min];
		if ((size_t)from_max < ARRAY_SIZE(rtmax_names))
			return rtmax_names[from_max];
	}
	return NULL;
}
