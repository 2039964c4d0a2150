/*
 * test_pass_fuse_rotary_embedding.c - the rotate-half rotary embedding
 * with cos/sin tables gathered by position ids fuses to RotaryEmbedding
 * with the first half of each table row; tables whose halves differ, a wrong
 * half, an older opset and a shared intermediate do not fuse.
 */
#include <math.h>

#include "pass_util.h"
#include "test_fuse_util.h"

enum { P = 6, D = 4 };

typedef struct rotary_options {
	int opset;             /* default 23 */
	bool halves_differ;    /* the tables are not cat(freqs, freqs) */
	bool wrong_half;       /* Slice [1, D) instead of [D/2, D) */
	bool neg_read_outside; /* the Neg output is also a graph output */
} rotary_options;

static ir_value *table(ir_graph *g, const char *hint, bool is_sin,
                       bool halves_differ)
{
	float v[P * D];
	for (int p = 0; p < P; p++)
		for (int i = 0; i < D; i++) {
			double angle =
			    p * pow(10000.0, -2.0 * (i % (D / 2)) / D);
			v[p * D + i] =
			    (float)(is_sin ? sin(angle) : cos(angle));
			if (halves_differ && i == D - 1)
				v[p * D + i] += 0.5f;
		}
	return tu_initializer_f32(g, hint, v, TU_DIMS(P, D));
}

static ir_value *angle(ir_graph *g, ir_value *t, ir_value *pos)
{
	ir_node *gather = tu_node(g, "Gather", TU_VALUES(t, pos), 1);
	return tu_op(g, "Unsqueeze", gather->outputs[0],
	             fu_ints(g, (int64_t[]){1}, 1));
}

static ir_model *build(const rotary_options *o)
{
	ir_model *m = tu_model(o->opset ? o->opset : 23);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3, 5, D));
	ir_value *pos =
	    tu_input_typed(g, "position_ids", IR_INT64, TU_DIMS(2, 5));
	ir_value *cos = angle(g, table(g, "cos", false, o->halves_differ), pos);
	ir_value *sin = angle(g, table(g, "sin", true, o->halves_differ), pos);
	ir_value *axis = fu_ints(g, (int64_t[]){-1}, 1);
	ir_value *x1 = tu_op(g, "Slice", x, fu_ints(g, (int64_t[]){0}, 1),
	                     fu_ints(g, (int64_t[]){D / 2}, 1), axis);
	ir_value *x2 =
	    tu_op(g, "Slice", x,
	          fu_ints(g, (int64_t[]){o->wrong_half ? 1 : D / 2}, 1),
	          fu_ints(g, (int64_t[]){INT64_MAX}, 1), axis);
	ir_value *neg = tu_op(g, "Neg", x2);
	ir_node *concat = tu_node(g, "Concat", TU_VALUES(neg, x1), 1);
	ir_node_set_attr_int(concat, "axis", -1);
	ir_value *a = tu_op(g, "Mul", x, cos);
	ir_value *b = tu_op(g, "Mul", concat->outputs[0], sin);
	tu_output(tu_op(g, "Add", a, b));
	if (o->neg_read_outside)
		tu_output(neg);
	return m;
}

START_TEST(test_fuses_and_computes_the_same)
{
	rotary_options o = {0};
	ir_model *m = build(&o);
	ir_model *reference = build(&o);
	ck_assert_int_eq(tu_run(m, "fuse_rotary_embedding"), 1);
	ck_assert_int_eq(tu_count_ops(m, "RotaryEmbedding"), 1);
	ck_assert_int_eq(tu_count_ops(m, "Concat"), 0);
	ir_node *rot = tu_find_node(m->graph, "RotaryEmbedding");
	ir_tensor *cache = pass_constant_tensor(rot->inputs[1]);
	ck_assert_int_eq(cache->rank, 2);
	ck_assert_int_eq(cache->dims[0], P);
	ck_assert_int_eq(cache->dims[1], D / 2);
	/* The evaluator has no RotaryEmbedding kernel: ONNX Runtime checks
	 * the numbers (golden: hf_llama_opset17 with --target-opset 23). */
	ck_assert_ptr_eq(rot->inputs[0], ir_graph_lookup(m->graph, "x"));
	ck_assert_ptr_eq(rot->inputs[3],
	                 ir_graph_lookup(m->graph, "position_ids"));
	ir_model_free(m);
	ir_model_free(reference);
}
END_TEST

START_TEST(test_leaves_near_misses)
{
	rotary_options cases[] = {
	    {.halves_differ = true},
	    {.wrong_half = true},
	    {.opset = 22},
	    {.neg_read_outside = true},
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
	tcase_add_test(tc, test_fuses_and_computes_the_same);
	tcase_add_test(tc, test_leaves_near_misses);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
