/*
 * ir_save.c - IR -> ONNX bytes.
 *
 * The exporter builds a protobuf-c ModelProto whose strings and tensor
 * payloads point at the IR's own memory (nothing big is copied), then packs
 * it straight into a buffered writer. Every message starts as a shallow
 * copy of the message it was loaded from, so fields the IR does not model
 * (doc strings, metadata, unknown fields, newer-IR fields) come out exactly
 * as they went in; only what the IR owns is overwritten.
 *
 * The exported tree is never handed to protobuf_c_message_free_unpacked:
 * its arrays live in an export arena and everything else is borrowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir_arena.h"
#include "ir_external.h"
#include "ir_impl.h"
#include "ir_output.h"

typedef struct exporter {
	struct ir_arena *arena;
	ir_layout *layout; /* NULL: every tensor's data inline */
} exporter;

/* A message that starts as a shallow copy of its origin, or as a fresh
 * default message when it has none. */
static void *copy_or_init(exporter *ex, const void *origin, const void *fresh,
                          size_t size)
{
	void *copy = ir_arena_alloc(ex->arena, size);
	memcpy(copy, origin ? origin : fresh, size);
	return copy;
}

#define COPY_OR_INIT(ex, type, INIT, origin)                                   \
	((type *)copy_or_init((ex), (origin), &(const type)INIT, sizeof(type)))

static void *ex_array(exporter *ex, size_t n, size_t elem)
{
	return ir_arena_alloc(ex->arena, (n ? n : 1) * elem);
}

static Onnx__GraphProto *export_graph(exporter *ex, const ir_graph *g);

static bool same_string(const char *a, const char *b)
{
	return (a ? a : (const char *)"")[0] == (b ? b : "")[0] &&
	       strcmp(a ? a : "", b ? b : "") == 0;
}

/* ---------------------------------------------------------------- types */

static Onnx__TypeProto *export_type(exporter *ex, const ir_type *type)
{
	if (!type->is_tensor)
		return (Onnx__TypeProto *)type->proto;
	Onnx__TypeProto *tp = COPY_OR_INIT(ex, Onnx__TypeProto,
	                                   ONNX__TYPE_PROTO__INIT, type->proto);
	Onnx__TypeProto__Tensor *tt = COPY_OR_INIT(
	    ex, Onnx__TypeProto__Tensor, ONNX__TYPE_PROTO__TENSOR__INIT,
	    type->proto && type->proto->value_case ==
	                       ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
	        ? type->proto->tensor_type
	        : NULL);
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = type->elem_type != IR_UNDEFINED;
	tt->elem_type = type->elem_type;
	if (type->rank < 0) {
		tt->shape = NULL;
		return tp;
	}
	Onnx__TensorShapeProto *shape =
	    ir_arena_alloc(ex->arena, sizeof *shape);
	onnx__tensor_shape_proto__init(shape);
	shape->n_dim = (size_t)type->rank;
	shape->dim = ex_array(ex, shape->n_dim, sizeof *shape->dim);
	for (int i = 0; i < type->rank; i++) {
		Onnx__TensorShapeProto__Dimension *d =
		    ir_arena_alloc(ex->arena, sizeof *d);
		onnx__tensor_shape_proto__dimension__init(d);
		if (type->dims[i].kind == IR_DIM_VALUE) {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = type->dims[i].value;
		} else if (type->dims[i].kind == IR_DIM_PARAM) {
			d->value_case =
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = (char *)type->dims[i].param;
		}
		shape->dim[i] = d;
	}
	tt->shape = shape;
	return tp;
}

static Onnx__ValueInfoProto *
export_value_info(exporter *ex, const Onnx__ValueInfoProto *origin,
                  const ir_value *value)
{
	if (origin && !value->type_changed &&
	    same_string(origin->name, value->name))
		return (Onnx__ValueInfoProto *)origin;
	Onnx__ValueInfoProto *vi = COPY_OR_INIT(
	    ex, Onnx__ValueInfoProto, ONNX__VALUE_INFO_PROTO__INIT, origin);
	vi->name = (char *)value->name;
	/* Inferred types are saved only once a pass records them. */
	const ir_type *type =
	    value->type_inferred ? &value->stated : &value->type;
	if (value->type_changed)
		vi->type = export_type(ex, type);
	else if (!origin)
		vi->type = type->proto ? (Onnx__TypeProto *)type->proto
		                       : export_type(ex, type);
	return vi;
}

