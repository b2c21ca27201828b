/* The functions a template calls: docker's (json, join, split, upper,
 * lower, title, truncate, pad) and text/template's builtins (index, len,
 * print, printf, println, eq, ne, lt, le, gt, ge, not, and, or), over
 * values printed as Go prints them (template-print.c).
 *
 * A function takes evaluated arguments and returns 0 with *out set (an
 * owned value), -1 for its own failure (the evaluator wraps the message in
 * "error calling f: ..."), or ARG_ERR for a wrong argument, whose message
 * stands alone, as in Go. The evaluator has checked the argument count
 * against the table's min and max. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/quote.h"
#include "util/template-internal.h"

#define ARG_ERR (-2)

/* ---------------------------------------------------------------------- */
/* UTF-8 and formatted strings */

/* The bytes of the first count code points of s (all of s when count < 0). */
static size_t utf8_prefix(const char *s, size_t n, int count)
{
	size_t i = 0;
	uint32_t cp;

	for (int k = 0; i < n && (count < 0 || k < count); k++) {
		size_t len = quote_utf8_decode(s + i, n - i, &cp);
		i += len > 0 ? len : 1;
	}
	return i;
}

size_t tmpl_utf8_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; w++)
		i += utf8_prefix(s + i, n - i, 1);
	return w;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	autofree char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)n);
}

/* ---------------------------------------------------------------------- */
/* Values */

const char *tmpl_val_type_name(const struct val *v)
{
	switch (val_type(v)) {
	case json_type_boolean:
		return "bool";
	case json_type_int:
		return "int";
	case json_type_double:
		return "float64";
	case json_type_string:
		return "string";
	case json_type_array:
		return "[]interface {}";
	case json_type_object:
		return "map[string]interface {}";
	default:
		return "nil";
	}
}

