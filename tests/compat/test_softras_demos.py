"""The SoftRas-style demos in examples/ (written against ``sr``) run on the CPU and give
what the native API gives."""

import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from repo_files import load_repo_file

import softrecon.compat.softras as sr
from softrecon.geometry.icosphere import icosphere
from softrecon.io import load_mesh, save_obj
from softrecon.losses import FlattenLoss, LaplacianLoss
from softrecon.renderer import Lighting, PerspectiveCamera, RasterSettings, SoftRenderer

REPO = pathlib.Path(__file__).resolve().parents[2]
COW = REPO / "softrecon" / "assets" / "meshes" / "cow" / "cow.obj"  # a sample mesh


def _load_example(name):
    return load_repo_file(f"examples/{name}.py")


def _softras_settings(image_size, **overrides):
    """SoftRas' SoftRenderer defaults as native settings (docs/MIGRATING.md)."""
    return RasterSettings(
        image_size, sigma=1e-5, gamma=1e-4, dist_eps=1e-4, background_eps=2e-3, double_sided=True
    ).replace(**overrides)


def test_render_demo_matches_native():
    demo = _load_example("softras_demo_render")
    mesh = sr.Mesh.from_obj(str(COW), load_texture=True, texture_res=5, texture_type="surface")
    renderer = sr.SoftRenderer(image_size=32, camera_mode="look_at")
    frames = demo.render_turntable(mesh, renderer, [0, 135])
    blurred = demo.render_blurring(mesh, renderer, [-3.0])

    native_mesh = load_mesh(COW, texture_resolution=5)
    camera = PerspectiveCamera.from_spherical(2.732, 30.0, torch.tensor([0.0, 135.0]), viewing_angle=30.0)
    native = SoftRenderer(_softras_settings(32), Lighting())(native_mesh, camera).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(frames, native, atol=1e-4, rtol=0)  # float32 cameras built two ways
    assert frames[..., 3].sum() > 20 and frames[..., :3].std() > 0.05
    blur_camera = PerspectiveCamera.from_spherical(2.732, 30.0, 45.0, viewing_angle=30.0)
    native_blur = SoftRenderer(_softras_settings(32, sigma=1e-4, gamma=1e-3), Lighting())(native_mesh, blur_camera)
    np.testing.assert_allclose(blurred[0], native_blur[0].permute(1, 2, 0).numpy(), atol=1e-4, rtol=0)


def test_deform_demo_matches_native(tmp_path):
    """Five steps of the demo (sr) and of the same loop written with the native API give
    the same deformation."""
    demo = _load_example("softras_demo_deform")
    template_v, template_f = icosphere(2)
    template = tmp_path / "sphere.obj"
    save_obj(template, template_v, template_f)
    target_v = template_v * torch.tensor([0.45, 0.25, 0.3])
    cameras = np.array([[2.732, 30.0, az] for az in (0.0, 60.0, 150.0, 270.0)], dtype=np.float32)
    camera = PerspectiveCamera.from_spherical(
        torch.from_numpy(cameras[:, 0]),
        torch.from_numpy(cameras[:, 1]),
        torch.from_numpy(cameras[:, 2]),
        viewing_angle=15.0,
    )
    target_alpha = SoftRenderer(_softras_settings(32, sigma=1e-4), None).render_silhouette(
        target_v[None].expand(4, -1, -1), template_f, camera
    )
    images = torch.zeros(4, 4, 32, 32)
    images[:, 3] = target_alpha
    losses = []
    model = demo.fit(
        images.numpy(), cameras, str(template), 5, callback=lambda i, pred, loss: losses.append(loss.item())
    )
    assert losses[-1] < losses[0]

    # the same five steps with the native API
    base_vertices = template_v[None] * 0.5
    displace = torch.zeros_like(base_vertices, requires_grad=True)
    center = torch.zeros(1, 1, 3, requires_grad=True)
    laplacian, flatten = LaplacianLoss(template_f, template_v.shape[0]), FlattenLoss(template_f)
    renderer = SoftRenderer(_softras_settings(32, sigma=1e-4, aggr_rgb="hard"), None)
    optimizer = torch.optim.Adam([displace, center], 0.01, betas=(0.5, 0.99))
    for _ in range(5):
        base = torch.log(base_vertices.abs() / (1 - base_vertices.abs()))
        centroid = torch.tanh(center)
        v = torch.sigmoid(base + displace) * torch.sign(base_vertices)
        v = F.relu(v) * (1 - centroid) - F.relu(-v) * (centroid + 1) + centroid
        alpha = renderer.render_silhouette(v.expand(4, -1, -1), template_f, camera)
        loss = demo.neg_iou_loss(alpha, images[:, 3]) + 0.03 * laplacian(v) + 0.0003 * flatten(v)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.testing.assert_close(model.displace.detach(), displace.detach(), atol=1e-5, rtol=0)
    torch.testing.assert_close(model.center.detach(), center.detach(), atol=1e-5, rtol=0)
    assert displace.abs().max() > 1e-3  # it moved
    # the fitted mesh is written as SoftRas does
    out = tmp_path / "deformed.obj"
    model(1)[0].save_obj(str(out))
    assert load_mesh(out).num_faces == template_f.shape[0]
