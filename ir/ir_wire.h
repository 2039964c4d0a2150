/*
 * ir_wire.h - borrow large tensor payloads from the file buffer (internal).
 *
 * protobuf-c's unpack copies every bytes field, which would cost a second
 * copy of all weights. Before unpacking, ir_skeleton_build() copies the wire
 * data minus the payload of every large TensorProto.raw_data, putting a
 * 16-byte placeholder (magic + index) in its place and fixing up the length
 * prefix of every enclosing message. After protobuf-c has unpacked the small
 * skeleton, ir_skeleton_attach() points each placeholder field at the bytes
 * in the original buffer; ir_skeleton_detach() undoes that before
 * protobuf_c_message_free_unpacked() runs.
 *
 * A raw_data that happens to be 16 bytes starting with the magic is always
 * replaced too, so a placeholder is never ambiguous.
 */
#ifndef ONNXOPT_IR_WIRE_H
#define ONNXOPT_IR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* What ir_wire_check_nesting() found. */
typedef enum {
	IR_WIRE_OK,
	IR_WIRE_MALFORMED,     /* not well-formed wire data of that message */
	IR_WIRE_TOO_DEEP,      /* nests past IR_MAX_NESTING (ir_limits.h) */
	IR_WIRE_NUL_IN_STRING, /* a string field other than a doc string
	                          holds a NUL byte */
} ir_wire_verdict;

/* Walk the wire bytes of a `descriptor` message without recursion, in one
 * linear pass, and check that GraphProto and TypeProto messages nest at
 * most IR_MAX_NESTING deep, and that no string field (names, op types,
 * domains, ...; doc strings excepted) holds a NUL byte, which protobuf-c's
 * C strings would cut: `where` gets that field ("NodeProto.input").
 * protobuf-c's unpack recurses once per nested message with no bound of its
 * own, so this runs before it. */
ir_wire_verdict
ir_wire_check_nesting(const ProtobufCMessageDescriptor *descriptor,
                      const uint8_t *data, size_t size, char *where,
                      size_t where_size);

typedef struct ir_borrow {
	size_t offset, size;        /* payload in the original buffer */
	ProtobufCBinaryData *field; /* set by attach */
	uint8_t *placeholder;       /* the pointer protobuf-c allocated */
} ir_borrow;

typedef struct ir_skeleton {
	uint8_t *data;
	size_t size, cap;
	ir_borrow *borrows;
	size_t n_borrows, cap_borrows;
} ir_skeleton;

/* False when the bytes are not a well-formed message of `descriptor`; the
 * caller then lets protobuf-c report the error on the original bytes. */
bool ir_skeleton_build(const ProtobufCMessageDescriptor *descriptor,
                       const uint8_t *data, size_t size, ir_skeleton *skeleton);
void ir_skeleton_attach(ir_skeleton *skeleton, ProtobufCMessage *root,
                        const uint8_t *base);
void ir_skeleton_detach(ir_skeleton *skeleton);
void ir_skeleton_free(ir_skeleton *skeleton);

#endif
