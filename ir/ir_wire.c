/*
 * ir_wire.c - skeleton copies of ONNX wire data, so that unpacking a model
 * does not copy its weights. See ir_wire.h for the scheme.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_arena.h"
#include "ir_limits.h"
#include "ir_wire.h"
#include "onnx.pb-c.h"

/* Payloads at least this large are borrowed; smaller ones are cheaper to
 * copy than to track. */
#define BORROW_MIN       256
#define PLACEHOLDER_SIZE 16
static const uint8_t placeholder_magic[8] = {0xB0, 'o', 'n', 'n',
                                             'x',  'o', 'p', 0x7F};

static void out_put(ir_skeleton *sk, const void *data, size_t size)
{
	if (sk->size + size > sk->cap) {
		size_t cap = sk->cap ? sk->cap : 4096;
		while (cap < sk->size + size)
			cap *= 2;
		sk->data = ir_xrealloc(sk->data, cap);
		sk->cap = cap;
	}
	memcpy(sk->data + sk->size, data, size);
	sk->size += size;
}

static void out_varint(ir_skeleton *sk, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;
	do {
		buf[n] = (uint8_t)(v & 0x7F);
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	out_put(sk, buf, n);
}

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t result = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t byte = *(*p)++;
		result |= (uint64_t)(byte & 0x7F) << shift;
		if (!(byte & 0x80)) {
			*v = result;
			return true;
		}
	}
	return false;
}

/* Only these message types can contain a TensorProto, so only they are
 * worth descending into. */
static bool may_hold_tensor(const ProtobufCMessageDescriptor *d)
{
	return d == &onnx__model_proto__descriptor ||
	       d == &onnx__graph_proto__descriptor ||
	       d == &onnx__node_proto__descriptor ||
	       d == &onnx__attribute_proto__descriptor ||
	       d == &onnx__tensor_proto__descriptor ||
	       d == &onnx__sparse_tensor_proto__descriptor ||
	       d == &onnx__function_proto__descriptor ||
	       d == &onnx__training_info_proto__descriptor;
}

static bool is_placeholder_like(const uint8_t *p, size_t n)
{
	return n == PLACEHOLDER_SIZE &&
	       memcmp(p, placeholder_magic, sizeof placeholder_magic) == 0;
}

/* Every cycle among ONNX's messages passes through a GraphProto or a
 * TypeProto. A graph is a level; a type is one when it is the element of
 * another type (sequence, map value, optional), so a value's own type is
 * not a level of its graph. */
static bool counts_as_nesting(const ProtobufCMessageDescriptor *parent,
                              const ProtobufCMessageDescriptor *d)
{
	if (d == &onnx__graph_proto__descriptor)
		return true;
	return d == &onnx__type_proto__descriptor &&
	       (parent == &onnx__type_proto__sequence__descriptor ||
	        parent == &onnx__type_proto__map__descriptor ||
	        parent == &onnx__type_proto__optional__descriptor);
}

/* Skip one field's value; false on malformed wire data. Sets *message to
 * the payload bounds when the field is a known submessage. */
static bool skip_field(const ProtobufCMessageDescriptor *desc,
                       const uint8_t **p, const uint8_t *end,
                       const ProtobufCMessageDescriptor **sub_desc,
                       const uint8_t **sub_end,
                       const ProtobufCFieldDescriptor **nul_string)
{
	uint64_t tag, value;
	*sub_desc = NULL;
	if (!read_varint(p, end, &tag) || tag >> 3 == 0 ||
	    tag >> 3 > UINT32_MAX)
		return false;
	switch (tag & 7) {
	case 0: return read_varint(p, end, &value);
	case 1:
		if (end - *p < 8)
			return false;
		*p += 8;
		return true;
	case 5:
		if (end - *p < 4)
			return false;
		*p += 4;
		return true;
	case 2: {
		if (!read_varint(p, end, &value) ||
		    value > (uint64_t)(end - *p))
			return false;
		const ProtobufCFieldDescriptor *fd =
		    protobuf_c_message_descriptor_get_field(
		        desc, (unsigned)(tag >> 3));
		if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			*sub_desc = fd->descriptor;
			*sub_end = *p + value;
			return true;
		}
		/* protobuf-c keeps string fields as C strings: a NUL inside
		 * one would cut it, and a value name cut short can name
		 * another value. (Doc strings are bytes in our schema, kept
		 * whole.) */
		if (fd && fd->type == PROTOBUF_C_TYPE_STRING && value &&
		    memchr(*p, 0, (size_t)value))
			*nul_string = fd;
		*p += value;
		return true;
	}
	default:
		/* Groups (3, 4) and invalid wire types: protobuf-c accepts
		 * none of them, and ONNX uses none. */
		return false;
	}
}

