"""The dense reference rasterizer: the oracle that every compiled kernel is tested against.

Checks it against the independent golden renders of ``tests/golden``, against
``gradcheck`` for every differentiable mode, and on the numerically nasty inputs of
docs/METHOD.md section 4.
"""

import itertools

import pytest
import torch
from kernel_helpers import GOLDEN_FILES, golden_alpha_and_grad, load_golden

from softrecon.renderer import RasterSettings, pixel_centers, rasterize_reference, soft_rasterize


def random_faces(num_batch, num_faces, generator, dtype=torch.float64, extent=0.8):
    """Random overlapping faces (N, F, 3, 3) in front of the camera, and colours (N, F, 3, 3)."""
    xy = (torch.rand(num_batch, num_faces, 3, 2, generator=generator, dtype=dtype) * 2 - 1) * extent
    z = torch.rand(num_batch, num_faces, 3, 1, generator=generator, dtype=dtype) * 2 + 2
    colors = torch.rand(num_batch, num_faces, 3, 3, generator=generator, dtype=dtype)
    return torch.cat([xy, z], dim=-1), colors


def _golden_implementations():
    """The reference always; the compiled CPU kernel where it is built."""
    from softrecon.renderer import _kernels

    cpu_kernel = pytest.param(
        "cpu", marks=pytest.mark.skipif(not _kernels.kernel_available("cpu"), reason="CPU kernel not built")
    )
    return ["reference", cpu_kernel]


@pytest.mark.parametrize("backend", _golden_implementations())
@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_matches_golden(path, backend):
    data = load_golden(path)[0]
    alpha, grad = golden_alpha_and_grad(path, backend)
    grad[:, 0] = -grad[:, 0]  # back to PyTorch3D's convention
    expected_grad = torch.tensor(data["grad_verts_dense64"])
    # The golden implementation (a PyTorch3D artefact it reproduces) drops the sliver of
    # the 'degenerate' case at pixels where the sliver's plane, extrapolated, has negative
    # depth. docs/METHOD.md section 2 keeps it (d^2 is inside the cut-off), so at one pixel we
    # render D = 1.77e-9 where golden has 0. Everywhere else agreement is ~1e-14.
    alpha_tol, grad_tol = (1e-8, 1e-7) if path.stem.startswith("degenerate") else (1e-12, 1e-12)
    assert (alpha.detach() - torch.tensor(data["alpha_dense64"])).abs().max() < alpha_tol
    assert ((grad - expected_grad).abs().max() / expected_grad.abs().max()) < grad_tol
    # PyTorch3D's own float32 numbers agree to its single precision.
    assert (alpha.detach() - torch.tensor(data["alpha"])).abs().max() < 1e-5


def test_pixel_centres_follow_method_section_1():
    xs, ys = pixel_centers(2, 4, torch.float64, torch.device("cpu"))  # H=2, W=4, S=2
    assert torch.allclose(xs, torch.tensor([-1.5, -0.5, 0.5, 1.5], dtype=torch.float64))
    assert torch.allclose(ys, torch.tensor([0.5, -0.5], dtype=torch.float64))


def test_orientation_x_right_y_up():
    """A triangle in the upper-right quadrant lights up the top-right pixels only."""
    fv = torch.tensor([[[[0.1, 0.1, 2.0], [0.9, 0.1, 2.0], [0.1, 0.9, 2.0]]]], dtype=torch.float64)
    alpha = soft_rasterize(fv, None, RasterSettings(image_size=8, sigma=1e-6))[0, 0]
    assert alpha[:4, 4:].sum() > 3 and alpha[4:, :].sum() == 0 and alpha[:, :4].sum() == 0


COMBOS = list(
    itertools.product(["euclidean", "barycentric"], ["prod", "sum", "max", "einstein", "hamacher"], ["softmax", "hard"])
)


