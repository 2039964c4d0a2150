/*
 * convert_opset.c - convert the default ONNX domain to another opset
 * (--target-opset N), upgrading, or downgrading where the semantics allow.
 *
 *   opset 11                              opset 23
 *   Unsqueeze(x) axes=[0]            ->   Unsqueeze(x, [0])
 *   ReduceMean(x) axes=[-1]          ->   ReduceMean(x, [-1])
 *   Clip(x) min=0 max=6              ->   Clip(x, 0, 6)      (x's type)
 *   Softmax(x) axis=1, x rank 3      ->   Flatten(x, 1) -> Softmax(-1)
 *                                           -> Reshape(., Shape(x))
 *   Upsample(x, s) (opset 9)         ->   Resize(x, , s) asymmetric, floor
 *
 * The work is per node of the default domain, in every graph. The
 * operator table says which version of the op is in force at either
 * opset (op_since_version); when they are the same nothing changes. Else:
 *  - the table's signature changes between the two opsets are applied in
 *    order (op_signature_changes): an attribute that became an input
 *    becomes an initializer at that input, or, going down, a constant
 *    input becomes the attribute again; an attribute, input or output that
 *    a newer version added must be absent (or the attribute its default,
 *    which is then removed) to go down;
 *  - then the op's own adapter (convert_opset_ops.c) handles changed
 *    semantics: Softmax's axis at 13, Upsample and Resize-10, the outputs
 *    of BatchNormalization and Dropout, Split's num_outputs, ...;
 *  - going down, an element type newer than the target opset (bfloat16
 *    at 13, float8 at 19, int4 at 21, float4 at 23) is refused.
 * Upgrades take every model from opset 7 on. A node without a valid
 * conversion stops the pass with one line naming the op, its node and
 * both opsets; the check runs over the whole model before anything
 * changes, so the model is then untouched.
 *
 * Afterwards the model imports the target opset, with an IR version at
 * least the one that opset needs. Other domains (ai.onnx.ml, vendors) and
 * model-local functions are left as they are. Going down does not check
 * every element type an older version accepts beyond the ones above:
 * ONNX Runtime then refuses the model when it loads it, rather than
 * computing something else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convert_opset.h"
#include "eval/eval.h"
#include "pass_util.h"

enum { OLDEST_SOURCE = 7, NEWEST_TARGET = 23 };

bool convert_refuse(convert *c, const ir_node *node, const char *format, ...)
{
	char reason[256];
	va_list args;
	va_start(args, format);
	vsnprintf(reason, sizeof reason, format, args);
	va_end(args);
	ir_fail(c->status, IR_ERR_PASS,
	        "convert_opset: no conversion of %s (node '%s') from opset "
	        "%lld to %lld: %s",
	        node->op_type, node->name ? node->name : "", (long long)c->from,
	        (long long)c->to, reason);
	return false;
}

bool convert_upgrades_past(const convert *c, int since)
{
	return c->from < since && since <= c->to;
}

bool convert_downgrades_past(const convert *c, int since)
{
	return c->to < since && since <= c->from;
}

bool convert_output_unused(const ir_node *node, int index)
{
	if (index >= node->n_outputs || !node->outputs[index])
		return true;
	const ir_value *v = node->outputs[index];
	return v->n_uses == 0 && !ir_value_is_graph_output(v);
}

ir_value *convert_const_ints(convert *c, ir_node *node, const char *hint,
                             const int64_t *values, int n, bool scalar)
{
	int64_t dims[1] = {n};
	ir_tensor *t =
	    ir_tensor_create(c->model, IR_INT64, scalar ? 0 : 1, dims, values,
	                     sizeof(int64_t) * (size_t)n);
	return ir_initializer_add(node->graph, hint, t);
}

ir_value *convert_const_floats(convert *c, ir_node *node, const char *hint,
                               int elem_type, const double *values, int n,
                               bool scalar)
{
	unsigned char bytes[8 * 64];
	size_t width = (size_t)ir_elem_bits(elem_type) / 8;
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		unsigned char *at = bytes + width * (size_t)i;
		if (elem_type == IR_DOUBLE) {
			memcpy(at, &values[i], 8);
		} else if (elem_type == IR_FLOAT16) {
			uint16_t h = eval_float_to_half((float)values[i]);
			memcpy(at, &h, 2);
		} else {
			float f = (float)values[i];
			memcpy(at, &f, 4);
		}
	}
	int64_t dims[1] = {n};
	ir_tensor *t = ir_tensor_create(c->model, elem_type, scalar ? 0 : 1,
	                                dims, bytes, width * (size_t)n);
	return ir_initializer_add(node->graph, hint, t);
}

void convert_set_input(ir_node *node, int slot, ir_value *value)
{
	while (node->n_inputs <= slot)
		ir_node_add_input(node, NULL);
	ir_node_set_input(node, slot, value);
}

void convert_trim_inputs(ir_node *node)
{
	int n = node->n_inputs;
	while (n > 0 && !node->inputs[n - 1])
		n--;
	ir_node_truncate_inputs(node, n);
}

/* ------------------------------------------------ table-driven changes */

