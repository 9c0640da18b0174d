"""The dense NMR reference (softrecon/renderer/nmr/reference.py) on hand-worked golden
cases, against the soft rasterizer's hard forward, and its colour gradient against
autograd (docs/METHOD.md section 9).

The golden scene: a 4 x 4 image (pixel centres at x, y in {-0.75, -0.25, 0.25, 0.75};
row 0 at y = 0.75, column 0 at x = -0.75) and one front-facing (clockwise) triangle

    v0 = (-0.5, -0.5), v1 = (-0.5, 0.6), v2 = (0.6, -0.5)      depth 2

bounded by x >= -0.5, y >= -0.5 and x + y <= 0.1. It covers three pixel centres:
(row 1, col 1) = (-0.25, 0.25), (row 2, col 1) = (-0.25, -0.25), (row 2, col 2) =
(0.25, -0.25). Expected gradients are worked out by hand in each test (exact fractions).
"""

from __future__ import annotations

import pytest
import torch
from scene_factories import random_scene

from softrecon.renderer import NmrSettings, RasterSettings, soft_rasterize
from softrecon.renderer.nmr import nmr_rasterize_reference

GOLDEN_FACE = [[-0.5, -0.5, 2.0], [-0.5, 0.6, 2.0], [0.6, -0.5, 2.0]]


def _golden(depth: float = 2.0) -> torch.Tensor:
    face = torch.tensor(GOLDEN_FACE, dtype=torch.float64)
    face[:, 2] = depth
    return face[None, None].clone().requires_grad_(True)  # (1, 1, 3, 3)


def _grad(face_vertices, face_colors, settings, grad_image):
    image = nmr_rasterize_reference(face_vertices, face_colors, settings)
    image.backward(grad_image)
    return image.detach(), face_vertices.grad


def test_golden_silhouette_and_outside_pixel():
    """dL/dalpha = -1 at (row 1, col 2) = (0.25, 0.25), outside the face (x + y = 0.5).

    Along row 1 (y = 0.25) the hypotenuse v1 -> v2 crosses at x = -0.15; the face lies to
    its left, so the in-pixel is col 1 (owned by the face), the out-pixels cols 2, 3.
    Moving the crossing onto x = 0.25 (a move of 0.4) turns alpha there from 0 to 1:
    dL/dcrossing = -1 * 1 / 0.4 = -2.5. The crossing moves with x of v1 by
    (y2 - y) / (y2 - y1) = 0.75 / 1.1 = 15/22 and with x of v2 by 7/22:
    dL/dx1 = -75/44, dL/dx2 = -35/44.
    Down column 2 (x = 0.25) the hypotenuse crosses at y = -0.15, the face below: the
    in-pixel is row 2 (owned), out-pixels rows 1, 0. The same move of 0.4 in y gives
    -2.5, shared 7/22 (v1) and 15/22 (v2): dL/dy1 = -35/44, dL/dy2 = -75/44.
    The other edges crossing these lines (x = -0.5 on row 1, y = -0.5 on column 2) have
    zero dL/dI on their pixels. v0 and every z get 0.
    """
    face = _golden()
    grad_image = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    grad_image[0, 0, 1, 2] = -1.0
    image, grad = _grad(face, None, NmrSettings(image_size=4), grad_image)
    expected_alpha = torch.zeros(4, 4, dtype=torch.float64)
    expected_alpha[1, 1] = expected_alpha[2, 1] = expected_alpha[2, 2] = 1.0
    torch.testing.assert_close(image[0, 0], expected_alpha)
    expected = torch.tensor([[0, 0, 0], [-75 / 44, -35 / 44, 0], [-35 / 44, -75 / 44, 0]], dtype=torch.float64)
    torch.testing.assert_close(grad[0, 0], expected, rtol=1e-12, atol=1e-12)


