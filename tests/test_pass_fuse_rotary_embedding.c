/*
 * test_pass_fuse_rotary_embedding.c - rotary embeddings fuse to
 * RotaryEmbedding and compute the same (the evaluator has its kernel):
 * rotate-half and interleaved rotations with tables gathered by position
 * ids or with cos/sin computed at run time. Near misses stay: tables that
 * do not repeat where the rotation pairs, run-time angles laid out for the
 * other rotation, a wrong half, an older opset, a shared intermediate,
 * position ids or run-time angles that would broadcast over the batch, a
 * Reshape that does not give x back.
 */
#include <math.h>

#include "pass_util.h"
#include "test_fuse_util.h"

enum { B = 2, H = 3, S = 5, P = 6, D = 4 };

typedef struct rotary_options {
	int opset;             /* default 23 */
	bool interleaved;      /* rotate pairs (2i, 2i + 1) */
	bool runtime;          /* cos/sin of cat(f, f) from an input f */
	bool halves_differ;    /* the tables do not repeat where paired */
	bool wrong_half;       /* Slice [1, D) instead of [D/2, D) */
	bool neg_read_outside; /* the Neg output is also a graph output */
	bool ids_batch_one;    /* position_ids [1, S]: broadcast over B */
	bool freqs_batch_one;  /* run-time f [1, S, D/2] */
	bool reshape_other;    /* interleaved Reshape to [B, H, D, S] */
	bool other_layout;     /* run-time angles laid out for the other
	                          rotation */
} rotary_options;

/* A [P, D] table; angle i sits at i and i + D/2 (rotate-half) or at 2i
 * and 2i + 1 (interleaved). */
static ir_value *table(ir_graph *g, const char *hint, bool is_sin,
                       const rotary_options *o)
{
	float v[P * D];
	for (int p = 0; p < P; p++)
		for (int i = 0; i < D; i++) {
			int k = o->interleaved ? i / 2 : i % (D / 2);
			double angle = p * pow(10000.0, -2.0 * k / D);
			v[p * D + i] =
			    (float)(is_sin ? sin(angle) : cos(angle));
			if (o->halves_differ && i == D - 1)
				v[p * D + i] += 0.5f;
		}
	return tu_initializer_f32(g, hint, v, TU_DIMS(P, D));
}

static ir_value *unsqueeze(ir_graph *g, ir_value *v, int64_t axis)
{
	return tu_op(g, "Unsqueeze", v, fu_ints(g, &axis, 1));
}

static ir_value *gathered(ir_graph *g, ir_value *t, ir_value *pos)
{
	ir_node *gather = tu_node(g, "Gather", TU_VALUES(t, pos), 1);
	return unsqueeze(g, gather->outputs[0], 1);
}

static ir_value *slice_last(ir_graph *g, ir_value *x, int64_t start,
                            int64_t end, int64_t step)
{
	return tu_op(g, "Slice", x, fu_ints(g, &start, 1), fu_ints(g, &end, 1),
	             fu_ints(g, (int64_t[]){-1}, 1), fu_ints(g, &step, 1));
}

static ir_value *concat_last(ir_graph *g, ir_value *a, ir_value *b)
{
	ir_node *concat = tu_node(g, "Concat", TU_VALUES(a, b), 1);
	ir_node_set_attr_int(concat, "axis", -1);
	return concat->outputs[0];
}

static ir_value *rotated(ir_graph *g, ir_value *x, const rotary_options *o,
                         ir_value **neg)
{
	if (!o->interleaved) {
		ir_value *x1 = slice_last(g, x, 0, D / 2, 1);
		ir_value *x2 = slice_last(g, x, o->wrong_half ? 1 : D / 2,
		                          INT64_MAX, 1);
		*neg = tu_op(g, "Neg", x2);
		return concat_last(g, *neg, x1);
	}
	ir_value *even = slice_last(g, x, 0, INT64_MAX, 2);
	ir_value *odd = slice_last(g, x, 1, INT64_MAX, 2);
	*neg = tu_op(g, "Neg", odd);
	ir_value *pairs =
	    concat_last(g, unsqueeze(g, *neg, -1), unsqueeze(g, even, -1));
	int64_t shape[4] = {B, H, S, D};
	if (o->reshape_other)
		shape[2] = D, shape[3] = S;
	return tu_op(g, "Reshape", pairs, fu_ints(g, shape, 4));
}

static ir_model *build(const rotary_options *o)
{
	ir_model *m = tu_model(o->opset ? o->opset : 23);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(B, H, S, D));
	ir_value *cos, *sin;
	if (o->runtime) {
		ir_value *f = tu_input(g, "freqs",
		                       TU_DIMS(o->freqs_batch_one ? 1 : B, S,
		                               D / 2));
		/* cat(f, f) pairs i and i + D/2; stack((f, f), -1) then
		 * flatten(-2) pairs 2i and 2i + 1. */
		ir_value *emb;
		if (o->interleaved != o->other_layout) {
			int64_t shape[3] = {o->freqs_batch_one ? 1 : B, S, D};
			emb = tu_op(g, "Reshape",
			            concat_last(g, unsqueeze(g, f, -1),
			                        unsqueeze(g, f, -1)),
			            fu_ints(g, shape, 3));
		} else {
			emb = concat_last(g, f, f);
		}
		cos = unsqueeze(g, tu_op(g, "Cos", emb), 1);
		sin = unsqueeze(g, tu_op(g, "Sin", emb), 1);
	} else {
		ir_value *pos = tu_input_typed(
		    g, "position_ids", IR_INT64,
		    TU_DIMS(o->ids_batch_one ? 1 : B, S));
		cos = gathered(g, table(g, "cos", false, o), pos);
		sin = gathered(g, table(g, "sin", true, o), pos);
	}
	ir_value *neg;
	ir_value *r = rotated(g, x, o, &neg);
	tu_output(tu_op(g, "Add", tu_op(g, "Mul", x, cos),
	                tu_op(g, "Mul", r, sin)));
	if (o->neg_read_outside)
		tu_output(neg);
	return m;
}

