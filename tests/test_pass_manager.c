/*
 * test_pass_manager.c - the contract in passes/pass.h: pass and group
 * names, analyses provided by the manager and kept exact by the IR's
 * generation counter, and "0 changes means untouched".
 */
#include <stdlib.h>
#include <string.h>

#include "shape/shape.h"
#include "test_util.h"

/* ---------------------------------------------------------------- names */

START_TEST(no_pass_is_named_like_a_group)
{
	for (int i = 0; i < pass_registry_count; i++)
		for (int k = 0; k < pass_registry_count; k++)
			ck_assert_msg(strcmp(pass_registry[i]->name,
			                     pass_registry[k]->group),
			              "pass '%s' shares its name with a group",
			              pass_registry[i]->name);
}
END_TEST

START_TEST(infer_shapes_has_one_name_and_an_alias)
{
	ck_assert_ptr_eq(pass_find("infer_shapes"), &pass_infer_shapes);
	ck_assert_ptr_eq(pass_find("infer-shapes"), &pass_infer_shapes);
	ck_assert_str_eq(pass_infer_shapes.name, "infer_shapes");
}
END_TEST

START_TEST(fold_pass_runs_alone)
{
	ir_status status = {0};
	pipeline p;
	ck_assert(pipeline_parse("fold_constants", &p, &status));
	ck_assert_int_eq(p.n, 1);
	ck_assert_ptr_eq(p.passes[0], &pass_fold_constants);
	pipeline_free(&p);
	ck_assert(pipeline_parse("fold", &p, &status));
	ck_assert_int_eq(p.n, 2); /* the group: infer_shapes, fold_constants */
	pipeline_free(&p);
}
END_TEST

/* The default pipeline is every group that runs something unless named
 * (convert_opset is opt-in), in registry order; groups are contiguous
 * there, which --list-passes relies on. */
START_TEST(default_pipeline_is_every_group_in_registry_order)
{
	char expected[256] = "", seen[256] = "";
	const char *last = NULL;
	for (int i = 0; i < pass_registry_count; i++) {
		const pass *ps = pass_registry[i];
		if (!last || strcmp(last, ps->group)) {
			ck_assert_msg(!strstr(seen, ps->group),
			              "group '%s' is not contiguous in "
			              "passes.def",
			              ps->group);
			strcat(seen, ps->group);
			strcat(seen, ",");
			last = ps->group;
		}
		if (!ps->opt_in && !strstr(expected, ps->group)) {
			if (expected[0])
				strcat(expected, ",");
			strcat(expected, ps->group);
		}
	}
	ck_assert_str_eq(pass_default_pipeline, expected);
}
END_TEST

/* ------------------------------------------------------------ analyses */

typedef struct run_log {
	int inference_runs;
	int changes;
} run_log;

static void log_record(const pass_record *record, void *ctx)
{
	run_log *log = ctx;
	if (!strcmp(record->name, PASS_RECORD_SHAPE_INFERENCE)) {
		ck_assert_int_eq(record->changes, 0);
		log->inference_runs++;
	}
	log->changes += record->changes;
}

static run_log run_logged(ir_model *m, const char *passes, bool fixed_point)
{
	ir_status status = {0};
	pipeline p;
	ck_assert(pipeline_parse(passes, &p, &status));
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	options.fixed_point = fixed_point;
	run_log log = {0};
	options.report = log_record;
	options.report_ctx = &log;
	ck_assert_msg(pipeline_run(m, &p, &options, &status), "%s",
	              status.message);
	pipeline_free(&p);
	return log;
}

static void save(ir_model *m, uint8_t **data, size_t *size)
{
	ir_status status = {0};
	ck_assert_msg(ir_model_save_buffer(m, data, size, &status), "%s",
	              status.message);
}

/* x:[2,3] -> Relu -> Neg -> y, with y's type left unstated: inference
 * knows it, but nothing here is for fuse_div_mul to rewrite. */
static ir_model *relu_neg(ir_value **y)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(2, 3));
	*y = tu_op(g, "Neg", tu_op(g, "Relu", x));
	tu_output(*y);
	return m;
}

