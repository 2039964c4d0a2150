/*
 * value_ops.c - how each shape-building op transforms the symbolic
 * contents of its inputs (see value.c for the analysis they plug into).
 *
 * Every follower returns false when it cannot say anything exact about
 * its output; an element it cannot derive is dim_unknown(). Integer Div
 * is only followed where ONNX's truncating division and floor division
 * agree (a non-negative numerator and a positive divisor), and casts to
 * narrower integers are applied to constants only.
 */
#include <string.h>

#include "ops.h"
#include "value.h"

static const shape_value *operand(value_env *env, int index)
{
	if (index >= env->node->n_inputs || !env->node->inputs[index])
		return NULL;
	return shape_analysis_value(env->analysis, env->node->inputs[index]);
}

static bool operand_ints(value_env *env, int index, int64_t *out, int *n)
{
	const shape_value *sv = operand(env, index);
	if (!sv)
		return false;
	for (int i = 0; i < sv->n; i++)
		if (!dim_is_const(&sv->elems[i], &out[i]))
			return false;
	*n = sv->n;
	return true;
}

/* Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input
 * after (op_versions.def). Returns the count, or -1 when they cannot be
 * read; 0 means absent. */
static int read_axes(value_env *env, int64_t *axes)
{
	if (op_attribute_input(env->node->op_type, "axes", env->opset) < 0) {
		const ir_attr *a = ir_node_attr(env->node, "axes");
		if (!a)
			return 0;
		if (a->proto->n_ints > SHAPE_VALUE_MAX)
			return -1;
		for (size_t i = 0; i < a->proto->n_ints; i++)
			axes[i] = a->proto->ints[i];
		return (int)a->proto->n_ints;
	}
	if (env->node->n_inputs < 2 || !env->node->inputs[1])
		return 0;
	int n;
	return operand_ints(env, 1, axes, &n) ? n : -1;
}

static bool shape_of(value_env *env, shape_value *out)
{
	ir_value *x = env->node->inputs[0];
	shape_type t;
	if (!x || !shape_type_from_ir(&x->type, &t) || t.rank < 0)
		return false;
	int64_t start = 0, end = t.rank;
	if (env->opset >= 15) {
		start = ir_attr_int(env->node, "start", 0);
		end = ir_attr_int(env->node, "end", t.rank);
	}
	if (start < 0)
		start += t.rank;
	if (end < 0)
		end += t.rank;
	start = start < 0 ? 0 : start > t.rank ? t.rank : start;
	end = end < 0 ? 0 : end > t.rank ? t.rank : end;
	int n = end > start ? (int)(end - start) : 0;
	if (n > SHAPE_VALUE_MAX)
		return false;
	out->elem_type = IR_INT64;
	out->rank = 1;
	out->n = n;
	for (int i = 0; i < n; i++)
		out->elems[i] = t.dims[start + i];
	return true;
}

static bool gather(value_env *env, shape_value *out)
{
	const shape_value *data = operand(env, 0);
	int64_t idx[SHAPE_VALUE_MAX];
	int n;
	if (!data || data->rank != 1)
		return false;
	int64_t axis = ir_attr_int(env->node, "axis", 0);
	if (axis != 0 && axis != -1)
		return false;
	const shape_value *indices = operand(env, 1);
	if (!indices || !operand_ints(env, 1, idx, &n))
		return false;
	for (int i = 0; i < n; i++) {
		int64_t k = idx[i] < 0 ? idx[i] + data->n : idx[i];
		if (k < 0 || k >= data->n)
			return false;
		out->elems[i] = data->elems[k];
	}
	out->elem_type = data->elem_type;
	out->rank = indices->rank;
	out->n = n;
	return true;
}