/* Fuses once and computes what the pattern computed. */
static ir_node *fuse(const rotary_options *o, ir_model **out)
{
	ir_model *m = build(o);
	ck_assert_int_eq(fu_run_equivalent(m, "fuse_rotary_embedding", 1e-5),
	                 1);
	ck_assert_int_eq(tu_count_ops(m, "RotaryEmbedding"), 1);
	/* The run-time angles' Concat stays: Cos(f) and Sin(f) read f. */
	ck_assert_int_eq(tu_count_ops(m, "Concat"), o->runtime ? 1 : 0);
	ck_assert_int_eq(tu_count_ops(m, "Neg"), 0);
	ir_node *rot = tu_find_node(m->graph, "RotaryEmbedding");
	ck_assert_ptr_eq(rot->inputs[0], ir_graph_lookup(m->graph, "x"));
	ck_assert_int_eq(ir_attr_int(rot, "interleaved", 0), o->interleaved);
	*out = m;
	return rot;
}

START_TEST(test_rotate_half_with_tables)
{
	rotary_options o = {0};
	ir_model *m;
	ir_node *rot = fuse(&o, &m);
	ck_assert_int_eq(rot->n_inputs, 4);
	ir_tensor *cache = pass_constant_tensor(rot->inputs[1]);
	ck_assert_int_eq(cache->rank, 2);
	ck_assert_int_eq(cache->dims[0], P);
	ck_assert_int_eq(cache->dims[1], D / 2);
	ck_assert_ptr_eq(rot->inputs[3],
	                 ir_graph_lookup(m->graph, "position_ids"));
	ir_model_free(m);
}
END_TEST

START_TEST(test_interleaved_with_tables)
{
	rotary_options o = {.interleaved = true};
	ir_model *m;
	ir_node *rot = fuse(&o, &m);
	ck_assert_int_eq(tu_count_ops(m, "Reshape"), 0);
	/* Row p of the cos cache holds cos(p * theta_i), i < D/2. */
	int64_t n;
	const float *c = fu_floats(rot->inputs[1], &n);
	ck_assert_int_eq(n, P * D / 2);
	for (int p = 0; p < P; p++)
		for (int i = 0; i < D / 2; i++)
			fu_assert_near(c[p * D / 2 + i],
			               cos(p * pow(10000.0, -2.0 * i / D)),
			               1e-6);
	ir_model_free(m);
}
END_TEST

/* With run-time angles the caches are Cos(f) and Sin(f), and there are no
 * position ids. */
static void fuse_at_run_time(bool interleaved)
{
	rotary_options o = {.runtime = true, .interleaved = interleaved};
	ir_model *m;
	ir_node *rot = fuse(&o, &m);
	ck_assert_int_eq(rot->n_inputs, 3);
	ir_value *f = ir_graph_lookup(m->graph, "freqs");
	ck_assert_str_eq(fu_producer(rot->inputs[1])->op_type, "Cos");
	ck_assert_str_eq(fu_producer(rot->inputs[2])->op_type, "Sin");
	ck_assert_ptr_eq(fu_producer(rot->inputs[1])->inputs[0], f);
	ck_assert_ptr_eq(fu_producer(rot->inputs[2])->inputs[0], f);
	ir_model_free(m);
}

START_TEST(test_rotate_half_at_run_time)
{
	fuse_at_run_time(false);
}
END_TEST

START_TEST(test_interleaved_at_run_time)
{
	fuse_at_run_time(true);
}
END_TEST

START_TEST(test_leaves_near_misses)
{
	rotary_options cases[] = {
	    {.halves_differ = true},
	    {.halves_differ = true, .interleaved = true},
	    {.wrong_half = true},
	    {.opset = 22},
	    {.opset = 22, .interleaved = true},
	    {.neg_read_outside = true},
	    {.neg_read_outside = true, .interleaved = true},
	    {.ids_batch_one = true},
	    {.runtime = true, .freqs_batch_one = true},
	    {.runtime = true, .other_layout = true},
	    {.runtime = true, .interleaved = true, .other_layout = true},
	    {.runtime = true, .interleaved = true, .freqs_batch_one = true},
	    {.interleaved = true, .reshape_other = true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ir_model *m = build(&cases[i]);
		ck_assert_msg(tu_run(m, "fuse_rotary_embedding") == 0,
		              "case %zu", i);
		ck_assert_int_eq(tu_count_ops(m, "RotaryEmbedding"), 0);
		ir_model_free(m);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pass_fuse_rotary_embedding");
	TCase *tc = tcase_create("fuse_rotary_embedding");
	tcase_add_test(tc, test_rotate_half_with_tables);
	tcase_add_test(tc, test_interleaved_with_tables);
	tcase_add_test(tc, test_rotate_half_at_run_time);
	tcase_add_test(tc, test_interleaved_at_run_time);
	tcase_add_test(tc, test_leaves_near_misses);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