bool tmpl_val_truth(const struct val *v)
{
	switch (val_type(v)) {
	case json_type_boolean:
		return json_object_get_boolean(v->j);
	case json_type_int:
		return json_object_get_int64(v->j) != 0;
	case json_type_double:
		return json_object_get_double(v->j) != 0;
	case json_type_string:
		return json_object_get_string_len(v->j) > 0;
	case json_type_array:
		return json_object_array_length(v->j) > 0;
	case json_type_object:
		return json_object_object_length(v->j) > 0;
	default:
		return false;
	}
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tmpl_object_keys(json_object *o, size_t *n)
{
	char **keys = xcalloc((size_t)json_object_object_length(o) + 1, sizeof(*keys));
	size_t i = 0;

	json_object_object_foreach(o, key, unused)
	{
		(void)unused;
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(*keys), cmp_key);
	*n = i;
	return keys;
}

static struct val val_from_buf(struct buf *b)
{
	struct val v = val_string(b->s, b->len);

	free(b->s);
	return v;
}

static struct val val_bool(bool b)
{
	return (struct val){ .j = json_object_new_boolean(b) };
}

/* ---------------------------------------------------------------------- */
/* Arguments */

/* v must be of type want, which Go names name. */
static int arg_want(const struct val *v, json_type want, const char *name, struct berth_err *err)
{
	if (v->missing)
		return berth_err_set(err, 0, "invalid value; expected %s", name), ARG_ERR;
	if (val_type(v) != want)
		return berth_err_set(err, 0, "wrong type for value; expected %s; got %s", name,
				     tmpl_val_type_name(v)),
		       ARG_ERR;
	return 0;
}

static int arg_string(const struct val *v, const char **s, size_t *len, struct berth_err *err)
{
	if (arg_want(v, json_type_string, "string", err) < 0)
		return ARG_ERR;
	*s = json_object_get_string(v->j);
	*len = (size_t)json_object_get_string_len(v->j);
	return 0;
}

static int arg_int(const struct val *v, int64_t *out, struct berth_err *err)
{
	if (arg_want(v, json_type_int, "int", err) < 0)
		return ARG_ERR;
	*out = json_object_get_int64(v->j);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* printf */

struct spec {
	bool minus, plus, space, zero;
	size_t width;
	int prec; /* -1: none */
	char verb;
};

/* Reads flags, width and precision from f[*i] on, leaving *i at the verb;
 * false when the format ends first. */
static bool spec_parse(const char *f, size_t flen, size_t *i, struct spec *sp)
{
	size_t k = *i;

	*sp = (struct spec){ .prec = -1 };
	for (; k < flen && char_in(f[k], "-+ 0#"); k++) {
		sp->minus |= f[k] == '-';
		sp->plus |= f[k] == '+';
		sp->space |= f[k] == ' ';
		sp->zero |= f[k] == '0';
	}
	for (; k < flen && isdigit((unsigned char)f[k]); k++)
		if (sp->width < TMPL_MAX_PAD)
			sp->width = sp->width * 10 + (size_t)(f[k] - '0');
	if (k < flen && f[k] == '.')
		for (sp->prec = 0, k++; k < flen && isdigit((unsigned char)f[k]); k++)
			if (sp->prec < TMPL_MAX_PAD)
				sp->prec = sp->prec * 10 + (f[k] - '0');
	*i = k;
	if (k >= flen)
		return false;
	sp->verb = f[k];
	return true;
}

static void fmt_double(struct buf *b, const struct spec *sp, double d)
{
	if (!isfinite(d) || (sp->prec < 0 && char_in(sp->verb, "vg")))
		tmpl_fmt_float(b, d, false);
	else if (sp->verb == 'f')
		buf_printf(b, "%.*f", sp->prec < 0 ? 6 : sp->prec, d);
	else if (sp->verb == 'e')
		buf_printf(b, "%.*e", sp->prec < 0 ? 6 : sp->prec, d);
	else
		buf_printf(b, "%.*g", sp->prec, d);
}

/* The text of one verb before padding; false when the operand's type does
 * not take the verb (Go then prints %!verb(type=value)). */
static bool fmt_verb(struct buf *b, const struct spec *sp, const struct val *v)
{
	json_type t = val_type(v);
	char verb = sp->verb;
	const char *s = t == json_type_string ? json_object_get_string(v->j) : NULL;
	size_t len = t == json_type_string ? (size_t)json_object_get_string_len(v->j) : 0;

	if (t == json_type_null && verb == 'v')
		buf_puts(b, "<nil>");
	else if (t == json_type_string && char_in(verb, "sv"))
		buf_add(b, s, utf8_prefix(s, len, sp->prec)); /* the precision counts characters */
	else if (t == json_type_string && verb == 'q')
		tmpl_quote(b, s, len, false);
	else if (t == json_type_double && char_in(verb, "vfeg"))
		fmt_double(b, sp, json_object_get_double(v->j));
	else if ((t == json_type_int && char_in(verb, "vd")) ||
		 (t == json_type_boolean && char_in(verb, "vt")) ||
		 ((t == json_type_array || t == json_type_object) && char_in(verb, "vsd")))
		tmpl_fmt_value(b, v->j);
	else
		return false;
	return true;
}

/* s padded to the width: a number with the 0 flag gets zeros after its
 * sign, anything else spaces, on the right with the - flag. */
static void fmt_pad(struct buf *out, const struct spec *sp, const char *s, size_t len, bool numeric)
{
	size_t width = tmpl_utf8_width(s, len);
	size_t fill = sp->width > width ? sp->width - width : 0;
	size_t sign = numeric && char_in(s[0], "+- ") ? 1 : 0;

	if (sp->minus) {
		buf_add(out, s, len);
		buf_pad(out, ' ', fill);
	} else if (sp->zero && numeric) {
		buf_add(out, s, sign);
		buf_pad(out, '0', fill);
		buf_add(out, s + sign, len - sign);
	} else {
		buf_pad(out, ' ', fill);
		buf_add(out, s, len);
	}
}

static void fmt_one(struct buf *out, const struct spec *sp, const struct val *v)
{
	struct buf b = { 0 };
	bool numeric = val_type(v) == json_type_int || val_type(v) == json_type_double;
	bool sign_flag = numeric && (sp->plus || sp->space);

	if (sign_flag)
		buf_putc(&b, sp->plus ? '+' : ' ');
	if (!fmt_verb(&b, sp, v)) {
		buf_printf(out, "%%!%c(", sp->verb);
		tmpl_fmt_typed(out, v);
		buf_putc(out, ')');
	} else if (sign_flag && char_in(b.s[1], "+-")) { /* the number has its own sign */
		fmt_pad(out, sp, b.s + 1, b.len - 1, numeric);
	} else {
		fmt_pad(out, sp, b.s, b.len, numeric);
	}
	free(b.s);
}

/* fmt.Sprintf for the verbs %v %s %d %q %t %f %e %g and %%, with flags
 * "-+ 0", width and precision; mistakes print as Go's %!verb(...) forms. */
static int fn_printf(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	const char *f;
	size_t flen, ai = 1;

	if (arg_string(&a[0], &f, &flen, err) < 0)
		return ARG_ERR;
	for (size_t i = 0; i < flen; i++) {
		struct spec sp;

		if (f[i] != '%') {
			buf_putc(&b, f[i]);
			continue;
		}
		i++;
		if (!spec_parse(f, flen, &i, &sp))
			buf_puts(&b, "%!(NOVERB)");
		else if (sp.verb == '%')
			buf_putc(&b, '%');
		else if (ai >= n)
			buf_printf(&b, "%%!%c(MISSING)", sp.verb);
		else
			fmt_one(&b, &sp, &a[ai++]);
	}
	for (size_t i = ai; i < n; i++) {
		buf_puts(&b, i == ai ? "%!(EXTRA " : ", ");
		tmpl_fmt_typed(&b, &a[i]);
	}
	if (ai < n)
		buf_putc(&b, ')');
	*out = val_from_buf(&b);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Functions */

static int fn_json(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };

	if (val_is_nil(&a[0]))
		buf_puts(&b, "null");
	else if (tmpl_json_encode(&b, a[0].j) < 0)
		b.len = 0; /* docker ignores the encoder's error: nothing prints */
	*out = val_from_buf(&b);
	return 0;
}

/* item[k]: a string key into an object, an int index into an array. */
static int index_step(json_object **item, const struct val *k, struct berth_err *err)
{
	json_object *o = *item;
	int64_t x;

	if (json_object_is_type(o, json_type_object)) {
		if (val_type(k) != json_type_string)
			return berth_err_set(err, 0, "value has type %s; should be string",
					     tmpl_val_type_name(k));
		/* an absent key gives Go's zero value, nil */
		*item = object_get(o, json_object_get_string(k->j));
		return 0;
	}
	if (!json_object_is_type(o, json_type_array)) {
		struct val v = { .j = o };
		return berth_err_set(err, 0, "can't index item of type %s", tmpl_val_type_name(&v));
	}
	if (val_type(k) != json_type_int)
		return berth_err_set(err, 0, "cannot index slice/array with type %s",
				     tmpl_val_type_name(k));
	x = json_object_get_int64(k->j);
	if (x < 0 || (uint64_t)x >= json_object_array_length(o))
		return berth_err_set(err, 0, "index out of range: %" PRId64, x);
	*item = json_object_array_get_idx(o, (size_t)x);
	return 0;
}

static int fn_index(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	json_object *item = a[0].j;
	bool nil = val_is_nil(&a[0]);

	if (n == 1) {
		*out = val_copy(&a[0]);
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if (nil)
			return berth_err_set(err, 0, "index of untyped nil");
		if (index_step(&item, &a[i], err) < 0)
			return -1;
		nil = item == NULL;
	}
	*out = val_ref(item);
	return 0;
}

static int fn_len(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	int64_t len;

	switch (val_type(&a[0])) {
	case json_type_null:
		return berth_err_set(err, 0, "len of nil pointer");
	case json_type_string:
		len = json_object_get_string_len(a[0].j);
		break;
	case json_type_array:
		len = (int64_t)json_object_array_length(a[0].j);
		break;
	case json_type_object:
		len = json_object_object_length(a[0].j);
		break;
	default:
		return berth_err_set(err, 0, "len of type %s", tmpl_val_type_name(&a[0]));
	}
	*out = (struct val){ .j = json_object_new_int64(len) };
	return 0;
}

static int fn_join(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	const char *sep;
	size_t seplen;

	if (!val_is_nil(&a[0]) && val_type(&a[0]) != json_type_array)
		return berth_err_set(err, 0, "wrong type for value; expected []string; got %s",
				     tmpl_val_type_name(&a[0])),
		       ARG_ERR;
	if (arg_string(&a[1], &sep, &seplen, err) < 0)
		return ARG_ERR;
	for (size_t i = 0; !val_is_nil(&a[0]) && i < json_object_array_length(a[0].j); i++) {
		if (i > 0)
			buf_add(&b, sep, seplen);
		tmpl_fmt_value(&b, json_object_array_get_idx(a[0].j, i));
	}
	*out = val_from_buf(&b);
	return 0;
}

/* strings.Split: an empty separator splits after each UTF-8 sequence. */
static int fn_split(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s, *sep, *hit;
	size_t len, seplen, i = 0, k;
	json_object *arr;

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_string(&a[1], &sep, &seplen, err) < 0)
		return ARG_ERR;
	arr = json_object_new_array();
	if (seplen == 0) {
		for (; i < len; i += k) {
			k = utf8_prefix(s + i, len - i, 1);
			json_object_array_add(arr, json_object_new_string_len(s + i, (int)k));
		}
	} else {
		while ((hit = memmem(s + i, len - i, sep, seplen)) != NULL) {
			json_object_array_add(
			    arr, json_object_new_string_len(s + i, (int)(hit - s - i)));
			i = (size_t)(hit - s) + seplen;
		}
		json_object_array_add(arr, json_object_new_string_len(s + i, (int)(len - i)));
	}
	*out = (struct val){ .j = arr };
	return 0;
}

enum str_case { CASE_UPPER, CASE_LOWER, CASE_TITLE };

/* ASCII letters only: see the notes in template.c. */
static int str_case(struct val *a, struct val *out, enum str_case how, struct berth_err *err)
{
	const char *s;
	size_t len;
	char prev = ' ';

	if (arg_string(&a[0], &s, &len, err) < 0)
		return ARG_ERR;
	autofree char *r = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* strings.Title: a word starts after anything but a letter, digit or _ */
		bool word_start = !is_word(prev);
		if (how == CASE_UPPER || (how == CASE_TITLE && word_start))
			r[i] = (char)toupper(c);
		else if (how == CASE_LOWER)
			r[i] = (char)tolower(c);
		else
			r[i] = (char)c;
		prev = (char)c;
	}
	*out = val_string(r, len);
	return 0;
}

