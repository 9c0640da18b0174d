"""softrecon.compat.softras: SoftRas' public names and defaults, and its modules against
the native API with SoftRas' defaults (forward and backward)."""

import inspect
import pathlib

import numpy as np
import pytest
import torch

import softrecon.compat.softras as sr
from softrecon.geometry.icosphere import icosphere
from softrecon.losses import LaplacianLoss as NativeLaplacian
from softrecon.renderer import Lighting, PerspectiveCamera, RasterSettings, SoftRenderer
from softrecon.structures import Mesh as NativeMesh

MESHES = pathlib.Path(__file__).resolve().parents[2] / "softrecon" / "assets" / "meshes"  # sample meshes

# soft_renderer/__init__.py and soft_renderer/functional/__init__.py of SoftRas 1.0.0
SOFTRAS_NAMES = [
    "functional", "Mesh", "Renderer", "SoftRenderer", "Projection", "LookAt", "Look", "Transform",
    "AmbientLighting", "DirectionalLighting", "Lighting", "SoftRasterizer", "LaplacianLoss", "FlattenLoss", "__version__",
]  # fmt: skip
SOFTRAS_FUNCTIONAL_NAMES = [
    "get_points_from_angles", "ambient_lighting", "directional_lighting", "load_obj", "look", "look_at", "perspective",
    "orthogonal", "projection", "soft_rasterize", "save_obj", "save_voxel", "face_vertices", "vertex_normals", "voxelization",
]  # fmt: skip

