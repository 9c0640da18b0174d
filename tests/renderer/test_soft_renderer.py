"""SoftRenderer on small meshes and images (the dense reference may be the backend)."""

import math

import pytest
import torch

from softrecon.geometry import face_normals, icosphere
from softrecon.renderer import (
    Lighting,
    PerspectiveCamera,
    ProjectionCamera,
    RasterSettings,
    SoftRenderer,
    benchmark_camera,
)
from softrecon.structures import Mesh

EYE = (0.0, 0.0, -3.0)  # looking along +z at the origin: camera axes = world axes
HARD = dict(dist_func="hard", aggr_alpha="hard", aggr_rgb="hard")


def _sphere(level=1, radius=0.5, offset=(0.0, 0.0, 0.0), dtype=torch.float32):
    vertices, faces = icosphere(level, dtype=dtype)
    return vertices * radius + torch.tensor(offset, dtype=dtype), faces


def _facing_triangle(color):
    """One triangle in the z = 0 plane, wound CCW seen from -z (outward normal toward EYE)."""
    vertices = torch.tensor([[[-0.6, -0.6, 0.0], [-0.6, 0.8, 0.0], [0.8, -0.6, 0.0]]])
    faces = torch.tensor([[0, 1, 2]])
    colors = torch.tensor([[color]])
    return Mesh(vertices, faces, colors, color_mode="face")


def test_closed_sphere_shows_color_wherever_covered():
    vertices, faces = _sphere()
    renderer = SoftRenderer(RasterSettings(image_size=16, sigma=1e-5))
    image = renderer(Mesh(vertices[None], faces), PerspectiveCamera.look_at(EYE))
    assert image.shape == (1, 4, 16, 16)
    # A pixel centre right on an edge between two faces gets 1 - 0.5 * 0.5 = 0.75.
    covered = image[0, 3] > 0.7
    assert covered.sum() > 20
    assert (image[0, :3, covered] > 0.2).all()  # white mesh, at least ambient 0.5 light (minus blur)
    # Background where no face reaches (even a tiny coverage D gets the face's colour: the
    # depth softmax weighs it exp(z / gamma) against the background's exp(eps / gamma)).
    assert (image[0, :3, image[0, 3] == 0] == 0).all()


def test_front_face_convention_single_sided():
    """CCW-outward faces facing the camera have negative signed screen area and show colour;
    the same open surface wound the other way is back-facing: alpha but background colour."""
    vertices, faces = _sphere(level=2)
    normals = face_normals(vertices[None], faces)[0]
    front = faces[normals[:, 2] < -0.2]  # the open cap facing the camera (normal toward -z)
    camera = PerspectiveCamera.look_at(EYE)
    corners = camera.project(vertices[None])[0][front]  # (F, 3, 3)
    area2 = (corners[:, 1, 0] - corners[:, 0, 0]) * (corners[:, 2, 1] - corners[:, 0, 1]) - (
        corners[:, 2, 0] - corners[:, 0, 0]
    ) * (corners[:, 1, 1] - corners[:, 0, 1])
    assert (area2 < 0).all()

    renderer = SoftRenderer(RasterSettings(image_size=16, sigma=1e-5, background=(0.0, 0.0, 0.0)), lighting=None)
    colors = torch.ones(1, vertices.shape[0], 3)
    shown = renderer(Mesh(vertices[None], front, colors, color_mode="vertex"), camera)
    hidden = renderer(Mesh(vertices[None], front[:, [0, 2, 1]], colors, color_mode="vertex"), camera)
    covered = shown[0, 3] > 0.7
    assert covered.sum() > 40
    torch.testing.assert_close(hidden[0, 3], shown[0, 3])  # silhouettes ignore facing
    assert (shown[0, :3, covered] > 0.99).all()
    assert (hidden[0, :3] == 0).all()
    double = SoftRenderer(renderer.settings.replace(double_sided=True), lighting=None)
    assert (
        double(Mesh(vertices[None], front[:, [0, 2, 1]], colors, color_mode="vertex"), camera)[0, :3, covered] > 0.99
    ).all()


