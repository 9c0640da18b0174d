import pytest
import torch

from softrecon.renderer import Lighting


def test_default_is_half_ambient_half_directional_from_above():
    colors = torch.tensor([[[1.0, 0.5, 0.2]] * 4])
    normals = torch.tensor([[[0.0, 1, 0], [1, 0, 0], [0, -1, 0], [0, 0.6, 0.8]]])
    shaded = Lighting().apply(colors, normals)
    factors = torch.tensor([1.0, 0.5, 0.5, 0.5 + 0.5 * 0.6])  # ambient 0.5 + 0.5 max(0, n.y)
    torch.testing.assert_close(shaded, colors * factors[None, :, None])


def test_direction_normalized_and_colored_lights():
    lighting = Lighting(
        ambient_intensity=0.2,
        ambient_color=(1.0, 0.0, 0.0),
        directional_intensity=1.0,
        directional_color=0.5,
        direction=(0, 0, -3),
    )
    colors = torch.ones(1, 2, 3)
    normals = torch.tensor([[[0.0, 0, -1], [0, 0, 1]]])
    shaded = lighting.apply(colors, normals)
    torch.testing.assert_close(shaded, torch.tensor([[[0.7, 0.5, 0.5], [0.2, 0.0, 0.0]]]))


def test_zero_normals_get_ambient_only_and_no_lighting_of_wrong_channels():
    shaded = Lighting().apply(torch.ones(1, 1, 3), torch.zeros(1, 1, 3))
    torch.testing.assert_close(shaded, torch.full((1, 1, 3), 0.5))
    with pytest.raises(ValueError, match="channels"):
        Lighting().apply(torch.ones(1, 1, 2), torch.zeros(1, 1, 3))
    assert Lighting(ambient_color=1.0, directional_color=1.0).apply(
        torch.ones(1, 1, 2), torch.zeros(1, 1, 3)
    ).shape == (1, 1, 2)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"ambient_intensity": -1}, "ambient_intensity"),
        ({"directional_intensity": float("nan")}, "directional_intensity"),
        ({"ambient_color": (1, "x", 0)}, "ambient_color"),
        ({"direction": (0, 0, 0)}, "direction"),
        ({"direction": (0, 1)}, "direction"),
    ],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Lighting(**kwargs)


def test_gradcheck_colors_and_normals():
    generator = torch.Generator().manual_seed(0)
    colors = torch.rand(2, 5, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    normals = torch.nn.functional.normalize(torch.randn(2, 5, 3, dtype=torch.float64, generator=generator), dim=-1)
    normals.requires_grad_()
    lighting = Lighting(direction=(0.3, 0.9, -0.2))
    assert torch.autograd.gradcheck(lighting.apply, (colors, normals))


def test_replace_and_frozen():
    lighting = Lighting().replace(ambient_intensity=1.0)
    assert lighting.ambient_intensity == 1.0
    with pytest.raises(Exception):
        lighting.ambient_intensity = 0.0
