/*
 * test_shape_dim.c - the dim-expression algebra of analysis/shape/dim.c:
 * canonical forms (equal expressions compare equal), exact division,
 * overflow and unrepresentable results becoming unknown, and the text
 * form that dim_params carry between runs.
 */
#include <stdint.h>
#include <string.h>

#include "shape/dim.h"
#include "test_util.h"

static dim_expr sym(const char *name)
{
	return dim_symbol_named(name, (int)strlen(name));
}

static dim_expr add(dim_expr a, dim_expr b)
{
	return dim_add(&a, &b);
}

static dim_expr sub(dim_expr a, dim_expr b)
{
	return dim_sub(&a, &b);
}

static dim_expr mul(dim_expr a, dim_expr b)
{
	return dim_mul(&a, &b);
}

static dim_expr fdiv(dim_expr a, int64_t c)
{
	return dim_floordiv(&a, c);
}

static const char *text(dim_expr a)
{
	static char buf[256];
	if (!dim_format(&a, buf, sizeof buf))
		return "<none>";
	return buf;
}

static void assert_same(dim_expr a, dim_expr b)
{
	char x[256] = "<none>", y[256] = "<none>";
	dim_format(&a, x, sizeof x);
	dim_format(&b, y, sizeof y);
	ck_assert_msg(dim_equal(&a, &b), "'%s' != '%s'", x, y);
}

static void assert_const(dim_expr a, int64_t want)
{
	int64_t v;
	ck_assert_msg(dim_is_const(&a, &v), "'%s' is not a constant", text(a));
	ck_assert_int_eq(v, want);
}

START_TEST(test_products_and_sums_are_canonical)
{
	dim_expr b = sym("batch"), s = sym("seq"), p = sym("past");
	assert_same(mul(b, s), mul(s, b));
	assert_same(add(add(b, s), p), add(b, add(s, p)));
	/* a*(b+c) = a*b + a*c */
	assert_same(mul(b, add(s, p)), add(mul(b, s), mul(b, p)));
	/* x - x = 0, x + x = 2*x */
	assert_const(sub(mul(b, s), mul(s, b)), 0);
	assert_same(add(b, b), mul(dim_const(2), b));
	ck_assert_str_eq(text(mul(b, s)), "batch*seq");
	ck_assert_str_eq(text(add(p, dim_const(1))), "past+1");
	ck_assert_str_eq(text(sub(s, dim_const(1))), "seq-1");
	ck_assert_str_eq(text(add(mul(dim_const(2), b), dim_const(1))),
	                 "2*batch+1");
	ck_assert(!dim_equal(&b, &s));
}
END_TEST

START_TEST(test_division_by_constants)
{
	dim_expr n = sym("n");
	/* exact quotients fold back into polynomials */
	assert_same(fdiv(mul(dim_const(2), n), 2), n);
	assert_same(fdiv(add(mul(dim_const(2), n), dim_const(1)), 2), n);
	assert_same(fdiv(mul(dim_const(6), n), 4),
	            fdiv(mul(dim_const(3), n), 2));
	/* floor(floor(n/2)/3) = floor(n/6) */
	assert_same(fdiv(fdiv(n, 2), 3), fdiv(n, 6));
	/* x + floor(P/d) = floor((d*x + P)/d) */
	assert_same(add(n, fdiv(n, 2)), fdiv(mul(dim_const(3), n), 2));
	ck_assert_str_eq(text(fdiv(n, 2)), "n/2");
	ck_assert_str_eq(text(fdiv(add(n, dim_const(1)), 2)), "(n+1)/2");
	dim_expr ceil_half = dim_ceildiv(&n, 2);
	assert_same(ceil_half, fdiv(add(n, dim_const(1)), 2));
	assert_const(fdiv(dim_const(7), 2), 3);
	assert_const(fdiv(dim_const(-7), 2), -4); /* floor, not truncation */
	/* not exact in this form: c * floor(n/d), and division by <= 0 */
	ck_assert(!mul(dim_const(2), fdiv(n, 2)).known);
	ck_assert(!fdiv(n, 0).known);
	ck_assert(!fdiv(n, -2).known);
	ck_assert(!sub(n, fdiv(n, 2)).known);
}
END_TEST