# Parameter names and defaults, copied from SoftRas' sources.
SOFTRAS_SIGNATURES = {
    "SoftRenderer": dict(image_size=256, background_color=[0, 0, 0], near=1, far=100, anti_aliasing=False, fill_back=True, eps=1e-3,
                         sigma_val=1e-5, dist_func="euclidean", dist_eps=1e-4, gamma_val=1e-4, aggr_func_rgb="softmax",
                         aggr_func_alpha="prod", texture_type="surface", camera_mode="projection", P=None, dist_coeffs=None,
                         orig_size=512, perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None, camera_direction=[0, 0, 1],
                         light_mode="surface", light_intensity_ambient=0.5, light_color_ambient=[1, 1, 1],
                         light_intensity_directionals=0.5, light_color_directionals=[1, 1, 1], light_directions=[0, 1, 0]),
    "Renderer": dict(image_size=256, background_color=[0, 0, 0], near=1, far=100, anti_aliasing=True, fill_back=True, eps=1e-6,
                     camera_mode="projection", P=None, dist_coeffs=None, orig_size=512, perspective=True, viewing_angle=30,
                     viewing_scale=1.0, eye=None, camera_direction=[0, 0, 1], light_mode="surface", light_intensity_ambient=0.5,
                     light_color_ambient=[1, 1, 1], light_intensity_directionals=0.5, light_color_directionals=[1, 1, 1],
                     light_directions=[0, 1, 0]),
    "SoftRasterizer": dict(image_size=256, background_color=[0, 0, 0], near=1, far=100, anti_aliasing=False, fill_back=False, eps=1e-3,
                           sigma_val=1e-5, dist_func="euclidean", dist_eps=1e-4, gamma_val=1e-4, aggr_func_rgb="softmax",
                           aggr_func_alpha="prod", texture_type="surface"),
    "Transform": dict(camera_mode="projection", P=None, dist_coeffs=None, orig_size=512, perspective=True, viewing_angle=30,
                      viewing_scale=1.0, eye=None, camera_direction=[0, 0, 1]),
    "LookAt": dict(perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None),
    "Look": dict(camera_direction=[0, 0, 1], perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None),
    "Projection": dict(P=inspect.Parameter.empty, dist_coeffs=None, orig_size=512),
    "Lighting": dict(light_mode="surface", intensity_ambient=0.5, color_ambient=[1, 1, 1], intensity_directionals=0.5,
                     color_directionals=[1, 1, 1], directions=[0, 1, 0]),
    "AmbientLighting": dict(light_intensity=0.5, light_color=(1, 1, 1)),
    "DirectionalLighting": dict(light_intensity=0.5, light_color=(1, 1, 1), light_direction=(0, 1, 0)),
    "LaplacianLoss": dict(vertex=inspect.Parameter.empty, faces=inspect.Parameter.empty, average=False),
    "FlattenLoss": dict(faces=inspect.Parameter.empty, average=False),
    "Mesh": dict(vertices=inspect.Parameter.empty, faces=inspect.Parameter.empty, textures=None, texture_res=1, texture_type="surface"),
    "functional.soft_rasterize": dict(face_vertices=inspect.Parameter.empty, textures=inspect.Parameter.empty, image_size=256,
                                      background_color=[0, 0, 0], near=1, far=100, fill_back=True, eps=1e-3, sigma_val=1e-5,
                                      dist_func="euclidean", dist_eps=1e-4, gamma_val=1e-4, aggr_func_rgb="softmax",
                                      aggr_func_alpha="prod", texture_type="surface"),
    "functional.look_at": dict(vertices=inspect.Parameter.empty, eye=inspect.Parameter.empty, at=[0, 0, 0], up=[0, 1, 0]),
    "functional.look": dict(vertices=inspect.Parameter.empty, eye=inspect.Parameter.empty, direction=[0, 1, 0], up=None),
    "functional.perspective": dict(vertices=inspect.Parameter.empty, angle=30.0),
    "functional.load_obj": dict(filename_obj=inspect.Parameter.empty, normalization=False, load_texture=False, texture_res=4, texture_type="surface"),
    "functional.save_obj": dict(filename=inspect.Parameter.empty, vertices=inspect.Parameter.empty, faces=inspect.Parameter.empty,
                                textures=None, texture_res=16, texture_type="surface"),
    "functional.get_points_from_angles": dict(distance=inspect.Parameter.empty, elevation=inspect.Parameter.empty,
                                              azimuth=inspect.Parameter.empty, degrees=True),
    "Mesh.from_obj": dict(filename_obj=inspect.Parameter.empty, normalization=False, load_texture=False, texture_res=1, texture_type="surface"),
    "Mesh.save_obj": dict(self=inspect.Parameter.empty, filename_obj=inspect.Parameter.empty, save_texture=False, texture_res_out=16),
    "SoftRenderer.forward": dict(self=inspect.Parameter.empty, vertices=inspect.Parameter.empty, faces=inspect.Parameter.empty,
                                 textures=None, mode=None, texture_type="surface"),
}  # fmt: skip


def test_every_public_name_importable():
    for name in SOFTRAS_NAMES:
        assert hasattr(sr, name), name
    for name in SOFTRAS_FUNCTIONAL_NAMES:
        assert callable(getattr(sr.functional, name)), name
    import softrecon.compat.softras.functional as srf  # the `import soft_renderer.functional as srf` idiom

    assert srf is sr.functional


# Keyword-only parameters softrecon adds to SoftRas' signatures (not part of SoftRas).
SOFTRECON_KEYWORDS = ("renderer",)


@pytest.mark.parametrize("name", sorted(SOFTRAS_SIGNATURES))
def test_signatures_and_defaults_are_softras(name):
    obj = sr
    for part in name.split("."):
        obj = getattr(obj, part)
    params = inspect.signature(obj).parameters
    expected = SOFTRAS_SIGNATURES[name]
    # softrecon's own additions (renderer='nmr') are keyword-only, after SoftRas' own.
    extensions = [key for key in params if key in SOFTRECON_KEYWORDS]
    assert all(params[key].kind is inspect.Parameter.KEYWORD_ONLY for key in extensions)
    params = {key: value for key, value in params.items() if key not in SOFTRECON_KEYWORDS}
    assert list(params) == list(expected)
    for key, default in expected.items():
        assert params[key].default == default, key


