"""The boundary between softrecon._C and Python: the forward state's field names and
order, checked against the ``ForwardState`` the autograd Function reads."""

import pytest
import torch

from softrecon.renderer import RasterSettings
from softrecon.renderer import _kernels

from kernel_helpers import random_scene

pytestmark = pytest.mark.skipif(not _kernels.kernel_available("cpu"), reason=_kernels.build_error() or "no CPU kernel")


@pytest.fixture(scope="module")
def ext():
    return _kernels._extension()


def test_forward_state_fields_are_the_extensions(ext):
    assert _kernels.ForwardState._fields == ext.FORWARD_STATE_FIELDS


@pytest.mark.parametrize("emulate_cuda", [False, True])
def test_forward_state_fields_hold_what_their_names_say(emulate_cuda):
    """Each named field has the shape and dtype its comment gives, for a colour render
    with hard colour aggregation (so that winner is kept)."""
    fv, fc = random_scene(2, 6, torch.Generator().manual_seed(3))
    settings = RasterSettings(image_size=(9, 12), sigma=1e-2, near=1.0, far=3.0, aggr_rgb="hard")
    params = _kernels._params(settings)
    params.emulate_cuda = emulate_cuda
    state = _kernels.extension_forward(params, fv, fc, torch.zeros(3, dtype=fv.dtype))
    num_entries = state.entry_tiles.shape[0]
    assert state.image.shape == (2, 4, 9, 12)
    assert state.aux.shape == (2, 3, 9, 12)
    assert state.winner.shape == (2, 9, 12) and state.winner.dtype == torch.int32
    assert state.face_data.shape == (12, 32)
    assert state.face_offsets.shape == (13,) and state.face_offsets[-1] == num_entries
    assert num_entries > 0 and state.entry_tiles.dtype == torch.int32
    assert state.pair_offsets.numel() == 0 and state.pair_code.numel() == 0  # colour renders keep no pair cache
    assert state.stats.shape == (3,)
    assert torch.equal(state.image, _kernels.rasterize_kernel(fv, fc, settings, emulate_cuda=emulate_cuda))


def test_backward_names_the_state_it_expects(ext):
    fv, _ = random_scene(1, 6, torch.Generator().manual_seed(4))
    params = _kernels._params(RasterSettings(image_size=8, sigma=1e-2, near=1.0, far=3.0))
    state = _kernels.extension_forward(params, fv, fv.new_empty(0), fv.new_zeros(1))
    with pytest.raises(ValueError, match="state must be the forward's 9 tensors \\(image, aux, winner, face_data"):
        ext.backward(params, torch.ones_like(state.image), fv, fv.new_empty(0), list(state)[:-1], True, False)
