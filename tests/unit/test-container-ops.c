/* The pure logic of container-ops.c: --since/--until parsing, the stats
 * arithmetic docker's CLI does (CPU % from two samples, memory without the
 * inactive cache, block I/O sums) and Config.Env's merge. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"

#define NS 1000000000LL

static int64_t ts(const char *s, int64_t now, int *ok)
{
	struct berth_err err = { 0 };
	int64_t out = -1;

	*ok = engine_timestamp_parse(s, now, &out, &err) == 0;
	return out;
}

static void test_timestamps(void)
{
	const int64_t now = 1700000000LL * NS;
	int ok;

	/* Go durations count back from now. */
	CHECK(ts("10m", now, &ok) == now - 600 * NS && ok, "10m");
	CHECK(ts("1h30m", now, &ok) == now - 5400 * NS && ok, "1h30m");
	CHECK(ts("1.5s", now, &ok) == now - 1500000000LL && ok, "1.5s");
	CHECK(ts("250ms", now, &ok) == now - 250000000LL && ok, "250ms");
	CHECK(ts("-1m", now, &ok) == now + 60 * NS && ok, "-1m: the future");
	/* RFC 3339 with a zone, and its fraction. */
	CHECK(ts("2023-11-14T22:13:20Z", now, &ok) == now && ok, "RFC 3339 Z");
	CHECK(ts("2023-11-14T23:13:20+01:00", now, &ok) == now && ok, "RFC 3339 offset");
	CHECK(ts("2023-11-14T22:13:20.5Z", now, &ok) == now + 500000000LL && ok,
	      "RFC 3339 fraction");
	/* Unix seconds; "0" is the epoch, not a duration. */
	CHECK(ts("1700000000", now, &ok) == now && ok, "unix seconds");
	CHECK(ts("1700000000.25", now, &ok) == now + 250000000LL && ok, "unix fraction");
	CHECK(ts("0", now, &ok) == 0 && ok, "0 is the epoch");
	/* Without a zone: local time (docker's ParseInLocation). */
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(ts("2023-11-14", now, &ok) == (1700000000LL - 80000) * NS && ok, "date, UTC");
	CHECK(ts("2023-11-14T22:13", now, &ok) == (1700000000LL - 20) * NS && ok,
	      "date and minutes, UTC");
	CHECK(ts("2023-11-14T22", now, &ok) == (1700000000LL - 800) * NS && ok,
	      "date and hour, UTC");
	CHECK(ts("2023-11-14T22:13:20", now, &ok) == now && ok, "no zone, UTC");
	setenv("TZ", "EST5", 1);
	tzset();
	CHECK(ts("2023-11-14T17:13:20", now, &ok) == now && ok, "no zone, UTC-5");
	unsetenv("TZ");
	tzset();
	/* Garbage. */
	ts("yesterday", now, &ok);
	CHECK(!ok, "yesterday refused");
	ts("10x", now, &ok);
	CHECK(!ok, "10x refused");
	ts("2023-13-01", now, &ok);
	CHECK(!ok, "month 13 refused");
	ts("", now, &ok);
	CHECK(!ok, "empty refused");
	/* Out of range: an error, never a cast of a double past int64. */
	ts("99999999999999999999h", now, &ok);
	CHECK(!ok, "a duration past int64 nanoseconds refused");
	ts("-2500000h", now, &ok);
	CHECK(!ok, "now minus a duration that overflows refused");
	ts("1e3s", now, &ok);
	CHECK(!ok, "no exponent in a Go duration");
	CHECK(ts(".5s", now, &ok) == now - 500000000LL && ok, ".5s, as Go takes it");
	ts(".s", now, &ok);
	CHECK(!ok, "a dot alone is no number");
	ts("99999999999999999999999", now, &ok);
	CHECK(!ok, "unix seconds past int64 refused");
}

static void test_cpu_percent(void)
{
	struct engine_stats a = { 0 }, b = { 0 };

	/* Half of one cpu's time on a 4-cpu host: the host's total moves by
	 * 4 s per second, the container's by 0.5 s: 12.5% of the host, times
	 * 4 cpus = 50%. */
	a.cpu_ns = 10 * NS;
	a.system_ns = 1000 * NS;
	b.cpu_ns = a.cpu_ns + NS / 2;
	b.system_ns = a.system_ns + 4 * NS;
	b.online_cpus = 4;
	CHECK(engine_stats_cpu_percent(&a, &b) == 50.0, "50%%: got %f",
	      engine_stats_cpu_percent(&a, &b));
	/* Two busy cpus of four: 200%, as docker shows it. */
	b.cpu_ns = a.cpu_ns + 2 * NS;
	CHECK(engine_stats_cpu_percent(&a, &b) == 200.0, "200%%");
	/* Nothing moved, or the host's counter did not: 0, never a NaN. */
	CHECK(engine_stats_cpu_percent(&a, &a) == 0.0, "no time passed");
	b.system_ns = a.system_ns;
	CHECK(engine_stats_cpu_percent(&a, &b) == 0.0, "host counter still");
}

