import pytest
import torch

from softrecon.fitting.views import orbit_views, split_views


def test_orbit_views_deal_views_to_rings_with_spread_azimuths():
    views = orbit_views(24, [30.0, -30.0])
    assert len(views) == 24
    assert views.elevations[0::2].eq(30.0).all() and views.elevations[1::2].eq(-30.0).all()
    assert torch.allclose(views.azimuths[0::2], torch.arange(12, dtype=torch.float64) * 30.0)
    assert torch.allclose(views.azimuths[1::2], torch.arange(12, dtype=torch.float64) * 30.0 + 15.0)


def test_camera_batch_matches_the_views():
    views = orbit_views(6, [30.0])
    camera = views.subset([1, 4]).camera(dtype=torch.float64)
    assert camera.batch_size == 2
    # docs/METHOD.md section 5: eye = (d cos(el) sin(az), d sin(el), -d cos(el) cos(az)); view 1 is at azimuth 60.
    expected = torch.tensor(
        [views.distance * 0.75**0.5 * 0.75**0.5, views.distance * 0.5, -views.distance * 0.75**0.5 * 0.5],
        dtype=torch.float64,
    )
    assert torch.allclose(camera.eye[0], expected)


def test_split_holds_one_view_per_block_on_both_rings():
    fit, heldout = split_views(24, 6)
    assert heldout.tolist() == [0, 7, 14, 21]
    assert sorted(fit.tolist() + heldout.tolist()) == list(range(24))
    views = orbit_views(24, [30.0, -30.0])
    assert set(views.elevations[heldout].tolist()) == {30.0, -30.0}


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: orbit_views(0, [30.0]), "num_views"),
        (lambda: orbit_views(4, []), "elevations"),
        (lambda: orbit_views(4, [95.0]), "elevations"),
        (lambda: orbit_views(4, [30.0], distance=0.0), "distance"),
        (lambda: split_views(24, 1), "heldout_every"),
        (lambda: split_views(1, 2), "num_views"),
    ],
)
def test_bad_arguments_are_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()
