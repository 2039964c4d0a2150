/*
 * test_pass_manager.c - the contract in passes/pass.h: pass and group
 * names, analyses provided by the manager and kept exact by the IR's
 * generation counter, "0 changes means untouched", and the worklist
 * that runs the rewrites of local passes.
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

/* ------------------------------------------------------------ worklist */

/* Test rewrites: drop a Relu (or a Neg) that nothing reads, which makes
 * its producer unread in turn: each change enables the next one
 * upstream, against the graph order a snapshot walk follows. */
static int drop_unread(ir_node *node, const char *op)
{
	if (!ir_node_is(node, op) || !ir_node_is_dead(node))
		return 0;
	ir_node_remove(node);
	return 1;
}

static int drop_unread_relu(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	return drop_unread(node, "Relu");
}

static int drop_unread_neg(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	return drop_unread(node, "Neg");
}

static const pass test_drop_relu = {
    .name = "test_drop_relu", .group = "test", .rewrite = drop_unread_relu};
static const pass test_drop_neg = {
    .name = "test_drop_neg", .group = "test", .rewrite = drop_unread_neg};

typedef struct pass_changes {
	int records;
	int relu, neg, other;
} pass_changes;

static void count_pass_changes(const pass_record *record, void *ctx)
{
	pass_changes *c = ctx;
	c->records++;
	if (!strcmp(record->name, "test_drop_relu"))
		c->relu += record->changes;
	else if (!strcmp(record->name, "test_drop_neg"))
		c->neg += record->changes;
	else
		c->other += record->changes;
}

/* Run the passes once (no fixed point), verifying after them. */
static void run_once(ir_model *m, const pass **passes, int n,
                     void (*report)(const pass_record *, void *), void *ctx,
                     FILE *notes)
{
	pipeline p = {passes, n, n};
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	options.report = report;
	options.report_ctx = ctx;
	options.notes_to = notes;
	ir_status status = {0};
	ck_assert_msg(pipeline_run(m, &p, &options, &status), "%s",
	              status.message);
}

START_TEST(rewrites_enabling_each_other_upstream_converge_in_one_run)
{
	/* x -> Relu -> y (output), and x -> Relu -> Neg -> Relu -> Neg
	 * -> ... with nothing reading the last one. */
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	tu_output(tu_op(g, "Relu", x));
	ir_value *v = x;
	for (int i = 0; i < 50; i++)
		v = tu_op(g, i % 2 ? "Neg" : "Relu", v);
	const pass *group[] = {&test_drop_relu, &test_drop_neg};
	pass_changes c = {0};
	run_once(m, group, 2, count_pass_changes, &c, NULL);
	/* One report per pass, its own changes in it. */
	ck_assert_int_eq(c.records, 2);
	ck_assert_int_eq(c.relu, 25);
	ck_assert_int_eq(c.neg, 25);
	ck_assert_int_eq(c.other, 0);
	ck_assert_int_eq(ir_node_count(g, true), 1);
	ir_model_free(m);
}
END_TEST

/* A rewrite that removes the node named "victim" when it visits the node
 * named "killer", and one that logs every node it is shown. */
static int remove_victim(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)ctx;
	if (strcmp(node->name, "killer"))
		return 0;
	for (ir_node *n = model->graph->first; n; n = n->next)
		if (!strcmp(n->name, "victim")) {
			ir_node_remove(n);
			return 1;
		}
	return 0;
}

static char visit_log[256];

static int log_visit(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	ck_assert_msg(!node->removed, "visited removed node %s", node->name);
	strcat(visit_log, node->name);
	strcat(visit_log, " ");
	return 0;
}

static const pass test_log_visit = {
    .name = "test_log_visit", .group = "test", .rewrite = log_visit};
static const pass test_remove_victim = {
    .name = "test_remove_victim", .group = "test", .rewrite = remove_victim};

START_TEST(a_removed_node_is_never_visited)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	ir_value *y = tu_op(g, "Relu", x);
	y->producer->name = "killer";
	tu_output(y);
	/* Queued after the killer, removed before its turn. */
	tu_op(g, "Neg", x)->producer->name = "victim";
	tu_output(tu_op(g, "Sigmoid", x));
	tu_output_of(g->last)->producer->name = "bystander";
	visit_log[0] = 0;
	const pass *group[] = {&test_log_visit, &test_remove_victim};
	run_once(m, group, 2, NULL, NULL, NULL);
	/* The killer is seen again after its change; x has no producer. */
	ck_assert_str_eq(visit_log, "killer killer bystander ");
	ck_assert_int_eq(ir_node_count(g, true), 2);
	ir_model_free(m);
}
END_TEST

/* Two rewrites that undo each other: a ping-pong no fixed point ends. */
static int flip(ir_node *node, int64_t from)
{
	if (!ir_node_is(node, "Relu") || ir_attr_int(node, "side", 0) != from)
		return 0;
	ir_node_set_attr_int(node, "side", 1 - from);
	return 1;
}

static int flip_up(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	return flip(node, 0);
}

static int flip_down(ir_model *model, ir_node *node, pass_context *ctx)
{
	(void)model;
	(void)ctx;
	return flip(node, 1);
}

static const pass test_flip_up = {
    .name = "test_flip_up", .group = "test", .rewrite = flip_up};
static const pass test_flip_down = {
    .name = "test_flip_down", .group = "test", .rewrite = flip_down};

START_TEST(the_visit_bound_stops_a_ping_pong_with_a_note)
{
	ir_model *m = tu_model(17);
	ir_graph *g = m->graph;
	ir_value *x = tu_input(g, "x", TU_DIMS(4));
	tu_output(tu_op(g, "Relu", tu_op(g, "Relu", x)));
	char *notes = NULL;
	size_t notes_size = 0;
	FILE *to = open_memstream(&notes, &notes_size);
	const pass *group[] = {&test_flip_up, &test_flip_down};
	run_once(m, group, 2, NULL, NULL, to);
	/* 2 nodes: 16 visits each and 1024 more. In a fixed-point run the
	 * iteration cap bounds the repeats. */
	pipeline p = {group, 2, 2};
	pipeline_options options;
	pipeline_options_init(&options);
	options.verify = true;
	options.fixed_point = true;
	options.notes_to = to;
	ir_status status = {0};
	ck_assert_msg(pipeline_run(m, &p, &options, &status), "%s",
	              status.message);
	fclose(to);
	ck_assert_msg(strstr(notes, "test_flip_up..test_flip_down stopped "
	                            "after 1056 node visits"),
	              "%s", notes);
	/* Once for the single run, once per iteration of the other. */
	int count = 0;
	for (const char *at = notes; (at = strstr(at, "note:")); at++)
		count++;
	ck_assert_int_eq(count, 1 + 8);
	tu_assert_valid(m);
	free(notes);
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
	TCase *worklist = tcase_create("worklist");
	tcase_add_test(
	    worklist,
	    rewrites_enabling_each_other_upstream_converge_in_one_run);
	tcase_add_test(worklist, a_removed_node_is_never_visited);
	tcase_add_test(worklist, the_visit_bound_stops_a_ping_pong_with_a_note);
	suite_add_tcase(s, worklist);
	return s;
}

int main(void)
{
	return tu_run_suite(pass_manager_suite());
}
