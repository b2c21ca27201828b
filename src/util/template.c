/* Berth's `--format` templates: the part of Go's text/template that docker
 * users write, evaluated over json-c values.
 *
 * Three stages, each in its own file:
 *   lexer      template-lex.c: source -> tokens. Text between actions gets
 *              docker's command-line escapes (\t and \n written as two
 *              characters) and the trim markers "{{- " / " -}}" applied
 *              there; comments vanish there.
 *   parser     template-parse.c: tokens -> a tree: text, action, if, range,
 *              with nodes; an action holds a pipeline of commands, a command
 *              a list of operands. Functions and variables are resolved
 *              there, as Go does, so a typo fails before any output is
 *              written.
 *   evaluator  this file: walks the tree for one JSON value. A value is a
 *              json-c object (NULL is JSON null) or "missing", Go's invalid
 *              reflect.Value for an absent map key: it prints "<no value>"
 *              and is false.
 * This file also holds how all three place a position in a message, and the
 * public API with table mode (the header row is the row template run in
 * "header mode", as docker runs it over a map of column titles). The types
 * the stages share are in template-internal.h. How values print and the
 * functions are in template-funcs.c; the column aligner is in tabwrite.c.
 *
 * Deliberate differences from Go and docker, each for JSON data:
 *   - integers and doubles stay distinct (Go's JSON decoding makes every
 *     number a float64); eq/lt compare an int and a double by value.
 *   - "json" keeps an object's key order (docker's structs marshal in field
 *     order; callers build objects in that order); Go sorts map keys.
 *   - join accepts any array and prints non-strings as %v does.
 *   - upper/lower/title change ASCII letters only; truncate never cuts a
 *     UTF-8 sequence in two; tabwriter widths count code points, where
 *     docker counts East Asian wide characters twice.
 *   - messages carry LINE:COL for parse errors too (Go prints only LINE);
 *     COL is, as in Go's execution errors, the byte offset in the line.
 *   - define/template/block, char constants, slice, html, js, urlquery and
 *     call are not supported. */
#include "util/template.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/template-internal.h"
#include "util/xalloc.h"

/* ---------------------------------------------------------------------- */
/* Positions and messages */

/* Messages are one line: control characters from the source or a value
 * (a raw string, a string being ranged over) become spaces. */
__attribute__((format(printf, 3, 0))) static void msg_vformat(char *msg, size_t n, const char *fmt,
							      va_list ap)
{
	vsnprintf(msg, n, fmt, ap);
	for (; *msg != '\0'; msg++)
		if ((unsigned char)*msg < 0x20)
			*msg = ' ';
}

