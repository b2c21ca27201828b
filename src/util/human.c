/* Sizes, durations and times as docker prints them. Docker formats these with
 * go-units and Go's fmt/time, and scripts compare the text, so the rules
 * below follow those functions step by step:
 *
 *  - a size is divided by the base while it is >= the base (one division
 *    per unit, in double, as go-units does), then printed with "%.<p>g".
 *    Go's %g with a precision rounds and chooses between %e and %f as C's
 *    does (exponent < -4 or >= precision) and drops trailing zeros, so
 *    snprintf gives the same text; only NaN and the infinities are spelled
 *    differently and are special-cased.
 *  - a duration is a Go time.Duration (int64 nanoseconds), and the
 *    Seconds/Minutes/Hours conversions are the same float expressions Go
 *    evaluates, so the rounding at every boundary is Go's.
 *  - times are time.RFC3339Nano in UTC. */
#include "util/human.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"

static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
static const char *const binary_units[] = { "B",   "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB", "ZiB", "YiB" };

/* go-units getSizeAndUnit + fmt.Sprintf("%.*g%s", precision, size, unit). */
static char *human_size_fmt(double size, double base, const char *const units[], size_t nunits,
			    int precision, char buf[static 32])
{
	size_t i = 0;

	while (size >= base && i < nunits - 1) {
		size /= base;
		i++;
	}
	if (isnan(size))
		snprintf(buf, 32, "NaN%s", units[i]);
	else if (isinf(size))
		snprintf(buf, 32, "%sInf%s", size < 0 ? "-" : "+", units[i]);
	else
		snprintf(buf, 32, "%.*g%s", precision, size, units[i]);
	return buf;
}

/* docker images: units.HumanSizeWithPrecision(size, 3). */
char *human_size(double bytes, char buf[static 32])
{
	return human_size_fmt(bytes, 1000.0, decimal_units, ARRAY_SIZE(decimal_units), 3, buf);
}

/* go-units HumanSize, HumanSizeWithPrecision(size, 4): docker's VirtualSize,
 * SharedSize, system df and the prune totals. */
char *human_size4(double bytes, char buf[static 32])
{
	return human_size_fmt(bytes, 1000.0, decimal_units, ARRAY_SIZE(decimal_units), 4, buf);
}

/* go-units BytesSize: CustomSize("%.4g%s", size, 1024.0, binaryAbbrs). */
char *human_size_binary(double bytes, char buf[static 32])
{
	return human_size_fmt(bytes, 1024.0, binary_units, ARRAY_SIZE(binary_units), 4, buf);
}

#define NS_PER_SEC  INT64_C(1000000000)
#define NS_PER_MIN  (60 * NS_PER_SEC)
#define NS_PER_HOUR (60 * NS_PER_MIN)

/* A float number of seconds as a time.Duration: truncated toward zero, and
 * clamped where int64 nanoseconds end (about 292 years). */
static int64_t duration_from_seconds(double seconds)
{
	double ns = seconds * 1e9;

	if (isnan(ns))
		return 0;
	if (ns >= 9223372036854775807.0)
		return INT64_MAX;
	if (ns <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)ns;
}

/* time.Duration.Seconds(), Minutes(), Hours(): whole units plus the
 * remainder as a fraction, in that order of operations. */
static double duration_in(int64_t d, int64_t unit)
{
	return (double)(d / unit) + (double)(d % unit) / (double)unit;
}

/* go-units HumanDuration. Go's int(x) truncates toward zero, as a C cast
 * does. */
