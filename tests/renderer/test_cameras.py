"""Cameras against numbers worked out by hand from docs/METHOD.md section 5.

Benchmark view 0 (worked out): eye = (0, d sin 30, -d cos 30) with d = 2.732, i.e.
(0, 1.366, -2.36603); z_axis = -eye / d = (0, -1/2, sqrt(3)/2); x_axis = cross(up, z) =
(sqrt(3)/2, 0, 0) normalized = (1, 0, 0); y_axis = cross(z, x) = (0, sqrt(3)/2, 1/2).
So a world point (a, 0, 0) has camera coordinates (a, ., d): screen x = a / (d tan 15),
to the RIGHT of the image centre for a > 0; a point (0, h, 0) has camera
y = h cos 30, z = d - h sin 30, on the upper half of the image for h > 0.
"""

import math

import pytest
import torch

from softrecon.renderer import (
    BENCHMARK_DISTANCE,
    OrthographicCamera,
    PerspectiveCamera,
    ProjectionCamera,
    benchmark_camera,
    eye_from_spherical,
    look_along,
    look_at_rotation,
    pixel_centers,
)

D = 2.732
TAN15 = math.tan(math.radians(15))
SIN30, COS30 = 0.5, math.sqrt(3) / 2


def _close(actual, expected, atol=1e-6):
    torch.testing.assert_close(actual, torch.as_tensor(expected, dtype=actual.dtype), atol=atol, rtol=0)


def test_eye_from_spherical_hand_values():
    _close(eye_from_spherical(2.0, 0.0, 0.0), [[0.0, 0.0, -2.0]])
    _close(eye_from_spherical(2.0, 0.0, 90.0), [[2.0, 0.0, 0.0]])
    _close(eye_from_spherical(2.0, 90.0, 0.0), [[0.0, 2.0, 0.0]])
    eye = eye_from_spherical(D, 30.0, torch.tensor([0.0, -30.0, -90.0], dtype=torch.float64))
    _close(
        eye,
        [[0.0, D * SIN30, -D * COS30], [-D * COS30 * 0.5, D * SIN30, -D * COS30 * COS30], [-D * COS30, D * SIN30, 0.0]],
    )


