#include <signal.h>

#include "runtime/signals.h"
#include "test.h"

static void test_names(void)
{
	CHECK(signal_parse("KILL") == SIGKILL, "KILL");
	CHECK(signal_parse("SIGKILL") == SIGKILL, "SIGKILL");
	CHECK(signal_parse("sigterm") == SIGTERM, "lower case with prefix");
	CHECK(signal_parse("Hup") == SIGHUP, "mixed case without prefix");
	CHECK(signal_parse("SIGUSR1") == SIGUSR1, "USR1");
	CHECK(signal_parse("winch") == SIGWINCH, "WINCH");
	CHECK(signal_parse("SIGIOT") == SIGABRT, "IOT is ABRT");
	CHECK(signal_parse("CLD") == SIGCHLD, "CLD is CHLD");
	CHECK(signal_parse("POLL") == SIGIO, "POLL is IO");
	CHECK(signal_parse("SIGSYS") == SIGSYS, "SYS");
	CHECK(signal_parse("PWR") == SIGPWR, "PWR");
}

static void test_numbers(void)
{
	CHECK(signal_parse("9") == 9, "9");
	CHECK(signal_parse("15") == 15, "15");
	CHECK(signal_parse("0") == 0, "0 is kill's probe");
	CHECK(signal_parse("64") == SIGRTMAX, "SIGRTMAX as a number");
	CHECK(signal_parse("65") == -1, "past SIGRTMAX");
	CHECK(signal_parse("-9") == -1, "negative");
	CHECK(signal_parse("9x") == -1, "trailing junk");
	CHECK(signal_parse("99999999999999999999") == -1, "overflow");
}

static void test_realtime(void)
{
	CHECK(signal_parse("RTMIN") == SIGRTMIN, "RTMIN");
	CHECK(signal_parse("SIGRTMIN") == SIGRTMIN, "SIGRTMIN");
	CHECK(signal_parse("rtmin+3") == SIGRTMIN + 3, "rtmin+3");
	CHECK(signal_parse("SIGRTMAX") == SIGRTMAX, "SIGRTMAX");
	CHECK(signal_parse("RTMAX-2") == SIGRTMAX - 2, "RTMAX-2");
	CHECK(signal_parse("RTMIN-1") == -1, "RTMIN-1 is no signal");
	CHECK(signal_parse("RTMAX+1") == -1, "RTMAX+1 is no signal");
	CHECK(signal_parse("RTMIN+") == -1, "RTMIN+ without a number");
	CHECK(signal_parse("RTMIN+100") == -1, "RTMIN+100 past the range");
	CHECK(signal_parse("RTMINX") == -1, "RTMINX");
	char buf[32];
	snprintf(buf, sizeof(buf), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
	CHECK(signal_parse(buf) == SIGRTMAX, "%s is RTMAX", buf);
}

static void test_unknown(void)
{
	CHECK(signal_parse(NULL) == -1, "NULL");
	CHECK(signal_parse("") == -1, "empty");
	CHECK(signal_parse("SIG") == -1, "SIG alone");
	CHECK(signal_parse("SIGSIGKILL") == -1, "double prefix");
	CHECK(signal_parse("FOO") == -1, "FOO");
	CHECK(signal_parse(" KILL") == -1, "leading space");
}

static void test_name(void)
{
	CHECK_STR(signal_name(SIGTERM), "SIGTERM", "name of 15");
	CHECK_STR(signal_name(SIGABRT), "SIGABRT", "ABRT wins over IOT");
	CHECK_STR(signal_name(SIGCHLD), "SIGCHLD", "CHLD wins over CLD");
	CHECK_STR(signal_name(SIGIO), "SIGIO", "IO wins over POLL");
	CHECK_STR(signal_name(SIGRTMIN), "SIGRTMIN", "RTMIN");
	CHECK_STR(signal_name(SIGRTMIN + 1), "SIGRTMIN+1", "RTMIN+1");
	CHECK_STR(signal_name(SIGRTMAX - 1), "SIGRTMAX-1", "RTMAX-1");
	CHECK_STR(signal_name(SIGRTMAX), "SIGRTMAX", "RTMAX");
	CHECK(signal_name(0) == NULL, "0 has no name");
	CHECK(signal_name(SIGRTMAX + 1) == NULL, "past RTMAX has no name");
	CHECK(signal_name(-1) == NULL, "negative has no name");

	/* Every named signal parses back to itself. */
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		const char *n = signal_name(sig);

		if (n != NULL && signal_parse(n) != sig)
			CHECK(0, "round trip of %d (%s)", sig, n);
	}
	CHECK(1, "round trips");
}

int main(void)
{
	test_names();
	test_numbers();
	test_realtime();
	test_unknown();
	test_name();
	return TEST_DONE();
}
