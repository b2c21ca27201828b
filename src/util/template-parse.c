/* The template parser: tokens -> the node tree of template-internal.h (see
 * template.c for the whole).
 *
 * Text, action, if, range, with, break and continue nodes; an action holds a
 * pipeline of commands, a command a list of operands. Functions and
 * variables are resolved here, as Go does, so a typo fails before any
 * output is written. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strv.h"
#include "util/template-internal.h"
#include "util/xalloc.h"

#define TMPL_MAX_DEPTH 100 /* nested blocks and parentheses: bounds the recursion */

/* ---------------------------------------------------------------------- */
/* Tree */

static void pipe_free(struct pipe *pp)
{
	if (pp == NULL)
		return;
	for (size_t i = 0; i < pp->ncmds; i++) {
		for (size_t j = 0; j < pp->cmds[i].nargs; j++) {
			struct arg *a = &pp->cmds[i].args[j];
			free(a->name);
			json_object_put(a->lit);
			pipe_free(a->pipe);
			strv_free(a->fields);
		}
		free(pp->cmds[i].args);
	}
	free(pp->cmds);
	free(pp->decl[0]);
	free(pp->decl[1]);
	free(pp);
}

void tmpl_list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		pipe_free(l->v[i].pipe);
		tmpl_list_clear(&l->v[i].body);
		tmpl_list_clear(&l->v[i].alt);
	}
	free(l->v);
	*l = (struct list){ 0 };
}

static struct node *list_push(struct list *l, enum node_type type, size_t pos)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = (struct node){ .type = type, .pos = pos };
	return &l->v[l->n++];
}

/* ---------------------------------------------------------------------- */
/* Parser */

struct parser {
	const char *src;
	const struct tok *toks;
	size_t ntoks, i;
	char **vars; /* variables in scope, "$" first */
	size_t nvars;
	int range_depth, depth;
	struct berth_err *err;
};

enum { END_EOF, END_END, END_ELSE };

static const struct {
	enum tok_type tok;
	enum node_type node;
	const char *name;
} blocks[] = { { T_IF, N_IF, "if" }, { T_RANGE, N_RANGE, "range" }, { T_WITH, N_WITH, "with" } };

static const struct tok *peek_at(const struct parser *p, size_t k)
{
	size_t i = p->i + k;
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

static const struct tok *peek(const struct parser *p)
{
	return peek_at(p, 0);
}

static const struct tok *next(struct parser *p)
{
	const struct tok *t = peek(p);
	if (t->type != T_EOF)
		p->i++;
	return t;
}

/* A token as Go names it in "unexpected X in Y". */
static void tok_desc(const struct parser *p, const struct tok *t, char *out, size_t n)
{
	size_t len = t->end - t->pos;

	if (t->type == T_EOF)
		snprintf(out, n, "EOF");
	else if (t->type >= T_IF)
		snprintf(out, n, "<%s>", t->val);
	else
		snprintf(out, n, "\"%.*s\"%s", (int)(len > 10 ? 10 : len), p->src + t->pos,
			 len > 10 ? "..." : "");
}

static int parse_unexpected(struct parser *p, const struct tok *t, const char *where)
{
	char d[32];

	tok_desc(p, t, d, sizeof(d));
	return tmpl_src_fail(p->src, t->pos, p->err, "unexpected %s in %s", d, where);
}

/* The "}}" that closes {{end}}, {{else}}, {{break}} and {{continue}}. */
static int parse_close(struct parser *p, const char *what)
{
	const struct tok *t = next(p);

	return t->type == T_RIGHT ? 0 : parse_unexpected(p, t, what);
}

static int parse_nest(struct parser *p, size_t pos)
{
	if (++p->depth > TMPL_MAX_DEPTH)
		return tmpl_src_fail(p->src, pos, p->err, "template nested too deeply");
	return 0;
}

/* t names a variable in scope. */
static int parse_need_var(struct parser *p, const struct tok *t)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strcmp(p->vars[i], t->val) == 0)
			return 0;
	return tmpl_src_fail(p->src, t->pos, p->err, "undefined variable \"%s\"", t->val);
}