/* -------------------------------------------------------------- tensors */

static Onnx__TensorProto *export_tensor(exporter *ex, const ir_tensor *t,
                                        const char *name)
{
	const Onnx__TensorProto *origin = t->origin;
	bool to_external = ir_layout_wants(ex->layout, t);
	if (!to_external)
		ir_layout_note_inline(ex->layout, t);
	/* A tensor read from a data file is re-placed: inline, or in the
	 * output's data file. */
	if (origin && !t->modified && !t->data_file && !to_external &&
	    same_string(origin->name, name))
		return (Onnx__TensorProto *)origin;
	Onnx__TensorProto *tp =
	    COPY_OR_INIT(ex, Onnx__TensorProto, ONNX__TENSOR_PROTO__INIT,
	                 t->modified ? NULL : origin);
	if (name || !tp->name)
		tp->name = (char *)name;
	if (t->modified) {
		tp->has_data_type = 1;
		tp->data_type = t->elem_type;
		tp->n_dims = (size_t)t->rank;
		tp->dims = t->dims;
		if (t->elem_type == IR_STRING) {
			tp->n_string_data = (size_t)ir_tensor_numel(t);
			tp->string_data = (ProtobufCBinaryData *)t->strings;
		} else {
			tp->has_raw_data = 1;
			tp->raw_data.len = t->raw_size;
			tp->raw_data.data = (uint8_t *)t->raw;
		}
	}
	if (to_external && ir_layout_place(ex->layout, ex->arena, t, tp))
		return tp;
	ir_layout_note_inline(ex->layout, t);
	if (t->data_file)
		ir_layout_inline(t, tp);
	return tp;
}

/* ---------------------------------------------------------------- nodes */

static Onnx__AttributeProto *export_attr(exporter *ex, const ir_attr *attr)
{
	const Onnx__AttributeProto *origin = attr->proto;
	if (!attr->graph && !attr->graphs && !attr->tensor && !attr->tensors)
		return (Onnx__AttributeProto *)origin;
	Onnx__AttributeProto *ap = COPY_OR_INIT(
	    ex, Onnx__AttributeProto, ONNX__ATTRIBUTE_PROTO__INIT, origin);
	if (attr->tensor)
		ap->t = export_tensor(
		    ex, attr->tensor,
		    attr->tensor->origin ? attr->tensor->origin->name : NULL);
	if (attr->tensors) {
		ap->tensors = ex_array(ex, ap->n_tensors, sizeof *ap->tensors);
		for (size_t k = 0; k < ap->n_tensors; k++) {
			const ir_tensor *t = attr->tensors[k];
			ap->tensors[k] = export_tensor(
			    ex, t, t->origin ? t->origin->name : NULL);
		}
	}
	if (attr->graph)
		ap->g = export_graph(ex, attr->graph);
	if (attr->graphs) {
		ap->graphs = ex_array(ex, ap->n_graphs, sizeof *ap->graphs);
		for (size_t k = 0; k < ap->n_graphs; k++)
			ap->graphs[k] = export_graph(ex, attr->graphs[k]);
	}
	return ap;
}

static char *node_name_field(const char *ir, const char *origin_field)
{
	/* Keep an absent field absent when the IR did not change it. */
	if (same_string(ir, origin_field))
		return (char *)origin_field;
	return (char *)ir;
}

