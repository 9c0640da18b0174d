import pytest
import torch

from softrecon.fitting.objects import asymmetric_colored_object, position_colors
from softrecon.fitting.pose import (
    PoseFitOptions,
    RigidPose,
    fit_pose,
    masked_pose_loss,
    occluder_mask,
    paint_occluder,
)
from softrecon.fitting.rendering import render_rgba
from softrecon.fitting.rotation import geodesic_angle_degrees, random_rotation
from softrecon.renderer import RasterSettings
from softrecon.renderer.cameras import PerspectiveCamera

IMAGE_SIZE = 32


def _scene():
    vertices, faces, colors = asymmetric_colored_object(level=1)
    camera = PerspectiveCamera.from_spherical(2.732, 20.0, 30.0, viewing_angle=15.0)
    return vertices, faces, colors, camera


def test_pose_fit_from_a_perturbed_start_converges_under_occlusion():
    vertices, faces, colors, camera = _scene()
    options = PoseFitOptions(steps=60, sigma_start=3e-3, sigma_end=1e-5, gamma_start=3e-2, gamma_end=1e-4, gif_every=0)
    settings = RasterSettings(image_size=IMAGE_SIZE, sigma=options.sigma_end, gamma=options.gamma_end)
    with torch.no_grad():
        clean = render_rgba(vertices, faces, colors, camera, settings)[0]
    occluded = occluder_mask(settings.image_size, [0.5, 0.2, 0.85, 0.6])
    assert ((clean[-1] > 0.5) & occluded).any()  # the occluder hides part of the object
    target = paint_occluder(clean, occluded)
    start = random_rotation(25.0, torch.Generator().manual_seed(0))

    result = fit_pose(
        vertices,
        faces,
        colors,
        target,
        ~occluded,
        camera,
        settings,
        start,
        torch.tensor([0.05, -0.05, 0.0]),
        options,
        true_rotation=torch.eye(3),
    )

    assert result.rotation_errors[0] == pytest.approx(25.0, abs=1e-3)
    assert len(result.rotation_errors) == options.steps + 1
    # Success as the fit_pose command defines it (< 10 degrees); this seed ends near 3
    # degrees. At 32 x 32 with an 80-face object the depth of t is loosely determined.
    assert result.rotation_errors[-1] < 10.0
    assert float(geodesic_angle_degrees(result.rotation, torch.eye(3))) == pytest.approx(
        result.rotation_errors[-1], abs=1e-3
    )
    assert float(result.translation.norm()) < 0.05


def test_occluded_pixels_do_not_change_the_loss():
    vertices, faces, colors, camera = _scene()
    settings = RasterSettings(image_size=16)
    with torch.no_grad():
        image = render_rgba(vertices, faces, colors, camera, settings)[0]
    occluded = occluder_mask((16, 16), [0.0, 0.0, 0.5, 0.5])
    options = PoseFitOptions()
    other = image.clone()
    other[:, occluded] = torch.rand(4, int(occluded.sum()))
    same = masked_pose_loss(image, image, ~occluded, options)
    assert float(masked_pose_loss(other, image, ~occluded, options)) == pytest.approx(float(same), abs=1e-6)
    assert float(masked_pose_loss(other, image, torch.ones_like(occluded), options)) > 1e-3


def test_occluder_mask_and_paint():
    mask = occluder_mask((4, 8), [0.5, 0.0, 1.0, 0.5])
    assert mask.sum() == 8 and mask[:2, 4:].all()
    painted = paint_occluder(torch.zeros(4, 4, 8), mask, color=0.25)
    assert (painted[:3, mask] == 0.25).all() and (painted[3, mask] == 1.0).all() and (painted[:, ~mask] == 0).all()
    with pytest.raises(ValueError, match="occluder box"):
        occluder_mask((4, 4), [0.6, 0.0, 0.5, 1.0])


def test_rigid_pose_starts_at_the_start_pose():
    start = random_rotation(40.0, torch.Generator().manual_seed(3))
    pose = RigidPose(start, torch.tensor([0.1, 0.2, 0.3]))
    points = torch.randn(5, 3)
    assert torch.allclose(pose(points), points @ start.T + torch.tensor([0.1, 0.2, 0.3]), atol=1e-6)
    with pytest.raises(ValueError, match="start_translation"):
        RigidPose(start, torch.zeros(2))


def test_builtin_object_is_in_the_unit_box_and_colored():
    vertices, faces, colors = asymmetric_colored_object(level=1)
    extent = vertices.max(0).values - vertices.min(0).values
    assert float(extent.max()) == pytest.approx(1.0, abs=1e-5)
    assert colors.shape == vertices.shape and colors.min() >= 0 and colors.max() <= 1
    assert torch.allclose(position_colors(torch.zeros(3, 3)), torch.full((3, 3), 0.5))


def test_bad_pose_inputs_are_named():
    vertices, faces, colors, camera = _scene()
    settings = RasterSettings(image_size=8)
    target = torch.zeros(4, 8, 8)
    with pytest.raises(ValueError, match="target"):
        fit_pose(
            vertices,
            faces,
            colors,
            torch.zeros(3, 8, 8),
            torch.ones(8, 8, dtype=torch.bool),
            camera,
            settings,
            torch.eye(3),
            torch.zeros(3),
        )
    with pytest.raises(ValueError, match="visible"):
        fit_pose(vertices, faces, colors, target, torch.ones(8, 8), camera, settings, torch.eye(3), torch.zeros(3))
    with pytest.raises(ValueError, match="lr"):
        PoseFitOptions(lr=0.0)