ir_wire_verdict
ir_wire_check_nesting(const ProtobufCMessageDescriptor *descriptor,
                      const uint8_t *data, size_t size, char *where,
                      size_t where_size)
{
	if (size == 0) /* an empty message; data may be NULL (no data + 0) */
		return IR_WIRE_OK;
	/* Between two counted levels there are at most two other messages
	 * (node and attribute; or value info or attribute, and the type that
	 * starts a type's nesting), plus a few above the first and below the
	 * last: this bounds the stack of open messages. */
	enum { max_open = 3 * IR_MAX_NESTING + 16 };
	typedef struct {
		const ProtobufCMessageDescriptor *desc;
		const uint8_t *end;
		bool counted;
	} open_message;
	open_message *open = ir_xmalloc(sizeof *open * max_open);
	ir_wire_verdict verdict = IR_WIRE_OK;
	bool counted = counts_as_nesting(NULL, descriptor);
	int n_open = 1, levels = counted;
	open[0] = (open_message){descriptor, data + size, counted};
	const uint8_t *p = data;
	while (n_open > 0) {
		open_message *top = &open[n_open - 1];
		if (p == top->end) {
			levels -= top->counted;
			n_open--;
			continue;
		}
		const ProtobufCMessageDescriptor *sub_desc;
		const uint8_t *sub_end;
		const ProtobufCFieldDescriptor *nul_string = NULL;
		if (!skip_field(top->desc, &p, top->end, &sub_desc, &sub_end,
		                &nul_string)) {
			verdict = IR_WIRE_MALFORMED;
			break;
		}
		if (nul_string) {
			if (where)
				snprintf(where, where_size, "%s.%s",
				         top->desc->short_name,
				         nul_string->name);
			verdict = IR_WIRE_NUL_IN_STRING;
			break;
		}
		if (!sub_desc)
			continue;
		counted = counts_as_nesting(top->desc, sub_desc);
		levels += counted;
		if (levels > IR_MAX_NESTING || n_open == max_open) {
			verdict = IR_WIRE_TOO_DEEP;
			break;
		}
		open[n_open++] = (open_message){sub_desc, sub_end, counted};
	}
	free(open);
	return verdict;
}

/* A length prefix written before its message, then filled in: five bytes
 * always, a valid (if not minimal) varint for any length below 2^35, so
 * the skeleton is written in one pass without copying nested messages. */
#define LENGTH_SLOT 5

static void patch_length(ir_skeleton *sk, size_t slot, uint64_t length)
{
	for (int i = 0; i < LENGTH_SLOT; i++) {
		sk->data[slot + (size_t)i] =
		    (uint8_t)((length & 0x7F) |
		              (i < LENGTH_SLOT - 1 ? 0x80 : 0));
		length >>= 7;
	}
}

