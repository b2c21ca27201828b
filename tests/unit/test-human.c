/* Sizes, durations and RFC 3339 times (util/human.h). The expected strings
 * were printed by Go 1.19 running go-units' formulas (HumanSizeWithPrecision
 * with precision 3, BytesSize, HumanDuration) and time.RFC3339Nano /
 * time.Parse(time.RFC3339), so each row is what docker prints. */
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/human.h"

static const struct {
	double bytes;
	const char *decimal; /* human_size */
	const char *binary;  /* human_size_binary */
} sizes[] = {
	{ 0, "0B", "0B" },
	{ 1, "1B", "1B" },
	{ 999, "999B", "999B" },
	{ 999.4, "999B", "999.4B" },
	{ 999.5, "1e+03B", "999.5B" },
	{ 1000, "1kB", "1000B" },
	{ 1001, "1kB", "1001B" },
	{ 1023, "1.02kB", "1023B" },
	{ 1024, "1.02kB", "1KiB" },
	{ 1025, "1.02kB", "1.001KiB" },
	{ 999499, "999kB", "976.1KiB" },
	{ 999500, "1e+03kB", "976.1KiB" },
	{ 999999, "1e+03kB", "976.6KiB" },
	{ 1e6, "1MB", "976.6KiB" },
	{ 1048575, "1.05MB", "1024KiB" },
	{ 1048576, "1.05MB", "1MiB" },
	{ 4261888, "4.26MB", "4.064MiB" },
	{ 5e6, "5MB", "4.768MiB" },
	{ 5.5e6, "5.5MB", "5.245MiB" },
	{ 10e6, "10MB", "9.537MiB" },
	{ 12345678, "12.3MB", "11.77MiB" },
	{ 77900000, "77.9MB", "74.29MiB" },
	{ 100e6, "100MB", "95.37MiB" },
	{ 1073741824, "1.07GB", "1GiB" },
	{ 1073731338.24, "1.07GB", "1024MiB" },
	{ 1.2e9, "1.2GB", "1.118GiB" },
	{ 1.235e9, "1.24GB", "1.15GiB" },
	{ 1.2345e9, "1.23GB", "1.15GiB" },
	{ 1.25e9, "1.25GB", "1.164GiB" },
	{ 1610612736, "1.61GB", "1.5GiB" },
	{ 123456789012, "123GB", "115GiB" },
	{ 1e15, "1PB", "909.5TiB" },
	{ 123e18, "123EB", "106.7EiB" },
	{ 1e24, "1YB", "847ZiB" },
	{ 1e27, "1e+03YB", "827.2YiB" },
	{ 1e30, "1e+06YB", "8.272e+05YiB" },
	{ 0.5, "0.5B", "0.5B" },
	{ 0.0001, "0.0001B", "0.0001B" },
	{ 0.00001, "1e-05B", "1e-05B" },
};

static void test_sizes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char buf[32], what[64];
		snprintf(what, sizeof(what), "human_size(%.17g)", sizes[i].bytes);
		CHECK_STR(human_size(sizes[i].bytes, buf), sizes[i].decimal, what);
		snprintf(what, sizeof(what), "human_size_binary(%.17g)", sizes[i].bytes);
		CHECK_STR(human_size_binary(sizes[i].bytes, buf), sizes[i].binary, what);
	}
}

static const struct {
	double seconds;
	const char *want;
} durations[] = {
	{ -5, "Less than a second" },
	{ 0, "Less than a second" },
	{ 0.5, "Less than a second" },
	{ 0.999, "Less than a second" },
	{ 1, "1 second" },
	{ 1.999, "1 second" },
	{ 2, "2 seconds" },
	{ 59, "59 seconds" },
	{ 59.999, "59 seconds" },
	{ 60, "About a minute" },
	{ 61, "About a minute" },
	{ 119.99, "About a minute" },
	{ 120, "2 minutes" },
	{ 3599, "59 minutes" },
	{ 3600, "About an hour" },
	{ 5399, "About an hour" },
	{ 5400, "2 hours" },
	{ 5400.5, "2 hours" },
	{ 7199, "2 hours" },
	{ 7200, "2 hours" },
	{ 86399, "24 hours" },
	{ 169000, "47 hours" },
	{ 171000, "2 days" }, /* 47.5 hours rounds to 48 */
	{ 172799, "2 days" },
	{ 172800, "2 days" },
	{ 1209599, "2 weeks" },
	{ 1209600, "2 weeks" },
	{ 5183999, "2 months" },
	{ 5184000, "2 months" },
	{ 63071999, "1 years" },
	{ 63072000, "2 years" },
	{ 1e9, "31 years" },
	/* Past int64 nanoseconds Go's conversion overflows; we clamp instead. */
	{ 1e12, "292 years" },
};

