/*
 * dce.c - dead code elimination.
 *
 *   before:  x -> A -> t -> B -> (nothing reads B's output)
 *            W (initializer nothing reads)
 *   after:   x
 *
 * A node is dead when none of its outputs is read: not by a node, not by a
 * node inside any subgraph, and not as an output of its graph. Walking each
 * graph from its last node to its first removes whole dead chains in one
 * sweep. Subgraphs of live nodes are cleaned too, which can free outer
 * values that the sweep then meets later.
 *
 * Initializers nothing reads go as well, with their value_info, and with
 * their graph-input entry in the main graph (such an input has no effect
 * on any output). Subgraph inputs are positional parameters of the body,
 * so an initializer listed there is left alone. Plain graph inputs are the
 * model's interface and are never removed.
 */
#include "ops.h"
#include "pass.h"

static int sweep_graph(ir_graph *graph)
{
	int removed = 0;
	for (ir_node *node = graph->last; node;) {
		ir_node *prev = node->prev;
		if (ir_node_is_dead(node) &&
		    !op_node_mistyped_attribute(node)) {
			ir_node_remove(node);
			removed++;
		} else {
			for (int a = 0; a < node->n_attrs; a++) {
				ir_attr *attr = &node->attrs[a];
				if (attr->graph)
					removed += sweep_graph(attr->graph);
				for (size_t k = 0;
				     attr->graphs && k < attr->proto->n_graphs;
				     k++)
					removed += sweep_graph(attr->graphs[k]);
			}
		}
		node = prev;
	}
	for (int i = graph->n_initializers - 1; i >= 0; i--) {
		ir_value *v = graph->initializers[i];
		if (v->removed || ir_value_is_live(v))
			continue;
		if (v->is_graph_input && graph->parent)
			continue;
		ir_initializer_remove(v);
		removed++;
	}
	return removed;
}

static int run_dce(ir_model *model, pass_context *ctx, ir_status *status)
{
	(void)ctx;
	(void)status;
	return sweep_graph(model->graph);
}

const pass pass_dce = {
    .name = "dce",
    .group = "cleanup",
    .summary = "remove nodes whose outputs nothing reads, and unused "
               "initializers",
    .run = run_dce,
};