static bool slice(value_env *env, shape_value *out)
{
	const shape_value *data = operand(env, 0);
	if (!data || data->rank != 1)
		return false;
	int64_t starts[SHAPE_VALUE_MAX], ends[SHAPE_VALUE_MAX];
	int64_t axes[SHAPE_VALUE_MAX] = {0}, steps[SHAPE_VALUE_MAX] = {1};
	int ns, ne, na = 1, nst = 1;
	if (op_attribute_input("Slice", "starts", env->opset) < 0) {
		const ir_attr *s = ir_node_attr(env->node, "starts");
		const ir_attr *e = ir_node_attr(env->node, "ends");
		const ir_attr *a = ir_node_attr(env->node, "axes");
		if (!s || !e || s->proto->n_ints != 1 || e->proto->n_ints != 1)
			return false;
		starts[0] = s->proto->ints[0];
		ends[0] = e->proto->ints[0];
		ns = ne = 1;
		if (a) {
			if (a->proto->n_ints != 1)
				return false;
			axes[0] = a->proto->ints[0];
		}
	} else {
		if (!operand_ints(env, 1, starts, &ns) ||
		    !operand_ints(env, 2, ends, &ne))
			return false;
		if (env->node->n_inputs > 3 && env->node->inputs[3] &&
		    !operand_ints(env, 3, axes, &na))
			return false;
		if (env->node->n_inputs > 4 && env->node->inputs[4] &&
		    !operand_ints(env, 4, steps, &nst))
			return false;
	}
	if (ns != 1 || ne != 1 || na != 1 || nst != 1 ||
	    (axes[0] != 0 && axes[0] != -1) || steps[0] == 0)
		return false;
	int64_t n = data->n, step = steps[0];
	int64_t start = starts[0] < 0 ? starts[0] + n : starts[0];
	int64_t end = ends[0] < 0 ? ends[0] + n : ends[0];
	int count = 0;
	/* Every element is visited and every |step|-th kept: adding a step
	 * near INT64_MAX to the index would overflow, and n is small. */
	uint64_t magnitude = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
	if (n == 0) {
		/* Nothing to take, whatever the step's sign. */
	} else if (step > 0) {
		start = start < 0 ? 0 : start > n ? n : start;
		end = end < 0 ? 0 : end > n ? n : end;
		for (int64_t i = start; i < end; i++)
			if ((uint64_t)(i - start) % magnitude == 0)
				out->elems[count++] = data->elems[i];
	} else {
		start = start < 0 ? 0 : start > n - 1 ? n - 1 : start;
		end = end < -1 ? -1 : end > n - 1 ? n - 1 : end;
		for (int64_t i = start; i > end; i--)
			if ((uint64_t)(start - i) % magnitude == 0)
				out->elems[count++] = data->elems[i];
	}
	out->elem_type = data->elem_type;
	out->rank = 1;
	out->n = count;
	return true;
}

static bool concat(value_env *env, shape_value *out)
{
	int64_t axis = ir_attr_int(env->node, "axis", 0);
	if (axis != 0 && axis != -1)
		return false;
	out->n = 0;
	out->rank = 1;
	out->elem_type = IR_INT64;
	for (int i = 0; i < env->node->n_inputs; i++) {
		const shape_value *part = operand(env, i);
		if (!part || part->rank != 1 ||
		    out->n + part->n > SHAPE_VALUE_MAX)
			return false;
		memcpy(&out->elems[out->n], part->elems,
		       sizeof(dim_expr) * (size_t)part->n);
		out->n += part->n;
		out->elem_type = part->elem_type;
	}
	return true;
}

static bool unsqueeze(value_env *env, shape_value *out)
{
	const shape_value *in = operand(env, 0);
	int64_t axes[SHAPE_VALUE_MAX];
	if (!in || in->rank != 0 || read_axes(env, axes) != 1 ||
	    (axes[0] != 0 && axes[0] != -1))
		return false;
	*out = *in;
	out->rank = 1;
	return true;
}

static bool squeeze(value_env *env, shape_value *out)
{
	const shape_value *in = operand(env, 0);
	int64_t axes[SHAPE_VALUE_MAX];
	int n_axes = read_axes(env, axes);
	if (!in || in->rank != 1 || in->n != 1 || n_axes < 0 || n_axes > 1 ||
	    (n_axes == 1 && axes[0] != 0 && axes[0] != -1))
		return false;
	*out = *in;
	out->rank = 0;
	return true;
}

static bool reshape(value_env *env, shape_value *out)
{
	const shape_value *in = operand(env, 0);
	int64_t target[SHAPE_VALUE_MAX];
	int n;
	if (!in || !operand_ints(env, 1, target, &n) || n > 1)
		return false;
	*out = *in;
	if (n == 0) {
		out->rank = 0;
		return in->n == 1;
	}
	out->rank = 1;
	return target[0] == in->n || target[0] == -1 ||
	       (target[0] == 0 &&
	        !(env->opset >= op_attribute_added_in("Reshape", "allowzero") &&
	          ir_attr_int(env->node, "allowzero", 0)));
}

/* Integers that float (2^24) and double (2^53) hold exactly. */
static bool exact_in_float(int to, int64_t c)
{
	int64_t limit = to == IR_FLOAT ? (int64_t)1 << 24 : (int64_t)1 << 53;
	return c >= -limit && c <= limit;
}

