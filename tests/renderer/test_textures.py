"""Surface textures: the texel layout, UV baking, and textured meshes through SoftRenderer.

Textured renders use backend='reference' (the dense oracle); small images and meshes.
"""

import numpy as np
import pytest
import torch

from softrecon.geometry import icosphere
from softrecon.io import sample_texture
from softrecon.renderer import Lighting, PerspectiveCamera, RasterSettings, SoftRenderer, benchmark_camera
from softrecon.structures import Mesh
from softrecon.structures.textures import bake_uv_texture, surface_texel_index, texel_barycentrics, texture_resolution

RESOLUTIONS = range(1, 7)
EYE = (0.0, 0.0, -3.0)  # looking along +z at the origin: camera axes = world axes
HARD = dict(dist_func="hard", aggr_alpha="hard", aggr_rgb="hard")


def _dirichlet(count, seed, dtype=torch.float64):
    """(count, 3) random barycentrics, uniform over the triangle."""
    gaps = -torch.rand(count, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)).log()
    return (gaps / gaps.sum(-1, keepdim=True)).to(dtype)


def _edge_and_vertex_barycentrics(resolution, dtype=torch.float64):
    """Barycentrics on the three edges (at and between every multiple of 1 / (2R)) and at
    the three vertices: where floors sit on texel boundaries and clipped pixels land."""
    t = torch.linspace(0.0, 1.0, 4 * resolution + 1, dtype=torch.float64)
    zero = torch.zeros_like(t)
    edges = [torch.stack([t, 1 - t, zero], -1), torch.stack([zero, t, 1 - t], -1), torch.stack([1 - t, zero, t], -1)]
    return torch.cat(edges + [torch.eye(3, dtype=torch.float64)]).to(dtype)


# ---------------------------------------------------------------------------- texel layout
def test_texture_resolution_of_sample_counts():
    assert [texture_resolution(k) for k in (1, 3, 4, 9, 36)] == [1, 0, 2, 3, 6]
    for bad in (0, 2, 5, 8):
        with pytest.raises(ValueError, match="face_colors"):
            texture_resolution(bad)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_texel_centroids_round_trip_through_the_texel_index(resolution):
    centroids = texel_barycentrics(resolution)
    assert centroids.shape == (resolution**2, 3)
    torch.testing.assert_close(centroids.sum(-1), torch.ones(resolution**2, dtype=torch.float64))
    assert (centroids > 0).all() and (centroids < 1).all()
    assert torch.equal(surface_texel_index(centroids, resolution), torch.arange(resolution**2))
    assert torch.equal(surface_texel_index(centroids.float(), resolution), torch.arange(resolution**2))


@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_random_points_get_the_texel_of_their_sub_triangle(resolution):
    """The sub-triangles are the cells cut by the lines w0, w1, w2 = multiples of 1/R: an
    interior point has the texel whose centroid lies in the same cell (same floors)."""
    points = _dirichlet(2000, seed=resolution)
    scaled = points * resolution
    interior = ((scaled - scaled.round()).abs() > 1e-9).all(-1)  # off every cut line
    index = surface_texel_index(points, resolution)
    cell_of_point = scaled.floor()[interior]
    cell_of_texel = (texel_barycentrics(resolution) * resolution).floor()[index[interior]]
    assert torch.equal(cell_of_point, cell_of_texel)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_every_texel_index_is_in_range(resolution, dtype):
    points = torch.cat(
        [_dirichlet(500, seed=10 + resolution, dtype=dtype), _edge_and_vertex_barycentrics(resolution, dtype)]
    )
    index = surface_texel_index(points, resolution)
    assert index.dtype == torch.int64
    assert index.min() >= 0 and index.max() < resolution**2
    if resolution > 1:  # the edges alone reach the texels along them, not one texel only
        assert len(torch.unique(surface_texel_index(_edge_and_vertex_barycentrics(resolution, dtype), resolution))) > 1


def test_texel_barycentrics_rejects_bad_resolutions():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="resolution"):
            texel_barycentrics(bad)


# ---------------------------------------------------------------------------- UV baking
def _reference_bake(image_hwc: np.ndarray, face_uvs: np.ndarray, resolution: int) -> np.ndarray:
    """(F, R*R, C) by sample_texture (softrecon.io) at the texel centroids' UVs."""
    centroid_uvs = np.einsum("tk,fkd->ftd", texel_barycentrics(resolution).numpy(), face_uvs)
    return sample_texture(image_hwc, centroid_uvs.reshape(-1, 2)).reshape(face_uvs.shape[0], resolution**2, -1)