def test_golden_inside_pixel_both_directions():
    """dL/dalpha = +1 at (row 2, col 1) = (-0.25, -0.25), inside the face: moving any of
    the edges of its row and column over it uncovers it (alpha 1 -> 0, the out-pixel's
    value), and all four moves are summed.

    Row 2 (y = -0.25): edge v0 -> v1 (x = -0.5, face to the right) is 0.25 away:
    -1 / 0.25 = -4, shared by y: v0 gets (0.6 + 0.25) / 1.1 = 17/22, v1 5/22:
    dL/dx0 += -34/11, dL/dx1 += -10/11. The hypotenuse crosses at x = 0.35 (face to the
    left), a move of -0.6: -1 / -0.6 = 5/3, v1 gets 5/22, v2 17/22: dL/dx1 += 25/66,
    dL/dx2 += 85/66.
    Column 1 (x = -0.25), by symmetry (x <-> y swaps v1 and v2): dL/dy1 += 85/66,
    dL/dy2 += 25/66 from the hypotenuse; dL/dy2 += -10/11, dL/dy0 += -34/11 from the
    edge v2 -> v0 (y = -0.5).
    Totals: v0 (-34/11, -34/11), v1 (-35/66, 85/66), v2 (85/66, -35/66).
    """
    face = _golden()
    grad_image = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    grad_image[0, 0, 2, 1] = 1.0
    _, grad = _grad(face, None, NmrSettings(image_size=4), grad_image)
    expected = torch.tensor(
        [[-34 / 11, -34 / 11, 0], [-35 / 66, 85 / 66, 0], [85 / 66, -35 / 66, 0]], dtype=torch.float64
    )
    torch.testing.assert_close(grad[0, 0], expected, rtol=1e-12, atol=1e-12)


def test_golden_no_gradient_when_the_move_would_raise_the_loss():
    """dL/dalpha = +1 at the outside pixel of the first case: covering it raises the loss,
    so NMR gives 0 (only moves that lower the loss count); likewise -1 at a covered pixel."""
    face = _golden()
    grad_image = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    grad_image[0, 0, 1, 2] = 1.0
    grad_image[0, 0, 2, 1] = -1.0
    _, grad = _grad(face, None, NmrSettings(image_size=4), grad_image)
    assert torch.count_nonzero(grad) == 0


def _two_faces(depth_front: float, depth_back: float):
    """The golden face (colour 1) over a large face (colour 0.5) whose edges lie outside
    the image; one colour channel, background 0."""
    front = torch.tensor(GOLDEN_FACE, dtype=torch.float64)
    front[:, 2] = depth_front
    back = torch.tensor([[-3.0, -3.0, depth_back], [-3.0, 9.0, depth_back], [9.0, -3.0, depth_back]])
    fv = torch.stack([front, back.double()])[None].requires_grad_(True)  # (1, 2, 3, 3)
    fc = torch.tensor([1.0, 0.5], dtype=torch.float64)[None, :, None, None].expand(1, 2, 3, 1).clone()
    return fv, fc.requires_grad_(True)


def test_golden_colour_with_the_depth_test():
    """dL/drgb = -1 at (row 1, col 2), which shows the back face's 0.5.

    Golden face in front (depth 2 against 5): sweeping its hypotenuse over the pixel would
    show its colour there (the in-pixel's, 1): delta I = 1 - 0.5 = 0.5, half the
    silhouette case: v1 (-75/88, -35/88), v2 (-35/88, -75/88). The back face's edges cross
    no line inside the image: 0. Alpha is 1 everywhere and has dL/dalpha = 0.
    Golden face behind (depth 10 against 5): it shows nowhere and would not be in front
    of the pixel: every gradient is 0.
    """
    grad_image = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    grad_image[0, 0, 1, 2] = -1.0
    fv, fc = _two_faces(2.0, 5.0)
    image, grad = _grad(fv, fc, NmrSettings(image_size=4, background=(0.0,)), grad_image)
    assert image[0, 0, 1, 2] == 0.5 and image[0, 0, 1, 1] == 1.0
    expected = torch.tensor([[0, 0, 0], [-75 / 88, -35 / 88, 0], [-35 / 88, -75 / 88, 0]], dtype=torch.float64)
    torch.testing.assert_close(grad[0, 0], expected, rtol=1e-12, atol=1e-12)
    assert torch.count_nonzero(grad[0, 1]) == 0
    fv, fc = _two_faces(10.0, 5.0)
    _, grad = _grad(fv, fc, NmrSettings(image_size=4, background=(0.0,)), grad_image)
    assert torch.count_nonzero(grad) == 0