def _sphere(dtype=torch.float64):
    v, f = icosphere(2, dtype=dtype)
    v = v * 0.5 + torch.tensor([0.05, 0.0, -0.03], dtype=dtype)
    # jitter: no face normal exactly perpendicular to the light, where max(0, n . l) has a
    # kink whose subgradient SoftRas (relu: 0) and the native Lighting (clamp: 1) pick differently
    return v + 0.01 * torch.randn(v.shape, dtype=dtype, generator=torch.Generator().manual_seed(5)), f


def _native(image_size=32, **overrides):
    """softrecon's native renderer with SoftRas' defaults (docs/MIGRATING.md)."""
    settings = RasterSettings(
        image_size, sigma=1e-5, gamma=1e-4, dist_eps=1e-4, background_eps=2e-3, double_sided=True
    ).replace(**overrides)
    return SoftRenderer(settings, Lighting())


@pytest.mark.parametrize("texture_type", ["surface", "vertex"])
def test_soft_renderer_matches_native_forward_backward(texture_type):
    v, f = _sphere()
    colors = torch.rand(
        1,
        f.shape[0] if texture_type == "surface" else v.shape[0],
        3,
        dtype=torch.float64,
        generator=torch.Generator().manual_seed(0),
    )
    eye = sr.functional.get_points_from_angles(2.732, 30.0, 45.0)

    vc = v[None].clone().requires_grad_(True)
    renderer = sr.SoftRenderer(image_size=32, camera_mode="look_at", sigma_val=1e-4)
    renderer.transform.set_eyes(eye)
    textures = colors[:, :, None, :] if texture_type == "surface" else colors
    compat = renderer(vc, f[None].int(), textures, texture_type=texture_type)

    vn = v[None].clone().requires_grad_(True)
    mode = "face" if texture_type == "surface" else "vertex"
    camera = PerspectiveCamera.look_at(torch.tensor(eye, dtype=torch.float64), viewing_angle=30.0)
    native = _native(sigma=1e-4)(NativeMesh(vn, f, colors, color_mode=mode), camera)
    torch.testing.assert_close(compat, native, rtol=0, atol=1e-10)
    assert compat[:, 3].sum() > 50  # the sphere is in view
    w = torch.rand_like(native)
    (gc,) = torch.autograd.grad((compat * w).sum(), vc)
    (gn,) = torch.autograd.grad((native * w).sum(), vn)
    torch.testing.assert_close(gc, gn, rtol=1e-8, atol=1e-10)
    assert gc.abs().sum() > 0


def test_renderer_defaults_flat_shading_and_anti_aliasing():
    """No textures: SoftRas shades white surface textures per face (flat); anti_aliasing
    renders 2S and averages."""
    v, f = _sphere()
    eye = sr.functional.get_points_from_angles(2.732, 30.0, 0.0)
    renderer = sr.SoftRenderer(image_size=16, camera_mode="look_at", anti_aliasing=True, sigma_val=1e-4)
    renderer.transform.set_eyes(eye)
    image = renderer(v[None], f[None])
    camera = PerspectiveCamera.look_at(torch.tensor(eye, dtype=torch.float64), viewing_angle=30.0)
    native = _native(16, sigma=1e-4)
    native.antialias = 2
    ones = torch.ones(1, f.shape[0], 3, dtype=torch.float64)
    torch.testing.assert_close(
        image, native(NativeMesh(v[None], f, ones, color_mode="face"), camera), rtol=0, atol=1e-10
    )