static bool cast(value_env *env, shape_value *out)
{
	const shape_value *in = operand(env, 0);
	int to = ir_attr_elem_type(env->node, "to", 0);
	if (!in)
		return false;
	/* A float or double cast of known integers is those integers
	 * exactly (a window function's Cast(size) feeding Range); anything
	 * symbolic or past the mantissa is not followed, and no arithmetic
	 * is done on the result (elementwise() takes integers only). */
	if (to == IR_FLOAT || to == IR_DOUBLE) {
		if (!value_is_integer_elem(in->elem_type))
			return false;
		for (int i = 0; i < in->n; i++) {
			int64_t c;
			if (!dim_is_const(&in->elems[i], &c) ||
			    !exact_in_float(to, c))
				return false;
		}
		*out = *in;
		out->elem_type = to;
		return true;
	}
	if (!value_is_integer_elem(to) || to == IR_BOOL)
		return false;
	*out = *in;
	out->elem_type = to;
	int bits = ir_elem_bits(to);
	bool is_signed =
	    to == IR_INT8 || to == IR_INT16 || to == IR_INT32 || to == IR_INT64;
	for (int i = 0; i < out->n; i++) {
		int64_t c;
		if (!dim_is_const(&out->elems[i], &c))
			continue; /* dims fit every integer type in practice */
		if (bits < 64) {
			uint64_t mask = ((uint64_t)1 << bits) - 1;
			uint64_t u = (uint64_t)c & mask;
			if (is_signed && (u >> (bits - 1)))
				c = (int64_t)(u | ~mask);
			else
				c = (int64_t)u;
		} else if (!is_signed && c < 0) {
			return false;
		}
		out->elems[i] = dim_const(c);
	}
	return true;
}

typedef enum {
	ARITH_ADD,
	ARITH_SUB,
	ARITH_MUL,
	ARITH_DIV,
	ARITH_MIN,
	ARITH_MAX
} arith_op;

static dim_expr arith(arith_op op, const dim_expr *a, const dim_expr *b)
{
	int64_t x, y;
	bool consts = dim_is_const(a, &x) && dim_is_const(b, &y);
	switch (op) {
	case ARITH_ADD: return dim_add(a, b);
	case ARITH_SUB: return dim_sub(a, b);
	case ARITH_MUL: return dim_mul(a, b);
	case ARITH_DIV:
		if (!dim_is_const(b, &y) || y <= 0 || !dim_is_nonnegative(a))
			return dim_unknown();
		return dim_floordiv(a, y);
	case ARITH_MIN:
	case ARITH_MAX:
		if (consts)
			return dim_const(op == ARITH_MIN ? (x < y ? x : y)
			                                 : (x > y ? x : y));
		return dim_equal(a, b) ? *a : dim_unknown();
	}
	return dim_unknown();
}

/* The length two shape values broadcast to, -1 if they do not: a length
 * of 1 takes the other's, even 0 (an empty value stays empty). */
static int broadcast_length(const shape_value *a, const shape_value *b)
{
	if (a->n == b->n || b->n == 1)
		return a->n;
	return a->n == 1 ? b->n : -1;
}

static bool elementwise(value_env *env, arith_op op, shape_value *out)
{
	if (env->node->n_inputs != 2)
		return false;
	const shape_value *a = operand(env, 0), *b = operand(env, 1);
	if (!a || !b || broadcast_length(a, b) < 0 ||
	    !value_is_integer_elem(a->elem_type) ||
	    !value_is_integer_elem(b->elem_type))
		return false;
	out->elem_type = a->elem_type;
	out->rank = a->rank > b->rank ? a->rank : b->rank;
	out->n = broadcast_length(a, b);
	for (int i = 0; i < out->n; i++)
		out->elems[i] = arith(op, &a->elems[a->n == 1 ? 0 : i],
		                      &b->elems[b->n == 1 ? 0 : i]);
	return true;
}

static bool negate(value_env *env, shape_value *out)
{
	const shape_value *in = operand(env, 0);
	if (!in)
		return false;
	*out = *in;
	dim_expr minus_one = dim_const(-1);
	for (int i = 0; i < out->n; i++)
		out->elems[i] = dim_mul(&minus_one, &in->elems[i]);
	return true;
}

/* Equal on shape values decides what it can: a size is never negative,
 * so it never equals the -1 that PyTorch's expand(..., -1) exports. */
static bool equal(value_env *env, shape_value *out)
{
	const shape_value *a = operand(env, 0), *b = operand(env, 1);
	if (!a || !b || broadcast_length(a, b) < 0)
		return false;
	out->elem_type = IR_BOOL;
	out->rank = a->rank > b->rank ? a->rank : b->rank;
	out->n = broadcast_length(a, b);
	for (int i = 0; i < out->n; i++) {
		const dim_expr *x = &a->elems[a->n == 1 ? 0 : i];
		const dim_expr *y = &b->elems[b->n == 1 ? 0 : i];
		int64_t cx, cy;
		bool x_const = dim_is_const(x, &cx),
		     y_const = dim_is_const(y, &cy);
		if (x_const && y_const)
			out->elems[i] = dim_const(cx == cy);
		else if (dim_equal(x, y))
			out->elems[i] = dim_const(1);
		else if ((x_const && cx < 0 && dim_is_nonnegative(y)) ||
		         (y_const && cy < 0 && dim_is_nonnegative(x)))
			out->elems[i] = dim_const(0);
		else
			out->elems[i] = dim_unknown();
	}
	return true;
}

