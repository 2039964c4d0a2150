/*
 * eliminate_identity.c - remove Identity nodes.
 *
 *   before:  x -> Identity -> y -> A
 *   after:   x -> A
 *
 * Legality:
 *  - the node is Identity in the default ONNX domain (any opset: Identity
 *    passes tensors, sequences and optionals through unchanged);
 *  - y's readers can all see x by name (no subgraph shadows it);
 *  - when y is a graph output its name must survive: y takes over x's
 *    definition, which needs x to be computed by a node of y's own graph
 *    and not to be a graph output itself. An Identity between a graph
 *    input (or initializer, or outer-scope value) and a graph output
 *    stays: it is the only thing that gives the output its name.
 */
#include "pass_util.h"

static ir_value *identity_input(ir_node *node, int64_t opset)
{
	(void)opset;
	if (!ir_node_is(node, "Identity") || node->n_inputs != 1 ||
	    node->n_outputs != 1 || !node->inputs[0])
		return NULL;
	return node->inputs[0];
}

static int rewrite_eliminate_identity(ir_model *model, ir_node *node,
                                      pass_context *ctx)
{
	(void)ctx;
	return pass_remove_passthrough_node(model, node, identity_input);
}

const pass pass_eliminate_identity = {
    .name = "eliminate_identity",
    .group = "eliminate",
    .summary = "remove Identity nodes, keeping graph output names",
    .rewrite = rewrite_eliminate_identity,
};
