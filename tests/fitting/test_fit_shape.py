import pytest
import torch

from softrecon.fitting.objects import position_colors
from softrecon.fitting.shape import ShapeFitOptions, TemplateDeformation, fit_shape, hard_color_images, hard_silhouettes
from softrecon.fitting.views import orbit_views, split_views
from softrecon.geometry import icosphere
from softrecon.metrics import voxel_iou
from softrecon.renderer import RasterSettings

IMAGE_SIZE = 24


def _heldout_iou(vertices, faces, views, targets):
    silhouettes = hard_silhouettes(vertices, faces, views, IMAGE_SIZE)
    return float(voxel_iou(silhouettes[:, None], targets[:, None]).mean())


def test_fitting_an_ellipsoid_raises_heldout_silhouette_iou():
    sphere, sphere_faces = icosphere(2)
    target = sphere * torch.tensor([0.5, 0.2, 0.3]) + torch.tensor([0.0, 0.05, 0.0])
    views = orbit_views(6, [30.0, -30.0])
    fit, heldout = split_views(6, 3)
    targets = hard_silhouettes(target, sphere_faces, views, IMAGE_SIZE)
    template, faces = icosphere(1)  # a small template keeps the test fast on the dense reference
    template = template * 0.5
    initial = _heldout_iou(template, faces, views.subset(heldout), targets[heldout])

    options = ShapeFitOptions(steps=30, lr=0.01, sigma_start=1e-3, sigma_end=1e-4, gif_every=10)
    result = fit_shape(template, faces, targets[fit], views.subset(fit), RasterSettings(image_size=IMAGE_SIZE), options)

    final = _heldout_iou(result.vertices, faces, views.subset(heldout), targets[heldout])
    assert initial < 0.5  # the sphere is a poor match of the flat ellipsoid
    assert final > 0.85 and final > initial + 0.35
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert len(result.frames) == 4  # steps 0, 10, 20 and the last
    assert result.frames[0].shape == result.frames[-1].shape


def test_template_starts_undeformed():
    sphere, _ = icosphere(1)
    deformation = TemplateDeformation(sphere, initial_scale=0.5)
    assert torch.allclose(deformation(), 0.5 * sphere)
    assert {name for name, _ in deformation.named_parameters()} == {"offsets", "log_scale", "translation"}


def test_bad_targets_and_options_are_named():
    sphere, faces = icosphere(0)
    views = orbit_views(2, [30.0])
    settings = RasterSettings(image_size=8)
    with pytest.raises(ValueError, match="target_silhouettes"):
        fit_shape(sphere, faces, torch.zeros(3, 8, 8), views, settings)
    with pytest.raises(ValueError, match="image_size"):
        fit_shape(sphere, faces, torch.zeros(2, 16, 16), views, settings)
    with pytest.raises(ValueError, match="views_per_step"):
        ShapeFitOptions(views_per_step=-1)
    with pytest.raises(ValueError, match="sigma_end"):
        ShapeFitOptions(sigma_end=0.0)
    with pytest.raises(ValueError, match="initial_scale"):
        TemplateDeformation(sphere, initial_scale=-1.0)


def test_fitting_colors_lowers_the_color_error():
    sphere, faces = icosphere(1)
    target = sphere * torch.tensor([0.45, 0.3, 0.35])
    target_colors = position_colors(target)
    views = orbit_views(4, [30.0, -30.0])
    silhouettes = hard_silhouettes(target, faces, views, IMAGE_SIZE)
    images = hard_color_images(target, faces, target_colors, views, IMAGE_SIZE)
    template = sphere * 0.5
    options = ShapeFitOptions(steps=25, lr=0.02, sigma_start=1e-3, sigma_end=1e-4, gif_every=0, color_weight=1.0)

    result = fit_shape(
        template, faces, silhouettes, views, RasterSettings(image_size=IMAGE_SIZE), options, target_colors=images
    )

    gray = torch.full_like(template, 0.5)
    before = (hard_color_images(template, faces, gray, views, IMAGE_SIZE) - images).pow(2).mean()
    after = (hard_color_images(result.vertices, faces, result.colors, views, IMAGE_SIZE) - images).pow(2).mean()
    assert result.colors.shape == (template.shape[0], 3)
    assert float(after) < 0.5 * float(before)
    with pytest.raises(ValueError, match="color_weight"):
        fit_shape(
            template,
            faces,
            silhouettes,
            views,
            RasterSettings(image_size=IMAGE_SIZE),
            ShapeFitOptions(steps=1),
            target_colors=images,
        )