static bool adapter_owns(const convert_adapter *a, const char *token)
{
	if (!a || !a->owns)
		return false;
	size_t len = strlen(token);
	for (const char *p = a->owns; (p = strstr(p, token)); p += len)
		if ((p == a->owns || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

static const char *slot_token(char *buffer, const char *prefix, int slot)
{
	snprintf(buffer, 16, "%s%d", prefix, slot);
	return buffer;
}

/* Float attributes that move to an input of the node's own type T (the
 * other float attributes, Dropout's ratio, take a float input). */
static bool takes_input_type(const ir_node *node, const char *attribute)
{
	return ir_node_is(node, "Clip") ||
	       (ir_node_is(node, "Pad") && !strcmp(attribute, "value"));
}

static bool is_float_type(int elem_type)
{
	return elem_type == IR_FLOAT || elem_type == IR_DOUBLE ||
	       elem_type == IR_FLOAT16;
}

/* Attribute -> input `slot` (opset `since` crossed upward). */
static bool move_attribute_to_input(convert *c, ir_node *node,
                                    const op_change *ch)
{
	const ir_attr *attr = ir_node_attr(node, ch->attribute);
	if (!attr)
		return true;
	if (node->n_inputs > ch->slot && node->inputs[ch->slot])
		return convert_refuse(c, node,
		                      "input %d and attribute '%s' "
		                      "are both set",
		                      ch->slot, ch->attribute);
	const Onnx__AttributeProto *p = attr->proto;
	int elem_type = IR_FLOAT;
	if (p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT &&
	    takes_input_type(node, ch->attribute)) {
		elem_type = node->n_inputs ? pass_elem_type(node->inputs[0])
		                           : IR_UNDEFINED;
		if (!is_float_type(elem_type))
			return convert_refuse(
			    c, node,
			    "attribute '%s' becomes an input of "
			    "the type of input 0, which is %s",
			    ch->attribute,
			    elem_type ? ir_elem_name(elem_type) : "unknown");
	}
	if (p->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT &&
	    p->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS &&
	    p->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT &&
	    p->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return convert_refuse(c, node,
		                      "attribute '%s' has an "
		                      "unexpected type",
		                      ch->attribute);
	if (p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS &&
	    p->n_floats > 64)
		return convert_refuse(c, node, "attribute '%s' is too long",
		                      ch->attribute);
	if (!c->apply)
		return true;
	ir_value *v = NULL;
	switch (p->type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: /* TopK's k: [1] */
		v = convert_const_ints(c, node, ch->attribute, &p->i, 1, false);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		v = convert_const_ints(c, node, ch->attribute, p->ints,
		                       (int)p->n_ints, false);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: {
		double f = p->f;
		v = convert_const_floats(c, node, ch->attribute, elem_type, &f,
		                         1, true);
		break;
	}
	default: {
		double values[64];
		for (size_t i = 0; i < p->n_floats; i++)
			values[i] = p->floats[i];
		v = convert_const_floats(c, node, ch->attribute, IR_FLOAT,
		                         values, (int)p->n_floats, false);
	}
	}
	ir_node_remove_attr(node, ch->attribute);
	convert_set_input(node, ch->slot, v);
	return true;
}

/* The attribute type each moved input goes back to. */
static int attribute_type_of(const char *attribute)
{
	if (!strcmp(attribute, "k"))
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	if (!strcmp(attribute, "min") || !strcmp(attribute, "max") ||
	    !strcmp(attribute, "value") || !strcmp(attribute, "ratio"))
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (!strcmp(attribute, "scales"))
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
	return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
}

/* Constant input `slot` -> attribute (opset `since` crossed downward). */
static bool move_input_to_attribute(convert *c, ir_node *node,
                                    const op_change *ch)
{
	if (node->n_inputs <= ch->slot || !node->inputs[ch->slot])
		return true;
	ir_value *input = node->inputs[ch->slot];
	ir_tensor *t = pass_constant_tensor(input);
	int type = attribute_type_of(ch->attribute);
	if (!t)
		return convert_refuse(c, node,
		                      "input %d ('%s') is not a "
		                      "constant, so it cannot become "
		                      "the attribute",
		                      ch->slot, ch->attribute);
	int64_t numel = ir_tensor_numel(t);
	bool ints = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ||
	            type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	bool scalar = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ||
	              type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (ints ? t->elem_type != IR_INT64 && t->elem_type != IR_INT32
	         : !is_float_type(t->elem_type))
		return convert_refuse(c, node, "input %d ('%s') is %s",
		                      ch->slot, ch->attribute,
		                      ir_elem_name(t->elem_type));
	if (numel < 0 || numel > 64 || (scalar && numel != 1))
		return convert_refuse(c, node,
		                      "input %d ('%s') has %lld "
		                      "elements",
		                      ch->slot, ch->attribute,
		                      (long long)numel);
	const void *data;
	size_t size;
	if (!ir_tensor_raw(c->model, t, &data, &size))
		return convert_refuse(c, node, "input %d is unreadable",
		                      ch->slot);
	if (!c->apply)
		return true;
	int64_t iv[64];
	float fv[64];
	for (int64_t i = 0; i < numel; i++) {
		switch (t->elem_type) {
		case IR_INT64: iv[i] = ((const int64_t *)data)[i]; break;
		case IR_INT32: iv[i] = ((const int32_t *)data)[i]; break;
		case IR_DOUBLE: fv[i] = (float)((const double *)data)[i]; break;
		case IR_FLOAT16:
			fv[i] = eval_half_to_float(((const uint16_t *)data)[i]);
			break;
		default: fv[i] = ((const float *)data)[i];
		}
	}
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
		ir_node_set_attr_int(node, ch->attribute, iv[0]);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		ir_node_set_attr_ints(node, ch->attribute, iv, (int)numel);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		ir_node_set_attr_float(node, ch->attribute, fv[0]);
		break;
	default: ir_node_set_attr_floats(node, ch->attribute, fv, (int)numel);
	}
	ir_node_set_input(node, ch->slot, NULL);
	return true;
}

/* Going down past the version that added an attribute: it must be absent
 * or its default, which is then dropped. */
static bool drop_added_attribute(convert *c, ir_node *node, const op_change *ch)
{
	const ir_attr *attr = ir_node_attr(node, ch->attribute);
	if (!attr)
		return true;
	const Onnx__AttributeProto *p = attr->proto;
	const char *def = ch->default_value;
	bool is_default = false;
	if (def && p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) {
		char text[32];
		snprintf(text, sizeof text, "%lld", (long long)p->i);
		is_default = !strcmp(text, def);
	} else if (def &&
	           p->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) {
		is_default = p->s.len == strlen(def) &&
		             !memcmp(p->s.data, def, p->s.len);
	}
	if (!is_default)
		return convert_refuse(c, node,
		                      "attribute '%s' came at opset "
		                      "%d",
		                      ch->attribute, ch->since);
	if (c->apply)
		ir_node_remove_attr(node, ch->attribute);
	return true;
}

static bool convert_signature(convert *c, ir_node *node,
                              const convert_adapter *adapter)
{
	bool up = c->to > c->from;
	op_change changes[32];
	int n = op_signature_changes(node->op_type, up ? c->from : c->to,
	                             up ? c->to : c->from, changes, 32);
	for (int k = 0; k < n && k < 32; k++) {
		/* Going down, undo the newest change first. */
		const op_change *ch =
		    &changes[up ? k : (n < 32 ? n : 32) - 1 - k];
		char token[16];
		switch (ch->kind) {
		case OP_MOVED_ATTRIBUTE:
			if (adapter_owns(adapter, ch->attribute))
				break;
			if (!(up ? move_attribute_to_input(c, node, ch)
			         : move_input_to_attribute(c, node, ch)))
				return false;
			break;
		case OP_ADDED_ATTRIBUTE:
			if (up || adapter_owns(adapter, ch->attribute))
				break;
			if (!drop_added_attribute(c, node, ch))
				return false;
			break;
		case OP_ADDED_INPUT:
			if (up || adapter_owns(adapter, slot_token(token, "in",
			                                           ch->slot)))
				break;
			if (node->n_inputs > ch->slot && node->inputs[ch->slot])
				return convert_refuse(
				    c, node, "input %d came at opset %d",
				    ch->slot, ch->since);
			break;
		case OP_ADDED_OUTPUT:
			if (up || adapter_owns(adapter, slot_token(token, "out",
			                                           ch->slot)))
				break;
			if (!convert_output_unused(node, ch->slot))
				return convert_refuse(
				    c, node, "output %d came at opset %d",
				    ch->slot, ch->since);
			if (c->apply && node->n_outputs > ch->slot)
				ir_node_truncate_outputs(node, ch->slot);
			break;
		}
	}
	if (c->apply && !up)
		convert_trim_inputs(node);
	return true;
}

/* ------------------------------------------------------------ driver */

/* The opset that brought an element type to most ops. */
static int element_type_since(int elem_type)
{
	switch (elem_type) {
	case IR_BFLOAT16: return 13;
	case IR_FLOAT8E4M3FN:
	case IR_FLOAT8E4M3FNUZ:
	case IR_FLOAT8E5M2:
	case IR_FLOAT8E5M2FNUZ: return 19;
	case IR_UINT4:
	case IR_INT4: return 21;
	case IR_FLOAT4E2M1: return 23;
	case IR_FLOAT8E8M0: return 24;
	default: return 0;
	}
}

static bool check_element_types(convert *c, const ir_node *node)
{
	for (int side = 0; side < 2; side++) {
		ir_value *const *values = side ? node->outputs : node->inputs;
		int n = side ? node->n_outputs : node->n_inputs;
		for (int i = 0; i < n; i++) {
			int t = values[i] ? pass_elem_type(values[i]) : 0;
			if (element_type_since(t) > c->to)
				return convert_refuse(
				    c, node,
				    "%s %d is %s, which came at opset %d",
				    side ? "output" : "input", i,
				    ir_elem_name(t), element_type_since(t));
		}
	}
	if (ir_node_is(node, "Cast") &&
	    element_type_since(ir_attr_elem_type(node, "to", 0)) > c->to)
		return convert_refuse(
		    c, node, "casting to %s",
		    ir_elem_name(ir_attr_elem_type(node, "to", 0)));
	return true;
}

static bool convert_node(convert *c, ir_node *node)
{
	if (!ir_is_onnx_domain(node->domain))
		return true;
	const char *op = node->op_type;
	int from = op_since_version(op, c->from);
	int to = op_since_version(op, c->to);
	const char *replacement = NULL;
	int removed = op_removed_in(op, &replacement);
	if (!from)
		return convert_refuse(c, node,
		                      "%s is not an operator of "
		                      "opset %lld",
		                      op, (long long)c->from);
	int replaced_in = 0;
	const char *older = op_replaced(op, &replaced_in);
	bool to_older = older && c->to < replaced_in &&
	                op_since_version(older, c->to); /* Resize: Upsample */
	if (!to && !(removed && c->to >= removed) && !to_older)
		return convert_refuse(c, node, "%s is not in opset %lld", op,
		                      (long long)c->to);
	if (from == to)
		return true;
	/* An adapter reads attributes by their specified type; one of another
	 * type would be read as absent and its meaning lost in the rewrite. */
	const ir_attr *mistyped = op_node_mistyped_attribute(node);
	if (mistyped)
		return convert_refuse(c, node,
		                      "its attribute '%s' has the wrong type",
		                      mistyped->name);
	if (c->to < c->from && !check_element_types(c, node))
		return false;
	const convert_adapter *adapter = convert_find_adapter(op);
	if (((removed && c->to >= removed) || to_older) && !adapter)
		return convert_refuse(c, node,
		                      "%s is gone from opset %d on "
		                      "(replaced by %s)",
		                      op, removed, replacement);
	if (!convert_signature(c, node, adapter))
		return false;
	if (adapter && !adapter->convert(c, node))
		return false; /* the adapter may have replaced node */
	if (c->apply)
		c->changes++;
	return true;
}

static int convert_graph(ir_graph *graph, void *ctx)
{
	convert *c = ctx;
	ir_graph_for_each_node(graph, node)
	{
		if (!convert_node(c, node))
			return -1;
	}
	return 0;
}

static int run_convert_opset(ir_model *model, pass_context *ctx,
                             ir_status *status)
{
	int64_t target = ctx->options->target_opset;
	int64_t opset = ir_model_opset(model, "");
	if (!target || !opset || opset == target)
		return 0;
	if (target < OLDEST_SOURCE || target > NEWEST_TARGET) {
		ir_fail(status, IR_ERR_USAGE,
		        "convert_opset: target opset %lld is outside %d-%d",
		        (long long)target, OLDEST_SOURCE, NEWEST_TARGET);
		return -1;
	}
	if (opset < OLDEST_SOURCE || opset > NEWEST_TARGET) {
		ir_fail(status, IR_ERR_PASS,
		        "convert_opset: the model's opset %lld is outside the "
		        "%d-%d that conversion reads",
		        (long long)opset, OLDEST_SOURCE, NEWEST_TARGET);
		return -1;
	}
	convert c = {model, opset, target, false, status, 0};
	if (pass_for_each_graph(model, convert_graph, &c) < 0)
		return -1;
	c.apply = true;
	if (pass_for_each_graph(model, convert_graph, &c) < 0)
		return -1; /* not expected: the check passed */
	for (int i = 0; i < model->n_opsets; i++)
		if (ir_is_onnx_domain(model->opsets[i].domain))
			ir_model_set_opset(model, model->opsets[i].domain,
			                   target);
	int64_t ir_version = op_min_ir_version(target);
	if (model->ir_version < ir_version)
		model->ir_version = ir_version;
	return c.changes + 1;
}

const pass pass_convert_opset = {
    .name = "convert_opset",
    .group = "convert",
    .summary = "convert the default domain to the opset of --target-opset "
               "(7-23; runs first when that option is given)",
    .opt_in = true,
    .needs = ANALYSIS_TYPES,
    .run = run_convert_opset,
};
