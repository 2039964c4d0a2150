/*
 * ops.c - the operator table (ops.def) joined with the evaluator's kernels
 * (eval/kernels.def), and the version facts (op_versions.def).
 *
 * The two lists are kept by different modules, so the join happens once,
 * at the first lookup: rows are copied into a table sorted by (domain,
 * name) and each row picks up the kernel of the same name. A kernel for an
 * op the table does not list still gets a row (with no inference), so
 * op_lookup finds every op that either side knows. FLOAT_UNARY rows bring
 * their own kernel (generated in eval/unary.c).
 */
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "ops.h"

#define KERNEL(op, fn) int fn(eval_call *call);
#include "eval/kernels.def"
#undef KERNEL
#define OP(name, domain, infer, flags)
#define FLOAT_UNARY(name, flags, alpha, beta, gamma, expression)               \
	int eval_unary_##name(eval_call *call);
#include "ops.def"
#undef OP

static const op_info op_rows[] = {
#define OP(name, domain, infer, flags) {#name, domain, infer, NULL, flags},
#define FLOAT_UNARY(name, flags, alpha, beta, gamma, expression)               \
	{#name, "", shape_infer_unary, eval_unary_##name, flags},
#include "ops.def"
#undef OP
};
#define N_ROWS (sizeof op_rows / sizeof op_rows[0])

typedef struct kernel_row {
	const char *name;
	op_eval_fn eval;
} kernel_row;

static const kernel_row kernel_rows[] = {
#define KERNEL(op, fn) {#op, fn},
#include "eval/kernels.def"
#undef KERNEL
    {NULL, NULL}, /* keeps the array non-empty while kernels.def is */
};
#define N_KERNELS (sizeof kernel_rows / sizeof kernel_rows[0] - 1)

static op_info joined[N_ROWS + N_KERNELS];
static int n_joined;
static once_flag join_once = ONCE_FLAG_INIT;

static int info_cmp(const void *a, const void *b)
{
	const op_info *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);
	return c ? c : strcmp(x->name, y->name);
}

static op_info *find(const char *domain, const char *name)
{
	op_info key = {.name = name, .domain = domain};
	return bsearch(&key, joined, (size_t)n_joined, sizeof joined[0],
	               info_cmp);
}

static void join_tables(void)
{
	for (size_t i = 0; i < N_ROWS; i++)
		joined[n_joined++] = op_rows[i];
	qsort(joined, (size_t)n_joined, sizeof joined[0], info_cmp);
	int n_listed = n_joined;
	for (size_t k = 0; k < N_KERNELS; k++) {
		op_info key = {.name = kernel_rows[k].name, .domain = ""};
		op_info *row = bsearch(&key, joined, (size_t)n_listed,
		                       sizeof joined[0], info_cmp);
		if (row)
			row->eval = kernel_rows[k].eval;
		else
			joined[n_joined++] = (op_info){
			    .name = kernel_rows[k].name,
			    .domain = "",
			    .eval = kernel_rows[k].eval,
			};
	}
	qsort(joined, (size_t)n_joined, sizeof joined[0], info_cmp);
}

const op_info *op_lookup(const char *domain, const char *op_type)
{
	call_once(&join_once, join_tables);
	if (ir_is_onnx_domain(domain))
		domain = "";
	return op_type ? find(domain, op_type) : NULL;
}

const op_info *op_table(int *count)
{
	call_once(&join_once, join_tables);
	*count = n_joined;
	return joined;
}

bool op_node_has(const ir_node *node, unsigned flag)
{
	const op_info *op = op_lookup(node->domain, node->op_type);
	if (!op || !(op->flags & flag))
		return false;
	if (flag & OP_COMMUTATIVE)
		return ir_model_opset(node->graph->model, node->domain) >= 7;
	return true;
}

bool op_node_is_random(const ir_node *node)
{
	const op_info *op = op_lookup(node->domain, node->op_type);
	if (!op)
		return false;
	if (op->flags & OP_RANDOM)
		return true;
	if (!(op->flags & OP_RANDOM_IN_TRAINING))
		return false;
	/* Dropout: opsets 1-6 were random unless is_test = 1; 7-11 are
	 * inference-only; from 12 a training_mode input turns it on. */
	if (ir_model_opset(node->graph->model, node->domain) < 7)
		return ir_attr_int(node, "is_test", 0) == 0;
	if (node->n_inputs < 3 || !node->inputs[2])
		return false;
	const ir_value *mode = node->inputs[2];
	if (!ir_value_is_constant(mode) || mode->tensor->elem_type != IR_BOOL)
		return true;
	const void *data;
	size_t size;
	if (!ir_tensor_raw(node->graph->model, mode->tensor, &data, &size) ||
	    size != 1)
		return true;
	return *(const uint8_t *)data != 0;
}