def test_set_sigma_gamma_texture_mode_and_eyes():
    renderer = sr.SoftRenderer(camera_mode="look_at")
    renderer.set_sigma(3e-5)
    renderer.set_gamma(2e-4)
    renderer.set_texture_mode("vertex")
    assert (renderer.rasterizer.sigma_val, renderer.rasterizer.gamma_val) == (3e-5, 2e-4)
    assert renderer.lighting.light_mode == renderer.rasterizer.texture_type == "vertex"
    with pytest.raises(ValueError, match="surface and vertex"):
        renderer.set_texture_mode("uv")
    renderer.transform.set_eyes_from_angles(
        torch.tensor([2.0, 3.0]), torch.tensor([0.0, 0.0]), torch.tensor([0.0, 90.0])
    )
    torch.testing.assert_close(
        renderer.transform.eyes, torch.tensor([[0.0, 0.0, -2.0], [3.0, 0.0, 0.0]]), atol=1e-6, rtol=0
    )
    settings = renderer.rasterizer.native_settings()
    assert (settings.sigma, settings.background_eps, settings.double_sided, settings.image_size) == (
        3e-5,
        2e-3,
        True,
        (256, 256),
    )
    with pytest.raises(ValueError, match="projection matrix"):
        sr.SoftRenderer()  # camera_mode='projection' without P, as SoftRas
    with pytest.raises(ValueError, match="Projection does not need"):
        sr.Transform("projection", P=torch.eye(3, 4)[None]).set_eyes([0, 0, -3])


def test_look_mode_renders_like_look_at():
    """SoftRas' 'look' mode is broken (arguments shifted, up=None crash); here it works."""
    v, f = _sphere()
    look = sr.SoftRenderer(image_size=16, camera_mode="look", camera_direction=[0, 0, 1], sigma_val=1e-4)
    look_at = sr.SoftRenderer(image_size=16, camera_mode="look_at", sigma_val=1e-4)  # default eye on -z, looking at 0
    torch.testing.assert_close(look(v[None], f[None]), look_at(v[None], f[None]), rtol=0, atol=1e-12)


def test_hard_renderer():
    v, f = _sphere()
    renderer = sr.Renderer(image_size=16, camera_mode="look_at", anti_aliasing=False)
    image = renderer(sr.Mesh(v[None], f[None]))
    alpha = image[0, 3]
    assert set(alpha.unique().tolist()) == {0.0, 1.0}
    assert 10 < alpha.sum() < 60  # the sphere, about 0.32 NDC in radius


def test_projection_mode_renders():
    """camera_mode='projection' with an identity-rotation P equals look_at from (0, 0, -d)
    up to SoftRas' pixel convention (NDC = 2 u / S - 1) and its z + 1e-5 guard."""
    v, f = _sphere()
    d, s = 2.732, 32
    focal = s / 2 / np.tan(np.radians(30))
    K = torch.tensor([[focal, 0, s / 2], [0, focal, s / 2], [0, 0, 1]], dtype=torch.float64)
    P = K @ torch.cat([torch.eye(3, dtype=torch.float64), torch.tensor([[0.0], [0.0], [d]], dtype=torch.float64)], 1)
    projected = sr.SoftRenderer(image_size=s, camera_mode="projection", P=P[None], orig_size=s, sigma_val=1e-4)(
        v[None], f[None]
    )
    look_at = sr.SoftRenderer(image_size=s, camera_mode="look_at", eye=[0, 0, -d], sigma_val=1e-4)(v[None], f[None])
    # look_at's camera x = cross(up, z) = -world x: the two images are mirror images
    torch.testing.assert_close(projected[..., 3], look_at[..., 3].flip(-1), atol=2e-3, rtol=0)