def test_per_face_color_shading_and_raw_colors():
    color = [0.2, 0.4, 0.6]
    mesh = _facing_triangle(color)
    camera = PerspectiveCamera.look_at(EYE)
    settings = RasterSettings(image_size=8, **HARD)
    centre = (slice(None), 4, 4)
    raw = SoftRenderer(settings, lighting=None)(mesh, camera)[0]
    torch.testing.assert_close(raw[centre], torch.tensor(color + [1.0]))
    # Face normal (0, 0, -1): the default light from +y adds nothing (0.5 ambient only);
    # a light toward -z adds 0.5.
    above = SoftRenderer(settings)(mesh, camera)[0]
    torch.testing.assert_close(above[centre][:3], torch.tensor(color) * 0.5)
    facing = SoftRenderer(settings, lighting=Lighting(direction=(0, 0, -1)))(mesh, camera)[0]
    torch.testing.assert_close(facing[centre][:3], torch.tensor(color))


def test_mesh_without_colors_renders_white_shaded():
    mesh = Mesh(_facing_triangle([0.0, 0.0, 0.0]).vertices, torch.tensor([[0, 1, 2]]))
    image = SoftRenderer(RasterSettings(image_size=8, **HARD))(mesh, PerspectiveCamera.look_at(EYE))
    torch.testing.assert_close(image[0, :, 4, 4], torch.tensor([0.5, 0.5, 0.5, 1.0]))


def test_padded_batch_renders_like_meshes_one_by_one():
    generator = torch.Generator().manual_seed(0)
    v0, f0 = _sphere(1, 0.3, (0.2, 0.0, 0.0))
    v1, f1 = _sphere(0, 0.4, (-0.2, 0.1, 0.0))
    c0, c1 = torch.rand(v0.shape[0], 3, generator=generator), torch.rand(v1.shape[0], 3, generator=generator)
    camera = benchmark_camera(torch.tensor([0, 3]))
    renderer = SoftRenderer(RasterSettings(image_size=16, sigma=1e-4, gamma=1e-2))
    batch = renderer(Mesh.from_list([(v0, f0, c0), (v1, f1, c1)]), camera)
    one = renderer(Mesh(v0[None], f0, c0[None]), benchmark_camera(0))
    two = renderer(Mesh(v1[None], f1, c1[None]), benchmark_camera(3))
    torch.testing.assert_close(batch, torch.cat([one, two]), atol=1e-5, rtol=1e-5)


def test_one_mesh_many_cameras_and_silhouette_path():
    vertices, faces = _sphere(1, 0.4)
    mesh = Mesh(vertices[None], faces)
    camera = benchmark_camera(torch.tensor([0, 5, 9]))
    renderer = SoftRenderer(RasterSettings(image_size=12, sigma=3e-4))
    image = renderer(mesh, camera)
    assert image.shape == (3, 4, 12, 12)
    silhouette = renderer.render_silhouette(vertices[None], faces, camera)
    assert silhouette.shape == (3, 12, 12)
    torch.testing.assert_close(silhouette, image[:, 3])