/* ------------------------------------------------------- op semantics */

static int64_t clamp_axis_bound(int64_t bound, int64_t rank)
{
	if (bound < 0)
		bound += rank;
	return bound < 0 ? 0 : bound > rank ? rank : bound;
}

void op_shape_range(const ir_node *shape, int64_t opset, int64_t rank,
                    int64_t *start, int64_t *end)
{
	*start = 0;
	*end = rank;
	if (opset >= 15) {
		*start = clamp_axis_bound(ir_attr_int(shape, "start", 0), rank);
		*end = clamp_axis_bound(ir_attr_int(shape, "end", rank), rank);
	}
}

/* ------------------------------------------------------ attribute types */

typedef struct attribute_type_row {
	const char *op, *attribute;
	Onnx__AttributeProto__AttributeType type;
} attribute_type_row;

/* Sorted by (op, attribute) by the generator; a unit test checks it. */
static const attribute_type_row attribute_types[] = {
#define ATTRIBUTE_TYPE(op, attribute, type)                                    \
	{#op, #attribute, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##type},
#include "op_attributes.def"
};
#define N_ATTRIBUTE_TYPES (sizeof attribute_types / sizeof *attribute_types)

static int attribute_type_cmp(const void *a, const void *b)
{
	const attribute_type_row *x = a, *y = b;
	int c = strcmp(x->op, y->op);
	return c ? c : strcmp(x->attribute, y->attribute);
}

/* Whether the table lists the attribute, and with this type. */
static bool attribute_type_fits(const char *op, const ir_attr *attr)
{
	/* Very old models leave the type unset; they are judged as before. */
	if (attr->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
		return true;
	attribute_type_row key = {op, attr->name, 0};
	const attribute_type_row *row =
	    bsearch(&key, attribute_types, N_ATTRIBUTE_TYPES,
	            sizeof *attribute_types, attribute_type_cmp);
	if (!row)
		return true; /* not a known attribute: not ours to judge */
	/* Rows of one attribute are adjacent; bsearch found any of them. */
	while (row > attribute_types && !attribute_type_cmp(row - 1, &key))
		row--;
	for (; row < attribute_types + N_ATTRIBUTE_TYPES &&
	       !attribute_type_cmp(row, &key);
	     row++)
		if ((int)row->type == attr->type)
			return true;
	return false;
}

const ir_attr *op_node_mistyped_attribute(const ir_node *node)
{
	if (!ir_is_onnx_domain(node->domain))
		return NULL;
	for (int i = 0; i < node->n_attrs; i++) {
		const ir_attr *a = &node->attrs[i];
		if (a->name && !attribute_type_fits(node->op_type, a))
			return a;
	}
	return NULL;
}

bool op_attribute_table_sorted(void)
{
	for (size_t i = 1; i < N_ATTRIBUTE_TYPES; i++)
		if (attribute_type_cmp(&attribute_types[i - 1],
		                       &attribute_types[i]) > 0)
			return false;
	return true;
}

/* ------------------------------------------------------ version facts */

typedef struct attribute_input_row {
	const char *op, *attribute;
	int since, input;
} attribute_input_row;

static const attribute_input_row attribute_inputs[] = {
#define ATTRIBUTE_INPUT(op, attribute, since, input)                           \
	{#op, #attribute, since, input},
#include "op_versions.def"
};

int op_attribute_input(const char *op_type, const char *attribute,
                       int64_t opset)
{
	int slot = -1, latest = 0;
	for (size_t i = 0;
	     i < sizeof attribute_inputs / sizeof *attribute_inputs; i++) {
		const attribute_input_row *r = &attribute_inputs[i];
		if (r->since <= opset && r->since > latest &&
		    !strcmp(r->op, op_type) &&
		    !strcmp(r->attribute, attribute)) {
			slot = r->input;
			latest = r->since;
		}
	}
	return slot;
}

int op_attribute_input_since(const char *op_type, const char *attribute,
                             int *input_index)
{
	int first = 0;
	for (size_t i = 0;
	     i < sizeof attribute_inputs / sizeof *attribute_inputs; i++) {
		const attribute_input_row *r = &attribute_inputs[i];
		if ((!first || r->since < first) && !strcmp(r->op, op_type) &&
		    !strcmp(r->attribute, attribute)) {
			first = r->since;
			if (input_index)
				*input_index = r->input;
		}
	}
	return first;
}

typedef struct since_row {
	const char *op;
	int versions[12];
} since_row;

static const since_row since_rows[] = {
#define SINCE_VERSIONS(op, ...) {#op, {__VA_ARGS__}},
#include "op_versions.def"
};

typedef struct removed_row {
	const char *op, *replacement;
	int opset;
} removed_row;

static const removed_row removed_rows[] = {
#define REMOVED(op, opset, replacement) {#op, #replacement, opset},
#include "op_versions.def"
};

int op_removed_in(const char *op_type, const char **replacement)
{
	for (size_t i = 0; i < sizeof removed_rows / sizeof *removed_rows; i++)
		if (!strcmp(removed_rows[i].op, op_type)) {
			if (replacement)
				*replacement = removed_rows[i].replacement;
			return removed_rows[i].opset;
		}
	return 0;
}

const char *op_replaced(const char *op_type, int *removed_in)
{
	for (size_t i = 0; i < sizeof removed_rows / sizeof *removed_rows; i++)
		if (!strcmp(removed_rows[i].replacement, op_type)) {
			if (removed_in)
				*removed_in = removed_rows[i].opset;
			return removed_rows[i].op;
		}
	return NULL;
}

int op_since_version(const char *op_type, int64_t opset)
{
	int removed = op_removed_in(op_type, NULL);
	if (removed && opset >= removed)
		return 0;
	for (size_t i = 0; i < sizeof since_rows / sizeof *since_rows; i++) {
		if (strcmp(since_rows[i].op, op_type))
			continue;
		int found = 0;
		for (int k = 0; k < 12 && since_rows[i].versions[k]; k++)
			if (since_rows[i].versions[k] <= opset)
				found = since_rows[i].versions[k];
		return found;
	}
	return 0;
}

typedef struct change_row {
	const char *op;
	op_change change;
} change_row;

static const change_row change_rows[] = {
#define ATTRIBUTE_INPUT(op, attribute, since, input)                           \
	{#op, {OP_MOVED_ATTRIBUTE, #attribute, since, input, NULL}},
#define ADDED_ATTRIBUTE(op, since, attribute, default)                         \
	{#op, {OP_ADDED_ATTRIBUTE, #attribute, since, -1, default}},
#define ADDED_INPUT(op, since, input)                                          \
	{#op, {OP_ADDED_INPUT, NULL, since, input, NULL}},
#define ADDED_OUTPUT(op, since, output)                                        \
	{#op, {OP_ADDED_OUTPUT, NULL, since, output, NULL}},
#include "op_versions.def"
};

int op_signature_changes(const char *op_type, int64_t low, int64_t high,
                         op_change *out, int max)
{
	int n = 0;
	for (size_t i = 0; i < sizeof change_rows / sizeof *change_rows; i++) {
		const change_row *r = &change_rows[i];
		if (r->change.since <= low || r->change.since > high ||
		    strcmp(r->op, op_type))
			continue;
		if (n < max)
			out[n] = r->change;
		n++;
	}
	return n;
}

int op_attribute_added_in(const char *op_type, const char *attribute)
{
	for (size_t i = 0; i < sizeof change_rows / sizeof *change_rows; i++) {
		const change_row *r = &change_rows[i];
		if (r->change.kind == OP_ADDED_ATTRIBUTE &&
		    !strcmp(r->op, op_type) &&
		    !strcmp(r->change.attribute, attribute))
			return r->change.since;
	}
	return 0;
}

int op_min_ir_version(int64_t opset)
{
	static const int64_t rows[][2] = {
#define IR_VERSION(opset, ir_version) {opset, ir_version},
#include "op_versions.def"
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if (rows[i][0] == opset)
			return (int)rows[i][1];
	return 0;
}