static void parser_push_var(struct parser *p, const char *name)
{
	p->vars = xreallocarray(p->vars, p->nvars + 1, sizeof(*p->vars));
	p->vars[p->nvars++] = xstrdup(name);
}

static void parser_pop_vars(struct parser *p, size_t mark)
{
	while (p->nvars > mark)
		free(p->vars[--p->nvars]);
}

static json_object *parse_number(const char *s)
{
	const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
	bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	char *end;

	errno = 0;
	if (!hex && strpbrk(s, ".eE") != NULL) {
		double d = strtod(s, &end);
		if (*end != '\0' || end == s || !isfinite(d))
			return NULL;
		return json_object_new_double(d);
	}
	long long v = strtoll(s, &end, 0);
	if (*end != '\0' || end == s || errno == ERANGE)
		return NULL;
	return json_object_new_int64(v);
}

/* A constant: string, number or boolean. */
static int parse_literal(struct parser *p, const struct tok *t, struct arg *a)
{
	a->type = A_LIT;
	if (t->type == T_STRING)
		a->lit = json_object_new_string_len(t->val, (int)t->len);
	else if (t->type == T_BOOL)
		a->lit = json_object_new_boolean(t->val[0] == 't');
	else if ((a->lit = parse_number(t->val)) == NULL)
		return tmpl_src_fail(p->src, t->pos, p->err, "bad number syntax: \"%s\"", t->val);
	return 0;
}

static int parse_pipe(struct parser *p, const char *ctx, enum tok_type end, struct pipe **out);

/* "(pipeline)", its "(" read. */
static int parse_paren(struct parser *p, const struct tok *t, struct arg *a)
{
	a->type = A_PIPE;
	if (parse_nest(p, t->pos) < 0 ||
	    parse_pipe(p, "parenthesized pipeline", T_RPAREN, &a->pipe) < 0)
		return -1;
	p->depth--;
	a->end = p->toks[p->i - 1].end;
	return 0;
}

/* The term an operand starts with, its token t read. */
static int parse_term(struct parser *p, const struct tok *t, struct arg *a)
{
	switch (t->type) {
	case T_IDENT:
		a->type = A_FUNC;
		a->fn = tmpl_func_lookup(t->val);
		if (a->fn == NULL)
			return tmpl_src_fail(p->src, t->pos, p->err, "function \"%s\" not defined",
					     t->val);
		return 0;
	case T_DOT:
		a->type = A_DOT;
		return 0;
	case T_FIELD:
		a->type = A_FIELD;
		strv_push(&a->fields, t->val);
		return 0;
	case T_VAR:
		a->type = A_VAR;
		a->name = xstrdup(t->val);
		return parse_need_var(p, t);
	case T_STRING:
	case T_NUMBER:
	case T_BOOL:
		return parse_literal(p, t, a);
	case T_NIL:
		a->type = A_NIL;
		return 0;
	case T_LPAREN:
		return parse_paren(p, t, a);
	default:
		return parse_unexpected(p, t, "operand");
	}
}

/* One operand: a term and any ".Field" chain glued to it. */
static int parse_operand(struct parser *p, struct arg *a)
{
	const struct tok *t = next(p);

	a->pos = t->pos;
	a->end = t->end;
	if (parse_term(p, t, a) < 0)
		return -1;
	while (peek(p)->type == T_FIELD && !peek(p)->spaced) {
		t = next(p);
		if (a->type != A_FIELD && a->type != A_VAR && a->type != A_PIPE)
			return tmpl_src_fail(p->src, t->pos, p->err,
					     "unexpected . after term \"%.*s\"",
					     (int)(a->end - a->pos), p->src + a->pos);
		strv_push(&a->fields, t->val);
		a->end = t->end;
	}
	return 0;
}

