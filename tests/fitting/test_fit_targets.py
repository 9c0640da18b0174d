"""Image + camera targets: both layouts round-trip, and bad files are named."""

import json

import numpy as np
import pytest
import torch

from softrecon.fitting.targets import load_image_targets, save_image_targets, target_masks
from softrecon.fitting.views import ViewSet, orbit_views


def _rgba(k=3, size=8):
    g = torch.Generator().manual_seed(0)
    rgba = torch.rand(k, 4, size, size, generator=g)
    return (rgba * 255).round() / 255  # exactly representable in 8 bits


@pytest.mark.parametrize("layout", ["npy", "png"])
def test_round_trip(tmp_path, layout):
    rgba = _rgba()
    views = orbit_views(3, [20.0], distance=2.5, viewing_angle=12.0)
    images, cameras = save_image_targets(str(tmp_path), rgba, views, layout)
    loaded_views, loaded = load_image_targets(images, cameras, viewing_angle=15.0)
    torch.testing.assert_close(loaded, rgba, atol=1e-6, rtol=0)
    torch.testing.assert_close(loaded_views.azimuths, views.azimuths)
    torch.testing.assert_close(loaded_views.distance, torch.full((3,), 2.5, dtype=torch.float64))
    assert loaded_views.viewing_angle == (12.0 if layout == "png" else 15.0)  # the JSON carries its angle
    assert torch.equal(target_masks(loaded), rgba[:, 3] > 0.5)


def test_per_view_distances_reach_the_cameras():
    views = ViewSet(
        torch.zeros(2, dtype=torch.float64),
        torch.zeros(2, dtype=torch.float64),
        torch.tensor([2.0, 4.0], dtype=torch.float64),
    )
    eyes = views.camera(dtype=torch.float64).eye
    torch.testing.assert_close(eyes[:, 2], torch.tensor([-2.0, -4.0], dtype=torch.float64))
    assert torch.equal(views.subset([1]).distance, torch.tensor([4.0], dtype=torch.float64))


def test_masks_and_grey_alpha_pngs(tmp_path):
    import imageio.v3 as iio

    mask = np.zeros((6, 6), dtype=np.uint8)
    mask[1:4, 2:5] = 255
    iio.imwrite(tmp_path / "a.png", mask)
    iio.imwrite(tmp_path / "b.png", np.stack([mask // 2, mask], axis=-1))
    (tmp_path / "cams.json").write_text(
        json.dumps(
            {
                "views": [
                    {"image": n, "distance": 3, "elevation": 10, "azimuth": a} for n, a in (("a.png", 0), ("b.png", 90))
                ]
            }
        )
    )
    views, rgba = load_image_targets(str(tmp_path), str(tmp_path / "cams.json"), 15.0)
    assert views.viewing_angle == 15.0 and rgba.shape == (2, 4, 6, 6)
    assert torch.equal(target_masks(rgba)[0], torch.from_numpy(mask > 0)) and torch.equal(
        target_masks(rgba)[1], torch.from_numpy(mask > 0)
    )


def test_bad_files_are_named(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "rgb.png", np.zeros((4, 4, 3), dtype=np.uint8))
    np.save(tmp_path / "cams.npy", np.array([[2.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="rgb.png.*alpha"):
        load_image_targets(str(tmp_path), str(tmp_path / "cams.npy"), 15.0)
    (tmp_path / "broken.json").write_text('{"views": [{"distance": 1}]}')
    with pytest.raises(ValueError, match="broken.json"):
        load_image_targets(str(tmp_path), str(tmp_path / "broken.json"), 15.0)
    np.save(tmp_path / "images.npy", np.full((1, 4, 4, 4), 2.0, dtype=np.float32))
    with pytest.raises(ValueError, match="images.npy.*\\[0, 1\\]"):
        load_image_targets(str(tmp_path / "images.npy"), str(tmp_path / "cams.npy"), 15.0)
    np.save(tmp_path / "wide.npy", np.zeros((1, 4, 4, 6), dtype=np.uint8))
    with pytest.raises(ValueError, match="square"):
        load_image_targets(str(tmp_path / "wide.npy"), str(tmp_path / "cams.npy"), 15.0)
