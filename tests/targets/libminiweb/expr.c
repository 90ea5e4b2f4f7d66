// SPDX-License-Identifier: GPL-2.0
/*
 * Integer expressions for attributes and calc(): 64-bit signed arithmetic
 * with C precedence, unary - + ! ~, parentheses, min/max/abs/clamp and
 * variables resolved by the caller.  Binary operators are dispatched
 * through miniweb_binops[]; every overflow is an error, never a wrap.
 */
#include <string.h>

#include "internal.h"

#define MW_EXPR_DEPTH 64
#define MW_EXPR_ARGS 8

struct parser {
	const char *p;
	const char *end;
	unsigned int depth;
	miniweb_var_cb cb;
	void *arg;
};

static MW_NOINLINE void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && mw_is_space(*ps->p))
		ps->p++;
}

static int op_add(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_add_overflow(a, b, r) ? mw_fail(MW_EOVERFLOW) : 0;
}

static int op_sub(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_sub_overflow(a, b, r) ? mw_fail(MW_EOVERFLOW) : 0;
}

static int op_mul(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_mul_overflow(a, b, r) ? mw_fail(MW_EOVERFLOW) : 0;
}

static int op_div(int64_t a, int64_t b, int64_t *r)
{
	if (!b)
		return mw_fail(MW_EDIV);
	if (a == INT64_MIN && b == -1)
		return mw_fail(MW_EOVERFLOW);
	*r = a / b;
	return 0;
}

static int op_mod(int64_t a, int64_t b, int64_t *r)
{
	if (!b)
		return mw_fail(MW_EDIV);
	*r = b == -1 ? 0 : a % b;
	return 0;
}

static int op_shl(int64_t a, int64_t b, int64_t *r)
{
	if (b < 0 || b > 62)
		return mw_fail(MW_EOVERFLOW);
	return op_mul(a, (int64_t)1 << b, r);
}

static int op_shr(int64_t a, int64_t b, int64_t *r)
{
	if (b < 0 || b > 63)
		return mw_fail(MW_EOVERFLOW);
	*r = a >> b;
	return 0;
}

#define MW_SIMPLE_OP(name, expr)                          \
	static int name(int64_t a, int64_t b, int64_t *r) \
	{                                                 \
		*r = (expr);                              \
		return 0;                                 \
	}

MW_SIMPLE_OP(op_and, a &b)
MW_SIMPLE_OP(op_or, a | b)
MW_SIMPLE_OP(op_xor, a ^ b)
MW_SIMPLE_OP(op_lt, a < b)
MW_SIMPLE_OP(op_le, a <= b)
MW_SIMPLE_OP(op_gt, a > b)
MW_SIMPLE_OP(op_ge, a >= b)
MW_SIMPLE_OP(op_eq, a == b)
MW_SIMPLE_OP(op_ne, a != b)
MW_SIMPLE_OP(op_land, a &&b)
MW_SIMPLE_OP(op_lor, a || b)

/* Two-character operators first: the parser takes the first match. */
const struct miniweb_binop miniweb_binops[] = {
	{ "||", 1, op_lor }, { "&&", 2, op_land }, { "==", 6, op_eq },
	{ "!=", 6, op_ne },  { "<=", 7, op_le },   { ">=", 7, op_ge },
	{ "<<", 8, op_shl }, { ">>", 8, op_shr },  { "|", 3, op_or },
	{ "^", 4, op_xor },  { "&", 5, op_and },   { "<", 7, op_lt },
	{ ">", 7, op_gt },   { "+", 9, op_add },   { "-", 9, op_sub },
	{ "*", 10, op_mul }, { "/", 10, op_div },  { "%", 10, op_mod },
	{ "", 0, NULL },
};

/**
 * miniweb_binop_count() - the number of entries before the NULL sentinel
 */
unsigned int miniweb_binop_count(void)
{
	unsigned int n = 0;

	while (miniweb_binops[n].fn)
		n++;
	return n;
}

/**
 * miniweb_binop_find() - the table entry of operator @sym ("+", "<<", ...)
 *
 * Return: the entry, or NULL if @sym is not an operator.
 */
const struct miniweb_binop *miniweb_binop_find(const char *sym)
{
	size_t i;

	for (i = 0; sym && miniweb_binops[i].fn; i++) {
		if (!strcmp(miniweb_binops[i].sym, sym))
			return &miniweb_binops[i];
	}
	return NULL;
}

static const struct miniweb_binop *match_op(struct parser *ps)
{
	size_t i, n;

	skip_ws(ps);
	for (i = 0; miniweb_binops[i].fn; i++) {
		n = strlen(miniweb_binops[i].sym);
		if ((size_t)(ps->end - ps->p) >= n &&
		    !memcmp(ps->p, miniweb_binops[i].sym, n))
			return &miniweb_binops[i];
	}
	return NULL;
}

static int parse_expr(struct parser *ps, int min_prec, int64_t *out);

static int parse_number(struct parser *ps, int64_t *out)
{
	int64_t v = 0;
	int base = 10, d;

	if (ps->end - ps->p > 2 && ps->p[0] == '0' &&
	    mw_lower(ps->p[1]) == 'x') {
		base = 16;
		ps->p += 2;
	}
	if (ps->p >= ps->end)
		return mw_fail(MW_ESYNTAX);
	for (; ps->p < ps->end; ps->p++) {
		char c = mw_lower(*ps->p);

		if (mw_is_digit(c))
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (mw_is_alpha(c) || c == '_')
			return mw_fail(MW_ESYNTAX);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return mw_fail(MW_EOVERFLOW);
	}
	*out = v;
	return 0;
}

