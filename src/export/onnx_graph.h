/*
 * onnx_graph.h — a small builder for one ONNX graph and its writer: graph inputs and outputs,
 * initializers, nodes with attributes, then one ONNX model file (protobuf, through the C that
 * protoc-c makes of onnx_subset.proto), with the weights inside it or, for models over 2 GB
 * (protobuf's limit) or when asked, in a data file beside it (ONNX's external-data convention).
 *
 * It is not a general ONNX library: no reading, no shape inference, no checks of operator
 * semantics; the exporter (onnx_export.c) is what knows the network. Every string and small
 * tensor lives in the builder's memory; large initializers are kept by pointer (the caller's
 * memory must outlive the write) and are written from where they are, never copied whole.
 *
 * Errors: a builder call that cannot allocate marks the builder failed and returns NULL or a
 * placeholder name; onnx_graph_write then reports it. So the exporter need not check every call.
 */
#ifndef LORAT_EXPORT_ONNX_GRAPH_H
#define LORAT_EXPORT_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Element types: ONNX TensorProto.DataType values. */
enum { ONNX_FLOAT = 1, ONNX_INT64 = 7, ONNX_BOOL = 9 };

/* Opsets the writer knows the IR version of; the exporter may accept fewer. */
#define ONNX_OPSET_MIN 13
#define ONNX_OPSET_MAX 21

/* The dimension written as the free size "batch" in graph inputs and outputs. */
#define ONNX_DIM_BATCH (-1)

typedef struct onnx_graph onnx_graph;

lorat_status onnx_graph_create(const char *name, int opset, onnx_graph **out, lorat_error *err);
void onnx_graph_free(onnx_graph *g);
int onnx_graph_opset(const onnx_graph *g);
/* The IR version a file of this opset declares (the lowest that has the opset). */
int onnx_ir_version(int opset);

/* Graph inputs and outputs, in order. dims: ndim sizes, ONNX_DIM_BATCH for the free batch size. */
void onnx_graph_input(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims);
void onnx_graph_output(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims);

/* An initializer over the caller's data (nbytes = numel × element size; kept by pointer until
 * onnx_graph_write has returned). Returns its name (unique: a suffix is added on a clash). */
const char *onnx_weight(onnx_graph *g, const char *name, int elem, int ndim, const int64_t *dims,
                        const void *data);
/* An F32 initializer whose values the builder holds: returns the buffer (numel floats) for the
 * caller to fill, or NULL when it cannot be allocated; *name_out gets its name. */
float *onnx_weight_new(onnx_graph *g, const char *name, int ndim, const int64_t *dims,
                       const char **name_out);
/* Small constants copied into the builder: a 1-D INT64 vector, a 0-d INT64, a 0-d FLOAT, an
 * F32 tensor of any shape. */
const char *onnx_const_i64s(onnx_graph *g, const char *name, int n, const int64_t *values);
const char *onnx_const_i64(onnx_graph *g, const char *name, int64_t value);
const char *onnx_const_f32(onnx_graph *g, const char *name, float value);
const char *onnx_const_f32s(onnx_graph *g, const char *name, int ndim, const int64_t *dims,
                            const float *values);

/* Names: onnx_name formats one into the builder's memory. Node outputs are named
 * "<scope>/<hint>" (a suffix added on a clash); onnx_scope sets the prefix ("" for none). */
const char *onnx_name(onnx_graph *g, const char *fmt, ...) LORAT_PRINTF(2, 3);
void onnx_scope(onnx_graph *g, const char *fmt, ...) LORAT_PRINTF(2, 3);

/* A node of op_type with n_in inputs (the variadic const char * names) and one output named after
 * hint; returns the output's name. The attribute calls add to the last node made. */
const char *onnx_op(onnx_graph *g, const char *op_type, const char *hint, int n_in, ...);
void onnx_attr_int(onnx_graph *g, const char *name, int64_t value);
void onnx_attr_ints(onnx_graph *g, const char *name, int n, const int64_t *values);
void onnx_attr_float(onnx_graph *g, const char *name, float value);

/* Where the weights go: inside the .onnx unless it would pass protobuf's 2 GB limit (auto), or
 * always beside it. */
typedef enum onnx_external { ONNX_EXTERNAL_AUTO = 0, ONNX_EXTERNAL_ALWAYS = 1 } onnx_external;

typedef struct onnx_write_options {
    onnx_external external;
    const char *producer_name, *producer_version, *doc;
    const char *const *metadata; /* n_metadata pairs: key, value */
    int n_metadata;
} onnx_write_options;

typedef struct onnx_write_result {
    int external;         /* 1: the weights went to data_path */
    char data_path[4096]; /* "<path>.data" when external */
    uint64_t onnx_bytes, data_bytes;
    int nodes, initializers;
} onnx_write_result;

/* Writes the model to path atomically (and, with external data, "<path>.data" first, also
 * atomically). The message of a failure names the file. */
lorat_status onnx_graph_write(onnx_graph *g, const char *path, const onnx_write_options *o,
                              onnx_write_result *res, lorat_error *err);

#endif