static Onnx__NodeProto *export_node(exporter *ex, const ir_node *node)
{
	const Onnx__NodeProto *origin = node->origin;
	Onnx__NodeProto *np =
	    COPY_OR_INIT(ex, Onnx__NodeProto, ONNX__NODE_PROTO__INIT, origin);
	np->op_type =
	    node_name_field(node->op_type, origin ? origin->op_type : NULL);
	np->domain =
	    node_name_field(node->domain, origin ? origin->domain : NULL);
	if (!origin && !node->domain[0])
		np->domain = NULL;
	np->name = node_name_field(node->name, origin ? origin->name : NULL);
	np->n_input = (size_t)node->n_inputs;
	np->input = ex_array(ex, np->n_input, sizeof *np->input);
	for (int i = 0; i < node->n_inputs; i++)
		np->input[i] =
		    (char *)(node->inputs[i] ? node->inputs[i]->name : "");
	np->n_output = (size_t)node->n_outputs;
	np->output = ex_array(ex, np->n_output, sizeof *np->output);
	for (int i = 0; i < node->n_outputs; i++)
		np->output[i] =
		    (char *)(node->outputs[i] ? node->outputs[i]->name : "");
	np->n_attribute = (size_t)node->n_attrs;
	np->attribute = ex_array(ex, np->n_attribute, sizeof *np->attribute);
	for (int i = 0; i < node->n_attrs; i++)
		np->attribute[i] = export_attr(ex, &node->attrs[i]);
	return np;
}

/* ---------------------------------------------------------------- graph */

static Onnx__GraphProto *export_graph(exporter *ex, const ir_graph *g)
{
	Onnx__GraphProto *gp = COPY_OR_INIT(ex, Onnx__GraphProto,
	                                    ONNX__GRAPH_PROTO__INIT, g->origin);
	gp->name = (char *)g->name;
	gp->n_node = (size_t)g->n_nodes;
	gp->node = ex_array(ex, gp->n_node, sizeof *gp->node);
	size_t k = 0;
	for (const ir_node *n = g->first; n; n = n->next)
		gp->node[k++] = export_node(ex, n);

	size_t n_dense = 0, n_sparse = 0;
	for (int i = 0; i < g->n_initializers; i++)
		if (!g->initializers[i]->removed)
			g->initializers[i]->sparse ? n_sparse++ : n_dense++;
	gp->n_initializer = n_dense;
	gp->initializer = ex_array(ex, n_dense, sizeof *gp->initializer);
	gp->n_sparse_initializer = n_sparse;
	gp->sparse_initializer =
	    ex_array(ex, n_sparse, sizeof *gp->sparse_initializer);
	n_dense = n_sparse = 0;
	for (int i = 0; i < g->n_initializers; i++) {
		const ir_value *v = g->initializers[i];
		if (v->removed)
			continue;
		if (v->sparse)
			gp->sparse_initializer[n_sparse++] =
			    (Onnx__SparseTensorProto *)v->sparse;
		else
			gp->initializer[n_dense++] =
			    export_tensor(ex, v->tensor, v->name);
	}

	gp->n_input = (size_t)g->n_inputs;
	gp->input = ex_array(ex, gp->n_input, sizeof *gp->input);
	for (int i = 0; i < g->n_inputs; i++)
		gp->input[i] = export_value_info(ex, g->inputs[i]->input_info,
		                                 g->inputs[i]);
	gp->n_output = (size_t)g->n_outputs;
	gp->output = ex_array(ex, gp->n_output, sizeof *gp->output);
	for (int i = 0; i < g->n_outputs; i++)
		gp->output[i] =
		    export_value_info(ex, g->output_infos[i], g->outputs[i]);
	gp->n_value_info = (size_t)ir_graph_value_info_count(g);
	gp->value_info = ex_array(ex, gp->n_value_info, sizeof *gp->value_info);
	for (int i = 0, k = 0; i < g->n_value_infos; i++) {
		const ir_value_info *e = &g->value_infos[i];
		if (!ir_value_info_live(e))
			continue;
		gp->value_info[k++] =
		    e->value ? export_value_info(ex, e->proto, e->value)
		             : (Onnx__ValueInfoProto *)e->proto;
	}
	return gp;
}

/* ---------------------------------------------------------------- model */