START_TEST(test_exact_division)
{
	dim_expr b = sym("batch"), s = sym("seq");
	dim_expr total = mul(mul(b, s), dim_const(768));
	dim_expr c = dim_const(768);
	dim_expr q = dim_div_exact(&total, &c);
	assert_same(q, mul(b, s));
	dim_expr by = mul(b, dim_const(12));
	assert_same(dim_div_exact(&total, &by), mul(s, dim_const(64)));
	assert_const(dim_div_exact(&total, &total), 1);
	/* a divisor that is not a factor of every term */
	dim_expr other = sym("other");
	ck_assert(!dim_div_exact(&total, &other).known);
}
END_TEST

START_TEST(test_unknown_and_overflow)
{
	dim_expr u = dim_unknown(), n = sym("n");
	ck_assert(!add(u, dim_const(1)).known);
	ck_assert(!mul(u, n).known);
	ck_assert(!dim_equal(&u, &u));
	ck_assert(!add(dim_const(INT64_MAX), dim_const(1)).known);
	ck_assert(!mul(dim_const(INT64_MAX), dim_const(2)).known);
	/* too many factors for one term */
	dim_expr big = mul(mul(sym("a"), sym("b")), mul(sym("c"), sym("d")));
	ck_assert(!big.known);
	/* multiplying by 0 and 1 is exact even for quotients */
	assert_const(mul(dim_const(0), fdiv(n, 2)), 0);
	assert_same(mul(dim_const(1), fdiv(n, 2)), fdiv(n, 2));
}
END_TEST

START_TEST(test_text_round_trip)
{
	ir_model *m = tu_model(17);
	dim_expr b = sym("batch"), s = sym("sequence");
	dim_expr e = add(mul(b, s), dim_const(1));
	ir_dim d = dim_to_ir(m, &e);
	ck_assert_int_eq(d.kind, IR_DIM_PARAM);
	ck_assert_str_eq(d.param, "batch*sequence+1");
	/* reading the dim back gives the same expression, not a new name */
	dim_expr back = dim_from_ir(&d);
	assert_same(back, e);
	assert_same(add(back, dim_const(-1)), mul(s, b));

	/* a lone symbol keeps its spelling, identifier or not */
	ir_dim odd = {IR_DIM_PARAM, 0, "batch size"};
	dim_expr o = dim_from_ir(&odd);
	ir_dim again = dim_to_ir(m, &o);
	ck_assert_str_eq(again.param, "batch size");
	/* ... but no expression is spelled with it */
	dim_expr twice = mul(dim_const(2), o);
	ck_assert_int_eq(dim_to_ir(m, &twice).kind, IR_DIM_UNKNOWN);

	/* a name that is not our canonical spelling stays a plain name */
	ir_dim user = {IR_DIM_PARAM, 0, "sequence*batch"};
	dim_expr u = dim_from_ir(&user);
	dim_expr product = mul(b, s);
	ck_assert(!dim_equal(&u, &product));
	ir_dim number = {IR_DIM_PARAM, 0, "3"};
	dim_expr three = dim_from_ir(&number);
	int64_t v;
	ck_assert(!dim_is_const(&three, &v));

	/* static dims and unknowns */
	dim_expr c = dim_const(7);
	ck_assert_int_eq(dim_to_ir(m, &c).kind, IR_DIM_VALUE);
	ck_assert_int_eq(dim_to_ir(m, &c).value, 7);
	dim_expr neg = dim_const(-1);
	ck_assert_int_eq(dim_to_ir(m, &neg).kind, IR_DIM_UNKNOWN);
	ir_dim unknown = {IR_DIM_UNKNOWN, 0, NULL};
	ck_assert(!dim_from_ir(&unknown).known);
	ir_model_free(m);
}
END_TEST

START_TEST(test_nonnegative)
{
	dim_expr n = sym("n");
	ck_assert(dim_is_nonnegative(&n));
	dim_expr e = add(n, dim_const(1));
	ck_assert(dim_is_nonnegative(&e));
	e = sub(n, dim_const(1));
	ck_assert(!dim_is_nonnegative(&e));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shape-dim");
	TCase *tc = tcase_create("dim");
	tcase_add_test(tc, test_products_and_sums_are_canonical);
	tcase_add_test(tc, test_division_by_constants);
	tcase_add_test(tc, test_exact_division);
	tcase_add_test(tc, test_unknown_and_overflow);
	tcase_add_test(tc, test_text_round_trip);
	tcase_add_test(tc, test_nonnegative);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
