"""The multi-view objective renders (mesh a, mesh b) x (view a, view b) against the right masks."""

import torch

from softrecon.geometry import icosphere
from softrecon.losses import FlattenLoss, LaplacianLoss, soft_iou_loss
from softrecon.renderer import RasterSettings
from softrecon.renderer.cameras import benchmark_camera
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.training import MultiViewObjective, resize_images

SIZE = 16


def test_silhouettes_pair_meshes_views_and_masks():
    torch.manual_seed(0)
    template, faces = icosphere(1)
    renderer = SoftRenderer(RasterSettings(image_size=SIZE, sigma=1e-3), lighting=None)
    objective = MultiViewObjective(renderer, faces, template.shape[0], 1.0, 5e-3, 5e-4)
    # Two different, asymmetric meshes per pair (B = 2 pairs -> 4 meshes).
    vertices = (
        template[None] * torch.tensor([[0.3, 0.15, 0.2], [0.1, 0.3, 0.2], [0.25, 0.2, 0.1], [0.2, 0.1, 0.35]])[:, None]
    )
    vertices = vertices + 0.02 * torch.randn_like(vertices)
    images_a, images_b = torch.rand(2, 4, SIZE, SIZE), torch.rand(2, 4, SIZE, SIZE)
    view_a, view_b = torch.tensor([0, 5]), torch.tensor([7, 13])
    out = objective(vertices, images_a, images_b, view_a, view_b)

    def render(meshes, views):
        return renderer.render_silhouette(meshes, faces, benchmark_camera(views))

    mesh_a, mesh_b = vertices[:2], vertices[2:]
    expected = torch.stack(
        [render(mesh_a, view_a), render(mesh_b, view_a), render(mesh_a, view_b), render(mesh_b, view_b)]
    )
    torch.testing.assert_close(out.silhouettes, expected)
    masks = torch.stack([images_a[:, 3], images_a[:, 3], images_b[:, 3], images_b[:, 3]])
    torch.testing.assert_close(out.targets, masks)
    iou = soft_iou_loss(expected.flatten(0, 1), masks.flatten(0, 1))
    lap, flat = LaplacianLoss(faces, template.shape[0])(vertices), FlattenLoss(faces)(vertices)
    torch.testing.assert_close(out.loss, iou + 5e-3 * lap + 5e-4 * flat)
    assert not torch.allclose(expected[0], expected[1])  # the pairing is visible in the renders


def test_resize_images_area_averages():
    images = torch.arange(16.0).reshape(1, 1, 4, 4)
    torch.testing.assert_close(resize_images(images, 2), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    assert resize_images(images, 4) is images