static int parse_command(struct parser *p, struct cmd *c, const char *ctx)
{
	const struct tok *t;

	c->pos = peek(p)->pos;
	for (;;) {
		t = peek(p);
		if (t->type == T_PIPE || t->type == T_RIGHT || t->type == T_RPAREN)
			break;
		if (c->nargs > 0 && !t->spaced)
			return parse_unexpected(p, t, "operand");
		c->args = xreallocarray(c->args, c->nargs + 1, sizeof(*c->args));
		c->args[c->nargs] = (struct arg){ 0 };
		if (parse_operand(p, &c->args[c->nargs++]) < 0)
			return -1;
	}
	if (c->nargs == 0)
		return tmpl_src_fail(p->src, t->pos, p->err, "missing value for %s", ctx);
	c->end = c->args[c->nargs - 1].end;
	return 0;
}

/* "$x :=", "$x =", and in range "$i, $v :=". */
static int parse_decl(struct parser *p, const char *ctx, struct pipe *pp)
{
	const struct tok *v = peek(p), *op = peek_at(p, 1);
	size_t n = 1;

	if (v->type != T_VAR)
		return 0;
	if (op->type == T_COMMA) {
		if (strcmp(ctx, "range") != 0)
			return tmpl_src_fail(p->src, op->pos, p->err, "too many declarations in %s",
					     ctx);
		if (peek_at(p, 2)->type != T_VAR)
			return tmpl_src_fail(p->src, op->pos, p->err,
					     "range can only initialize variables");
		op = peek_at(p, 3);
		n = 2;
	}
	if (op->type != T_DECLARE && op->type != T_ASSIGN)
		return 0;
	pp->assign = op->type == T_ASSIGN;
	for (size_t k = 0; k < n; k++) {
		const struct tok *t = peek_at(p, 2 * k);
		if (pp->assign && parse_need_var(p, t) < 0)
			return -1;
		pp->decl[pp->ndecl++] = xstrdup(t->val);
		if (!pp->assign)
			parser_push_var(p, t->val);
	}
	p->i += 2 * n;
	return 0;
}

static int parse_pipe(struct parser *p, const char *ctx, enum tok_type end, struct pipe **out)
{
	struct pipe *pp = xzalloc(sizeof(*pp));
	const struct tok *t;

	*out = pp;
	pp->pos = peek(p)->pos;
	if (parse_decl(p, ctx, pp) < 0)
		return -1;
	for (;;) {
		pp->cmds = xreallocarray(pp->cmds, pp->ncmds + 1, sizeof(*pp->cmds));
		pp->cmds[pp->ncmds] = (struct cmd){ 0 };
		if (parse_command(p, &pp->cmds[pp->ncmds++], ctx) < 0)
			return -1;
		t = next(p);
		if (t->type == end)
			break;
		if (t->type != T_PIPE)
			return parse_unexpected(p, t, ctx);
	}
	pp->end = pp->cmds[pp->ncmds - 1].end;
	/* Go: a later stage receives the value, so it must be able to take it. */
	for (size_t i = 1; i < pp->ncmds; i++) {
		enum arg_type first = pp->cmds[i].args[0].type;
		if (first == A_DOT || first == A_LIT || first == A_NIL)
			return tmpl_src_fail(p->src, pp->cmds[i].pos, p->err,
					     "non executable command in pipeline stage %zu", i + 1);
	}
	return 0;
}

static int parse_list(struct parser *p, struct list *l, const struct tok **term);
static int parse_block(struct parser *p, enum node_type type, const char *ctx, size_t pos,
		       struct list *l);

