// The CUDA kernels of soft_raster_kernels.cu compiled a second time, as host C++: the same
// source, with emulation.h mapping the CUDA keywords and launches to host loops, into
// namespace softrecon::emulated. Built into every softrecon._C (with or without CUDA) and
// reached through soft_rasterize(..., backend="cuda_emulated") on CPU tensors, so that the
// CUDA kernels and their orchestration are tested where no GPU exists.
#include "emulation.h"

#include "soft_raster_kernels.cu"
