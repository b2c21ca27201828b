/* Values printed as Go prints them, for the template functions
 * (template-funcs.c): fmt's %v (strings bare, floats in strconv's shortest
 * form, [a b c], map[k:v] with sorted keys), encoding/json (with docker's
 * SetEscapeHTML(false)) and strconv.Quote for %q. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/quote.h"
#include "util/template-internal.h"

static void fmt_int(struct buf *b, json_object *j)
{
	int64_t i = json_object_get_int64(j);

	if (i == INT64_MAX) /* json-c keeps values past INT64_MAX as uint64 */
		buf_printf(b, "%" PRIu64, json_object_get_uint64(j));
	else
		buf_printf(b, "%" PRId64, i);
}

/* The shortest decimal digits that read back as d (finite, > 0), as Go's
 * strconv finds them; d = 0.DIGITS * 10^(exp + 1). */
static size_t float_digits(double d, char *dig, int *exp)
{
	char tmp[40];
	size_t n = 0;
	const char *p;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	for (p = tmp; *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[n++] = *p;
	while (n > 1 && dig[n - 1] == '0')
		n--;
	*exp = atoi(p + 1);
	return n;
}

/* D.DDDe+XX; json: no zero padding in the exponent. */
static void fmt_float_exp(struct buf *b, const char *dig, size_t n, int exp, bool json)
{
	buf_putc(b, dig[0]);
	if (n > 1) {
		buf_putc(b, '.');
		buf_add(b, dig + 1, n - 1);
	}
	buf_printf(b, json ? "e%c%d" : "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
}

static void fmt_float_fixed(struct buf *b, const char *dig, size_t n, int exp)
{
	int dp = exp + 1; /* digits before the point */

	if (dp <= 0) {
		buf_puts(b, "0.");
		buf_pad(b, '0', (size_t)-dp);
		buf_add(b, dig, n);
	} else if ((size_t)dp >= n) {
		buf_add(b, dig, n);
		buf_pad(b, '0', (size_t)dp - n);
	} else {
		buf_add(b, dig, (size_t)dp);
		buf_putc(b, '.');
		buf_add(b, dig + dp, n - (size_t)dp);
	}
}

/* Go's %v for a float64 (strconv 'g', shortest, exponent from 1e+06 or
 * below 1e-04), or with json set encoding/json's form (exponent from 1e21 or
 * below 1e-6, and no zero padding in it). */
void tmpl_fmt_float(struct buf *b, double d, bool json)
{
	char dig[24];
	int exp;
	size_t n;

	if (isnan(d)) {
		buf_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_puts(b, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(d)) {
		buf_putc(b, '-');
		d = -d;
	}
	if (d == 0) {
		buf_putc(b, '0');
		return;
	}
	n = float_digits(d, dig, &exp);
	if (json ? (d < 1e-6 || d >= 1e21) : (exp < -4 || exp >= 6))
		fmt_float_exp(b, dig, n, exp, json);
	else
		fmt_float_fixed(b, dig, n, exp);
}

static void fmt_array(struct buf *b, json_object *j)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		if (i > 0)
			buf_putc(b, ' ');
		tmpl_fmt_value(b, json_object_array_get_idx(j, i));
	}
	buf_putc(b, ']');
}

static void fmt_object(struct buf *b, json_object *j)
{
	size_t n;
	autofree char **keys = tmpl_object_keys(j, &n);

	buf_puts(b, "map[");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		buf_puts(b, keys[i]);
		buf_putc(b, ':');
		tmpl_fmt_value(b, object_get(j, keys[i]));
	}
	buf_putc(b, ']');
}

void tmpl_fmt_value(struct buf *b, json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_null:
		buf_puts(b, "<nil>");
		break;
	case json_type_boolean:
		buf_puts(b, json_object_get_boolean(j) ? "true" : "false");
		break;
	case json_type_int:
		fmt_int(b, j);
		break;
	case json_type_double:
		tmpl_fmt_float(b, json_object_get_double(j), false);
		break;
	case json_type_string:
		buf_add(b, json_object_get_string(j), (size_t)json_object_get_string_len(j));
		break;
	case json_type_array:
		fmt_array(b, j);
		break;
	case json_type_object:
		fmt_object(b, j);
		break;
	}
}

/* A function argument or printf operand: nil prints as Go's <nil>. */
void tmpl_fmt_arg(struct buf *b, const struct val *v)
{
	if (val_is_nil(v))
		buf_puts(b, "<nil>");
	else
		tmpl_fmt_value(b, v->j);
}

/* "type=value" as fmt prints a misused operand; nil is just <nil>. */
void tmpl_fmt_typed(struct buf *b, const struct val *v)
{
	if (!val_is_nil(v)) {
		buf_puts(b, tmpl_val_type_name(v));
		buf_putc(b, '=');
	}
	tmpl_fmt_arg(b, v);
}

/* A double-quoted string as encoding/json writes it (json; with docker's
 * SetEscapeHTML(false) <, > and & stay) or as Go's strconv.Quote does
 * (util/quote.c). */
void tmpl_quote(struct buf *b, const char *s, size_t n, bool json)
{
	autofree char *q = quote_string(s, n, json ? QUOTE_JSON : QUOTE_GO);

	buf_puts(b, q);
}

static int json_encode_array(struct buf *b, json_object *j)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		if (i > 0)
			buf_putc(b, ',');
		if (tmpl_json_encode(b, json_object_array_get_idx(j, i)) < 0)
			return -1;
	}
	buf_putc(b, ']');
	return 0;
}

/* Keys in the object's own order: see "json" in template.c's notes. */
static int json_encode_object(struct buf *b, json_object *j)
{
	bool first = true;

	buf_putc(b, '{');
	json_object_object_foreach(j, key, child)
	{
		if (!first)
			buf_putc(b, ',');
		first = false;
		tmpl_quote(b, key, strlen(key), true);
		buf_putc(b, ':');
		if (tmpl_json_encode(b, child) < 0)
			return -1;
	}
	buf_putc(b, '}');
	return 0;
}

/* Compact JSON; -1 for NaN or infinity, which JSON cannot hold. */
int tmpl_json_encode(struct buf *b, json_object *j)
{
	switch (json_object_get_type(j)) {
	case json_type_null:
		buf_puts(b, "null");
		return 0;
	case json_type_double:
		if (!isfinite(json_object_get_double(j)))
			return -1;
		tmpl_fmt_float(b, json_object_get_double(j), true);
		return 0;
	case json_type_string:
		tmpl_quote(b, json_object_get_string(j), (size_t)json_object_get_string_len(j),
			   true);
		return 0;
	case json_type_array:
		return json_encode_array(b, j);
	case json_type_object:
		return json_encode_object(b, j);
	default: /* boolean, int */
		tmpl_fmt_value(b, j);
		return 0;
	}
}