@pytest.mark.parametrize("image_size", [(1, 1), (1, 4), (3, 5), (8, 7)])
@pytest.mark.parametrize("resolution", [1, 2, 4])
def test_bake_matches_sample_texture(image_size, resolution):
    generator = np.random.default_rng(resolution * 10 + image_size[1])
    image = generator.random(image_size + (3,))
    face_uvs = generator.uniform(-2.0, 3.0, (12, 3, 2))  # far outside [0, 1]: wrapping
    baked = bake_uv_texture(torch.from_numpy(image).permute(2, 0, 1), torch.from_numpy(face_uvs), resolution)
    assert baked.shape == (1, 12, resolution**2, 3) and baked.dtype == torch.float64
    np.testing.assert_allclose(baked[0].numpy(), _reference_bake(image, face_uvs, resolution), rtol=0, atol=1e-12)


def test_bake_batches_and_broadcasts():
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(2, 4, 5, 6, dtype=torch.float64, generator=generator)  # (N, C, Ht, Wt), C = 4
    face_uvs = torch.rand(2, 3, 3, 2, dtype=torch.float64, generator=generator)
    batched = bake_uv_texture(images, face_uvs, 3)
    assert batched.shape == (2, 3, 9, 4)
    for n in range(2):
        torch.testing.assert_close(batched[n], bake_uv_texture(images[n], face_uvs[n], 3)[0])
    shared_uvs = bake_uv_texture(images, face_uvs[0], 3)  # (F, 3, 2) UVs for both images
    torch.testing.assert_close(shared_uvs[1], bake_uv_texture(images[1], face_uvs[0], 3)[0])
    shared_image = bake_uv_texture(images[0], face_uvs, 3)  # one image, N sets of UVs
    torch.testing.assert_close(shared_image[1], bake_uv_texture(images[0], face_uvs[1], 3)[0])


def test_bake_of_a_constant_image_is_constant():
    image = torch.tensor([0.2, 0.5, 0.9]).view(3, 1, 1).expand(3, 7, 5)
    face_uvs = torch.rand(10, 3, 2, generator=torch.Generator().manual_seed(2)) * 6 - 3
    baked = bake_uv_texture(image, face_uvs, 3)
    assert baked.dtype == torch.float32
    torch.testing.assert_close(baked, torch.tensor([0.2, 0.5, 0.9]).expand(1, 10, 9, 3))


