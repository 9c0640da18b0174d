import math

import pytest
import torch

from softrecon.fitting.rotation import axis_angle_to_matrix, geodesic_angle_degrees, random_rotation, skew


def test_quarter_turn_about_z_maps_x_to_y():
    rotation = axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.pi / 2], dtype=torch.float64))
    assert torch.allclose(
        rotation @ torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64),
        torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64),
        atol=1e-12,
    )


def test_skew_is_the_cross_product():
    a, b = torch.randn(2, 5, 3, dtype=torch.float64).unbind(0)
    assert torch.allclose(skew(a) @ b[..., None], torch.linalg.cross(a, b)[..., None])


@pytest.mark.parametrize("angle", [0.0, 3.0, 45.0, 120.0, 179.0])
def test_random_rotation_has_the_requested_angle(angle):
    generator = torch.Generator().manual_seed(1)
    rotation = random_rotation(angle, generator, dtype=torch.float64)
    assert torch.allclose(rotation @ rotation.T, torch.eye(3, dtype=torch.float64), atol=1e-12)
    assert float(torch.linalg.det(rotation)) == pytest.approx(1.0)
    assert float(geodesic_angle_degrees(torch.eye(3, dtype=torch.float64), rotation)) == pytest.approx(angle, abs=1e-5)


def test_gradient_is_finite_at_the_zero_rotation():
    axis_angle = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    (axis_angle_to_matrix(axis_angle) @ torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    assert torch.isfinite(axis_angle.grad).all()
    assert axis_angle.grad.abs().sum() > 0


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="vectors"):
        skew(torch.zeros(2))
    with pytest.raises(ValueError, match="rotation_a"):
        geodesic_angle_degrees(torch.eye(2), torch.eye(3))
    with pytest.raises(ValueError, match="angle_degrees"):
        random_rotation(200.0, torch.Generator())