static void test_durations(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		char buf[32], what[64];
		snprintf(what, sizeof(what), "human_duration(%g)", durations[i].seconds);
		CHECK_STR(human_duration(durations[i].seconds, buf), durations[i].want, what);
	}
}

/* Go's time.Duration.String, checked against Go's own outputs. */
static void test_go_durations(void)
{
	static const struct {
		int64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ns" },
		{ 1100, "1.1\xc2\xb5s" },
		{ 2200000, "2.2ms" },
		{ 500000000, "500ms" },
		{ 1000000000, "1s" },
		{ 1500000000, "1.5s" },
		{ 30000000000, "30s" },
		{ 90000000000, "1m30s" },
		{ 3600000000000, "1h0m0s" },
		{ 3661000000001, "1h1m1.000000001s" },
		{ -5000000000, "-5s" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[32], what[64];

		snprintf(what, sizeof(what), "human_go_duration(%lld)", (long long)cases[i].ns);
		CHECK_STR(human_go_duration(cases[i].ns, buf), cases[i].want, what);
	}
}

static void test_since(void)
{
	char buf[48];
	time_t now = 1714564800;

	CHECK_STR(human_since(now - 5, now, buf), "5 seconds ago", "since 5s");
	CHECK_STR(human_since(now - 3600, now, buf), "About an hour ago", "since 1h");
	CHECK_STR(human_since(now - 3 * 86400, now, buf), "3 days ago", "since 3 days");
	CHECK_STR(human_since(now, now, buf), "Less than a second ago", "since now");
	CHECK_STR(human_since(now + 100, now, buf), "Less than a second ago", "since the future");
}

static const struct {
	int64_t sec;
	long nsec;
	const char *want;
} times[] = {
	{ 0, 0, "1970-01-01T00:00:00Z" },
	{ 1714564800, 123456789, "2024-05-01T12:00:00.123456789Z" },
	{ 1714564800, 100000000, "2024-05-01T12:00:00.1Z" },
	{ 1714564800, 1, "2024-05-01T12:00:00.000000001Z" },
	{ 1, 10, "1970-01-01T00:00:01.00000001Z" },
	{ -1, 0, "1969-12-31T23:59:59Z" },
	{ -1, 500000000, "1969-12-31T23:59:59.5Z" },
	{ 0, -500000000, "1969-12-31T23:59:59.5Z" },
	{ 0, 1500000000, "1970-01-01T00:00:01.5Z" },
	{ 951782400, 0, "2000-02-29T00:00:00Z" },
	{ 253402300799, 999999999, "9999-12-31T23:59:59.999999999Z" },
	{ -62135596800, 0, "0001-01-01T00:00:00Z" },
};

static void test_rfc3339_format(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		char buf[48], what[64];
		snprintf(what, sizeof(what), "human_rfc3339(%lld, %ld)", (long long)times[i].sec,
			 times[i].nsec);
		CHECK_STR(human_rfc3339(times[i].sec, times[i].nsec, buf), times[i].want, what);
	}
}