static json_object *parse(const char *text)
{
	return json_tokener_parse(text);
}

static void test_stats_json(void)
{
	struct engine_stats s;
	json_object *v1 =
	    parse("{\"cpu\":{\"usage\":{\"total\":123456789}},"
		  "\"memory\":{\"usage\":{\"usage\":10485760,\"limit\":9223372036854771712},"
		  "\"raw\":{\"total_inactive_file\":4194304,\"cache\":5000000}},"
		  "\"pids\":{\"current\":3,\"limit\":0},"
		  "\"blkio\":{\"ioServiceBytesRecursive\":["
		  "{\"major\":8,\"minor\":0,\"op\":\"Read\",\"value\":4096},"
		  "{\"major\":8,\"minor\":0,\"op\":\"Write\",\"value\":8192},"
		  "{\"major\":8,\"minor\":16,\"op\":\"Read\",\"value\":100},"
		  "{\"major\":8,\"minor\":0,\"op\":\"Sync\",\"value\":7}]}}");
	json_object *v2 = parse("{\"cpu\":{\"usage\":{\"total\":5000}},"
				"\"memory\":{\"usage\":{\"usage\":2097152,\"limit\":1048576000},"
				"\"raw\":{\"inactive_file\":3000000}},"
				"\"pids\":{\"current\":1}}");

	/* v1: usage less total_inactive_file; no limit: the host's memory. */
	engine_stats_from_json(v1, 8ULL << 30, &s);
	CHECK(s.cpu_ns == 123456789, "cpu total");
	CHECK(s.mem_usage == 6291456, "v1 usage without inactive file: %llu",
	      (unsigned long long)s.mem_usage);
	CHECK(s.mem_limit == 8ULL << 30, "unlimited: host memory");
	CHECK(s.pids == 3, "pids");
	CHECK(s.blk_read == 4196 && s.blk_write == 8192, "blkio sums: %llu %llu",
	      (unsigned long long)s.blk_read, (unsigned long long)s.blk_write);
	CHECK(engine_stats_mem_percent(&s) > 0.0732 && engine_stats_mem_percent(&s) < 0.0733,
	      "mem %%: %f", engine_stats_mem_percent(&s));
	/* v2: inactive_file above usage is not subtracted (docker's rule). */
	engine_stats_from_json(v2, 8ULL << 30, &s);
	CHECK(s.mem_usage == 2097152, "v2 usage kept when inactive_file > usage");
	CHECK(s.mem_limit == 1048576000, "v2 limit");
	CHECK(engine_stats_mem_percent(&s) == 2097152.0 / 1048576000.0 * 100.0, "v2 mem %%");
	CHECK(s.blk_read == 0 && s.blk_write == 0, "no blkio");
	/* Nothing at all. */
	engine_stats_from_json(NULL, 0, &s);
	CHECK(s.mem_usage == 0 && s.mem_limit == 0 && engine_stats_mem_percent(&s) == 0.0,
	      "empty data");
	json_object_put(v1);
	json_object_put(v2);
}

static char *join(char **v)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, v[i]);
	}
	return buf;
}

static void test_env_merge(void)
{
	autostrv char **image = NULL, **user = NULL, **ran = NULL;
	char **v;

	strv_push(&image, "PATH=/usr/bin:/bin");
	strv_push(&image, "LANG=C");
	strv_push(&image, "KEEP=1");
	strv_push(&user, "LANG=en_US.UTF-8");
	strv_push(&user, "NEW=x");
	strv_push(&user, "FROMCALLER");
	strv_push(&user, "UNSET");
	strv_push(&user, "KEEP");
	strv_push(&ran, "PATH=/usr/bin:/bin");
	strv_push(&ran, "HOSTNAME=abc");
	strv_push(&ran, "LANG=en_US.UTF-8");
	strv_push(&ran, "FROMCALLER=yes");
	strv_push(&ran, "NEW=x");
	v = engine_env_merge(image, user, ran);

	/* -e replaces in place, appends the new, takes a bare name's value
	 * from what ran, and drops a bare name that was unset. */
	CHECK_STR(join(v), "PATH=/usr/bin:/bin LANG=en_US.UTF-8 NEW=x FROMCALLER=yes", "merged");
	strv_free(v);
	v = engine_env_merge(NULL, NULL, NULL);
	CHECK(v != NULL && v[0] == NULL, "nothing: empty");
	strv_free(v);
}

int main(void)
{
	test_timestamps();
	test_cpu_percent();
	test_stats_json();
	test_env_merge();
	return TEST_DONE();
}