static int fn_upper(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_UPPER, err);
}

static int fn_lower(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_LOWER, err);
}

static int fn_title(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	return str_case(a, out, CASE_TITLE, err);
}

/* docker's truncate: the first n bytes, backed off to a character start. */
static int fn_truncate(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s;
	size_t len;
	int64_t k;

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_int(&a[1], &k, err) < 0)
		return ARG_ERR;
	if (k < 0)
		return berth_err_set(err, 0, "negative length %" PRId64, k);
	if ((uint64_t)k < len) {
		len = (size_t)k;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	*out = val_string(s, len);
	return 0;
}

/* docker's pad: spaces before and after a non-empty string. */
static int fn_pad(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	const char *s;
	size_t len;
	int64_t before, after;
	struct buf b = { 0 };

	if (arg_string(&a[0], &s, &len, err) < 0 || arg_int(&a[1], &before, err) < 0 ||
	    arg_int(&a[2], &after, err) < 0)
		return ARG_ERR;
	if (before < 0 || after < 0 || before > TMPL_MAX_PAD || after > TMPL_MAX_PAD)
		return berth_err_set(err, 0, "pad count out of range");
	if (len > 0) {
		buf_pad(&b, ' ', (size_t)before);
		buf_add(&b, s, len);
		buf_pad(&b, ' ', (size_t)after);
	}
	*out = val_from_buf(&b);
	return 0;
}