static bool opsets_unchanged(const ir_model *model)
{
	const Onnx__ModelProto *mp = model->origin;
	if (!mp || mp->n_opset_import != (size_t)model->n_opsets)
		return false;
	for (int i = 0; i < model->n_opsets; i++)
		if (!same_string(mp->opset_import[i]->domain,
		                 model->opsets[i].domain) ||
		    mp->opset_import[i]->version != model->opsets[i].version)
			return false;
	return true;
}

static Onnx__ModelProto *export_model(ir_model *model, ir_layout *layout,
                                      struct ir_arena **arena_out)
{
	exporter ex = {ir_arena_create_scratch(), layout};
	const Onnx__ModelProto *origin = model->origin;
	Onnx__ModelProto *mp = COPY_OR_INIT(&ex, Onnx__ModelProto,
	                                    ONNX__MODEL_PROTO__INIT, origin);
	if (!origin || model->ir_version != mp->ir_version) {
		mp->has_ir_version = 1;
		mp->ir_version = model->ir_version;
	}
	if (!opsets_unchanged(model)) {
		mp->n_opset_import = (size_t)model->n_opsets;
		mp->opset_import =
		    ex_array(&ex, mp->n_opset_import, sizeof *mp->opset_import);
		for (int i = 0; i < model->n_opsets; i++) {
			Onnx__OperatorSetIdProto *op =
			    ir_arena_alloc(ex.arena, sizeof *op);
			onnx__operator_set_id_proto__init(op);
			op->domain = (char *)model->opsets[i].domain;
			op->has_version = 1;
			op->version = model->opsets[i].version;
			mp->opset_import[i] = op;
		}
	}
	mp->graph = export_graph(&ex, model->graph);
	*arena_out = ex.arena;
	return mp;
}

Onnx__ModelProto *ir_export(ir_model *model, struct ir_arena **arena_out)
{
	return export_model(model, NULL, arena_out);
}

void ir_export_free(struct ir_arena *arena)
{
	ir_arena_free(arena);
}

/* --------------------------------------------------------------- writing */

/* protobuf-c appends small pieces (tags, lengths) and whole payloads;
 * batching the small ones keeps write calls few, and payloads larger than
 * the batch go straight through. */
typedef struct stream_buffer {
	ProtobufCBuffer base;
	ir_write_fn write;
	void *out;
	ir_model *model;
	ir_progress *progress;
	/* The output mapped (NULL: not a file), and the offset written up
	 * to: a computed tensor is read from the output once written. */
	const uint8_t *written;
	uint64_t position;
	int out_fd; /* the output's file, or -1 (not a file descriptor) */
	bool failed;
	size_t used;
	uint8_t data[1 << 16];
} stream_buffer;

static void stream_flush(stream_buffer *sb)
{
	if (sb->used && !sb->failed && !sb->write(sb->out, sb->data, sb->used))
		sb->failed = true;
	sb->position += sb->used;
	ir_progress_add(sb->progress, sb->used);
	sb->used = 0;
}

/* A payload borrowed from the mapped model file goes file to file in the
 * kernel, as cp does: the input's pages are neither mapped in nor copied
 * through user memory. Returns the bytes so copied. */
static size_t copy_from_input(stream_buffer *sb, const uint8_t *data,
                              size_t len)
{
	const ir_buffer *file = sb->model->file;
	size_t copied = 0;
	if (sb->out_fd >= 0 && file && file->kind == IR_BUFFER_MAPPED &&
	    data >= file->data && data + len <= file->data + file->size)
		ir_copy_in_kernel(file->fd, (uint64_t)(data - file->data), len,
		                  sb->out_fd, &copied);
	return copied;
}

static void stream_append(ProtobufCBuffer *buffer, size_t len,
                          const uint8_t *data)
{
	stream_buffer *sb = (stream_buffer *)buffer;
	if (sb->failed)
		return;
	if (len > sizeof sb->data - sb->used) {
		stream_flush(sb);
		if (len >= sizeof sb->data) {
			size_t copied = copy_from_input(sb, data, len);
			if (copied < len &&
			    !sb->write(sb->out, data + copied, len - copied))
				sb->failed = true;
			/* A weight written from its mapping is not needed in
			 * memory any more. */
			ir_release_if_mapped(sb->model, data, len);
			if (sb->written && !sb->failed)
				ir_store_move(sb->model, data, len,
				              sb->written + sb->position);
			sb->position += len;
			ir_progress_add(sb->progress, len);
			return;
		}
	}
	if (len) /* protobuf-c hands empty fields over as (NULL, 0) */
		memcpy(sb->data + sb->used, data, len);
	sb->used += len;
}