char *human_duration(double seconds, char buf[static 32])
{
	int64_t d = duration_from_seconds(seconds);
	int64_t secs = (int64_t)duration_in(d, NS_PER_SEC);
	int64_t minutes, hours;

	if (secs < 1) {
		snprintf(buf, 32, "Less than a second");
		return buf;
	}
	if (secs == 1) {
		snprintf(buf, 32, "1 second");
		return buf;
	}
	if (secs < 60) {
		snprintf(buf, 32, "%" PRId64 " seconds", secs);
		return buf;
	}
	minutes = (int64_t)duration_in(d, NS_PER_MIN);
	if (minutes == 1) {
		snprintf(buf, 32, "About a minute");
		return buf;
	}
	if (minutes < 60) {
		snprintf(buf, 32, "%" PRId64 " minutes", minutes);
		return buf;
	}
	hours = (int64_t)(duration_in(d, NS_PER_HOUR) + 0.5);
	if (hours == 1)
		snprintf(buf, 32, "About an hour");
	else if (hours < 48)
		snprintf(buf, 32, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, 32, "%" PRId64 " days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, 32, "%" PRId64 " weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, 32, "%" PRId64 " months", hours / 24 / 30);
	else /* go-units counts years from the unrounded hours */
		snprintf(buf, 32, "%" PRId64 " years",
			 (int64_t)duration_in(d, NS_PER_HOUR) / 24 / 365);
	return buf;
}

char *human_since(time_t then, time_t now, char buf[static 48])
{
	char d[32];

	snprintf(buf, 48, "%s ago", human_duration(difftime(now, then), d));
	return buf;
}

char *human_rfc3339(int64_t sec, long nsec, char buf[static 48])
{
	struct tm tm;
	time_t t;
	char *p;
	int n;

	/* Fold nsec into [0, 1e9) so that the seconds field is right for
	 * timestamps before the epoch too. */
	sec += nsec / NS_PER_SEC;
	nsec %= NS_PER_SEC;
	if (nsec < 0) {
		nsec += NS_PER_SEC;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, 48, "%" PRId64, sec);
		return buf;
	}
	/* The date is at most 26 characters (a 64-bit time_t ends near year
	 * 2^31), the fraction 10 and "Z" 1, so 48 bytes always hold it all. */
	n = snprintf(buf, 48, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || n > 48 - 12)
		return buf;
	p = buf + n;
	if (nsec != 0) {
		int digits = 9;
		/* Go's RFC3339Nano: nine digits with the trailing zeros trimmed. */
		while (nsec % 10 == 0) {
			nsec /= 10;
			digits--;
		}
		*p++ = '.';
		for (int i = digits - 1; i >= 0; i--, nsec /= 10)
			p[i] = (char)('0' + nsec % 10);
		p += digits;
	}
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

/* Exactly n decimal digits at *p; advances past them. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* time.Parse(time.RFC3339, s): "YYYY-MM-DDTHH:MM:SS", an optional fraction
 * of any length (digits past the ninth are dropped, as Go drops them), then
 * "Z" or "+HH:MM" / "-HH:MM". */
int human_parse_rfc3339(const char *s, int64_t *sec, long *nsec, struct berth_err *err)
{
	const char *p = s;
	int year, mon, mday, hour, min, secs, off_h = 0, off_m = 0, off_sign = 0;
	long frac = 0;
	struct tm tm = { 0 };
	const char *range = NULL;

	if (s == NULL)
		return berth_err_set(err, 0, "bad RFC 3339 time \"\"");
	if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
	    !take_char(&p, '-') || !take_digits(&p, 2, &mday) || !take_char(&p, 'T') ||
	    !take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &min) ||
	    !take_char(&p, ':') || !take_digits(&p, 2, &secs))
		goto bad;
	if (take_char(&p, '.')) {
		int ndigits = 0;
		if (*p < '0' || *p > '9')
			goto bad;
		for (; *p >= '0' && *p <= '9'; p++, ndigits++)
			if (ndigits < 9)
				frac = frac * 10 + (*p - '0');
		for (; ndigits < 9; ndigits++)
			frac *= 10;
	}
	if (take_char(&p, 'Z')) {
		off_sign = 0;
	} else if (*p == '+' || *p == '-') {
		off_sign = *p++ == '+' ? 1 : -1;
		if (!take_digits(&p, 2, &off_h) || !take_char(&p, ':') ||
		    !take_digits(&p, 2, &off_m))
			goto bad;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;

	if (mon < 1 || mon > 12)
		range = "month";
	else if (mday < 1 || mday > days_in_month(year, mon))
		range = "day";
	else if (hour > 23)
		range = "hour";
	else if (min > 59)
		range = "minute";
	else if (secs > 59)
		range = "second";
	else if (off_h > 23 || off_m > 59)
		range = "time zone offset";
	if (range != NULL)
		return berth_err_set(err, 0, "bad RFC 3339 time \"%s\": %s out of range", s, range);

	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = secs;
	*sec = (int64_t)timegm(&tm) - off_sign * (off_h * 3600 + off_m * 60);
	*nsec = frac;
	return 0;
bad:
	return berth_err_set(
	    err, 0, "bad RFC 3339 time \"%s\": want YYYY-MM-DDTHH:MM:SS[.fraction] and Z or +HH:MM",
	    s);
}

