/* What the template files share among themselves (template.c: lexer,
 * parser, evaluator; template-funcs.c: values, printing, the functions;
 * tabwrite.c: the column aligner). Not for use outside them: other layers
 * go through util/template.h. */
#pragma once

#include <ctype.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/xalloc.h"

struct berth_err;

#define TMPL_MAX_PAD 65536 /* printf widths and pad counts, so a typo cannot eat memory */

/* ---------------------------------------------------------------------- */
/* Growing strings: s is NUL-terminated once anything was added (even ""). */

struct buf {
	char *s;
	size_t len, cap;
};

static inline void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->s = xrealloc(b->s, b->cap);
	}
	if (n > 0)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static inline void buf_pad(struct buf *b, char c, size_t n)
{
	while (n-- > 0)
		buf_putc(b, c);
}

/* ---------------------------------------------------------------------- */
/* Characters */

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's identifier characters; any non-ASCII byte counts as a letter. */
static inline bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* c in a set of characters; never NUL, which strchr would find. */
static inline bool char_in(char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* The letter that follows a backslash for c, from a table of (char, letter)
 * pairs, or 0. */
static inline char escape_for(const char *pairs, char c)
{
	for (; pairs[0] != '\0'; pairs += 2)
		if (pairs[0] == c)
			return pairs[1];
	return 0;
}

/* Decodes one UTF-8 sequence with Go's rules; returns its length, or 0 for
 * a byte that does not start a valid sequence. */
size_t tmpl_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Code points, counting each invalid byte as one, as Go's RuneCount. */
size_t tmpl_utf8_width(const char *s, size_t n);

/* ---------------------------------------------------------------------- */
/* Values: j is an owned reference (NULL: JSON null); missing is Go's
 * invalid reflect.Value, "no value", for an absent map key. */

struct val {
	json_object *j;
	bool missing;
};

#define VAL_MISSING ((struct val){ .missing = true })

static inline struct val val_ref(json_object *j)
{
	return (struct val){ .j = json_object_get(j) };
}

static inline struct val val_copy(const struct val *v)
{
	return (struct val){ .j = json_object_get(v->j), .missing = v->missing };
}

static inline struct val val_string(const char *s, size_t len)
{
	return (struct val){ .j = json_object_new_string_len(s != NULL ? s : "", (int)len) };
}

static inline void val_put(struct val *v)
{
	json_object_put(v->j);
	v->j = NULL;
}

static inline bool val_is_nil(const struct val *v)
{
	return v->missing || v->j == NULL;
}

static inline json_type val_type(const struct val *v)
{
	return val_is_nil(v) ? json_type_null : json_object_get_type(v->j);
}

static inline json_object *object_get(json_object *o, const char *key)
{
	json_object *child = NULL;

	json_object_object_get_ex(o, key, &child);
	return child;
}

/* Go's type names for what encoding/json decodes into interface{}. */
const char *tmpl_val_type_name(const struct val *v);
/* Go's truth: false, 0, "", null, no value and empty arrays/objects are false. */
bool tmpl_val_truth(const struct val *v);
/* An object's keys in byte order, as Go sorts map keys; free the array only. */
char **tmpl_object_keys(json_object *o, size_t *n);
/* Go's %v: strings bare, [a b c], map[k:v] with sorted keys, <nil> inside. */
void tmpl_fmt_value(struct buf *b, json_object *j);

/* ---------------------------------------------------------------------- */
/* Functions */

struct func {
	const char *name;
	int min, max;         /* argument counts; max < 0: any number */
	bool header_identity; /* returns its first argument in a table header, as
			       * docker's HeaderFunctions do, so the title stays */
	int (*fn)(struct val *args, size_t n, struct val *out, struct berth_err *err);
};

/* The function called name, or NULL. */
const struct func *tmpl_func_lookup(const char *name);
