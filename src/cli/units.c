#include "cli/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/num.h"

/* [0-9]+(.[0-9]+)?, and nothing strtod would add (signs, exponents, hex,
 * "inf", leading spaces). */
static int parse_decimal(const char *s, double *v, const char **end)
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

int cli_parse_size(const char *s, int64_t *out)
{
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	return num_parse_size(s, out) < 0 ? -1 : 0;
}

int cli_parse_duration(const char *s, struct timespec *out)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		const char *end;
		double v;
		size_t best = 0, best_len = 0;

		if (parse_decimal(s, &v, &end) < 0)
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
	if (total <= 0 || total > 1e18)
		return -1;
	out->tv_sec = (time_t)(total / 1e9);
	out->tv_nsec = (long)(total - (double)out->tv_sec * 1e9);
	return 0;
}