/* fmt.Sprint: a space between operands when neither is a string. */
static int fn_print(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };
	bool prev_string = false;

	for (size_t i = 0; i < n; i++) {
		bool is_string = val_type(&a[i]) == json_type_string;
		if (i > 0 && !is_string && !prev_string)
			buf_putc(&b, ' ');
		tmpl_fmt_arg(&b, &a[i]);
		prev_string = is_string;
	}
	*out = val_from_buf(&b);
	return 0;
}

static int fn_println(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		tmpl_fmt_arg(&b, &a[i]);
	}
	buf_putc(&b, '\n');
	*out = val_from_buf(&b);
	return 0;
}

/* -1, 0 or 1 as x is below, equal to or above y. */
static int cmp_ints(int64_t x, int64_t y)
{
	return (x > y) - (x < y);
}

static int cmp_doubles(double x, double y)
{
	return (x > y) - (x < y);
}

/* Strings compare bytewise, a shorter prefix first. */
static int cmp_strings(json_object *x, json_object *y)
{
	size_t lx = (size_t)json_object_get_string_len(x);
	size_t ly = (size_t)json_object_get_string_len(y);
	int c = memcmp(json_object_get_string(x), json_object_get_string(y), lx < ly ? lx : ly);

	return c != 0 ? c : (lx > ly) - (lx < ly);
}