@pytest.mark.parametrize("double_sided", [False, True])
@pytest.mark.parametrize("texture", [False, True])
def test_forward_equals_the_hard_soft_rasterizer(double_sided, texture):
    """The NMR image is the soft rasterizer's with dist_func='hard', aggr_rgb='hard'."""
    generator = torch.Generator().manual_seed(3)
    fv, fc = random_scene(2, 12, generator, num_channels=3)
    if texture:
        fc = torch.rand(2, 12, 4, 3, generator=generator, dtype=torch.float64)
    common = dict(image_size=(9, 11), near=1.0, far=3.0, double_sided=double_sided, background=(0.2, 0.3, 0.4))
    hard = soft_rasterize(fv, fc, RasterSettings(dist_func="hard", aggr_rgb="hard", **common), backend="reference")
    nmr = soft_rasterize(fv, fc, NmrSettings(**common), backend="reference")
    torch.testing.assert_close(nmr, hard, rtol=0, atol=0)
    alpha_only = soft_rasterize(fv, None, NmrSettings(**common), backend="reference")
    torch.testing.assert_close(alpha_only, hard[:, -1:], rtol=0, atol=0)


@pytest.mark.parametrize("texture", [False, True])
def test_colour_gradient_is_autograds_of_the_hard_forward(texture):
    """dL/dface_colors is exact: the hard soft rasterizer's autograd gradient."""
    generator = torch.Generator().manual_seed(4)
    fv, fc = random_scene(2, 10, generator, num_channels=2)
    if texture:
        fc = torch.rand(2, 10, 9, 2, generator=generator, dtype=torch.float64)
    weights = torch.randn(2, 3, 8, 8, generator=generator, dtype=torch.float64)
    grads = []
    for settings in (
        RasterSettings(image_size=8, far=3.0, dist_func="hard", aggr_rgb="hard", background=(0.0,)),
        NmrSettings(image_size=8, far=3.0, background=(0.0,)),
    ):
        colors = fc.clone().requires_grad_(True)
        (soft_rasterize(fv, colors, settings, backend="reference") * weights).sum().backward()
        grads.append(colors.grad)
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-12, atol=1e-12)


def test_geometry_gradient_lowers_the_loss():
    """A step against NMR's gradient lowers an image loss it sees (here: the golden face
    grows toward a target covering the image's centre 2 x 2 block)."""
    face = _golden()
    target = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    target[0, 0, 1:3, 1:3] = 1.0
    settings = NmrSettings(image_size=4)
    loss = ((nmr_rasterize_reference(face, None, settings) - target) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        moved = face - 0.1 * face.grad
    assert ((nmr_rasterize_reference(moved, None, settings) - target) ** 2).sum() < loss


def test_soft_rasterize_dispatches_nmr_settings_and_keeps_their_type():
    settings = NmrSettings(image_size=8, dist_func="euclidean", aggr_rgb="softmax")
    assert settings.dist_func.name == "HARD" and settings.aggr_rgb.name == "HARD"
    assert isinstance(settings.replace(sigma=1e-5), NmrSettings)
    face = _golden()
    image = soft_rasterize(face, None, settings, backend="reference")
    image.sum().backward()
    assert face.grad[..., 2].abs().sum() == 0  # NMR has no depth gradient
