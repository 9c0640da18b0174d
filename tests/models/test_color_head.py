"""Tests of the colour-supervised model's pieces: the palette colour head, the colour L1
loss and the face-adjacency colour Laplacian."""

import pytest
import torch

from softrecon.geometry import icosphere
from softrecon.losses import ColorLaplacianLoss, LaplacianLoss, color_l1_loss
from softrecon.losses._topology import face_adjacency_edges
from softrecon.models import PaletteColorHead
from softrecon.renderer import RasterSettings
from softrecon.renderer.cameras import benchmark_camera
from softrecon.renderer.soft_renderer import SoftRenderer
from softrecon.structures.mesh import Mesh


def two_color_images(batch=2, size=8, dtype=torch.float64):
    """RGBA images: a red left half and a blue right half in the foreground square, a
    green background (alpha 0) that the palette must never pick."""
    images = torch.zeros(batch, 4, size, size, dtype=dtype)
    images[:, 1] = 1.0  # green everywhere ...
    lo, hi = size // 4, 3 * size // 4
    images[:, :, lo:hi, lo:hi] = 0.0  # ... but the foreground square
    images[:, 0, lo:hi, lo : size // 2] = 1.0  # red left half
    images[:, 2, lo:hi, size // 2 : hi] = 1.0  # blue right half
    images[:, 3, lo:hi, lo:hi] = 1.0
    return images


def small_head(num_faces=6, palette=3, resolution=2, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return PaletteColorHead(
        latent_dim=5,
        num_faces=num_faces,
        palette_size=palette,
        texture_resolution=resolution,
        grid_size=4,
        embedding_dim=4,
    ).to(dtype)


def test_shapes_and_normalisation():
    head = small_head()
    images = two_color_images()
    out = head(torch.randn(2, 5, dtype=torch.float64), images)
    assert out.textures.shape == (2, 6, 4, 3)
    assert out.palette.shape == (2, 3, 3)
    assert out.sample_weights.shape == (2, 3, 8, 8)
    assert out.choice.shape == (2, 6, 4, 3)
    torch.testing.assert_close(out.sample_weights.sum(dim=(2, 3)), torch.ones(2, 3, dtype=torch.float64))
    torch.testing.assert_close(out.choice.sum(-1), torch.ones(2, 6, 4, dtype=torch.float64))
    # Each texel is the choice-weighted palette, each palette colour the weighted image.
    torch.testing.assert_close(out.textures, torch.einsum("nftp,npc->nftc", out.choice, out.palette))
    torch.testing.assert_close(out.palette, torch.einsum("npij,ncij->npc", out.sample_weights, images[:, :3]))


def test_palette_never_samples_the_background():
    head = small_head()
    out = head(10 * torch.randn(2, 5, dtype=torch.float64), two_color_images())
    # Every colour is a mix of the red and the blue foreground, however large the logits
    # of the (green) background: no green at all, red + blue = 1.
    assert out.palette[..., 1].abs().max() == 0
    torch.testing.assert_close(out.palette[..., 0] + out.palette[..., 2], torch.ones(2, 3, dtype=torch.float64))
    assert out.textures.min() >= 0 and out.textures.max() <= 1


def test_empty_image_gives_a_black_palette_not_nan():
    head = small_head()
    images = two_color_images()
    images[:, 3] = 0.0
    latent = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    out = head(latent, images)
    assert out.palette.abs().max() == 0
    out.textures.sum().backward()
    assert torch.isfinite(latent.grad).all()


def test_images_without_alpha_sample_every_pixel():
    head = small_head()
    rgb = two_color_images()[:, :3]
    out = head(torch.zeros(2, 5, dtype=torch.float64), rgb)
    # Without a mask every pixel may be sampled, so the (green) background shows up.
    assert out.palette[..., 1].min() > 0.05


def test_gradcheck():
    head = small_head(num_faces=2, palette=2, resolution=1)
    latent = torch.randn(1, 5, dtype=torch.float64, requires_grad=True)
    images = (0.1 + 0.8 * torch.rand(1, 4, 4, 4, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(lambda z, x: head(z, x).textures, (latent, images))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(latent_dim=0, num_faces=3), "latent_dim"),
        (dict(latent_dim=3, num_faces=3, palette_size=True), "palette_size"),
        (dict(latent_dim=3, num_faces=3, texture_resolution=1.5), "texture_resolution"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PaletteColorHead(**kwargs)


def test_bad_inputs():
    head = small_head()
    with pytest.raises(ValueError, match="latent"):
        head(torch.randn(5, dtype=torch.float64), two_color_images())
    with pytest.raises(ValueError, match="images"):
        head(torch.randn(2, 5, dtype=torch.float64), torch.zeros(2, 2, 8, 8, dtype=torch.float64))
    with pytest.raises(ValueError, match="batch size"):
        head(torch.randn(3, 5, dtype=torch.float64), two_color_images())


def test_textures_render_and_learn_the_input_colors():
    """Adam steps on the colour loss alone turn a sphere's texture from a mix of the
    input's two colours into the colour the target views show: the head, the texture
    render and the colour loss work end to end."""
    torch.manual_seed(0)
    vertices, faces = icosphere(1)
    vertices = 0.4 * vertices[None].float()
    size = 16
    renderer = SoftRenderer(RasterSettings(image_size=size, sigma=1e-4, aggr_rgb="softmax"), lighting=None)
    camera = benchmark_camera(0)
    mask = (renderer.render_silhouette(vertices, faces, camera) > 0.5).float()  # (1, S, S)
    orange = torch.tensor([0.9, 0.4, 0.0])
    target = torch.cat([orange[None, :, None, None] * mask[:, None], mask[:, None]], dim=1)
    # Input image: the orange object and, beside it, as many blue foreground pixels.
    images = torch.zeros(1, 4, size, size)
    images[:, :, :, : size // 2] = target[:, :, :, size // 4 : 3 * size // 4]
    images[:, 2:, :, size // 2 :] = target[:, 3:, :, size // 4 : 3 * size // 4]  # blue, alpha 1
    head = PaletteColorHead(latent_dim=4, num_faces=faces.shape[0], palette_size=4, grid_size=4)
    latent = torch.randn(1, 4)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    initial = head(latent, images).textures.mean(dim=(0, 1, 2))
    assert (initial - orange).abs().max() > 0.15  # starts as a mix with blue
    for _ in range(20):
        textures = head(latent, images).textures
        rgba = renderer(Mesh(vertices, faces, textures, "texture"), camera)
        loss = color_l1_loss(rgba[:, :3], target[:, :3])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = head(latent, images).textures.mean(dim=(0, 1, 2))
    torch.testing.assert_close(final.detach(), orange, atol=0.05, rtol=0)


# ----------------------------------------------------------------------------- losses
def test_color_l1_loss_values_and_checks():
    rendered = torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    target = torch.zeros_like(rendered)
    target[1, 0] = 0.6  # image 1: one of three channels off by 0.6 everywhere
    torch.testing.assert_close(
        color_l1_loss(rendered, target, reduction="none"), torch.tensor([0.0, 0.2], dtype=torch.float64)
    )
    torch.testing.assert_close(color_l1_loss(rendered, target), torch.tensor(0.1, dtype=torch.float64))
    assert color_l1_loss(target, target) == 0
    with pytest.raises(ValueError, match="target"):
        color_l1_loss(rendered, target[:, :2])
    with pytest.raises(ValueError, match="rendered"):
        color_l1_loss(rendered[0], target[0])
    with pytest.raises(ValueError, match="reduction"):
        color_l1_loss(rendered, target, reduction="max")


def octahedron_faces():
    return torch.tensor([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]])


def test_face_adjacency_of_a_closed_mesh():
    faces = octahedron_faces()
    edges = face_adjacency_edges(faces)
    assert edges.shape == (12, 2)  # 8 faces x 3 neighbours / 2
    assert torch.bincount(edges.flatten(), minlength=8).tolist() == [3] * 8
    for f, g in edges.tolist():
        assert len(set(faces[f].tolist()) & set(faces[g].tolist())) == 2
    # An open strip: faces sharing only a vertex are not adjacent.
    assert face_adjacency_edges(torch.tensor([[0, 1, 2], [2, 3, 4], [1, 3, 2]])).tolist() == [[0, 2], [1, 2]]


def test_color_laplacian_matches_dense_face_laplacian():
    faces = octahedron_faces()
    torch.manual_seed(1)
    textures = torch.rand(2, 8, 4, 3, dtype=torch.float64, requires_grad=True)
    adjacency = torch.zeros(8, 8, dtype=torch.float64)
    for f, g in face_adjacency_edges(faces).tolist():
        adjacency[f, g] = adjacency[g, f] = 1
    lap = torch.eye(8, dtype=torch.float64) - adjacency / adjacency.sum(1, keepdim=True)
    expected = (lap @ textures.flatten(2)).pow(2).sum(dim=(1, 2))
    loss = ColorLaplacianLoss(faces, reduction="none")
    torch.testing.assert_close(loss(textures), expected)
    assert loss(torch.ones(1, 8, 4, 3, dtype=torch.float64)) == 0  # uniform colour: no penalty
    assert torch.autograd.gradcheck(ColorLaplacianLoss(faces), (textures,))
    with pytest.raises(ValueError, match="textures"):
        loss(textures[0])
    # The vertex Laplacian is unchanged by the generalisation (same graph code).
    vertices = torch.randn(2, 6, 3, dtype=torch.float64)
    assert LaplacianLoss(faces, 6)(vertices) > 0