/* Recursion depth is bounded: ir_wire_check_nesting() has run first. */
static bool skeleton_message(const ProtobufCMessageDescriptor *desc,
                             const uint8_t *base, const uint8_t *p,
                             const uint8_t *end, ir_skeleton *sk)
{
	while (p < end) {
		const uint8_t *field_start = p;
		uint64_t tag;
		if (!read_varint(&p, end, &tag))
			return false;
		uint32_t number = (uint32_t)(tag >> 3);
		int wire = (int)(tag & 7);
		uint64_t skip;
		switch (wire) {
		case 0:
			if (!read_varint(&p, end, &skip))
				return false;
			break;
		case 1:
			if (end - p < 8)
				return false;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return false;
			p += 4;
			break;
		case 2: {
			uint64_t len;
			if (!read_varint(&p, end, &len) ||
			    len > (uint64_t)(end - p))
				return false;
			const uint8_t *payload = p;
			p += len;
			const ProtobufCFieldDescriptor *fd =
			    protobuf_c_message_descriptor_get_field(desc,
			                                            number);
			if (!fd)
				break;
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE &&
			    may_hold_tensor(fd->descriptor)) {
				out_varint(sk, tag);
				size_t slot = sk->size;
				out_put(sk, (uint8_t[LENGTH_SLOT]){0},
				        LENGTH_SLOT);
				if (!skeleton_message(fd->descriptor, base,
				                      payload, p, sk))
					return false;
				patch_length(sk, slot,
				             sk->size - slot - LENGTH_SLOT);
				continue;
			}
			if (desc == &onnx__tensor_proto__descriptor &&
			    number == 9 &&
			    (len >= BORROW_MIN ||
			     is_placeholder_like(payload, len))) {
				if (sk->n_borrows == sk->cap_borrows) {
					sk->cap_borrows =
					    sk->cap_borrows
					        ? sk->cap_borrows * 2
					        : 64;
					sk->borrows = ir_xrealloc(
					    sk->borrows,
					    sk->cap_borrows *
					        sizeof *sk->borrows);
				}
				uint64_t index = sk->n_borrows;
				ir_borrow *b = &sk->borrows[sk->n_borrows++];
				memset(b, 0, sizeof *b);
				b->offset = (size_t)(payload - base);
				b->size = (size_t)len;
				uint8_t ph[PLACEHOLDER_SIZE];
				memcpy(ph, placeholder_magic, 8);
				for (int i = 0; i < 8; i++)
					ph[8 + i] = (uint8_t)(index >> (8 * i));
				out_varint(sk, tag);
				out_varint(sk, PLACEHOLDER_SIZE);
				out_put(sk, ph, PLACEHOLDER_SIZE);
				continue;
			}
			break;
		}
		default:
			/* Groups (3, 4) and invalid wire types: ONNX uses none
			 * of them; let protobuf-c judge the original bytes. */
			return false;
		}
		out_put(sk, field_start, (size_t)(p - field_start));
	}
	return p == end;
}

bool ir_skeleton_build(const ProtobufCMessageDescriptor *descriptor,
                       const uint8_t *data, size_t size, ir_skeleton *skeleton)
{
	memset(skeleton, 0, sizeof *skeleton);
	if (!skeleton_message(descriptor, data, data, data + size, skeleton)) {
		ir_skeleton_free(skeleton);
		return false;
	}
	return true;
}

/* Walk the unpacked tree in any order: each placeholder carries its own
 * index, so wire order does not matter. */
static void attach_message(ir_skeleton *sk, ProtobufCMessage *msg,
                           const uint8_t *base)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	if (!may_hold_tensor(desc))
		return;
	if (desc == &onnx__tensor_proto__descriptor) {
		Onnx__TensorProto *t = (Onnx__TensorProto *)msg;
		if (t->has_raw_data &&
		    is_placeholder_like(t->raw_data.data, t->raw_data.len)) {
			uint64_t index = 0;
			for (int i = 0; i < 8; i++)
				index |= (uint64_t)t->raw_data.data[8 + i]
				         << (8 * i);
			if (index < sk->n_borrows &&
			    !sk->borrows[index].field) {
				ir_borrow *b = &sk->borrows[index];
				b->field = &t->raw_data;
				b->placeholder = t->raw_data.data;
				t->raw_data.data = (uint8_t *)base + b->offset;
				t->raw_data.len = b->size;
			}
		}
	}
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &desc->fields[i];
		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		char *field = (char *)msg + fd->offset;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n =
			    *(size_t *)((char *)msg + fd->quantifier_offset);
			ProtobufCMessage **items = *(ProtobufCMessage ***)field;
			for (size_t k = 0; k < n; k++)
				attach_message(sk, items[k], base);
			continue;
		}
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which =
			    *(uint32_t *)((char *)msg + fd->quantifier_offset);
			if (which != fd->id)
				continue;
		}
		ProtobufCMessage *sub = *(ProtobufCMessage **)field;
		if (sub)
			attach_message(sk, sub, base);
	}
}

void ir_skeleton_attach(ir_skeleton *skeleton, ProtobufCMessage *root,
                        const uint8_t *base)
{
	attach_message(skeleton, root, base);
}

void ir_skeleton_detach(ir_skeleton *skeleton)
{
	for (size_t i = 0; i < skeleton->n_borrows; i++) {
		ir_borrow *b = &skeleton->borrows[i];
		if (!b->field)
			continue;
		b->field->data = b->placeholder;
		b->field->len = PLACEHOLDER_SIZE;
		b->field = NULL;
	}
}

void ir_skeleton_free(ir_skeleton *skeleton)
{
	free(skeleton->data);
	free(skeleton->borrows);
	memset(skeleton, 0, sizeof *skeleton);
}