@pytest.mark.parametrize("dist_func, aggr_alpha, aggr_rgb", COMBOS)
def test_reference_gradcheck(dist_func, aggr_alpha, aggr_rgb):
    gen = torch.Generator().manual_seed(1)
    fv, fc = random_faces(1, 3, gen)
    fv.requires_grad_(True)
    fc.requires_grad_(True)
    settings = RasterSettings(
        image_size=(8, 9),
        sigma=3e-2,
        gamma=0.3,
        dist_eps=1e-4,
        background=(0.1, 0.2, 0.3),
        dist_func=dist_func,
        aggr_alpha=aggr_alpha,
        aggr_rgb=aggr_rgb,
        double_sided=True,
    )
    render = lambda v, c: rasterize_reference(v, c, settings)  # noqa: E731
    if aggr_rgb == "softmax":
        assert torch.autograd.gradcheck(render, (fv, fc), eps=1e-6, atol=1e-6, rtol=1e-4)
    else:  # hard colour: colours are differentiable, geometry only through alpha
        assert torch.autograd.gradcheck(lambda v: render(v, fc)[:, -1], (fv,), eps=1e-6, atol=1e-6, rtol=1e-4)
        assert torch.autograd.gradcheck(lambda c: render(fv, c), (fc,), eps=1e-6, atol=1e-6, rtol=1e-4)
        (grad,) = torch.autograd.grad(render(fv, fc)[:, :-1].sum(), fv)
        assert torch.equal(grad, torch.zeros_like(grad))


@pytest.mark.parametrize(
    "dist_func, aggr_alpha", [("hard", "prod"), ("hard", "sum"), ("euclidean", "hard"), ("hard", "hard")]
)
def test_hard_modes_have_zero_finite_geometry_gradient(dist_func, aggr_alpha):
    gen = torch.Generator().manual_seed(2)
    fv, _ = random_faces(2, 4, gen)
    fv.requires_grad_(True)
    settings = RasterSettings(image_size=12, sigma=1e-2, dist_func=dist_func, aggr_alpha=aggr_alpha)
    alpha = rasterize_reference(fv, None, settings)
    assert alpha.max() > 0
    if aggr_alpha != "sum":  # 'sum' divides by F
        assert alpha.max() == 1.0
    (grad,) = torch.autograd.grad(alpha.sum(), fv, allow_unused=False)
    assert torch.isfinite(grad).all() and grad.abs().max() == 0


def test_prod_gradient_is_exact_where_coverage_is_one():
    """Deep inside a face at tiny sigma, D = 1 to machine precision; dA/dD_j of the other
    face must still be the exact product (docs/METHOD.md section 4), not (1 - A) / max(1 - D, 1e-6)."""
    big = [[-0.9, -0.9, 2.0], [0.9, -0.9, 2.0], [0.0, 0.9, 2.0]]
    small = [[-0.05, -0.05, 3.0], [0.05, -0.05, 3.0], [0.0, 0.05, 3.0]]
    fv = torch.tensor([[big, small]], dtype=torch.float64, requires_grad=True)
    settings = RasterSettings(image_size=16, sigma=1e-7, dist_eps=1e-10)
    alpha = rasterize_reference(fv, None, settings)
    (grad,) = torch.autograd.grad(alpha.sum(), fv)
    # Coverage of the big face is 1 everywhere inside, so alpha cannot change with the
    # small face: its exact gradient is 0. The reference code's formula would give
    # (1 - A) / 1e-6 * D (1 - D) = nonzero garbage only where 1 - D underflows; here we just
    # need the exact (finite, zero) answer.
    assert torch.isfinite(grad).all()
    assert grad[0, 1].abs().max() == 0


def test_no_nan_on_degenerate_inputs():
    pc = pixel_centers(8, 8, torch.float64, torch.device("cpu"))
    x0, y0 = pc[0][3].item(), pc[1][3].item()  # a pixel centre, exactly
    faces = torch.tensor(
        [
            [[0.0, 0.0, 2.0], [0.5, 0.5, 2.0], [1.0, 1.0, 2.0]],  # zero area (collinear)
            [[0.2, 0.2, 2.0], [0.2, 0.2, 2.0], [0.6, 0.1, 2.0]],  # two coincident vertices
            [[-0.8, -0.8, 2.0], [0.8, -0.79, 2.0], [-0.8, -0.7999, 2.0]],  # sliver
            [[x0, y0, 2.0], [x0 + 0.5, y0, 2.0], [x0, y0 + 0.5, 2.0]],  # vertex on a pixel centre
            [[-0.5, -0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.5, 0.5]],  # before near
            [[-0.5, -0.5, 200.0], [0.5, -0.5, 200.0], [0.0, 0.5, 200.0]],  # beyond far
            [[-0.5, -0.5, 0.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]],  # vertex at z = 0
        ],
        dtype=torch.float64,
    )[None]
    padded = torch.cat([faces, torch.zeros_like(faces)])  # second mesh empty (all-zero faces)
    colors = torch.rand(2, faces.shape[1], 3, 3, dtype=torch.float64)
    for sigma in (1e-2, 1e-4, 1e-7):
        for combo in itertools.product(
            ["euclidean", "barycentric"], ["prod", "sum", "max", "einstein", "hamacher"], ["softmax", "hard"]
        ):
            fv = padded.clone().requires_grad_(True)
            fc = colors.clone().requires_grad_(True)
            settings = RasterSettings(
                image_size=8, sigma=sigma, dist_func=combo[0], aggr_alpha=combo[1], aggr_rgb=combo[2]
            )
            image = rasterize_reference(fv, fc, settings)
            grads = torch.autograd.grad((image * torch.rand_like(image)).sum(), (fv, fc))
            assert torch.isfinite(image).all() and all(torch.isfinite(g).all() for g in grads)
            assert image[1, -1].abs().max() == 0  # the empty mesh renders nothing


