"""Bit-identity check of the compiled kernels across a refactor.

    python benchmarks/kernel_bit_identity.py save OUT.pt      # with the old build
    python benchmarks/kernel_bit_identity.py compare OUT.pt   # with the new build

Renders and gradients (vertex and colour) of the compiled kernels for a set of scenes and
settings (silhouettes, per-vertex colours and surface textures, several distance
functions, CDFs and T-conorms), on the CPU kernel and the emulated CUDA kernels, in
float32 and float64, plus the whole forward state of each back end (the CPU kernel also
pixel by pixel and with its pair cache). ``compare`` asserts ``torch.equal`` for every
tensor and prints the count. Works with builds from before and after the kernel boundary
of issue 22 (the CPU knobs moved out of RasterParams).
"""

from __future__ import annotations

import os
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests", "renderer"))

from scene_factories import random_scene, sphere_scene  # noqa: E402

from softrecon.renderer import RasterSettings, _kernels  # noqa: E402

BACKENDS = ("cpu", "cuda_emulated")
DTYPES = (torch.float64, torch.float32)


def _settings():
    """(name, settings, colour mode): colour mode None (silhouette), 'vertex' or 'texture'."""
    base = dict(image_size=(13, 19), sigma=2e-2, gamma=0.2, near=1.0, far=3.0)
    cases = [("sil-euclid-prod", RasterSettings(**base), None)]
    for aggr in ("sum", "hard", "max", "einstein", "hamacher", "frank", "yager", "aczel_alsina", "dombi"):
        cases.append((f"sil-{aggr}", RasterSettings(**base, aggr_alpha=aggr), None))
    cases.append(("sil-schweizer", RasterSettings(**base, aggr_alpha="schweizer_sklar", tconorm_p=-1.5), None))
    cases.append(("sil-hamacher1", RasterSettings(**base, aggr_alpha="hamacher", tconorm_p=0.5), None))
    for cdf in ("gaussian", "laplace", "cauchy", "gumbel_max", "gumbel_min", "uniform", "gamma", "levy_rev"):
        cases.append((f"sil-{cdf}", RasterSettings(**base, dist_cdf=cdf, dist_eps=1e-4), None))
    cases.append(("sil-unsquared", RasterSettings(**dict(base, sigma=0.1), dist_squared=False), None))
    cases.append(("sil-bary", RasterSettings(**base, dist_func="barycentric"), None))
    cases.append(("sil-hard", RasterSettings(**base, dist_func="hard"), None))
    cases.append(("sil-hard-frank", RasterSettings(**base, dist_func="hard", aggr_alpha="frank"), None))
    for rgb in ("softmax", "hard"):
        colour = dict(base, background=(0.1, 0.5, 0.9), aggr_rgb=rgb)
        cases.append((f"vertex-{rgb}", RasterSettings(**colour), "vertex"))
        cases.append((f"vertex-{rgb}-2sided", RasterSettings(**colour, double_sided=True), "vertex"))
        cases.append((f"texture-{rgb}", RasterSettings(**colour, double_sided=True), "texture"))
        cases.append((f"vertex-{rgb}-bary", RasterSettings(**colour, dist_func="barycentric"), "vertex"))
    cases.append(
        ("vertex-einstein-gauss", RasterSettings(**base, aggr_alpha="einstein", dist_cdf="gaussian"), "vertex")
    )
    return cases


def _scenes(dtype):
    """(name, face_vertices, per-vertex colours, textures)."""
    fv, fc = random_scene(2, 14, torch.Generator().manual_seed(22), dtype=dtype)
    tex = torch.rand(2, 14, 9, 3, generator=torch.Generator().manual_seed(23), dtype=torch.float64).to(dtype)
    sphere_v, sphere_c = sphere_scene(1, 2, torch.Generator().manual_seed(24), dtype=dtype)
    sphere_t = torch.rand(*sphere_v.shape[:2], 4, 3, generator=torch.Generator().manual_seed(25)).to(dtype)
    return [("random", fv, fc, tex), ("sphere", sphere_v, sphere_c, sphere_t)]


def _old_api() -> bool:
    return hasattr(_kernels._extension().RasterParams(), "emulate_cuda")


def _forward_state(settings, fv, fc, backend, pixel_major=False, cache_pairs=False):
    """The extension's whole forward state, through either build's binding."""
    ext = _kernels._extension()
    background = torch.tensor(settings.background, dtype=fv.dtype)
    if fc is None:
        background = background[:1]
    colors = fv.new_empty(0) if fc is None else fc
    params = _kernels._params(settings)
    if _old_api():
        params.emulate_cuda = backend == "cuda_emulated"
        params.pixel_major = pixel_major
        params.cache_pairs = cache_pairs
        return list(ext.forward(params, fv, colors, background))
    if backend == "cuda_emulated":
        return list(ext.emulated_forward(params, fv, colors, background))
    return list(ext.forward(params, fv, colors, background, cache_pairs=cache_pairs, pixel_major=pixel_major))


def collect() -> dict:
    out = {}
    for dtype in DTYPES:
        for scene, fv0, fc0, tex0 in _scenes(dtype):
            upstream = torch.Generator().manual_seed(7)
            for name, settings, mode in _settings():
                colors0 = {None: None, "vertex": fc0, "texture": tex0}[mode]
                channels = 0 if colors0 is None else colors0.shape[-1]
                size = (fv0.shape[0], channels + 1, *settings.image_size)
                grad = torch.rand(size, generator=upstream, dtype=torch.float64).to(dtype) - 0.5
                for backend in BACKENDS:
                    key = f"{dtype}/{scene}/{name}/{backend}"
                    fv = fv0.clone().requires_grad_(True)
                    fc = None if colors0 is None else colors0.clone().requires_grad_(True)
                    image = _kernels.rasterize_kernel(fv, fc, settings, emulate_cuda=backend == "cuda_emulated")
                    inputs = [fv] if fc is None else [fv, fc]
                    grads = torch.autograd.grad(image, inputs, grad)
                    out[f"{key}/image"] = image.detach()
                    out[f"{key}/grad_vertices"] = grads[0]
                    if fc is not None:
                        out[f"{key}/grad_colors"] = grads[1]
                    # the forward state, whole
                    variants = [("plain", {})]
                    if backend == "cpu":
                        variants += [("pixel_major", {"pixel_major": True}), ("cache_pairs", {"cache_pairs": True})]
                    for variant, knobs in variants:
                        state = _forward_state(settings, fv0, colors0, backend, **knobs)
                        for field, tensor in zip(_kernels.ForwardState._fields, state):
                            out[f"{key}/state-{variant}/{field}"] = tensor
    return out


def main() -> None:
    command, path = sys.argv[1], sys.argv[2]
    print(f"softrecon from {_kernels.__file__}; old binding: {_old_api()}")
    outputs = collect()
    if command == "save":
        torch.save(outputs, path)
        print(f"saved {len(outputs)} tensors to {path}")
        return
    saved = torch.load(path)
    assert saved.keys() == outputs.keys(), sorted(set(saved) ^ set(outputs))[:10]
    different = [k for k in saved if not (saved[k].dtype == outputs[k].dtype and torch.equal(saved[k], outputs[k]))]
    nonzero = sum(1 for k in saved if saved[k].numel() > 0 and saved[k].abs().sum() > 0) if saved else 0
    print(f"compared {len(saved)} tensors ({nonzero} non-empty and not all zero): {len(different)} differ")
    for key in different[:20]:
        print("  DIFFERENT:", key)
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()