/* Go's "LINE:COL": COL counts the bytes before pos on its line. */
static void pos_linecol(const char *src, size_t pos, size_t *line, size_t *col)
{
	size_t start = 0;

	*line = 1;
	for (size_t i = 0; i < pos && src[i] != '\0'; i++) {
		if (src[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	}
	*col = pos - start;
}

int tmpl_src_fail(const char *src, size_t pos, struct berth_err *err, const char *fmt, ...)
{
	char msg[512];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	msg_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pos_linecol(src, pos, &line, &col);
	return berth_err_set(err, 0, "template: :%zu:%zu: %s", line, col, msg);
}

/* ---------------------------------------------------------------------- */
/* Evaluator */

struct var {
	const char *name;
	struct val v;
};

struct exec {
	const struct tmpl *t;
	bool header;          /* building a table header: fields are titles */
	json_object *headers; /* field name -> title, or NULL */
	struct buf *out;
	struct var *vars;
	size_t nvars;
	enum { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE } flow;
	struct berth_err *err;
};

/* Prefixes err with Go's "template: :L:C: executing \"\" at <ctx>". */
static int exec_at(struct exec *ex, size_t pos, size_t end)
{
	const char *src = ex->t->src;
	char ctx[32];
	size_t line, col, n = 0;

	for (size_t i = pos; i < end && n < 20; i++) /* one line, at most 20 bytes */
		ctx[n++] = (unsigned char)src[i] < 0x20 ? ' ' : src[i];
	ctx[n] = '\0';
	pos_linecol(src, pos, &line, &col);
	return berth_err_wrap(ex->err, "template: :%zu:%zu: executing \"\" at <%s%s>", line, col,
			      ctx, end - pos > 20 ? "..." : "");
}

__attribute__((format(printf, 4, 5))) static int exec_fail(struct exec *ex, size_t pos, size_t end,
							   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	msg_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berth_err_set(ex->err, 0, "%s", msg);
	return exec_at(ex, pos, end);
}

static void var_push(struct exec *ex, const char *name, struct val v)
{
	ex->vars = xreallocarray(ex->vars, ex->nvars + 1, sizeof(*ex->vars));
	ex->vars[ex->nvars++] = (struct var){ .name = name, .v = v };
}

static struct val *var_lookup(struct exec *ex, const char *name)
{
	for (size_t i = ex->nvars; i-- > 0;)
		if (strcmp(ex->vars[i].name, name) == 0)
			return &ex->vars[i].v;
	return NULL;
}

/* Replaces a variable's value (taking v); false when it is not in scope. */
static bool var_set(struct exec *ex, const char *name, struct val v)
{
	struct val *slot = var_lookup(ex, name);

	if (slot == NULL) {
		val_put(&v);
		return false;
	}
	val_put(slot);
	*slot = v;
	return true;
}

static void var_pop(struct exec *ex, size_t mark)
{
	while (ex->nvars > mark)
		val_put(&ex->vars[--ex->nvars].v);
}

static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot,
		     struct val *out);
static int eval_arg(struct exec *ex, const struct arg *a, const struct val *dot, struct val *out);

/* In a table header every field is its column title. */
static struct val header_title(const struct exec *ex, const char *field)
{
	json_object *title = NULL;

	if (ex->headers != NULL && json_object_object_get_ex(ex->headers, field, &title) &&
	    json_object_is_type(title, json_type_string))
		return val_ref(title);
	size_t len = strlen(field);
	autofree char *upper = xstrdup(field);
	for (size_t i = 0; i < len; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	return val_string(upper, len);
}

/* cur.name, replacing cur: an absent key gives no value; null or a
 * non-object fails (and leaves cur holding nothing). */
static int eval_field(struct exec *ex, const struct arg *a, const char *name, struct val *cur)
{
	json_object *child = NULL;
	int r = 0;

	if (cur->j == NULL)
		r = exec_fail(ex, a->pos, a->end, "nil pointer evaluating interface {}.%s", name);
	else if (!json_object_is_type(cur->j, json_type_object))
		r = exec_fail(ex, a->pos, a->end, "can't evaluate field %s in type %s", name,
			      tmpl_val_type_name(cur));
	bool found = r == 0 && json_object_object_get_ex(cur->j, name, &child);
	struct val v = found ? val_ref(child) : VAL_MISSING;
	val_put(cur);
	*cur = v;
	return r;
}

/* Follows a.fields from cur (taken); any field of no value is no value. */
static int eval_fields(struct exec *ex, const struct arg *a, struct val cur, struct val *out)
{
	size_t n = strv_len(a->fields);

	if (n > 0 && ex->header) {
		val_put(&cur);
		*out = header_title(ex, a->fields[n - 1]);
		return 0;
	}
	for (size_t i = 0; i < n && !cur.missing; i++)
		if (eval_field(ex, a, a->fields[i], &cur) < 0)
			return -1;
	*out = cur;
	return 0;
}

static int check_arg_count(struct exec *ex, const struct func *fn, size_t n, size_t pos, size_t end)
{
	if (fn->max >= 0 && n != (size_t)fn->min) /* fixed counts: min == max */
		return exec_fail(ex, pos, end, "wrong number of args for %s: want %d got %zu",
				 fn->name, fn->min, n);
	if (n < (size_t)fn->min)
		return exec_fail(ex, pos, end,
				 "wrong number of args for %s: want at least %d got %zu", fn->name,
				 fn->min, n);
	return 0;
}

/* Calls fn on vals; in a header a function that keeps the title returns its
 * first argument. */
static int invoke(struct exec *ex, const struct func *fn, struct val *vals, size_t n, size_t pos,
		  size_t end, struct val *out)
{
	int r;

	if (ex->header && fn->header_identity) {
		*out = val_copy(&vals[0]);
		return 0;
	}
	r = fn->fn(vals, n, out, ex->err);
	if (r == -1)
		berth_err_wrap(ex->err, "error calling %s", fn->name);
	return r < 0 ? exec_at(ex, pos, end) : 0;
}

/* fn with args evaluated, and the previous stage's value (final) last. */
static int call_func(struct exec *ex, const struct func *fn, const struct arg *args, size_t nargs,
		     const struct val *final, const struct val *dot, size_t pos, size_t end,
		     struct val *out)
{
	size_t n = nargs + (final != NULL), got = 0;
	struct val *vals;
	int r = -1;

	if (check_arg_count(ex, fn, n, pos, end) < 0)
		return -1;
	vals = xcalloc(n + 1, sizeof(*vals));
	while (got < nargs && eval_arg(ex, &args[got], dot, &vals[got]) == 0)
		got++;
	if (got == nargs) {
		if (final != NULL)
			vals[got++] = val_copy(final);
		r = invoke(ex, fn, vals, n, pos, end, out);
	}
	while (got > 0)
		val_put(&vals[--got]);
	free(vals);
	return r;
}

static int eval_arg(struct exec *ex, const struct arg *a, const struct val *dot, struct val *out)
{
	struct val base = { 0 }, *v;

	switch (a->type) {
	case A_DOT:
	case A_FIELD:
		base = val_copy(dot);
		break;
	case A_VAR:
		if ((v = var_lookup(ex, a->name)) == NULL)
			return exec_fail(ex, a->pos, a->end, "undefined variable: %s", a->name);
		base = val_copy(v);
		break;
	case A_LIT:
		base = val_ref(a->lit);
		break;
	case A_NIL:
		break;
	case A_PIPE:
		if (eval_pipe(ex, a->pipe, dot, &base) < 0)
			return -1;
		break;
	case A_FUNC: /* a function as an argument is called with none */
		return call_func(ex, a->fn, NULL, 0, NULL, dot, a->pos, a->end, out);
	}
	return eval_fields(ex, a, base, out);
}

static int eval_cmd(struct exec *ex, const struct cmd *c, const struct val *dot,
		    const struct val *final, struct val *out)
{
	const struct arg *first = &c->args[0];

	if (first->type == A_FUNC)
		return call_func(ex, first->fn, c->args + 1, c->nargs - 1, final, dot, c->pos,
				 c->end, out);
	if (c->nargs > 1 || final != NULL)
		return exec_fail(ex, c->pos, c->end, "can't give argument to non-function %.*s",
				 (int)(first->end - first->pos), ex->t->src + first->pos);
	if (first->type == A_NIL)
		return exec_fail(ex, c->pos, c->end, "nil is not a command");
	return eval_arg(ex, first, dot, out);
}

/* Binds the pipeline's declared variables to v: new ones for ":=", the
 * ones in scope for "=". */
static int bind_decls(struct exec *ex, const struct pipe *pp, const struct val *v)
{
	for (size_t i = 0; i < pp->ndecl; i++) {
		if (!pp->assign)
			var_push(ex, pp->decl[i], val_copy(v));
		else if (!var_set(ex, pp->decl[i], val_copy(v)))
			return exec_fail(ex, pp->pos, pp->end, "undefined variable: %s",
					 pp->decl[i]);
	}
	return 0;
}

/* Runs the commands, each given the previous one's value as its last
 * argument, then binds the declared variables to the result. */
static int eval_pipe(struct exec *ex, const struct pipe *pp, const struct val *dot, struct val *out)
{
	struct val v = VAL_MISSING;

	for (size_t i = 0; i < pp->ncmds; i++) {
		struct val r;
		if (eval_cmd(ex, &pp->cmds[i], dot, i > 0 ? &v : NULL, &r) < 0) {
			val_put(&v);
			return -1;
		}
		val_put(&v);
		v = r;
		/* Go unwraps a nil interface into "no value" after each stage */
		v.missing |= v.j == NULL;
	}
	if (bind_decls(ex, pp, &v) < 0) {
		val_put(&v);
		return -1;
	}
	*out = v;
	return 0;
}

static int walk_list(struct exec *ex, const struct list *l, const struct val *dot);

/* One pass of range (taking key and elem): the pipeline bound its
 * variables ($v, or $i then $v); they take this element (and key), then the
 * body runs in its own scope. */
static int range_step(struct exec *ex, const struct node *n, struct val key, struct val elem)
{
	const struct pipe *pp = n->pipe;
	size_t mark = ex->nvars;
	int r;

	if (pp->ndecl > 1)
		var_set(ex, pp->decl[0], val_copy(&key));
	if (pp->ndecl > 0)
		var_set(ex, pp->decl[pp->ndecl - 1], val_copy(&elem));
	r = walk_list(ex, &n->body, &elem);
	var_pop(ex, mark);
	val_put(&key);
	val_put(&elem);
	if (ex->flow == FLOW_CONTINUE)
		ex->flow = FLOW_NEXT;
	return r;
}

/* Range over what is not a collection: in a header the body runs once. */
static int range_scalar(struct exec *ex, const struct node *n, const struct val *v, size_t *len)
{
	struct buf b = { 0 };
	int r;

	if (ex->header) {
		*len = 1;
		return walk_list(ex, &n->body, v);
	}
	tmpl_fmt_value(&b, v->j);
	r = exec_fail(ex, n->pipe->pos, n->pipe->end, "range can't iterate over %s", b.s);
	free(b.s);
	return r;
}

/* Arrays by index, objects by sorted key; *len says how many there were. */
static int range_items(struct exec *ex, const struct node *n, const struct val *v, size_t *len)
{
	int r = 0;

	switch (val_type(v)) {
	case json_type_array:
		*len = json_object_array_length(v->j);
		for (size_t i = 0; i < *len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n,
				       (struct val){ .j = json_object_new_int64((int64_t)i) },
				       val_ref(json_object_array_get_idx(v->j, i)));
		return r;
	case json_type_object: {
		autofree char **keys = tmpl_object_keys(v->j, len);
		for (size_t i = 0; i < *len && r == 0 && ex->flow == FLOW_NEXT; i++)
			r = range_step(ex, n, val_string(keys[i], strlen(keys[i])),
				       val_ref(object_get(v->j, keys[i])));
		return r;
	}
	case json_type_null:
		return 0;
	default:
		return range_scalar(ex, n, v, len);
	}
}

/* An empty collection, null or no value runs {{else}}. */
static int walk_range(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars, len = 0;
	struct val v;
	int r;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	r = range_items(ex, n, &v, &len);
	ex->flow = FLOW_NEXT;
	if (r == 0 && len == 0)
		r = walk_list(ex, &n->alt, dot);
	var_pop(ex, mark);
	val_put(&v);
	return r;
}

/* {{pipeline}}: a declaration prints nothing; its variable lives on. */
static int walk_action(struct exec *ex, const struct node *n, const struct val *dot)
{
	struct val v;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	if (n->pipe->ndecl == 0 && val_is_nil(&v))
		buf_puts(ex->out, "<no value>");
	else if (n->pipe->ndecl == 0)
		tmpl_fmt_value(ex->out, v.j);
	val_put(&v);
	return 0;
}

/* {{if}} and {{with}} (which sets dot); variables end with the block. */
static int walk_cond(struct exec *ex, const struct node *n, const struct val *dot)
{
	size_t mark = ex->nvars;
	struct val v;
	int r;

	if (eval_pipe(ex, n->pipe, dot, &v) < 0)
		return -1;
	if (tmpl_val_truth(&v))
		r = walk_list(ex, &n->body, n->type == N_WITH ? &v : dot);
	else
		r = walk_list(ex, &n->alt, dot);
	var_pop(ex, mark);
	val_put(&v);
	return r;
}

static int walk_node(struct exec *ex, const struct node *n, const struct val *dot)
{
	switch (n->type) {
	case N_TEXT:
		buf_add(ex->out, n->text, n->len);
		return 0;
	case N_ACTION:
		return walk_action(ex, n, dot);
	case N_IF:
	case N_WITH:
		return walk_cond(ex, n, dot);
	case N_RANGE:
		return walk_range(ex, n, dot);
	case N_BREAK:
		ex->flow = FLOW_BREAK;
		return 0;
	case N_CONTINUE:
		ex->flow = FLOW_CONTINUE;
		return 0;
	}
	return 0;
}

static int walk_list(struct exec *ex, const struct list *l, const struct val *dot)
{
	for (size_t i = 0; i < l->n && ex->flow == FLOW_NEXT; i++)
		if (walk_node(ex, &l->v[i], dot) < 0)
			return -1;
	return 0;
}

static int exec_run(const struct tmpl *t, json_object *data, bool header, struct buf *out,
		    struct berth_err *err)
{
	struct exec ex = { .t = t, .header = header, .out = out, .err = err };
	struct val dot = data != NULL ? val_ref(data) : VAL_MISSING;
	int r;

	if (header)
		ex.headers = data;
	var_push(&ex, "$", val_copy(&dot));
	r = walk_list(&ex, &t->root, &dot);
	var_pop(&ex, 0);
	free(ex.vars);
	val_put(&dot);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Public API */

/* docker: "table" as the first word starts table mode, and the rest is
 * trimmed of spaces. Returns the template proper; *len is its length. */
static const char *table_strip(struct tmpl *t, const char *text, size_t *len)
{
	if (strncmp(text, "table", 5) == 0 && (text[5] == '\0' || is_space(text[5]))) {
		t->table = true;
		text += 5;
		while (*text == ' ')
			text++;
	}
	*len = strlen(text);
	while (t->table && *len > 0 && text[*len - 1] == ' ')
		(*len)--;
	return text;
}

int tmpl_parse(const char *text, struct tmpl **out, struct berth_err *err)
{
	struct tmpl *t = xzalloc(sizeof(*t));
	struct tok *toks = NULL;
	size_t len, ntoks = 0;
	int r;

	text = table_strip(t, text, &len);
	t->src = xstrndup(text, len);
	r = tmpl_lex(t->src, len, &toks, &ntoks, err);
	if (r == 0)
		r = tmpl_parse_tree(t, toks, ntoks, err);
	tmpl_toks_free(toks, ntoks);
	if (r < 0)
		tmpl_free(t);
	else
		*out = t;
	return r;
}

void tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	tmpl_list_clear(&t->root);
	free(t->src);
	free(t->rows.s);
	free(t);
}

int tmpl_exec(const struct tmpl *t, json_object *data, char **out, struct berth_err *err)
{
	struct buf b = { 0 };

	buf_puts(&b, *out != NULL ? *out : "");
	if (exec_run(t, data, false, &b, err) < 0) {
		free(b.s);
		return -1;
	}
	free(*out);
	*out = b.s;
	return 0;
}

bool tmpl_is_table(const struct tmpl *t)
{
	return t->table;
}

int tmpl_table_row(struct tmpl *t, json_object *data, struct berth_err *err)
{
	struct buf b = { 0 };
	int r = exec_run(t, data, false, &b, err);

	if (r == 0) {
		buf_add(&t->rows, b.s, b.len);
		buf_putc(&t->rows, '\n');
	}
	free(b.s);
	return r;
}

void tmpl_table_flush(struct tmpl *t, json_object *headers, FILE *f)
{
	struct buf all = { 0 };
	struct berth_err ignored;
	autofree char **lines = NULL;
	size_t n = 0;

	/* docker ignores a failure here and prints what the header got to */
	exec_run(t, headers, true, &all, &ignored);
	buf_putc(&all, '\n');
	buf_add(&all, t->rows.s, t->rows.len);
	lines = xcalloc(all.len + 1, sizeof(*lines));
	/* memchr: a value may hold a NUL, which must not end the table early */
	for (char *s = all.s, *nl; (nl = memchr(s, '\n', all.len - (size_t)(s - all.s))) != NULL;
	     s = nl + 1) {
		*nl = '\0';
		lines[n++] = s;
	}
	tmpl_tabwrite(f, lines, n);
	free(all.s);
	t->rows.len = 0;
}
