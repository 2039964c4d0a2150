/*
 * ir_print.c - a readable text dump of the IR, for --print-after and for
 * eyes. One line per node, values as %name with their types where known:
 *
 *   graph main (%x: float[batch,sequence,32]) -> (%y)
 *     %w: float[32,32] = initializer
 *     %t: float[batch,sequence,32] = MatMul(%x, %w)
 *     %y = Relu(%t)
 *
 * The format is for reading and diffing, not for parsing back. It prints
 * what the IR holds, so a pass's rewrite shows up as a small diff.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"

static void print_type(FILE *out, const ir_type *type)
{
	if (!type->is_tensor) {
		fputs(": (non-tensor)", out);
		return;
	}
	if (type->elem_type == IR_UNDEFINED && type->rank < 0)
		return;
	fprintf(out, ": %s", ir_elem_name(type->elem_type));
	if (type->rank < 0)
		return;
	fputc('[', out);
	for (int i = 0; i < type->rank; i++) {
		const ir_dim *d = &type->dims[i];
		if (i)
			fputc(',', out);
		if (d->kind == IR_DIM_VALUE)
			fprintf(out, "%" PRId64, d->value);
		else if (d->kind == IR_DIM_PARAM)
			fputs(d->param, out);
		else
			fputc('?', out);
	}
	fputc(']', out);
}

static void print_value_list(FILE *out, ir_value *const *values, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		if (values[i])
			fprintf(out, "%%%s", values[i]->name);
		else
			fputs("_", out);
	}
}

static void print_attr(FILE *out, const ir_attr *attr)
{
	const Onnx__AttributeProto *p = attr->proto;
	fprintf(out, "%s=", attr->name);
	switch (attr->type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		fprintf(out, "%g", (double)p->f);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
		fprintf(out, "%" PRId64, p->i);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
		fprintf(out, "\"%.*s\"", (int)p->s.len,
		        (const char *)p->s.data);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		fputc('[', out);
		for (size_t i = 0; i < p->n_ints; i++)
			fprintf(out, "%s%" PRId64, i ? "," : "", p->ints[i]);
		fputc(']', out);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		fputc('[', out);
		for (size_t i = 0; i < p->n_floats; i++)
			fprintf(out, "%s%g", i ? "," : "",
			        (double)p->floats[i]);
		fputc(']', out);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
		fprintf(out, "tensor<%s>",
		        attr->tensor ? ir_elem_name(attr->tensor->elem_type)
		                     : "?");
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
		fputs("graph", out);
		break;
	default: fputs("...", out); break;
	}
}

static void print_graph(FILE *out, const ir_graph *graph, int depth);

static void print_node(FILE *out, const ir_node *node, int depth)
{
	fprintf(out, "%*s", 2 * depth, "");
	int shown = 0;
	for (int i = 0; i < node->n_outputs; i++) {
		const ir_value *v = node->outputs[i];
		fputs(shown++ ? ", " : "", out);
		if (!v) {
			fputc('_', out);
			continue;
		}
		fprintf(out, "%%%s", v->name);
		print_type(out, &v->type);
	}
	if (shown)
		fputs(" = ", out);
	if (!ir_is_onnx_domain(node->domain))
		fprintf(out, "%s:", node->domain);
	fprintf(out, "%s(", node->op_type);
	print_value_list(out, node->inputs, node->n_inputs);
	fputc(')', out);
	int plain = 0;
	for (int a = 0; a < node->n_attrs; a++) {
		const ir_attr *attr = &node->attrs[a];
		if (attr->graph || attr->graphs)
			continue;
		fputs(plain++ ? ", " : " {", out);
		print_attr(out, attr);
	}
	if (plain)
		fputc('}', out);
	fputc('\n', out);
	for (int a = 0; a < node->n_attrs; a++) {
		const ir_attr *attr = &node->attrs[a];
		if (attr->graph) {
			fprintf(out, "%*s%s:\n", 2 * depth + 2, "", attr->name);
			print_graph(out, attr->graph, depth + 2);
		}
		for (size_t k = 0; attr->graphs && k < attr->proto->n_graphs;
		     k++) {
			fprintf(out, "%*s%s[%zu]:\n", 2 * depth + 2, "",
			        attr->name, k);
			print_graph(out, attr->graphs[k], depth + 2);
		}
	}
}

static void print_graph(FILE *out, const ir_graph *graph, int depth)
{
	fprintf(out, "%*sgraph %s (", 2 * depth, "",
	        graph->name ? graph->name : "");
	for (int i = 0; i < graph->n_inputs; i++) {
		fprintf(out, "%s%%%s", i ? ", " : "", graph->inputs[i]->name);
		print_type(out, &graph->inputs[i]->type);
	}
	fputs(") -> (", out);
	print_value_list(out, graph->outputs, graph->n_outputs);
	fputs(")\n", out);
	for (int i = 0; i < graph->n_initializers; i++) {
		const ir_value *v = graph->initializers[i];
		if (v->removed)
			continue;
		fprintf(out, "%*s%%%s", 2 * depth + 2, "", v->name);
		print_type(out, &v->type);
		fputs(v->sparse ? " = sparse initializer\n"
		                : " = initializer\n",
		      out);
	}
	for (const ir_node *n = graph->first; n; n = n->next)
		print_node(out, n, depth + 1);
}

void ir_print_model(const ir_model *model, FILE *out)
{
	fprintf(out, "model ir_version=%" PRId64, model->ir_version);
	for (int i = 0; i < model->n_opsets; i++)
		fprintf(out, " %s=%" PRId64,
		        model->opsets[i].domain[0] ? model->opsets[i].domain
		                                   : "ai.onnx",
		        model->opsets[i].version);
	fputc('\n', out);
	print_graph(out, model->graph, 0);
}
