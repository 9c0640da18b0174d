"""The warning for meshes whose every face faces away from the camera (renders black with
full alpha when single-sided): given when it should, once per call site, pointing at the
caller's line, and never for front faces, double-sided or alpha-only renders."""

import warnings

import pytest
import torch

from softrecon.renderer import Lighting, PerspectiveCamera, RasterSettings, SoftRenderer, facing, soft_rasterize
from softrecon.structures import Mesh

# One triangle around the image centre, clockwise on screen (x right, y up): a front face.
CLOCKWISE = torch.tensor([[[-0.5, -0.5, 2.0], [0.0, 0.6, 2.0], [0.5, -0.5, 2.0]]], dtype=torch.float64)
COUNTER_CLOCKWISE = CLOCKWISE[:, [0, 2, 1]]
WHITE = torch.ones(1, 1, 3, 3, dtype=torch.float64)
SETTINGS = RasterSettings(image_size=8, sigma=1e-4, gamma=1e-4, background=(0.0, 0.0, 0.0))


@pytest.fixture(autouse=True)
def fresh_call_sites(monkeypatch):
    """Each test starts with no call site having warned or been checked."""
    monkeypatch.setattr(facing, "_WARNED", set())
    monkeypatch.setattr(facing, "_CHECKED_ON_DEVICE", set())


def _render(face_vertices, face_colors=WHITE, settings=SETTINGS):
    """Render on the CPU and return (image (N, 4, H, W), the warnings raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = soft_rasterize(face_vertices, face_colors, settings, backend="reference")
    return image, [w for w in caught if "faces away from the camera" in str(w.message)]


def test_clockwise_front_face_renders_white_without_warning():
    image, caught = _render(CLOCKWISE[None])
    assert not caught
    assert image[0, 3, 4, 4] == 1.0 and torch.allclose(image[0, :3, 4, 4], torch.ones(3, dtype=torch.float64))


def test_counter_clockwise_face_warns_and_renders_black_with_full_alpha():
    image, caught = _render(COUNTER_CLOCKWISE[None])
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert "batch entry 0" in str(caught[0].message) and "double_sided" in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the caller's line, not the renderer's
    # What the warning is about: full alpha, background colour.
    assert image[0, 3, 4, 4] == 1.0 and torch.all(image[0, :3, 4, 4] == 0)


def test_no_warning_when_double_sided_or_alpha_only():
    image, caught = _render(COUNTER_CLOCKWISE[None], settings=SETTINGS.replace(double_sided=True))
    assert not caught and torch.allclose(image[0, :3, 4, 4], torch.ones(3, dtype=torch.float64))
    _, caught = _render(COUNTER_CLOCKWISE[None], face_colors=None)
    assert not caught


def test_once_per_call_site():
    caught = []
    for _ in range(3):  # one call site, three calls
        caught += _render(COUNTER_CLOCKWISE[None])[1]
    assert len(caught) == 1
    with warnings.catch_warnings(record=True) as other:  # another call site warns again
        warnings.simplefilter("always")
        soft_rasterize(COUNTER_CLOCKWISE[None], WHITE, SETTINGS, backend="reference")
    assert len([w for w in other if "faces away" in str(w.message)]) == 1


def test_names_the_flipped_entries_and_ignores_degenerate_and_padding_faces():
    padding = torch.zeros(1, 3, 3, dtype=torch.float64)  # an all-zero face: takes no part
    batch = torch.stack(
        [
            torch.cat([CLOCKWISE, padding]),  # a front face and padding: fine
            torch.cat([COUNTER_CLOCKWISE, padding]),  # flipped
            torch.cat([padding, padding]),  # nothing at all: not "facing away"
        ]
    )
    assert facing.back_facing_entries(batch).tolist() == [False, True, False]
    _, caught = _render(batch, face_colors=WHITE.expand(3, 2, 3, 3))
    assert len(caught) == 1 and "batch entry 1 " in str(caught[0].message)


def test_soft_renderer_call_site_is_the_callers_line():
    """A square facing the camera, wound counter-clockwise about its outward normal (the
    convention of every closed mesh softrecon makes), renders; reversed, it warns, at this
    test's line. (A closed mesh turned inside out does not warn: its far side then shows
    front faces.)"""
    vertices = torch.tensor([[[-0.5, -0.5, 0.0], [-0.5, 0.5, 0.0], [0.5, -0.5, 0.0], [0.5, 0.5, 0.0]]])
    faces = torch.tensor([[0, 1, 2], [1, 3, 2]])  # outward normal -z, towards the camera
    camera = PerspectiveCamera.look_at(eye=torch.tensor([[0.0, 0.0, -2.732]]))
    renderer = SoftRenderer(RasterSettings(image_size=16), lighting=Lighting())
    for reverse, expected in ((False, 0), (True, 1)):
        mesh = Mesh(vertices, faces[:, [0, 2, 1]] if reverse else faces, torch.ones(1, 4, 3))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            image = renderer(mesh, camera)
        caught = [w for w in caught if "faces away" in str(w.message)]
        assert len(caught) == expected
        assert all(w.filename == __file__ for w in caught)
        assert image[0, 3, 5, 6] > 0.99 and (image[0, :3, 5, 6].min() > 0.25) == (not reverse)  # off the diagonal