START_TEST(zero_changes_saves_the_same_bytes)
{
	ir_value *y;
	ir_model *m = relu_neg(&y);
	uint8_t *before, *after;
	size_t before_size, after_size;
	save(m, &before, &before_size);
	uint64_t generation = m->generation;
	run_log log = run_logged(m, "fuse_div_mul", false);
	ck_assert_int_eq(log.changes, 0);
	ck_assert_int_eq(log.inference_runs, 1);
	/* Inference did refine y for the pass... */
	ck_assert_int_eq(y->type.rank, 2);
	/* ...without a mutation, and without changing the output. */
	ck_assert(m->generation == generation);
	save(m, &after, &after_size);
	ck_assert_uint_eq(before_size, after_size);
	ck_assert(!memcmp(before, after, before_size));
	free(before);
	free(after);
	ir_model_free(m);
}
END_TEST

START_TEST(infer_shapes_records_what_inference_found)
{
	ir_value *y;
	ir_model *m = relu_neg(&y);
	uint8_t *before, *after;
	size_t before_size, after_size;
	save(m, &before, &before_size);
	run_log log = run_logged(m, "infer_shapes", false);
	/* y's type and the Relu output's (which has no value_info entry,
	 * so only y's shows in the saved model). */
	ck_assert_int_eq(log.changes, 2);
	save(m, &after, &after_size);
	ck_assert(before_size != after_size ||
	          memcmp(before, after, before_size));
	/* Recorded once, nothing more to record. */
	ck_assert_int_eq(run_logged(m, "infer_shapes", false).changes, 0);
	free(before);
	free(after);
	ir_model_free(m);
}
END_TEST

START_TEST(inference_reruns_only_after_a_mutation)
{
	ir_value *y;
	ir_model *m = relu_neg(&y);
	/* Three passes that need types, none changing anything: one run. */
	run_log log = run_logged(
	    m, "eliminate_nop_cast,fuse_div_mul,fuse_relu_clip", false);
	ck_assert_int_eq(log.inference_runs, 1);
	/* A change between them (dce removes the dead Sigmoid) makes the
	 * next pass that needs types run it again. */
	tu_op(m->graph, "Sigmoid", y);
	log = run_logged(m, "fuse_div_mul,dce,fuse_relu_clip", false);
	ck_assert_int_eq(log.changes, 1);
	ck_assert_int_eq(log.inference_runs, 2);
	/* In a fixed-point run, at most once per iteration. */
	tu_op(m->graph, "Sigmoid", y);
	log = run_logged(m, "fuse_div_mul,dce,fuse_relu_clip", true);
	ck_assert_int_eq(log.changes, 1);
	ck_assert_int_eq(log.inference_runs, 2); /* iterations 1 and 2 */
	ir_model_free(m);
}
END_TEST

START_TEST(mutations_move_the_generation)
{
	ir_value *y;
	ir_model *m = relu_neg(&y);
	uint64_t g0 = m->generation;
	ir_node *neg = y->producer;
	ir_node_set_attr_int(neg, "unused", 1);
	ck_assert(m->generation != g0);
	g0 = m->generation;
	ir_node_remove_attr(neg, "unused");
	ck_assert(m->generation != g0);
	g0 = m->generation;
	ir_value_set_type(y, IR_FLOAT, -1, NULL);
	ck_assert(m->generation != g0);
	g0 = m->generation;
	ir_node *sig = tu_node(m->graph, "Sigmoid", &y, 1, 1);
	ck_assert(m->generation != g0);
	g0 = m->generation;
	ir_node_remove(sig);
	ck_assert(m->generation != g0);
	/* Inference is not a mutation. */
	g0 = m->generation;
	shape_infer_model(m);
	ck_assert(m->generation == g0);
	ir_model_free(m);
}
END_TEST

static Suite *pass_manager_suite(void)
{
	Suite *s = suite_create("pass_manager");
	TCase *names = tcase_create("names");
	tcase_add_test(names, no_pass_is_named_like_a_group);
	tcase_add_test(names, infer_shapes_has_one_name_and_an_alias);
	tcase_add_test(names, fold_pass_runs_alone);
	tcase_add_test(names,
	               default_pipeline_is_every_group_in_registry_order);
	suite_add_tcase(s, names);
	TCase *analyses = tcase_create("analyses");
	tcase_add_test(analyses, zero_changes_saves_the_same_bytes);
	tcase_add_test(analyses, infer_shapes_records_what_inference_found);
	tcase_add_test(analyses, inference_reruns_only_after_a_mutation);
	tcase_add_test(analyses, mutations_move_the_generation);
	suite_add_tcase(s, analyses);
	return s;
}

int main(void)
{
	return tu_run_suite(pass_manager_suite());
}