def test_mesh_attributes_fill_back_and_reset():
    v, f = _sphere()
    mesh = sr.Mesh(v.numpy(), f.numpy())
    assert mesh.vertices.shape == (1, v.shape[0], 3) and mesh.faces.dtype == torch.int32
    assert mesh.textures.shape == (1, f.shape[0], 1, 3) and mesh.texture_res == 1
    assert (mesh.batch_size, mesh.num_vertices, mesh.num_faces) == (1, v.shape[0], f.shape[0])
    assert mesh.face_vertices.shape == (1, f.shape[0], 3, 3)
    assert mesh.surface_normals.shape == (1, f.shape[0], 3) and mesh.vertex_normals.shape == (1, v.shape[0], 3)
    # outward normals (CCW winding): positive dot product with the face centroid
    centroids = mesh.face_vertices.mean(2) - mesh.vertices.mean(1, keepdim=True)
    assert ((mesh.surface_normals * centroids).sum(-1) > 0).all()
    mesh.fill_back_()
    mesh.fill_back_()  # once only
    assert mesh.num_faces == 2 * f.shape[0] and mesh.textures.shape[1] == 2 * f.shape[0]
    mesh.vertices = mesh.vertices * 2
    assert mesh.face_vertices.abs().max() > 0.9  # recomputed after the setter
    mesh.reset_()
    assert mesh.num_faces == f.shape[0] and torch.equal(mesh.faces[0].long(), f)
    with pytest.raises(ValueError, match="texture_type"):
        sr.Mesh(v, f, texture_type="uv")
    with pytest.raises(ValueError, match="textures for texture_type='vertex'"):
        sr.Mesh(v, f, torch.ones(1, 5, 3), texture_type="vertex")


@pytest.mark.parametrize("texture_type", ["surface", "vertex"])
def test_mesh_obj_round_trip(tmp_path, texture_type):
    v, f = icosphere(1)
    g = torch.Generator().manual_seed(1)
    textures = (
        torch.rand(f.shape[0], 4, 3, generator=g)
        if texture_type == "surface"
        else torch.rand(v.shape[0], 3, generator=g)
    )
    mesh = sr.Mesh(v, f, textures, texture_type=texture_type)
    path = str(tmp_path / "m.obj")
    mesh.save_obj(path, save_texture=True)
    loaded = sr.Mesh.from_obj(path, load_texture=True, texture_res=2, texture_type=texture_type)
    torch.testing.assert_close(loaded.vertices.cpu(), v[None], atol=1e-6, rtol=0)
    assert torch.equal(loaded.faces.cpu().long(), f[None])
    torch.testing.assert_close(loaded.textures.cpu(), textures[None], atol=0.5 / 255 + 1e-6, rtol=0)
    normalized = sr.Mesh.from_obj(path, normalization=True)
    extent = normalized.vertices[0].amax(0) - normalized.vertices[0].amin(0)
    assert extent.max().item() == pytest.approx(2.0)


def test_from_obj_cow_surface_textures():
    cow = MESHES / "cow" / "cow.obj"
    mesh = sr.Mesh.from_obj(str(cow), load_texture=True, texture_res=2, texture_type="surface")
    assert mesh.textures.shape == (1, mesh.num_faces, 4, 3)
    assert 0.05 < mesh.textures.mean() < 0.95 and mesh.textures.std() > 0.05  # a real texture, not white
    _, _, vertex_colors = sr.functional.load_obj(str(cow), load_texture=True, texture_type="vertex")
    assert vertex_colors.shape == (mesh.num_vertices, 3)  # the texture sampled at the vertices (SoftRas: no colours)


def test_load_obj_errors_name_the_file(tmp_path):
    path = tmp_path / "plain.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with pytest.raises(ValueError, match="plain.obj.*per-vertex colours"):
        sr.functional.load_obj(str(path), load_texture=True, texture_type="vertex")
    with pytest.raises(ValueError, match="plain.obj.*needs a material"):
        sr.Mesh.from_obj(str(path), load_texture=True)
    with pytest.raises(ValueError, match="missing.obj"):
        sr.Mesh.from_obj(str(tmp_path / "missing.obj"))