/* A block's pipeline, its body and any {{else}} part. */
static int parse_block_parts(struct parser *p, struct node *n, const char *ctx)
{
	const struct tok *term, *t;
	int end;

	if (parse_pipe(p, ctx, T_RIGHT, &n->pipe) < 0)
		return -1;
	p->range_depth += n->type == N_RANGE;
	end = parse_list(p, &n->body, &term);
	p->range_depth -= n->type == N_RANGE;
	if (end == END_ELSE) {
		t = peek(p);
		/* "{{else if x}}" is "{{else}}{{if x}}" sharing the one {{end}} */
		if ((n->type == N_IF && t->type == T_IF) ||
		    (n->type == N_WITH && t->type == T_WITH)) {
			next(p);
			return parse_block(p, n->type, ctx, t->pos, &n->alt);
		}
		if (parse_close(p, "{{else}}") < 0)
			return -1;
		end = parse_list(p, &n->alt, &term);
		if (end == END_ELSE)
			return tmpl_src_fail(p->src, term->pos, p->err,
					     "expected end; found {{else}}");
	}
	if (end == END_EOF)
		return tmpl_src_fail(p->src, term->pos, p->err, "unexpected EOF");
	return end == END_END ? 0 : -1;
}

/* An if, range or with block, appended to l; its variables end with it. */
static int parse_block(struct parser *p, enum node_type type, const char *ctx, size_t pos,
		       struct list *l)
{
	struct node *n = list_push(l, type, pos);
	size_t mark = p->nvars;
	int r;

	r = parse_nest(p, pos);
	if (r == 0)
		r = parse_block_parts(p, n, ctx);
	p->depth--;
	parser_pop_vars(p, mark);
	return r;
}

/* An action other than {{end}} and {{else}}, its first word k read. */
static int parse_action(struct parser *p, struct list *l, const struct tok *k)
{
	if (k->type == T_BREAK || k->type == T_CONTINUE) {
		if (p->range_depth == 0)
			return tmpl_src_fail(p->src, k->pos, p->err, "{{%s}} outside {{range}}",
					     k->val);
		list_push(l, k->type == T_BREAK ? N_BREAK : N_CONTINUE, k->pos);
		return parse_close(p, k->val);
	}
	for (size_t b = 0; b < ARRAY_SIZE(blocks); b++)
		if (blocks[b].tok == k->type)
			return parse_block(p, blocks[b].node, blocks[b].name, k->pos, l);
	p->i--; /* the word belongs to the pipeline */
	return parse_pipe(p, "command", T_RIGHT, &list_push(l, N_ACTION, k->pos)->pipe);
}

/* Parses nodes up to {{end}}, {{else}} (left before what follows "else") or
 * the end of input; returns which, or -1. */
static int parse_list(struct parser *p, struct list *l, const struct tok **term)
{
	for (;;) {
		const struct tok *t = next(p), *k;

		if (t->type == T_EOF) {
			*term = t;
			return END_EOF;
		}
		if (t->type == T_TEXT) {
			struct node *n = list_push(l, N_TEXT, t->pos);
			n->text = xstrndup(t->val, t->len);
			n->len = t->len;
			continue;
		}
		k = next(p); /* the first word after "{{" */
		*term = k;
		if (k->type == T_END)
			return parse_close(p, k->val) < 0 ? -1 : END_END;
		if (k->type == T_ELSE)
			return END_ELSE;
		if (parse_action(p, l, k) < 0)
			return -1;
	}
}

int tmpl_parse_tree(struct tmpl *t, const struct tok *toks, size_t ntoks, struct berth_err *err)
{
	struct parser p = { .src = t->src, .toks = toks, .ntoks = ntoks, .err = err };
	const struct tok *term = NULL;
	int end;

	parser_push_var(&p, "$");
	end = parse_list(&p, &t->root, &term);
	if (end == END_END || end == END_ELSE)
		tmpl_src_fail(p.src, term->pos, err, "unexpected {{%s}}", term->val);
	parser_pop_vars(&p, 0);
	free(p.vars);
	return end == END_EOF ? 0 : -1;
}