static bool pack_model(ir_model *model, Onnx__ModelProto *mp, ir_write_fn write,
                       void *out, int out_fd, const uint8_t *written,
                       ir_progress *progress, ir_status *status)
{
	stream_buffer *sb = ir_xmalloc(sizeof *sb);
	sb->base.append = stream_append;
	sb->write = write;
	sb->out = out;
	sb->model = model;
	sb->written = written;
	sb->position = 0;
	sb->out_fd = out_fd;
	sb->progress = progress;
	sb->failed = false;
	sb->used = 0;
	protobuf_c_message_pack_to_buffer(&mp->base, &sb->base);
	stream_flush(sb);
	bool ok = !sb->failed;
	free(sb);
	if (!ok)
		return ir_fail(status, IR_ERR_WRITE,
		               "cannot write the model: %s", strerror(errno));
	return true;
}

static bool fail_too_big(ir_status *status, size_t size)
{
	return ir_fail(status, IR_ERR_USAGE,
	               "the model is %zu bytes, over protobuf's 2 GB limit: "
	               "save it to a file with external data",
	               size);
}

bool ir_model_save(ir_model *model, ir_write_fn write, void *out,
                   ir_status *status)
{
	struct ir_arena *arena;
	Onnx__ModelProto *mp = ir_export(model, &arena);
	size_t size = protobuf_c_message_get_packed_size(&mp->base);
	bool ok = size <= IR_PROTOBUF_LIMIT ? pack_model(model, mp, write, out,
	                                                 -1, NULL, NULL, status)
	                                    : fail_too_big(status, size);
	ir_export_free(arena);
	return ok;
}

static bool write_fd(void *out, const void *data, size_t size)
{
	int fd = *(int *)out;
	const uint8_t *p = data;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += n;
		size -= (size_t)n;
	}
	return true;
}

void ir_save_options_init(ir_save_options *options)
{
	memset(options, 0, sizeof *options);
	options->external_threshold = IR_EXTERNAL_THRESHOLD_DEFAULT;
	options->external_align = IR_EXTERNAL_ALIGN_DEFAULT;
}

bool ir_model_save_file(ir_model *model, const char *path, ir_status *status)
{
	ir_save_options options;
	ir_save_options_init(&options);
	return ir_model_save_file_ex(model, path, &options, status);
}

/* The data file's name beside the model: NAME, or "<OUT basename>.data". */
static bool data_file_name(const ir_output *out, const ir_save_options *o,
                           char *name, size_t size, ir_status *status)
{
	const char *base = ir_output_basename(out);
	if (o->external_name) {
		if (!o->external_name[0] || strchr(o->external_name, '/') ||
		    !strcmp(o->external_name, ".") ||
		    !strcmp(o->external_name, ".."))
			return ir_fail(status, IR_ERR_USAGE,
			               "--external-data: '%s' is not a file "
			               "name (it goes beside OUT)",
			               o->external_name);
		snprintf(name, size, "%s", o->external_name);
	} else if (snprintf(name, size, "%s.data", base) >= (int)size) {
		return ir_fail(status, IR_ERR_USAGE,
		               "output name too long for its data file");
	}
	if (strlen(name) > NAME_MAX)
		return ir_fail(status, IR_ERR_USAGE,
		               "external data file name too long: '%s'", name);
	if (!strcmp(name, base))
		return ir_fail(status, IR_ERR_USAGE,
		               "--external-data: '%s' is the model file itself",
		               name);
	return true;
}

void ir_progress_add(ir_progress *progress, uint64_t bytes)
{
	if (!progress || !progress->fn)
		return;
	progress->done += bytes;
	progress->fn(progress->ctx, progress->done, progress->total);
}