/* Go's fmtFrac + fmtInt: "<int>[.<frac without trailing zeros>]". */
static int go_frac(char *out, size_t cap, uint64_t v, int prec)
{
	uint64_t div = 1, frac;
	int n, digits = prec;

	for (int i = 0; i < prec; i++)
		div *= 10;
	frac = v % div;
	while (digits > 0 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (digits == 0)
		n = snprintf(out, cap, "%" PRIu64, v / div);
	else
		n = snprintf(out, cap, "%" PRIu64 ".%0*" PRIu64, v / div, digits, frac);
	return n < 0 ? 0 : n;
}

char *human_go_duration(int64_t ns, char buf[static 32])
{
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	size_t n = 0;

	if (ns < 0)
		buf[n++] = '-';
	if (u == 0) {
		snprintf(buf, 32, "0s");
		return buf;
	}
	if (u < 1000000000u) {
		/* below a second: ns, us or ms, with a fraction */
		const char *unit = u < 1000 ? "ns" : u < 1000000 ? "\xc2\xb5s" : "ms";
		int prec = u < 1000 ? 0 : u < 1000000 ? 3 : 6;

		n += (size_t)go_frac(buf + n, 32 - n, u, prec);
		snprintf(buf + n, 32 - n, "%s", unit);
		return buf;
	}
	{
		uint64_t secs = u / 1000000000u, h = secs / 3600, m = secs / 60 % 60;

		if (h > 0)
			n += (size_t)snprintf(buf + n, 32 - n, "%" PRIu64 "h", h);
		if (h > 0 || m > 0)
			n += (size_t)snprintf(buf + n, 32 - n, "%" PRIu64 "m", m);
		n += (size_t)go_frac(buf + n, 32 - n, u % 60000000000u, 9);
		snprintf(buf + n, 32 - n, "s");
	}
	return buf;
}

/* [0-9]+(.[0-9]+)?, and nothing strtod would add (signs, exponents, hex,
 * "inf", leading spaces). */
int human_parse_decimal(const char *s, double *v, const char **end)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return -1;
	if (*p == '.') {
		const char *frac = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return -1;
	}
	*v = strtod(s, NULL);
	*end = p;
	return 0;
}

int human_parse_go_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	bool negative = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	/* Go: "0" alone needs no unit. */
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		const char *end = s;
		double v = 0, scale = 1;
		size_t best = 0, best_len = 0;

		/* [0-9]*(.[0-9]*)? with a digit somewhere (Go takes ".5s" and
		 * "5.s"); no sign, exponent, hex or "inf", which strtod would
		 * take and Go does not. */
		for (; *end >= '0' && *end <= '9'; end++)
			v = v * 10 + (*end - '0');
		if (*end == '.')
			for (end++; *end >= '0' && *end <= '9'; end++)
				v += (*end - '0') * (scale /= 10);
		if (end == s || (end == s + 1 && *s == '.'))
			return -1;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);

			if (strncmp(end, units[i].unit, n) == 0 && n > best_len) {
				best = i;
				best_len = n;
			}
		}
		if (best_len == 0)
			return -1;
		total += v * units[best].ns;
		s = end + best_len;
	}
	/* Go: "invalid duration" past what an int64 of nanoseconds holds. */
	if (!(total < 9.2e18))
		return -1;
	*ns = negative ? -(int64_t)total : (int64_t)total;
	return 0;
}