static int apply_func(const char *name, size_t n, const int64_t *a,
		      unsigned int argc, int64_t *out)
{
	unsigned int i;

	if (n == 3 && (!memcmp(name, "min", 3) || !memcmp(name, "max", 3))) {
		bool is_min = name[1] == 'i';

		if (!argc)
			return mw_fail(MW_ESYNTAX);
		*out = a[0];
		for (i = 1; i < argc; i++)
			if (is_min ? a[i] < *out : a[i] > *out)
				*out = a[i];
		return 0;
	}
	if (n == 3 && !memcmp(name, "abs", 3)) {
		if (argc != 1)
			return mw_fail(MW_ESYNTAX);
		if (a[0] == INT64_MIN)
			return mw_fail(MW_EOVERFLOW);
		*out = a[0] < 0 ? -a[0] : a[0];
		return 0;
	}
	if (n == 5 && !memcmp(name, "clamp", 5)) {
		if (argc != 3 || a[1] > a[2])
			return mw_fail(MW_ESYNTAX);
		*out = a[0] < a[1] ? a[1] : a[0] > a[2] ? a[2] : a[0];
		return 0;
	}
	return mw_fail(MW_EUNDEF);
}

/* name(args...) or a variable. */
static int parse_name(struct parser *ps, int64_t *out)
{
	const char *name = ps->p;
	int64_t args[MW_EXPR_ARGS] = { 0 };
	unsigned int argc = 0;
	size_t n;
	int err;

	while (ps->p < ps->end &&
	       (mw_is_alpha(*ps->p) || mw_is_digit(*ps->p) || *ps->p == '_'))
		ps->p++;
	n = ps->p - name;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '(') {
		if (!ps->cb)
			return mw_fail(MW_EUNDEF);
		err = ps->cb(name, n, out, ps->arg);
		return err ? mw_fail(err < 0 ? -err : err) : 0;
	}
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ')') {
		ps->p++;
		return apply_func(name, n, args, 0, out);
	}
	for (;;) {
		if (argc == MW_EXPR_ARGS)
			return mw_fail(MW_ESYNTAX);
		err = parse_expr(ps, 1, &args[argc++]);
		if (err)
			return err;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p >= ps->end || *ps->p != ')')
			return mw_fail(MW_ESYNTAX);
		ps->p++;
		return apply_func(name, n, args, argc, out);
	}
}

static int parse_primary(struct parser *ps, int64_t *out)
{
	int64_t v;
	int err;
	char c;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return mw_fail(MW_ESYNTAX);
	if (++ps->depth > MW_EXPR_DEPTH)
		return mw_fail(MW_EDEPTH);
	c = *ps->p;
	if (c == '(') {
		ps->p++;
		err = parse_expr(ps, 1, out);
		skip_ws(ps);
		if (!err && (ps->p >= ps->end || *ps->p++ != ')'))
			err = mw_fail(MW_ESYNTAX);
	} else if (mw_is_digit(c)) {
		err = parse_number(ps, out);
	} else if (mw_is_alpha(c) || c == '_') {
		err = parse_name(ps, out);
	} else if (c == '-' || c == '+' || c == '!' || c == '~') {
		ps->p++;
		err = parse_primary(ps, &v);
		if (!err && c == '-')
			err = op_sub(0, v, out);
		else if (!err)
			*out = c == '+' ? v : c == '!' ? !v : ~v;
	} else {
		err = mw_fail(MW_ESYNTAX);
	}
	ps->depth--;
	return err;
}

/* Precedence climbing over the operator table. */
static int parse_expr(struct parser *ps, int min_prec, int64_t *out)
{
	const struct miniweb_binop *op;
	int64_t lhs, rhs;
	int err;

	err = parse_primary(ps, &lhs);
	while (!err) {
		op = match_op(ps);
		if (!op || op->prec < min_prec)
			break;
		ps->p += strlen(op->sym);
		err = parse_expr(ps, op->prec + 1, &rhs);
		if (!err)
			err = op->fn(lhs, rhs, &lhs);
	}
	if (!err)
		*out = lhs;
	return err;
}

/**
 * miniweb_expr_eval_vars() - evaluate an integer expression
 * @s: @len bytes
 * @cb: resolves variables; NULL makes every variable unknown
 *
 * Return: 0 with *@out set, or a negative MW_E* code.
 */
int miniweb_expr_eval_vars(const char *s, size_t len, miniweb_var_cb cb,
			   void *arg, int64_t *out)
{
	struct parser ps = { .p = s, .end = s + len, .cb = cb, .arg = arg };
	int64_t v;
	int err;

	if (!s || !out)
		return mw_fail(MW_EINVAL);
	if (len > MINIWEB_URL_MAX)
		return mw_fail(MW_ETOOLONG);
	mw_stats()->exprs++;
	err = parse_expr(&ps, 1, &v);
	if (err)
		return err;
	skip_ws(&ps);
	if (ps.p != ps.end)
		return mw_fail(MW_ESYNTAX);
	*out = v;
	return 0;
}

int miniweb_expr_eval(const char *s, size_t len, int64_t *out)
{
	return miniweb_expr_eval_vars(s, len, NULL, NULL, out);
}