/* The output file mapped, when the model has computed tensors that can
 * be read from it once written (ir_store_move); NULL otherwise. */
static const uint8_t *map_for_moves(ir_model *model, const ir_output *out,
                                    size_t size)
{
	if (!model->store || !ir_output_is_file(out) || size == 0)
		return NULL;
	void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, out->fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	ir_store_keep_mapping(model, map, size);
	return map;
}

/* Can a data file beside `out` adopt the store's file (a link on the
 * same file system)? */
static bool store_on_output_disk(const ir_model *model, const ir_output *out)
{
	int fd = ir_store_adoptable_fd(model);
	char folder[PATH_MAX];
	ir_output_folder(out, folder, sizeof folder);
	struct stat store, dir;
	return fd >= 0 && fstat(fd, &store) == 0 && stat(folder, &dir) == 0 &&
	       store.st_dev == dir.st_dev;
}

/* Open the data file: the store's file under a temporary name when the
 * layout adopts it, else a new one. If the link fails, the layout's
 * offsets still hold for a new file; the tensors placed in the store are
 * then written like the others. */
static bool open_data_file(ir_model *model, ir_layout *layout, ir_output *data,
                           const char *path, ir_status *status)
{
	if (layout->adopt) {
		ir_status link_status = {0};
		if (ir_output_open_linked(data, path,
		                          ir_store_adoptable_fd(model),
		                          &link_status))
			return true;
		layout->adopt = false;
		for (size_t i = 0; i < layout->n; i++)
			layout->entries[i].in_store = false;
		ir_store_unplace(model);
	}
	return ir_output_open(data, path, true, status);
}

/* Export with tensors placed by `layout`, the 2 GB limit checked. */
static Onnx__ModelProto *export_placed(ir_model *model, ir_layout *layout,
                                       struct ir_arena **arena, size_t *size)
{
	if (layout)
		ir_layout_reset(layout);
	Onnx__ModelProto *mp = export_model(model, layout, arena);
	*size = protobuf_c_message_get_packed_size(&mp->base);
	return mp;
}

/* Is some tensor saved at its offset in the store's file? Only then does
 * adopting that file save a copy. */
static bool keeps_a_store_tensor(const ir_layout *layout)
{
	for (size_t i = 0; i < layout->n; i++)
		if (layout->entries[i].in_store)
			return true;
	return false;
}

/* What a save has open or allocated, for the cleanup below. */
typedef struct save_files {
	ir_output out, data;
	ir_layout layout;
} save_files;

static bool save_file(ir_model *model, const char *path,
                      const ir_save_options *o, save_files *files,
                      ir_status *status);

/* Running out of memory while writing unwinds past the writer: the
 * temporary files and the layout go first (they are kept by our caller,
 * outside the function that calls setjmp), then the failure passes
 * outward. */
static bool save_file_guarded(ir_model *model, const char *path,
                              const ir_save_options *o, save_files *files,
                              ir_status *status)
{
	ir_oom_handler oom;
	ir_oom_enter(&oom);
	if (setjmp(oom.jump)) {
		ir_output_discard(&files->data);
		ir_output_discard(&files->out);
		ir_layout_free(&files->layout);
		ir_out_of_memory();
	}
	bool ok = save_file(model, path, o, files, status);
	ir_oom_leave(&oom);
	return ok;
}

bool ir_model_save_file_ex(ir_model *model, const char *path,
                           const ir_save_options *o, ir_status *status)
{
	save_files files = {.out = {.fd = -1, .temp_slot = -1},
	                    .data = {.fd = -1, .temp_slot = -1}};
	return save_file_guarded(model, path, o, &files, status);
}