/* Go's comparison: nil equals only nil, numbers compare by value, strings
 * bytewise, bools only for equality; other kinds are errors. */
static int compare(const struct val *x, const struct val *y, bool order, int *res,
		   struct berth_err *err)
{
	json_type tx = val_type(x), ty = val_type(y);
	bool nx = tx == json_type_int || tx == json_type_double;
	bool ny = ty == json_type_int || ty == json_type_double;

	if (order && (tx == json_type_null || ty == json_type_null || tx == json_type_boolean))
		return berth_err_set(err, 0, "invalid type for comparison");
	if (tx == json_type_null || ty == json_type_null)
		*res = tx != ty;
	else if (tx != ty && !(nx && ny))
		return berth_err_set(err, 0, "incompatible types for comparison");
	else if (tx == json_type_int && ty == json_type_int)
		*res = cmp_ints(json_object_get_int64(x->j), json_object_get_int64(y->j));
	else if (nx)
		*res = cmp_doubles(json_object_get_double(x->j), json_object_get_double(y->j));
	else if (tx == json_type_string)
		*res = cmp_strings(x->j, y->j);
	else if (tx == json_type_boolean)
		*res = json_object_get_boolean(x->j) != json_object_get_boolean(y->j);
	else
		return berth_err_set(err, 0, "non-comparable type %s", tmpl_val_type_name(x));
	return 0;
}

/* eq: true when the first argument equals any of the others. */
static int fn_eq(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	int res = 1;

	if (n < 2)
		return berth_err_set(err, 0, "missing argument for comparison");
	for (size_t i = 1; i < n && res != 0; i++)
		if (compare(&a[0], &a[i], false, &res, err) < 0)
			return -1;
	*out = val_bool(res == 0);
	return 0;
}

/* The two-argument comparisons: ne by equality alone, the rest by order. */
#define COMPARE_FN(name, order, test)                                                              \
	static int name(struct val *a, size_t n, struct val *out, struct berth_err *err)           \
	{                                                                                          \
		int res = 0;                                                                       \
		if (compare(&a[0], &a[1], order, &res, err) < 0)                                   \
			return -1;                                                                 \
		*out = val_bool(test);                                                             \
		return 0;                                                                          \
	}
COMPARE_FN(fn_ne, false, res != 0)
COMPARE_FN(fn_lt, true, res < 0)
COMPARE_FN(fn_le, true, res <= 0)
COMPARE_FN(fn_gt, true, res > 0)
COMPARE_FN(fn_ge, true, res >= 0)

static int fn_not(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	*out = val_bool(!tmpl_val_truth(&a[0]));
	return 0;
}

/* The first argument whose truth is want, or the last one. */
static struct val first_with_truth(const struct val *a, size_t n, bool want)
{
	size_t i = 0;

	while (i + 1 < n && tmpl_val_truth(&a[i]) != want)
		i++;
	return val_copy(&a[i]);
}

/* and: the first false argument, or the last; or: the first true one. */
static int fn_and(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	*out = first_with_truth(a, n, false);
	return 0;
}

static int fn_or(struct val *a, size_t n, struct val *out, struct berth_err *err)
{
	*out = first_with_truth(a, n, true);
	return 0;
}

static const struct func funcs[] = {
	{ "and", 1, -1, false, fn_and },
	{ "eq", 1, -1, false, fn_eq },
	{ "ge", 2, 2, false, fn_ge },
	{ "gt", 2, 2, false, fn_gt },
	{ "index", 1, -1, true, fn_index },
	{ "join", 2, 2, true, fn_join },
	{ "json", 1, 1, true, fn_json },
	{ "le", 2, 2, false, fn_le },
	{ "len", 1, 1, false, fn_len },
	{ "lower", 1, 1, true, fn_lower },
	{ "lt", 2, 2, false, fn_lt },
	{ "ne", 2, 2, false, fn_ne },
	{ "not", 1, 1, false, fn_not },
	{ "or", 1, -1, false, fn_or },
	{ "pad", 3, 3, false, fn_pad },
	{ "print", 0, -1, false, fn_print },
	{ "printf", 1, -1, false, fn_printf },
	{ "println", 0, -1, false, fn_println },
	{ "split", 2, 2, true, fn_split },
	{ "title", 1, 1, true, fn_title },
	{ "truncate", 2, 2, true, fn_truncate },
	{ "upper", 1, 1, true, fn_upper },
};

const struct func *tmpl_func_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}