def test_supersampling_equals_the_mean_of_shifted_renders():
    """antialias = 2 samples each output pixel at its centre +- a quarter pixel: exactly the
    mean of four plain renders with the screen shifted by those offsets (done here with
    ProjectionCameras whose rows add offset * depth to u and v)."""
    vertices, faces = _sphere(1, 0.45, (0.05, -0.03, 0.0), dtype=torch.float64)
    vertices = vertices[None]
    size = 10
    base = PerspectiveCamera.look_at(torch.tensor(EYE, dtype=torch.float64))
    scale = 1.0 / math.tan(math.radians(base.viewing_angle.item()))
    extrinsics = torch.cat([base.rotation, -(base.rotation @ base.eye[..., None])], dim=-1)
    intrinsics = torch.diag(torch.tensor([scale, scale, 1.0], dtype=torch.float64))
    settings = RasterSettings(image_size=size, sigma=1e-3, gamma=1e-2)
    colors = torch.rand(1, vertices.shape[1], 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    mesh = Mesh(vertices, faces, colors)
    quarter = 0.5 / size  # a quarter of an output pixel (2 / size NDC units)
    shifted = []
    for dx in (-quarter, quarter):
        for dy in (-quarter, quarter):
            # Sampling at (x + dx, y + dy) = moving the screen by (-dx, -dy).
            shift = torch.tensor([[1.0, 0, -dx], [0, 1, -dy], [0, 0, 1]], dtype=torch.float64)
            camera = ProjectionCamera(shift @ intrinsics @ extrinsics)
            shifted.append(SoftRenderer(settings)(mesh, camera))
    supersampled = SoftRenderer(settings, antialias=2)(mesh, base)
    assert supersampled.shape == (1, 4, size, size)
    torch.testing.assert_close(supersampled, torch.stack(shifted).mean(0), atol=1e-9, rtol=0)


def test_supersampling_reduces_aliasing():
    vertices, faces = _sphere(1, 0.45, (0.05, -0.03, 0.0))
    camera = PerspectiveCamera.look_at(EYE)

    def silhouette(antialias):
        renderer = SoftRenderer(RasterSettings(image_size=12, **HARD), antialias=antialias)
        return renderer.render_silhouette(vertices[None], faces, camera)[0]

    # Hard rendering: the error against the (nearly exact) 8x supersampled coverage drops.
    truth = silhouette(8)
    error1 = (silhouette(1) - truth).abs().mean()
    error4 = (silhouette(4) - truth).abs().mean()
    assert error4 < 0.5 * error1
    full = SoftRenderer(RasterSettings(image_size=(6, 10)), antialias=2)(Mesh(vertices[None], faces), camera)
    assert full.shape == (1, 4, 6, 10)


def test_gradients_reach_vertices_and_colors():
    vertices, faces = _sphere(1, 0.4, dtype=torch.float64)
    vertices.requires_grad_()
    colors = torch.rand(1, vertices.shape[0], 3, dtype=torch.float64, requires_grad=True)
    renderer = SoftRenderer(RasterSettings(image_size=10, sigma=1e-3, gamma=1e-2), antialias=2)
    target = torch.rand(1, 4, 10, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    loss = (
        (renderer(Mesh(vertices[None], faces, colors), benchmark_camera(2, dtype=torch.float64)) - target) ** 2
    ).sum()
    loss.backward()
    assert torch.isfinite(vertices.grad).all() and vertices.grad.abs().sum() > 0
    assert torch.isfinite(colors.grad).all() and colors.grad.abs().sum() > 0


def test_settings_updates_and_errors():
    renderer = SoftRenderer(RasterSettings(image_size=8))
    renderer.set_sigma(3e-5)
    renderer.set_gamma(2e-3)
    assert renderer.settings.sigma == 3e-5 and renderer.settings.gamma == 2e-3
    with pytest.raises(ValueError, match="sigma"):
        renderer.set_sigma(-1.0)
    with pytest.raises(ValueError, match="antialias"):
        SoftRenderer(RasterSettings(), antialias=0)
    with pytest.raises(ValueError, match="settings"):
        SoftRenderer({"image_size": 8})
    with pytest.raises(ValueError, match="lighting"):
        SoftRenderer(RasterSettings(), lighting="on")
    vertices, faces = _sphere(0)
    with pytest.raises(ValueError, match="mesh"):
        renderer(vertices, PerspectiveCamera.look_at(EYE))
    with pytest.raises(ValueError, match="camera"):
        renderer(Mesh(vertices[None], faces), None)


@pytest.mark.parametrize("color_mode", ["vertex", "face"])
def test_gradcheck_through_camera_normals_and_lighting(color_mode):
    """float64 gradcheck of the whole chain (projection, normals, shading, rasterization)."""
    vertices, faces = _sphere(0, 0.6, (0.05, 0.02, 0.0), dtype=torch.float64)
    generator = torch.Generator().manual_seed(5)
    vertices = (vertices + 0.05 * torch.randn(vertices.shape, dtype=torch.float64, generator=generator))[
        None
    ].requires_grad_()
    rows = vertices.shape[1] if color_mode == "vertex" else faces.shape[0]
    colors = torch.rand(1, rows, 3, dtype=torch.float64, generator=generator).requires_grad_()
    renderer = SoftRenderer(
        RasterSettings(image_size=5, sigma=2e-2, gamma=0.5), lighting=Lighting(direction=(0.3, 0.5, -1.0))
    )
    camera = PerspectiveCamera.look_at(torch.tensor(EYE, dtype=torch.float64))

    def render(v, c):
        return renderer(Mesh(v, faces, c, color_mode=color_mode, validate=False), camera)

    assert torch.autograd.gradcheck(render, (vertices, colors), atol=1e-6, fast_mode=True)