def test_empty_meshes():
    fv = torch.zeros(2, 0, 3, 3, requires_grad=True)
    fc = torch.zeros(2, 0, 3, 3, requires_grad=True)
    image = soft_rasterize(fv, fc, RasterSettings(image_size=(4, 6), background=(0.2, 0.4, 0.6)))
    assert image.shape == (2, 4, 4, 6)
    assert torch.allclose(image[:, :3, 0, 0], torch.tensor([0.2, 0.4, 0.6]))
    assert image[:, 3].abs().max() == 0
    image.sum().backward()
    assert fv.grad is not None and fv.grad.shape == fv.shape


def test_sigma_to_zero_approaches_hard():
    gen = torch.Generator().manual_seed(3)
    fv, fc = random_faces(1, 5, gen)
    soft = rasterize_reference(fv, fc, RasterSettings(image_size=16, sigma=1e-9, gamma=1e-6, double_sided=True))
    hard = rasterize_reference(
        fv, fc, RasterSettings(image_size=16, dist_func="hard", aggr_alpha="hard", aggr_rgb="hard", double_sided=True)
    )
    assert (soft - hard).abs().max() < 1e-3


def test_back_faces_hide_color_but_not_silhouette():
    ccw = torch.tensor(
        [[[[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]]]], dtype=torch.float64
    )  # area > 0: back
    cw = ccw[:, :, [0, 2, 1]]  # area < 0: front
    colors = torch.ones(1, 1, 3, 3, dtype=torch.float64)
    settings = RasterSettings(image_size=8, sigma=1e-6, aggr_rgb="hard")
    back, front = (soft_rasterize(f, colors, settings) for f in (ccw, cw))
    assert torch.equal(back[:, 3], front[:, 3])
    assert back[:, :3].max() == 0 and front[:, :3].max() == 1
    both = soft_rasterize(ccw, colors, settings.replace(double_sided=True))
    assert torch.equal(both, front)


@pytest.mark.parametrize(
    "fv, fc, match",
    [
        (torch.zeros(1, 2, 3), None, "face_vertices must have shape"),
        (torch.zeros(1, 2, 3, 3, dtype=torch.int64), None, "float32 or float64"),
        (torch.full((1, 2, 3, 3), float("nan")), None, "NaN"),
        ([[0.0]], None, "torch.Tensor"),
        (torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, 3), "face_colors must have shape"),
        (torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 3, dtype=torch.float64), "dtype"),
        (torch.zeros(1, 2, 3, 3), torch.full((1, 2, 3, 3), float("inf")), "face_colors contains"),
        (torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 2), "background"),
    ],
)
def test_bad_inputs_name_the_argument(fv, fc, match):
    with pytest.raises(ValueError, match=match):
        soft_rasterize(fv, fc, RasterSettings(image_size=4))


def test_bad_settings_and_backend():
    fv = torch.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="settings must be a RasterSettings"):
        soft_rasterize(fv, None, {"sigma": 1})
    with pytest.raises(ValueError, match="backend"):
        soft_rasterize(fv, None, RasterSettings(image_size=4), backend="opengl")
    with pytest.raises(ValueError, match="cuda"):
        soft_rasterize(fv, None, RasterSettings(image_size=4), backend="cuda")