static const struct {
	const char *in;
	int64_t sec; /* when err_has is NULL */
	long nsec;
	const char *err_has;
} parses[] = {
	{ "2024-05-01T12:00:00Z", 1714564800, 0 },
	{ "2024-05-01T12:00:00.123456789Z", 1714564800, 123456789 },
	{ "2024-05-01T12:00:00.1Z", 1714564800, 100000000 },
	{ "2024-05-01T12:00:00.000000001Z", 1714564800, 1 },
	{ "2024-05-01T12:00:00.1234567891234Z", 1714564800, 123456789 },
	{ "2024-05-01T14:00:00+02:00", 1714564800, 0 },
	{ "2024-05-01T09:30:00-02:30", 1714564800, 0 },
	{ "2024-05-01T12:00:00+00:00", 1714564800, 0 },
	{ "2024-05-01T12:00:00-00:00", 1714564800, 0 },
	{ "2024-05-01T12:00:00+23:59", 1714478460, 0 },
	{ "2024-02-29T00:00:00Z", 1709164800, 0 },
	{ "1969-12-31T23:59:59.5Z", -1, 500000000 },
	{ "0000-01-01T00:00:00Z", -62167219200, 0 },
	{ "9999-12-31T23:59:59Z", 253402300799, 0 },
	{ "2023-02-29T00:00:00Z", 0, 0, "day out of range" },
	{ "2100-02-29T00:00:00Z", 0, 0, "day out of range" },
	{ "2024-04-31T00:00:00Z", 0, 0, "day out of range" },
	{ "2024-00-01T00:00:00Z", 0, 0, "month out of range" },
	{ "2024-13-01T00:00:00Z", 0, 0, "month out of range" },
	{ "2024-05-00T00:00:00Z", 0, 0, "day out of range" },
	{ "2024-05-01T24:00:00Z", 0, 0, "hour out of range" },
	{ "2024-05-01T12:60:00Z", 0, 0, "minute out of range" },
	{ "2024-05-01T12:00:60Z", 0, 0, "second out of range" },
	{ "2024-05-01T12:00:00+24:00", 0, 0, "time zone offset out of range" },
	{ "2024-05-01T12:00:00+01:60", 0, 0, "time zone offset out of range" },
	{ "2024-05-01 12:00:00Z", 0, 0, "bad RFC 3339 time \"2024-05-01 12:00:00Z\"" },
	{ "2024-05-01t12:00:00Z", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00.Z", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00z", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00Zjunk", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00+0200", 0, 0, "bad RFC 3339 time" },
	{ "2024-05-01T12:00:00+02", 0, 0, "bad RFC 3339 time" },
	{ "2024-5-01T12:00:00Z", 0, 0, "bad RFC 3339 time" },
	{ "garbage", 0, 0, "bad RFC 3339 time \"garbage\"" },
	{ "", 0, 0, "bad RFC 3339 time \"\"" },
};

static void test_rfc3339_parse(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parses); i++) {
		struct berth_err err = { 0 };
		int64_t sec = 0;
		long nsec = 0;
		int r = human_parse_rfc3339(parses[i].in, &sec, &nsec, &err);
		if (parses[i].err_has == NULL) {
			CHECK(r == 0 && sec == parses[i].sec && nsec == parses[i].nsec,
			      "parse \"%s\": got %lld.%09ld (%s)", parses[i].in, (long long)sec,
			      nsec, r < 0 ? err.msg : "ok");
		} else {
			CHECK(r < 0 && strstr(err.msg, parses[i].err_has) != NULL,
			      "parse \"%s\" fails: \"%s\" has \"%s\"", parses[i].in, err.msg,
			      parses[i].err_has);
		}
	}
}

/* Formatting then parsing gives the instant back. */
static void test_rfc3339_round_trip(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		char buf[48];
		struct berth_err err = { 0 };
		int64_t sec, want_sec = times[i].sec + times[i].nsec / 1000000000;
		long nsec, want_nsec = times[i].nsec % 1000000000;
		if (want_nsec < 0) {
			want_nsec += 1000000000;
			want_sec--;
		}
		human_rfc3339(times[i].sec, times[i].nsec, buf);
		CHECK(human_parse_rfc3339(buf, &sec, &nsec, &err) == 0 && sec == want_sec &&
			  nsec == want_nsec,
		      "%s round-trips", buf);
	}
}

/* go-units HumanSize: four significant digits, the same unit steps. */
static const struct {
	double bytes;
	const char *want;
} sizes4[] = {
	{ 0, "0B" },
	{ 0.5, "0.5B" },
	{ 999, "999B" },
	{ 1000, "1kB" },
	{ 1023, "1.023kB" },
	{ 999999, "1000kB" },
	{ 1e6, "1MB" },
	{ 4261888, "4.262MB" },
	{ 9999499, "9.999MB" },
	{ 12345678, "12.35MB" },
	{ 77900000, "77.9MB" },
	{ 1234567890, "1.235GB" },
	{ 123456789012, "123.5GB" },
	{ 1e27, "1000YB" },
	{ 1e28, "1e+04YB" },
};

static void test_sizes4(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sizes4); i++) {
		char buf[32], what[64];
		snprintf(what, sizeof(what), "human_size4(%.17g)", sizes4[i].bytes);
		CHECK_STR(human_size4(sizes4[i].bytes, buf), sizes4[i].want, what);
	}
}

int main(void)
{
	test_sizes();
	test_sizes4();
	test_durations();
	test_go_durations();
	test_since();
	test_rfc3339_format();
	test_rfc3339_parse();
	test_rfc3339_round_trip();
	return TEST_DONE();
}
