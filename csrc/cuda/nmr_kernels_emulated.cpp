// The NMR renderer's CUDA kernels (nmr_kernels.cu) compiled a second time, as host C++,
// into namespace softrecon::emulated (emulation.h); reached through
// backend="cuda_emulated" on CPU tensors, so that the CUDA code runs in the tests.
#include "emulation.h"

#include "nmr_kernels.cu"
