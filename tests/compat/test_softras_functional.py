"""softrecon.compat.softras.functional against an independent port of SoftRas' kernel
(softras_kernel_port.py) and against the native API it wraps."""

import math

import numpy as np
import pytest
import torch
from softras_kernel_port import softras_forward

import softrecon.compat.softras as sr
from softrecon.geometry.icosphere import icosphere
from softrecon.renderer import PerspectiveCamera, RasterSettings, look_at_rotation, soft_rasterize
from softrecon.voxel import voxelize

srf = sr.functional


def _scene(texture_type="vertex", outside_range=False):
    """Three overlapping faces (N = 2, float64): both windings, depths 2 to 5."""
    g = torch.Generator().manual_seed(3)
    fv = torch.empty(2, 3, 3, 3, dtype=torch.float64)
    fv[..., :2] = torch.rand(2, 3, 3, 2, generator=g, dtype=torch.float64) * 1.6 - 0.8
    fv[..., 2] = torch.rand(2, 3, 3, generator=g, dtype=torch.float64) * 3 + 2
    if outside_range:
        fv[0, 1, 0, 2] = 0.6  # a vertex in front of near = 1: SoftRas still counts it in alpha
    k = 3 if texture_type == "vertex" else 1
    textures = torch.rand(2, 3, k, 3, generator=g, dtype=torch.float64)
    return fv, textures


CASES = [
    dict(),  # SoftRas' defaults (sigma 1e-5, gamma 1e-4, eps 1e-3, fill_back on)
    dict(sigma_val=1e-3, gamma_val=0.1, eps=0.05),  # soft edges, visible background weight
    dict(sigma_val=1e-3, gamma_val=0.1, eps=0.05, fill_back=False, background_color=[0.2, 0.4, 0.9]),
    dict(sigma_val=1e-3, aggr_func_alpha="sum", aggr_func_rgb="hard"),
    dict(dist_func="hard", aggr_func_alpha="hard", aggr_func_rgb="hard", fill_back=False),
    dict(sigma_val=1e-3, gamma_val=0.1, eps=0.05, near=2.5, far=4.5),
]


