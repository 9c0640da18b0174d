"""The host emulation of CUDA kernels (csrc/cuda/emulation.h) refuses, at compile time,
what it cannot run exactly thread by thread, and runs what it can."""

import pathlib
import shutil
import subprocess
import sys

import pytest

CSRC = pathlib.Path(__file__).resolve().parents[2] / "csrc"
COMPILER = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")

pytestmark = pytest.mark.skipif(COMPILER is None or sys.platform == "win32", reason="no C++ compiler")

KERNEL = """
#include "cuda/emulation.h"
namespace softrecon {{ namespace emulated {{
__global__ void scale(int n, float factor, float* data) {{
  {body}
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) data[i] *= factor;
}}
}} }}
int main() {{
  using namespace softrecon::emulated;
  float data[1000];
  for (int i = 0; i < 1000; ++i) data[i] = float(i);
  SR_LAUNCH(scale, dim3(4), dim3(256), nullptr)(1000, 2.0f, data);
  if (cudaGetLastError() != cudaSuccess) return 2;
  for (int i = 0; i < 1000; ++i) if (data[i] != 2.0f * float(i)) return 3;
  SR_LAUNCH(scale, dim3(1), dim3(2048), nullptr)(1000, 2.0f, data);  // over 1024 threads per block
  if (cudaGetLastError() != cudaErrorInvalidConfiguration) return 4;
  return cudaGetLastError() == cudaSuccess ? 0 : 5;
}}
"""


def _compile(body, tmp_path, run=False):
    source = tmp_path / "kernel.cpp"
    source.write_text(KERNEL.format(body=body))
    binary = tmp_path / "kernel"
    result = subprocess.run(
        [COMPILER, "-std=c++17", "-I", str(CSRC), str(source), "-o", str(binary)] if run
        else [COMPILER, "-std=c++17", "-fsyntax-only", "-I", str(CSRC), str(source)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result


def test_a_kernel_without_cooperation_compiles_and_runs_every_thread(tmp_path):
    result = _compile("", tmp_path, run=True)
    assert result.returncode == 0, result.stderr
    assert subprocess.run([str(tmp_path / "kernel")], timeout=60).returncode == 0


@pytest.mark.parametrize(
    "body, message",
    [
        ("__shared__ float tile[256];", "__shared__ memory cannot be emulated"),
        ("extern __shared__ float dynamic[];", ""),
        ("__syncthreads();", "__syncthreads cannot be emulated"),
        ("__syncwarp();", ""),
        ("atomicAdd(&factor, 1.0f);", ""),
    ],
)
def test_cooperating_kernels_fail_to_compile(tmp_path, body, message):
    result = _compile(body, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