def test_bake_wraps_across_the_image_borders():
    image = torch.tensor([[[0.0, 1.0, 2.0, 3.0]]], dtype=torch.float64)  # (1, 1, 4): one row
    # u = 0 lies half-way between the last column (wrapped) and the first; v is irrelevant.
    face_uvs = torch.zeros(1, 3, 2, dtype=torch.float64)
    torch.testing.assert_close(bake_uv_texture(image, face_uvs, 1)[0, 0, 0], torch.tensor([1.5], dtype=torch.float64))
    # Whole periods added to a face's UVs (the same to its three corners) change nothing.
    face_uvs = torch.rand(5, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    shift = torch.tensor([[2.0, -3.0], [-1.0, 1.0], [5.0, 0.0], [0.0, -7.0], [-2.0, -2.0]], dtype=torch.float64)[
        :, None
    ]
    torch.testing.assert_close(bake_uv_texture(image, face_uvs + shift, 2), bake_uv_texture(image, face_uvs, 2))
    # v up: row 0 of the image is at the top (v near 1).
    rows = torch.tensor([[[1.0], [0.0]]])  # (1, 2, 1): top 1, bottom 0
    top = torch.tensor([[[0.5, 0.75]] * 3])
    bottom = torch.tensor([[[0.5, 0.25]] * 3])
    assert bake_uv_texture(rows, top, 1).item() == 1.0 and bake_uv_texture(rows, bottom, 1).item() == 0.0


def test_bake_gradient_reaches_the_image():
    generator = torch.Generator().manual_seed(4)
    image = torch.rand(2, 3, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    face_uvs = torch.rand(3, 3, 2, dtype=torch.float64, generator=generator) * 2 - 0.5
    baked = bake_uv_texture(image, face_uvs, 2)
    baked.sum().backward()
    # Bilinear weights of every sample sum to 1: each channel's gradient sums to F * R * R.
    torch.testing.assert_close(image.grad.sum(dim=(1, 2)), torch.full((2,), 12.0, dtype=torch.float64))
    assert torch.autograd.gradcheck(lambda im: bake_uv_texture(im, face_uvs, 2), (image,), fast_mode=True)


@pytest.mark.parametrize(
    "image, face_uvs, resolution, message",
    [
        (torch.rand(4, 4), torch.rand(2, 3, 2), 2, "texture_image"),
        (torch.rand(1, 1, 3, 4, 4), torch.rand(2, 3, 2), 2, "texture_image"),
        (torch.randint(0, 255, (3, 4, 4)), torch.rand(2, 3, 2), 2, "texture_image must be a floating"),
        (torch.rand(3, 0, 4), torch.rand(2, 3, 2), 2, "texture_image"),
        (torch.rand(3, 4, 4), torch.rand(2, 3, 3), 2, "face_uvs"),
        (torch.rand(3, 4, 4), torch.rand(6, 2), 2, "face_uvs"),
        (torch.rand(3, 4, 4), torch.zeros(2, 3, 2, dtype=torch.int64), 2, "face_uvs must be a floating"),
        (torch.rand(3, 4, 4), torch.full((2, 3, 2), float("nan")), 2, "face_uvs contains NaN"),
        (torch.rand(2, 3, 4, 4), torch.rand(3, 2, 3, 2), 2, "batch size"),
        (torch.rand(3, 4, 4), torch.rand(2, 3, 2), 0, "resolution"),
    ],
)
def test_bake_errors_name_the_argument(image, face_uvs, resolution, message):
    with pytest.raises(ValueError, match=message):
        bake_uv_texture(image, face_uvs, resolution)


# ---------------------------------------------------------------------------- rendering
def _facing_triangle():
    """(1, 3, 3) float64 corners of one triangle in the z = 0 plane, facing EYE; (1, 3) faces."""
    vertices = torch.tensor([[[-0.6, -0.6, 0.0], [-0.6, 0.8, 0.0], [0.8, -0.6, 0.0]]], dtype=torch.float64)
    return vertices, torch.tensor([[0, 1, 2]])


def _nearest_pixels(camera, points, size):
    """(rows, cols) of the pixels of a size x size image whose centres are nearest (P, 3) points."""
    screen = camera.project(points[None])[0]
    cols = ((screen[:, 0] * size + size - 1) / 2).round().long()
    rows = ((size - 1 - screen[:, 1] * size) / 2).round().long()
    return rows, cols


def _sphere(dtype=torch.float64):
    vertices, faces = icosphere(1, dtype=dtype)
    return vertices * 0.5 + torch.tensor([0.05, -0.02, 0.0], dtype=dtype), faces


@pytest.mark.parametrize("lighting", [Lighting(direction=(0.3, 0.5, -1.0)), None])
def test_flat_textures_render_like_per_face_colors(lighting):
    """R = 1, and R = 3 with every texel of a face alike, are per-face colours."""
    vertices, faces = _sphere()
    face_colors = torch.rand(1, faces.shape[0], 3, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    renderer = SoftRenderer(
        RasterSettings(image_size=16, sigma=1e-3, gamma=1e-2), lighting=lighting, backend="reference"
    )
    camera = benchmark_camera(torch.tensor([0, 7]), dtype=torch.float64)  # one mesh, two cameras
    expected = renderer(Mesh(vertices[None], faces, face_colors, color_mode="face"), camera)
    for resolution in (1, 3):
        textures = face_colors[:, :, None, :].expand(-1, -1, resolution**2, -1)
        image = renderer(Mesh(vertices[None], faces, textures), camera)
        torch.testing.assert_close(image, expected, rtol=0, atol=1e-12)


def test_each_texel_shows_at_its_centroid():
    """A facing triangle at constant depth with R x R distinct texels: the pixel nearest
    each texel's centroid shows that texel (the bake and the rasterizer agree on the layout)."""
    resolution, size = 3, 48
    vertices, faces = _facing_triangle()
    texels = torch.arange(resolution**2, dtype=torch.float64)
    textures = torch.stack([texels, texels.flip(0), torch.ones_like(texels)], -1)[None, None]  # (1, 1, 9, 3)
    camera = PerspectiveCamera.look_at(torch.tensor(EYE, dtype=torch.float64))
    renderer = SoftRenderer(RasterSettings(image_size=size, **HARD), lighting=None, backend="reference")
    image = renderer(Mesh(vertices, faces, textures), camera)[0]
    centroids = texel_barycentrics(resolution) @ vertices[0]  # (R*R, 3) world points, z = 0
    rows, cols = _nearest_pixels(camera, centroids, size)
    shown = image[:3, rows, cols].T  # (R*R, 3)
    torch.testing.assert_close(shown, textures[0, 0])


def test_gradients_reach_textures_and_vertices():
    vertices, faces = _sphere()
    vertices = vertices[None].requires_grad_()
    generator = torch.Generator().manual_seed(6)
    textures = torch.rand(1, faces.shape[0], 4, 3, dtype=torch.float64, generator=generator).requires_grad_()
    renderer = SoftRenderer(RasterSettings(image_size=10, sigma=1e-3, gamma=1e-2), backend="reference")
    camera = benchmark_camera(2, dtype=torch.float64)
    target = torch.rand(1, 4, 10, 10, dtype=torch.float64, generator=generator)
    ((renderer(Mesh(vertices, faces, textures), camera) - target) ** 2).sum().backward()
    assert torch.isfinite(textures.grad).all() and textures.grad.abs().sum() > 0
    assert torch.isfinite(vertices.grad).all() and vertices.grad.abs().sum() > 0
    # Faces turned away from the camera (single-sided) show no texel: no gradient.
    normals = Mesh(vertices.detach(), faces).face_normals()[0]
    eye = camera.eye.reshape(-1, 3)[0]
    away = (normals * (eye - vertices.detach()[0][faces].mean(1))).sum(-1) < -0.3
    assert away.any() and (textures.grad[0, away] == 0).all()


def test_gradcheck_textures_through_lighting_and_rasterizer():
    vertices, faces = icosphere(0, dtype=torch.float64)
    vertices = vertices * 0.6
    textures = torch.rand(1, faces.shape[0], 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    renderer = SoftRenderer(
        RasterSettings(image_size=5, sigma=2e-2, gamma=0.5),
        lighting=Lighting(direction=(0.3, 0.5, -1.0)),
        backend="reference",
    )
    camera = PerspectiveCamera.look_at(torch.tensor(EYE, dtype=torch.float64))

    def render(t):
        return renderer(Mesh(vertices[None], faces, t, validate=False), camera)

    assert torch.autograd.gradcheck(render, (textures.requires_grad_(),), atol=1e-6, fast_mode=True)


def test_baked_texture_renders_the_image():
    """A face UV-mapped onto a two-colour image: the top of the render shows the image's
    top colour, the bottom its bottom colour (v up, row 0 at v = 1)."""
    vertices, faces = _facing_triangle()
    image = torch.zeros(3, 8, 8, dtype=torch.float64)
    image[0, :4] = 1.0  # top half red
    image[2, 4:] = 1.0  # bottom half blue
    face_uvs = torch.tensor([[[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]], dtype=torch.float64)  # uv = ((x, y) + 0.6) / 1.4
    textures = bake_uv_texture(image, face_uvs, 6)
    size = 32
    camera = PerspectiveCamera.look_at(torch.tensor(EYE, dtype=torch.float64))
    renderer = SoftRenderer(RasterSettings(image_size=size, **HARD), lighting=None, backend="reference")
    render = renderer(Mesh(vertices, faces, textures), camera)[0]
    # Up the left leg (v = 0.79: image rows 1 to 2) and near its foot (v = 0.14: rows 6 to 7).
    rows, cols = _nearest_pixels(camera, torch.tensor([[-0.5, 0.5, 0.0], [-0.5, -0.4, 0.0]], dtype=torch.float64), size)
    (top, bottom), alpha = render[:3, rows, cols].T, render[3, rows, cols]
    assert (alpha == 1).all()
    torch.testing.assert_close(top, torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(bottom, torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_bake_on_cuda_matches_cpu():
    generator = torch.Generator().manual_seed(8)
    image = torch.rand(3, 5, 7, dtype=torch.float64, generator=generator)
    face_uvs = torch.rand(6, 3, 2, dtype=torch.float64, generator=generator) * 4 - 2
    on_cuda = bake_uv_texture(image.cuda(), face_uvs.cuda(), 3)
    assert on_cuda.device.type == "cuda"
    torch.testing.assert_close(on_cuda.cpu(), bake_uv_texture(image, face_uvs, 3), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="face_uvs must be on the device"):
        bake_uv_texture(image.cuda(), face_uvs, 3)
