/*
 * pth.h — reading PyTorch checkpoint files as torch.save writes them (the zip format of
 * torch >= 1.6): a zip archive holding <prefix>/data.pkl (a pickle of the state dict) and one
 * member <prefix>/data/<key> per storage. The DINOv2 hub files are of this kind.
 *
 * A pickle is a program and can run arbitrary code. This reader runs none: its unpickler knows
 * only the opcodes that build dicts, tuples, lists, strings and numbers, and accepts only the
 * globals that rebuild tensors (torch._utils._rebuild_tensor_v2, _rebuild_parameter, the
 * torch.*Storage types) and ordered dicts. Any other global is refused with a message naming it.
 *
 * The result is a flat list of named tensors (the top-level dict's entries). Storage offsets and
 * strides are honoured: a non-contiguous tensor is copied out to a contiguous buffer; a contiguous
 * one points into the mapped file. Members must be stored uncompressed (torch.save's default).
 */
#ifndef LORAT_IO_PTH_H
#define LORAT_IO_PTH_H

#include "core/error.h"
#include "core/tensor.h"

typedef struct pth_file pth_file;

lorat_status pth_open(const char *path, pth_file **out, lorat_error *err);
void pth_close(pth_file *f);

const tensor_info *pth_tensors(const pth_file *f, int *count);
const tensor_info *pth_find(const pth_file *f, const char *name);

#endif