static bool where(value_env *env, shape_value *out)
{
	const shape_value *c = operand(env, 0), *x = operand(env, 1),
	                  *y = operand(env, 2);
	if (!c || !x || !y)
		return false;
	int n = c->n > x->n ? c->n : x->n;
	n = n > y->n ? n : y->n;
	if ((c->n != n && c->n != 1) || (x->n != n && x->n != 1) ||
	    (y->n != n && y->n != 1))
		return false;
	out->elem_type = x->elem_type;
	out->rank = c->rank > x->rank ? c->rank : x->rank;
	out->rank = out->rank > y->rank ? out->rank : y->rank;
	out->n = n;
	for (int i = 0; i < n; i++) {
		int64_t pick;
		if (!dim_is_const(&c->elems[c->n == 1 ? 0 : i], &pick))
			out->elems[i] = dim_unknown();
		else
			out->elems[i] = pick ? x->elems[x->n == 1 ? 0 : i]
			                     : y->elems[y->n == 1 ? 0 : i];
	}
	return true;
}

static bool size_of(value_env *env, shape_value *out)
{
	ir_value *x = env->node->inputs[0];
	shape_type t;
	if (!x || !shape_type_from_ir(&x->type, &t) || t.rank < 0)
		return false;
	out->elem_type = IR_INT64;
	out->rank = 0;
	out->n = 1;
	out->elems[0] = shape_type_numel(&t);
	return true;
}

static bool constant_of_shape(value_env *env, shape_value *out)
{
	int64_t dims[SHAPE_VALUE_MAX];
	int n;
	if (!operand_ints(env, 0, dims, &n) || n != 1 || dims[0] < 0 ||
	    dims[0] > SHAPE_VALUE_MAX)
		return false;
	const ir_attr *a = ir_node_attr(env->node, "value");
	shape_value fill;
	if (!a || !a->tensor ||
	    !value_read_tensor(env->analysis->model, a->tensor, &fill) ||
	    fill.n != 1)
		return false;
	out->elem_type = fill.elem_type;
	out->rank = 1;
	out->n = (int)dims[0];
	for (int i = 0; i < out->n; i++)
		out->elems[i] = fill.elems[0];
	return true;
}

bool value_follow(value_env *env, shape_value *out)
{
	const ir_node *node = env->node;
	if (!ir_is_onnx_domain(node->domain))
		return false;
	const char *op = node->op_type;
	if (node->n_inputs < 1)
		return !strcmp(op, "Constant") &&
		       value_read_constant_node(env->analysis->model, node,
		                                out);
	if (!node->inputs[0])
		return false;
	if (!strcmp(op, "Shape"))
		return shape_of(env, out);
	if (!strcmp(op, "Size"))
		return size_of(env, out);
	if (!strcmp(op, "Gather"))
		return gather(env, out);
	if (!strcmp(op, "Slice"))
		return slice(env, out);
	if (!strcmp(op, "Concat"))
		return concat(env, out);
	if (!strcmp(op, "Unsqueeze"))
		return unsqueeze(env, out);
	if (!strcmp(op, "Squeeze"))
		return squeeze(env, out);
	if (!strcmp(op, "Reshape"))
		return reshape(env, out);
	if (!strcmp(op, "Cast"))
		return cast(env, out);
	if (!strcmp(op, "Neg"))
		return negate(env, out);
	if (!strcmp(op, "ConstantOfShape"))
		return constant_of_shape(env, out);
	if (!strcmp(op, "Equal") && node->n_inputs == 2)
		return equal(env, out);
	if (!strcmp(op, "Where") && node->n_inputs == 3)
		return where(env, out);
	if (!strcmp(op, "Identity")) {
		const shape_value *in = operand(env, 0);
		return in && (*out = *in, true);
	}
	static const struct {
		const char *name;
		arith_op op;
	} arith_ops[] = {{"Add", ARITH_ADD}, {"Sub", ARITH_SUB},
	                 {"Mul", ARITH_MUL}, {"Div", ARITH_DIV},
	                 {"Min", ARITH_MIN}, {"Max", ARITH_MAX}};
	for (size_t i = 0; i < sizeof arith_ops / sizeof arith_ops[0]; i++)
		if (!strcmp(op, arith_ops[i].name))
			return elementwise(env, arith_ops[i].op, out);
	return false;
}
