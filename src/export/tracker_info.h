/*
 * tracker_info.h — what a deployment of the exported network needs around it, as JSON data:
 * crop sizes and area factors, the normalisation, the template mask, the Hann window and its
 * weight, and the post-processing and state update of src/track (with the tracking values the
 * model file records). The text documents each step in words and gives every number as data, so
 * that a port in another language can follow it without reading lorat's source.
 */
#ifndef LORAT_EXPORT_TRACKER_INFO_H
#define LORAT_EXPORT_TRACKER_INFO_H

#include "core/error.h"
#include "model/model.h"

#define TRACKER_INFO_FORMAT "lorat-tracker-info"
#define TRACKER_INFO_VERSION 1

/* JSON text (malloc'd; the caller frees it) for model m exported to onnx_file (its name as
 * written in the JSON) with batch (0: free). */
lorat_status tracker_info_json(const lorat_model *m, const char *onnx_file, int batch, char **out,
                               lorat_error *err);

#endif