def test_eye_from_spherical_is_differentiable():
    azimuth = torch.tensor([10.0, 200.0], dtype=torch.float64, requires_grad=True)
    elevation = torch.tensor([5.0, -40.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, e: eye_from_spherical(2.0, e, a), (azimuth, elevation))


def test_look_at_rotation_hand_values():
    _close(look_at_rotation([0.0, 0.0, -2.0]), torch.eye(3)[None])
    # Eye on +x looking at the origin: z = -x_world, x = cross(y, -x) = +z_world, y = +y_world.
    _close(look_at_rotation([2.0, 0.0, 0.0]), [[[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]])
    r = look_at_rotation(eye_from_spherical(D, 30.0, 0.0))
    _close(r, [[[1.0, 0, 0], [0, COS30, SIN30], [0, -SIN30, COS30]]])
    rotations = look_at_rotation(torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 3)
    _close(rotations @ rotations.transpose(1, 2), torch.eye(3).expand(5, 3, 3), atol=1e-12)
    _close(torch.linalg.det(rotations), torch.ones(5), atol=1e-12)


def test_look_along_matches_look_at_and_rejects_parallel_up():
    eye = torch.tensor([[1.0, 2.0, 3.0]])
    at = torch.tensor([[0.5, -1.0, 0.0]])
    _close(look_along(at - eye, eye), look_at_rotation(eye, at))
    with pytest.raises(ValueError, match="up must not be parallel"):
        look_at_rotation([0.0, 3.0, 0.0])  # looking straight down with up = y
    with pytest.raises(ValueError, match="at must differ from eye"):
        look_at_rotation([1.0, 1.0, 1.0], at=[1.0, 1.0, 1.0])


def test_benchmark_view0_hand_projection():
    camera = benchmark_camera(0, dtype=torch.float64)
    a, h = 0.5, 0.5
    screen = camera.project(torch.tensor([[[a, 0.0, 0.0], [0.0, h, 0.0], [0.0, 0.0, 0.0]]], dtype=torch.float64))
    _close(screen[0, 0], [a / (D * TAN15), 0.0, D], atol=1e-12)
    y_cam, z_cam = h * COS30, D - h * SIN30
    _close(screen[0, 1], [0.0, y_cam / (z_cam * TAN15), z_cam], atol=1e-12)
    _close(screen[0, 2], [0.0, 0.0, D], atol=1e-12)
    assert screen[0, 0, 0] > 0  # +x of the object: right half of the image
    assert screen[0, 1, 1] > 0  # +y: top half


def test_benchmark_azimuth_sign_and_constants():
    views = torch.arange(24)
    camera = benchmark_camera(views, dtype=torch.float64)
    assert BENCHMARK_DISTANCE == D and camera.batch_size == 24
    _close(camera.eye, eye_from_spherical(D, 30.0, -15.0 * views.double()))
    _close(camera.viewing_angle, torch.full((24,), 15.0))
    # View 6: azimuth -90, the eye on -x; the camera x axis is world -z, so an object
    # point at +z appears on the LEFT; a point at +x is straight ahead horizontally, farther
    # away (z = d + 0.5 cos 30) and, being beyond the target, higher (y = 0.5 sin 30).
    _close(camera.eye[6], [-D * COS30, D * SIN30, 0.0], atol=1e-12)
    screen = camera.project(torch.tensor([[[0.0, 0.0, 0.5], [0.5, 0.0, 0.0]]], dtype=torch.float64))
    assert screen.shape == (24, 2, 3)
    assert screen[6, 0, 0] < 0
    z_cam = D + 0.5 * COS30
    _close(screen[6, 1], [0.0, 0.5 * SIN30 / (z_cam * TAN15), z_cam], atol=1e-12)
    assert benchmark_camera(torch.tensor([3])).rotation.dtype == torch.float32


@pytest.mark.parametrize("bad", [24, -1, [0, 30]])
def test_benchmark_bad_view(bad):
    with pytest.raises(ValueError, match="view_index"):
        benchmark_camera(bad)
    with pytest.raises(ValueError, match="integer"):
        benchmark_camera(torch.tensor([1.0]))


def test_perspective_broadcasting_and_to_camera():
    camera = PerspectiveCamera.from_spherical(3.0, 0.0, torch.tensor([0.0, 90.0]), viewing_angle=30.0)
    points = torch.tensor([[[0.0, 0.0, 0.5]]])
    cam = camera.to_camera(points)
    _close(cam, [[[0.0, 0.0, 3.5]], [[0.5, 0.0, 3.0]]], atol=1e-6)
    screen = camera.project(points)
    _close(screen[1, 0], [0.5 / (3.0 * math.tan(math.radians(30))), 0.0, 3.0])
    with pytest.raises(ValueError, match="batch size"):
        camera.project(torch.zeros(3, 1, 3))
    with pytest.raises(ValueError, match="viewing_angle"):
        PerspectiveCamera(torch.eye(3), [0.0, 0.0, -2.0], viewing_angle=90.0)
    with pytest.raises(ValueError, match="vertices"):
        camera.project(torch.zeros(1, 3))


def test_perspective_finite_at_zero_depth():
    camera = PerspectiveCamera(torch.eye(3), [0.0, 0.0, 0.0])
    screen = camera.project(torch.tensor([[[1.0, 1.0, 0.0], [1.0, 1.0, -1.0]]]))
    assert torch.isfinite(screen).all()
    _close(screen[0, :, 2], [0.0, -1.0])  # depth kept as is


def test_orthographic():
    camera = OrthographicCamera.look_at([0.0, 0.0, -5.0], scale=2.0)
    screen = camera.project(torch.tensor([[[0.25, -0.5, 1.0]]]))
    _close(screen, [[[0.5, -1.0, 6.0]]])
    with pytest.raises(ValueError, match="scale"):
        OrthographicCamera(torch.eye(3), [0.0, 0.0, -5.0], scale=0.0)


def test_projection_camera_matches_perspective():
    perspective = benchmark_camera(torch.tensor([0, 5]), dtype=torch.float64)
    focal = 1.0 / TAN15
    intrinsics = torch.tensor([[focal, 0, 0], [0, focal, 0], [0, 0, 1]], dtype=torch.float64)
    extrinsics = torch.cat([perspective.rotation, -(perspective.rotation @ perspective.eye[..., None])], dim=-1)
    projection = ProjectionCamera(intrinsics @ extrinsics)
    points = torch.rand(1, 7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) - 0.5
    _close(projection.project(points), perspective.project(points), atol=1e-12)


def test_projection_camera_from_opencv_pixel_centres():
    height, width = 6, 8
    f, cx, cy = 10.0, 3.5, 2.5
    intrinsics = torch.tensor([[f, 0, cx], [0, f, cy], [0, 0, 1]], dtype=torch.float64)
    camera = ProjectionCamera.from_opencv(
        intrinsics, torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64), (height, width)
    )
    depth = 2.0
    # Points that OpenCV projects onto the centres of pixel (u=0, v=0) and (u=7, v=5).
    pixels = torch.tensor([[0.0, 0.0], [7.0, 5.0]], dtype=torch.float64)
    world = torch.cat(
        [
            (pixels - torch.tensor([cx, cy], dtype=torch.float64)) / f * depth,
            torch.full((2, 1), depth, dtype=torch.float64),
        ],
        dim=1,
    )
    screen = camera.project(world[None])
    xs, ys = pixel_centers(height, width, torch.float64, torch.device("cpu"))
    _close(screen[0, 0], [xs[0], ys[0], depth], atol=1e-12)  # top-left pixel centre
    _close(screen[0, 1], [xs[7], ys[5], depth], atol=1e-12)  # bottom-right
    with pytest.raises(ValueError, match="projection"):
        ProjectionCamera(torch.zeros(3, 3))


def test_to_device_dtype_copy():
    camera = benchmark_camera(torch.tensor([1, 2])).to(dtype=torch.float64)
    assert camera.eye.dtype == torch.float64 and camera.viewing_angle.dtype == torch.float64


def test_indexing_selects_cameras():
    camera = benchmark_camera(torch.tensor([0, 4, 8]))
    assert len(camera) == 3
    picked = camera[1]
    assert isinstance(picked, PerspectiveCamera) and picked.batch_size == 1
    torch.testing.assert_close(picked.eye, camera.eye[1:2])
    assert camera[torch.tensor([2, 0])].batch_size == 2 and camera[-1].batch_size == 1
    torch.testing.assert_close(camera[-1].eye, camera.eye[2:])
    ortho = OrthographicCamera(
        torch.eye(3).expand(2, 3, 3), [[0.0, 0.0, -5.0], [0.0, 0.0, -6.0]], scale=torch.tensor([1.0, 2.0])
    )
    assert ortho[1].scale.tolist() == [2.0]
    projection = ProjectionCamera(torch.rand(4, 3, 4))
    assert projection[1:3].batch_size == 2