static bool save_file(ir_model *model, const char *path,
                      const ir_save_options *o, save_files *files,
                      ir_status *status)
{
	ir_output *out = &files->out, *data = &files->data;
	ir_layout *layout = &files->layout;
	if (!ir_output_open(out, path, false, status))
		return false;
	bool beside = ir_output_is_file(out);
	char name[PATH_MAX];
	if ((o->external || ir_model_has_external_data(model)) && beside &&
	    !data_file_name(out, o, name, sizeof name, status)) {
		ir_output_discard(out);
		return false;
	}
	if (o->external && !beside) {
		ir_output_discard(out);
		return ir_fail(status, IR_ERR_USAGE,
		               "--external-data needs OUT to be a file, not "
		               "'%s'",
		               path);
	}
	ir_layout_init(layout, model, o->external, o->external_threshold,
	               o->external_align, name);
	layout->adopt = beside && store_on_output_disk(model, out);
	bool follow_input = beside && ir_model_has_external_data(model);
	ir_layout *placing = o->external || follow_input ? layout : NULL;
	struct ir_arena *arena;
	size_t size;
	Onnx__ModelProto *mp = export_placed(model, placing, &arena, &size);
	bool ok = true;
	if (size > IR_PROTOBUF_LIMIT && !o->external && beside) {
		size_t inline_size = size;
		ir_export_free(arena);
		if (placing != layout &&
		    !data_file_name(out, o, name, sizeof name, status)) {
			ir_output_discard(out);
			return false;
		}
		layout->all = true;
		mp = export_placed(model, layout, &arena, &size);
		if (o->notes)
			fprintf(
			    o->notes,
			    "onnx-opt: note: the model would be %zu bytes "
			    "inline, over protobuf's 2 GB limit: tensors of "
			    "%" PRIu64 " bytes or more go to '%s'\n",
			    inline_size, o->external_threshold, name);
	}
	if (layout->adopt && layout->n > 0 &&
	    (layout->store_inlined || !keeps_a_store_tensor(layout))) {
		/* A store block must outlive this save, or no saved tensor
		 * is in the store (the data file would begin with holes as
		 * large as the store's dead blocks): place again, for a data
		 * file of its own. */
		ir_export_free(arena);
		layout->adopt = false;
		mp = export_placed(model, layout, &arena, &size);
	}
	if (size > IR_PROTOBUF_LIMIT)
		ok = fail_too_big(status, size);
	uint64_t data_bytes = 0;
	for (size_t i = 0; i < layout->n; i++)
		data_bytes += layout->entries[i].size;
	ir_progress progress = {o->progress, o->progress_ctx, 0,
	                        data_bytes + size};
	if (ok && layout->n > 0) {
		char folder[PATH_MAX], data_path[PATH_MAX * 2];
		ir_output_folder(out, folder, sizeof folder);
		snprintf(data_path, sizeof data_path, "%s/%s", folder, name);
		ok = open_data_file(model, layout, data, data_path, status) &&
		     ir_layout_write(layout, data->fd, &progress, status);
		if (ok && layout->adopt)
			ir_store_adopt(model);
	}
	ok = ok &&
	     pack_model(model, mp, write_fd, &out->fd, out->fd,
	                map_for_moves(model, out, size), &progress, status);
	ir_export_free(arena);
	ir_layout_free(layout);
	/* The data file first: a model never names data that is not there. */
	if (ok && data->fd >= 0)
		ok = ir_output_commit(data, status);
	if (ok)
		return ir_output_commit(out, status);
	ir_output_discard(data);
	ir_output_discard(out);
	return false;
}

typedef struct memory_sink {
	uint8_t *data;
	size_t size, cap;
} memory_sink;

static bool write_memory(void *out, const void *data, size_t size)
{
	memory_sink *sink = out;
	if (sink->size + size > sink->cap) {
		size_t cap = sink->cap ? sink->cap : 4096;
		while (cap < sink->size + size)
			cap *= 2;
		uint8_t *grown = realloc(sink->data, cap);
		if (!grown)
			return false;
		sink->data = grown;
		sink->cap = cap;
	}
	memcpy(sink->data + sink->size, data, size);
	sink->size += size;
	return true;
}

bool ir_model_save_buffer(ir_model *model, uint8_t **data, size_t *size,
                          ir_status *status)
{
	memory_sink sink = {0};
	if (!ir_model_save(model, write_memory, &sink, status)) {
		free(sink.data);
		return false;
	}
	*data = sink.data ? sink.data : ir_xcalloc(1, 1);
	*size = sink.size;
	return true;
}
