"""Hostile inputs for the CUDA-like back ends, chosen for memory errors rather than accuracy
(scripts/sanitize_kernels.sh runs them, with the rest of tests/renderer/test_cuda*.py,
against an AddressSanitizer + UBSan build): extreme and subnormal coordinates, faces that
cover every tile of images taller and wider than one row of blocks, image sizes that are
no multiple of the tile, one-pixel images, gradients asked of one input only, strided and
broadcast (stride 0) inputs, textures. Each case against the CPU kernel.
"""

import pytest
import torch
from kernel_helpers import TOLERANCE, assert_matches, kernel, random_scene, render_with_grads
from test_cuda import BACKENDS, on, render_on

from softrecon.renderer import RasterSettings, _kernels, soft_rasterize

# Edge of the CUDA back end's square tiles (kCudaTileSize in csrc/common/).
TILE = 16


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def _entries(backend, fv, settings):
    params = _kernels._params(settings)
    fv = on(backend, fv)[0]
    state = _kernels.extension_forward(
        params, fv, fv.new_empty(0), fv.new_zeros(1), emulate_cuda=backend == "cuda_emulated"
    )
    return state.entry_tiles.shape[0]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_extreme_and_subnormal_coordinates(backend, dtype):
    """Vertices near the float range's ends and subnormal ones: the pixel windows clamp, the
    renders match the CPU kernel, nothing is read or written outside its buffer."""
    big = torch.finfo(dtype).max / 4
    tiny = torch.finfo(dtype).smallest_normal / 8  # subnormal
    faces = torch.tensor(
        [
            [[-big, -big, 2.0], [big, -big, 2.0], [0.0, big, 2.0]],  # covers everything, area overflows
            [[-1e6, -1e6, 2.0], [1e6, -1e6, 2.0], [0.0, 1e6, 2.0]],  # covers everything, finite area
            [[big, big, 2.0], [big, big * 0.5, 2.0], [big * 0.5, big, 2.0]],  # far off screen
            [[tiny, tiny, 2.0], [0.5, tiny, 2.0], [tiny, 0.5, 2.0]],  # subnormal vertices
            [[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.5, big]],  # a vertex far beyond far
        ],
        dtype=dtype,
    )[None]
    colors = torch.rand(1, faces.shape[1], 3, 3, generator=torch.Generator().manual_seed(1), dtype=dtype)
    settings = RasterSettings(image_size=(37, 21), sigma=1e-3, gamma=0.5, near=1.0, far=3.0)
    got = render_on(backend, faces, colors, settings)
    assert_matches(got, render_with_grads(kernel, faces, colors, settings), TOLERANCE[dtype])


@pytest.mark.parametrize("image_size", [(1, 1), (1, 70), (70, 1), (33, 49)])
def test_faces_covering_every_tile_of_odd_sized_images(backend, image_size):
    """Faces over images of one pixel, one row or column, and several rows of tiles that end
    in partial tiles (the last tile's threads beyond the image edge idle), two of them
    covering every tile; batch of 3, one mesh all padding."""
    fv, fc = random_scene(3, 40, torch.Generator().manual_seed(5), extent=1.5)
    cover = torch.tensor([[-10.0, -10.0, 2.0], [10.0, -10.0, 2.0], [0.0, 10.0, 2.0]], dtype=fv.dtype)
    fv[:2, :2] = torch.stack([cover, cover + torch.tensor([0.0, 0.0, 0.5], dtype=fv.dtype)])
    fv[2] = 0  # an all-padding mesh
    settings = RasterSettings(image_size=image_size, sigma=1e-2, gamma=0.3, near=1.0, far=3.0)
    tiles = -(-image_size[0] // TILE) * -(-image_size[1] // TILE)
    assert _entries(backend, fv, settings) >= 2 * 2 * tiles  # the covering faces of two images, each tile
    got = render_on(backend, fv, fc, settings)
    assert got[0][2, -1].abs().max() == 0
    assert_matches(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[torch.float64])


def test_many_entries_over_many_blocks(backend):
    """300 faces over a 64 x 80 image (20 tiles) with a wide blur: thousands of entries, the
    backward's launch over them tens of blocks."""
    fv, fc = random_scene(2, 300, torch.Generator().manual_seed(6), extent=1.2)
    settings = RasterSettings(image_size=(64, 80), sigma=3e-2, gamma=0.3, near=1.0, far=3.0)
    assert _entries(backend, fv, settings) > 20 * 256
    got = render_on(backend, fv, fc, settings)
    assert_matches(got, render_with_grads(kernel, fv, fc, settings), TOLERANCE[torch.float64])


@pytest.mark.parametrize("want", ["vertices", "colors"])
def test_gradient_of_one_input_only(backend, want):
    """The backward with only one of the two inputs requiring a gradient (the other's slot
    pointer is null in the kernels)."""
    fv, fc = random_scene(2, 30, torch.Generator().manual_seed(7))
    settings = RasterSettings(image_size=(20, 24), sigma=1e-3, gamma=0.3, near=1.0, far=3.0)
    grads = {}
    for name, device, render in (
        ("got", "cuda" if backend == "cuda" else "cpu", lambda v, c: soft_rasterize(v, c, settings, backend=backend)),
        ("expected", "cpu", lambda v, c: kernel(v, c, settings)),
    ):
        v, c = fv.clone().to(device), fc.clone().to(device)
        leaf = v if want == "vertices" else c
        leaf.requires_grad_(True)
        image = render(v, c)
        upstream = torch.randn(image.shape, generator=torch.Generator().manual_seed(8), dtype=image.dtype)
        (grads[name],) = torch.autograd.grad(image, leaf, upstream.to(image.device))
    assert torch.isfinite(grads["got"]).all()
    assert (grads["got"].cpu() - grads["expected"]).abs().max() <= 1e-9 * grads["expected"].abs().max()


def test_strided_and_broadcast_inputs(backend):
    """A non-contiguous slice and a stride-0 broadcast of one mesh over the batch: the same
    images as contiguous copies."""
    fv, fc = random_scene(1, 64, torch.Generator().manual_seed(9))
    settings = RasterSettings(image_size=(18, 34), sigma=1e-3, gamma=0.3, near=1.0, far=3.0)
    wide = torch.cat([fv, fv.flip(1)], dim=1)[:, ::2]  # every second face: strided
    broadcast_v, broadcast_c = fv.expand(3, -1, -1, -1), fc.expand(3, -1, -1, -1)
    for v, c in ((wide, None), (broadcast_v, broadcast_c)):
        assert not v.is_contiguous()
        got = render_on(backend, v, c, settings)
        expected = render_with_grads(kernel, v.contiguous(), None if c is None else c.contiguous(), settings)
        assert_matches(got, expected, TOLERANCE[torch.float64])


@pytest.mark.parametrize("resolution", [1, 3])
def test_textures_over_several_blocks(backend, resolution):
    """R x R surface textures (R * R * C colour scalars per face) on 260 faces: the entry
    gradient slots of 9 + R * R * C scalars, over more than one block."""
    fv, _ = random_scene(1, 260, torch.Generator().manual_seed(10))
    textures = torch.rand(1, 260, resolution * resolution, 3, generator=torch.Generator().manual_seed(11))
    textures = textures.to(fv.dtype)
    settings = RasterSettings(image_size=(24, 40), sigma=1e-3, gamma=0.3, near=1.0, far=3.0)
    got = render_on(backend, fv, textures, settings)
    assert_matches(got, render_with_grads(kernel, fv, textures, settings), TOLERANCE[torch.float64])
