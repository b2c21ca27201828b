#include "util/num.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* The digits of s (nothing else) as a magnitude. The whole string is
 * scanned before an overflow is reported, so "99999999999999999999x" is a
 * syntax error, not a range error. */
static int parse_magnitude(const char *s, int base, uint64_t *out)
{
	uint64_t v = 0;
	bool overflow = false;

	if (base != 8 && base != 10 && base != 16)
		return -EINVAL;
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		uint64_t d = (uint64_t)digit_value(*s);

		if (d >= (uint64_t)base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			overflow = true;
		else
			v = v * (uint64_t)base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;

	if (s == NULL)
		return -EINVAL;
	r = parse_magnitude(s, base, &v);
	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_i64(const char *s, int base, int64_t min, int64_t max, int64_t *out)
{
	bool neg;
	uint64_t mag;
	int64_t v;
	int r;

	if (s == NULL)
		return -EINVAL;
	neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	r = parse_magnitude(s, base, &mag);
	if (r < 0)
		return r;
	if (neg) {
		/* -INT64_MIN does not fit in an int64: its magnitude is 2^63. */
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return -ERANGE;
		v = (int64_t)mag;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_int(const char *s, int min, int max, int *out)
{
	int64_t v;
	int r = num_parse_i64(s, 10, min, max, &v);

	if (r == 0)
		*out = (int)v;
	return r;
}

int num_take_u64(const char **s, int base, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	char digits[32];
	size_t n = 0;
	int r;

	while (digit_value(p[n]) < base)
		n++;
	if (n == 0)
		return -EINVAL;
	/* Leading zeros cannot overflow: only the significant digits count
	 * against the buffer, and a longer run is out of range anyway. */
	while (n > 1 && *p == '0') {
		p++;
		n--;
	}
	if (n >= sizeof(digits))
		return -ERANGE;
	memcpy(digits, p, n);
	digits[n] = '\0';
	r = num_parse_u64(digits, base, max, out);
	if (r == 0)
		*s = p + n;
	return r;
}

int num_parse_size(const char *s, int64_t *out)
{
	static const char units[] = "kmgtp"; /* 1024^1 .. 1024^5 */
	const char *p = s, *unit;
	uint64_t whole, frac_bytes = 0;
	int64_t mult = 1;
	double frac = 0, scale = 0.1;
	int r;

	if (s == NULL)
		return -EINVAL;
	r = num_take_u64(&p, 10, UINT64_MAX, &whole);
	if (r < 0)
		return r;
	if (*p == '.') {
		if (digit_value(*++p) >= 10)
			return -EINVAL;
		for (; digit_value(*p) < 10; p++, scale /= 10)
			frac += digit_value(*p) * scale;
	}
	if (*p == ' ')
		p++;
	unit = *p != '\0' ? strchr(units, *p | 0x20) : NULL;
	if (unit != NULL) {
		for (const char *u = units; u <= unit; u++)
			mult *= 1024;
		p++;
		if (*p == 'i' || *p == 'I')
			p++;
	}
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0')
		return -EINVAL;
	/* frac < 1 and mult <= 2^50: the product is exact enough in a double,
	 * and below mult. */
	frac_bytes = (uint64_t)(frac * (double)mult);
	if (whole > ((uint64_t)INT64_MAX - frac_bytes) / (uint64_t)mult)
		return -ERANGE;
	*out = (int64_t)(whole * (uint64_t)mult + frac_bytes);
	return 0;
}

const char *num_strerror(int r)
{
	return r == -ERANGE ? "value out of range" : "invalid syntax";
}