def test_laplacian_loss_per_mesh_as_softras():
    v, f = icosphere(1, dtype=torch.float64)
    dense = np.zeros((v.shape[0], v.shape[0]))
    for a, b in ((0, 1), (1, 0), (1, 2), (2, 1), (2, 0), (0, 2)):
        dense[f[:, a], f[:, b]] = -1
    dense[np.diag_indices(v.shape[0])] = -dense.sum(1)
    dense /= np.diag(dense)[:, None]
    x = torch.rand(3, v.shape[0], 3, dtype=torch.float64)
    expected = (torch.from_numpy(dense) @ x).pow(2).sum((1, 2))
    torch.testing.assert_close(sr.LaplacianLoss(v, f)(x), expected)
    torch.testing.assert_close(sr.LaplacianLoss(v, f, average=True)(x), expected.sum() / 3)
    torch.testing.assert_close(sr.LaplacianLoss(v, f)(x), NativeLaplacian(f, v.shape[0], reduction="none")(x))


def _softras_flatten_quads(faces):
    """SoftRas' FlattenLoss.__init__ loop, transcribed."""
    faces = faces.numpy()
    edges = sorted(set(tuple(e) for e in np.sort(np.concatenate((faces[:, 0:2], faces[:, 1:3]), axis=0))))
    quads = []
    for v0, v1 in edges:
        others = [int(face[(face != v0) & (face != v1)][0]) for face in faces if v0 in face and v1 in face]
        quads.append((v0, v1, others[0], others[1]))
    return np.array(quads)


def test_flatten_loss_uses_softras_edges_and_values():
    v, f = icosphere(1, dtype=torch.float64)
    rolls = torch.randint(0, 3, (f.shape[0],), generator=torch.Generator().manual_seed(2))
    f = torch.stack([f[i].roll(int(r)) for i, r in enumerate(rolls)])  # same winding, other first corners
    quads = _softras_flatten_quads(f)
    assert len(quads) < 120  # some edges are the (2, 0) side of both faces: SoftRas skips them
    x = (
        v + 0.05 * torch.randn(2, *v.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    ).requires_grad_(True)
    a = x[:, quads[:, 1]] - x[:, quads[:, 0]]
    eps = 1e-6

    def perp(side):
        al2, bl2 = a.pow(2).sum(-1), side.pow(2).sum(-1)
        ab = (a * side).sum(-1)
        cos = ab / ((al2 + eps).sqrt() * (bl2 + eps).sqrt() + eps)
        return side - a * (ab / (al2 + eps))[..., None], (bl2 + eps).sqrt() * (1 - cos.pow(2) + eps).sqrt()

    p2, l2 = perp(x[:, quads[:, 2]] - x[:, quads[:, 0]])
    p3, l3 = perp(x[:, quads[:, 3]] - x[:, quads[:, 0]])
    expected = ((p2 * p3).sum(-1) / (l2 * l3 + eps) + 1).pow(2).sum(-1)
    loss = sr.FlattenLoss(f)
    torch.testing.assert_close(loss(x), expected)
    torch.testing.assert_close(sr.FlattenLoss(f, average=True)(x), expected.mean())
    torch.autograd.gradcheck(lambda y: loss(y), (x,))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_soft_renderer_on_cuda_matches_cpu():
    v, f = _sphere(torch.float32)
    images = {}
    grads = {}
    for device in ("cpu", "cuda"):
        vertices = v[None].to(device).requires_grad_(True)
        renderer = sr.SoftRenderer(image_size=32, camera_mode="look_at", sigma_val=1e-4)
        renderer.transform.set_eyes_from_angles(2.732, 30.0, 45.0)
        images[device] = renderer(vertices, f[None].int().to(device))
        (grads[device],) = torch.autograd.grad(images[device].sum(), vertices)
    torch.testing.assert_close(images["cuda"].cpu(), images["cpu"], atol=1e-5, rtol=0)
    torch.testing.assert_close(grads["cuda"].cpu(), grads["cpu"], atol=1e-3, rtol=1e-3)
    mesh = sr.Mesh(v.numpy(), f.numpy())  # numpy goes to the default device: CUDA here, as SoftRas
    assert mesh.vertices.device.type == "cuda" and sr.default_device().type == "cuda"