@pytest.mark.parametrize("texture_type", ["vertex", "surface"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_soft_rasterize_matches_softras_kernel(case, texture_type):
    kwargs = dict(image_size=12, texture_type=texture_type, **CASES[case])
    fv, textures = _scene(texture_type, outside_range=case == 1)
    expected = softras_forward(fv.numpy(), textures.numpy(), **kwargs)
    actual = srf.soft_rasterize(fv, textures, **kwargs)
    assert actual.shape == (2, 4, 12, 12)
    np.testing.assert_allclose(actual.numpy(), expected, atol=1e-9, rtol=0)


def test_background_weight_is_exp_two_eps_over_gamma():
    """One face, one pixel: colour = (D e^{z/g} c + e^{2 eps/g} b) / (D e^{z/g} + e^{2 eps/g})."""
    fv = torch.tensor([[[[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.7, 2.0]]]], dtype=torch.float64)
    color = torch.full((1, 1, 1, 3), 0.8, dtype=torch.float64)
    eps, gamma, bg = 0.3, 0.5, 0.1
    image = srf.soft_rasterize(fv, color, 2, [bg] * 3, eps=eps, gamma_val=gamma, sigma_val=1e-2)
    alpha = image[0, 3, 1, 0].item()  # pixel centre (-0.5, -0.5), a corner of the face: D = alpha = 1/2
    assert alpha == pytest.approx(0.5)
    z_norm = (100 - 2.0) / 99
    w = alpha * math.exp(z_norm / gamma)
    wb = math.exp(2 * eps / gamma)
    assert image[0, 0, 1, 0].item() == pytest.approx((w * 0.8 + wb * bg) / (w + wb), rel=1e-12)


def test_soft_rasterize_equals_native_with_doubled_eps_and_gradients():
    fv, textures = _scene("surface")
    fv.requires_grad_(True)
    textures.requires_grad_(True)
    kwargs = dict(sigma_val=1e-3, gamma_val=0.1, eps=0.05)
    compat = srf.soft_rasterize(fv, textures, 16, **kwargs)
    settings = RasterSettings(16, sigma=1e-3, gamma=0.1, dist_eps=1e-4, background_eps=0.1, double_sided=True)
    native = soft_rasterize(fv, textures, settings)
    torch.testing.assert_close(compat, native, rtol=0, atol=0)
    weights = torch.rand_like(native)
    g_compat = torch.autograd.grad((compat * weights).sum(), [fv, textures])
    g_native = torch.autograd.grad((native * weights).sum(), [fv, textures])
    for a, b in zip(g_compat, g_native):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_soft_rasterize_gradcheck_alpha_outside_depth_range():
    """The second alpha pass (a vertex in front of near) is differentiable too."""
    fv, textures = _scene("vertex", outside_range=True)
    fv = fv[:1, :2].clone().requires_grad_(True)
    textures = textures[:1, :2].clone().requires_grad_(True)
    f = lambda v, t: srf.soft_rasterize(v, t, 5, sigma_val=3e-2, gamma_val=0.3, eps=0.05, texture_type="vertex")  # noqa: E731
    assert torch.autograd.gradcheck(f, (fv, textures), atol=1e-6)


def test_soft_rasterize_rejects_mismatched_textures():
    fv, textures = _scene("surface")
    with pytest.raises(ValueError, match="texture_type='vertex'"):
        srf.soft_rasterize(fv, textures, texture_type="vertex")
    with pytest.raises(ValueError, match="texture_type must be"):
        srf.soft_rasterize(fv, textures, texture_type="uv")


def test_cameras_match_native():
    v = torch.rand(2, 10, 3, dtype=torch.float64) - 0.5
    eye = srf.get_points_from_angles(
        torch.tensor([2.7, 3.0], dtype=torch.float64),
        torch.tensor([30.0, -10.0], dtype=torch.float64),
        torch.tensor([45.0, 200.0], dtype=torch.float64),
    )
    screen = srf.perspective(srf.look_at(v, eye), angle=30)
    native = PerspectiveCamera.look_at(eye, viewing_angle=30.0).project(v)
    torch.testing.assert_close(screen, native, rtol=1e-12, atol=1e-12)
    # float arguments give a tuple (SoftRas); radians accepted
    assert srf.get_points_from_angles(2.0, 90, 0) == pytest.approx((0.0, 2.0, 0.0), abs=1e-12)
    assert srf.get_points_from_angles(2.0, math.pi / 2, 0.0, degrees=False) == pytest.approx((0.0, 2.0, 0.0), abs=1e-12)
    # look along the direction at - eye == look_at (up None means +y: SoftRas crashes there)
    looked = srf.look(v, eye, direction=-eye)
    torch.testing.assert_close(looked, srf.look_at(v, eye), rtol=1e-12, atol=1e-12)
    rotation = look_at_rotation(eye)
    torch.testing.assert_close(
        srf.orthogonal(srf.look_at(v, eye), 2.0)[..., :2], 2 * ((v - eye[:, None]) @ rotation.transpose(1, 2))[..., :2]
    )


def test_projection_pixel_convention_and_distortion():
    """P maps a point to pixel coordinate u; SoftRas puts it at NDC (2u - S) / S (pixel c's
    centre at u = c + 1/2), y not flipped; k1 scales the normalized radius by 1 + k1 r^2."""
    s = 8
    K = torch.tensor([[10.0, 0, 4.0], [0, 10.0, 4.0], [0, 0, 1]], dtype=torch.float64)
    P = torch.cat([K, torch.zeros(3, 1, dtype=torch.float64)], 1)[None]
    point = torch.tensor([[[0.25, -0.1, 2.0]]], dtype=torch.float64)  # u = 10 * 0.125 + 4 = 5.25, v = 3.5
    out = srf.projection(point, P, torch.zeros(1, 5, dtype=torch.float64), s)
    u, v = (10 * 0.25 + 4 * 2) / (2 + 1e-5), (-10 * 0.1 + 4 * 2) / (2 + 1e-5)
    torch.testing.assert_close(out[0, 0], torch.tensor([(2 * u - s) / s, (2 * v - s) / s, 2.0], dtype=torch.float64))
    # radial distortion acts on x' = x / z of P's output (here pixels: P's K applied first)
    P1 = torch.eye(3, 4, dtype=torch.float64)[None]
    k1 = 0.1
    d = srf.projection(point, P1, torch.tensor([[k1, 0, 0, 0, 0]], dtype=torch.float64), 2.0)
    x_, y_ = 0.25 / (2 + 1e-5), -0.1 / (2 + 1e-5)
    r2 = x_**2 + y_**2
    assert d[0, 0, 0].item() == pytest.approx(x_ * (1 + k1 * r2) - 1, rel=1e-12)
    assert d[0, 0, 1].item() == pytest.approx(y_ * (1 + k1 * r2) - 1, rel=1e-12)


def test_lighting_functions():
    normals = torch.tensor([[[0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])
    light = torch.zeros(1, 3, 3)
    light = srf.ambient_lighting(light, 0.3, (1, 0.5, 0))
    light = srf.directional_lighting(light, normals, 0.5, [1, 1, 1], (0, 2, 0))  # not normalized, as SoftRas
    # ambient 0.3 (1, 0.5, 0) everywhere; + 0.5 * (n . (0, 2, 0)) = 1.0 on the upward normal only
    torch.testing.assert_close(light, torch.tensor([[[1.3, 1.15, 1.0], [0.3, 0.15, 0.0], [0.3, 0.15, 0.0]]]))


def test_face_vertices_and_normals():
    v, f = icosphere(1, dtype=torch.float64)
    fv = srf.face_vertices(v[None], f[None].int())
    torch.testing.assert_close(fv[0], v[f])
    normals = srf.vertex_normals(v[None], f[None].int())
    torch.testing.assert_close(normals[0], v / v.norm(dim=1, keepdim=True), atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="batch size"):
        srf.vertex_normals(v[None].repeat(2, 1, 1), f[None])


def test_voxelization_matches_native_voxelizer():
    v, f = icosphere(2, dtype=torch.float64)
    v = v * 0.35 + torch.tensor([0.5, 0.45, 0.5], dtype=torch.float64)  # in [0, 1]
    vox = srf.voxelization(srf.face_vertices(v[None], f[None]), 16)
    assert vox.shape == (1, 16, 16, 16) and vox.dtype == torch.int32
    native = voxelize((v.numpy() * 16 - 8) / 15, f.numpy(), 16, surface="softras")  # [i_y, i_x, R-1-i_z]
    np.testing.assert_array_equal(vox[0].numpy().transpose(1, 0, 2)[:, :, ::-1], native.astype(np.int32))
    # a solid ball: the centre cell is filled, a corner is empty
    assert vox[0, 8, 7, 8] == 1 and vox[0, 0, 0, 0] == 0


def test_save_voxel_and_mesh_voxelize(tmp_path):
    v, f = icosphere(2)
    mesh = sr.Mesh(v * 0.4, f)
    vox = mesh.voxelize(16)
    assert vox.shape == (1, 16, 16, 16) and vox.sum() > 100
    path = tmp_path / "vox.obj"
    srf.save_voxel(str(path), vox[0])
    lines = path.read_text().splitlines()
    assert sum(line.startswith("v ") for line in lines) == int(vox.sum()) and not any(
        line.startswith("f ") for line in lines
    )


def test_recon_evaluation_idiom_gives_the_ground_truth_convention():
    """SoftRas' examples/recon/models.py evaluate_iou: voxelization of v * 31/32 + 1/2,
    then transpose(0, 2, 1, 3)[..., ::-1], is the docs/METHOD.md section 7 voxel convention."""
    v, f = icosphere(2, dtype=torch.float64)
    v = v * torch.tensor([0.45, 0.3, 0.2], dtype=torch.float64) + torch.tensor([0.02, -0.1, 0.05], dtype=torch.float64)
    faces_ = srf.face_vertices(v[None], f[None].int())
    faces_norm = faces_ * 1.0 * (32.0 - 1) / 32.0 + 0.5
    voxels_predict = srf.voxelization(faces_norm, 32, False).cpu().numpy()
    voxels_predict = voxels_predict.transpose(0, 2, 1, 3)[:, :, :, ::-1]
    np.testing.assert_array_equal(
        voxels_predict[0], voxelize(v.numpy(), f.numpy(), 32, surface="softras").astype(np.int32)
    )


def test_get_points_from_angles_mixed_numpy_and_tensors():
    """SoftRas' recon datasets pass a float tensor of distances and a numpy azimuth."""
    eyes = srf.get_points_from_angles(torch.ones(3) * 2.732, torch.ones(3) * 30.0, -np.arange(3) * 15)
    assert eyes.shape == (3, 3) and eyes.dtype == torch.float32
    torch.testing.assert_close(
        eyes[1], torch.tensor(srf.get_points_from_angles(2.732, 30.0, -15.0), dtype=torch.float32)
    )
    assert srf.get_points_from_angles(np.ones(2), np.zeros(2), np.zeros(2)).shape == (2, 3)
