"""The boundary between softrecon._C and Python: the parameter fields against
``RasterSettings``; the forward state's field names and order, checked against the
``ForwardState`` the autograd Function reads; the C++ enums and constants against
softrecon.renderer's values; the face record read by the exported offsets against the
quantities it stores."""

import dataclasses
import math

import pytest
import torch
from kernel_helpers import random_scene

from softrecon.renderer import RasterSettings, _kernels, cdfs, reference
from softrecon.renderer.settings import AggrAlpha, AggrRGB, DistCDF, DistFunc

pytestmark = pytest.mark.skipif(not _kernels.kernel_available("cpu"), reason=_kernels.build_error() or "no CPU kernel")


@pytest.fixture(scope="module")
def ext():
    return _kernels._extension()


# ---------------------------------------------------------------- the parameters
def test_params_fields_are_the_bound_properties_and_settings_attributes(ext):
    """RASTER_PARAMS_FIELDS (the X-macro list of soft_raster_params.h) names every
    property of RasterParams, and each names an attribute of RasterSettings."""
    fields = ext.RASTER_PARAMS_FIELDS
    properties = {name for name, value in vars(ext.RasterParams).items() if isinstance(value, property)}
    assert set(fields) == properties
    settings = RasterSettings()
    for field, attribute in fields.items():
        assert hasattr(settings, attribute), (field, attribute)
    # every field of RasterSettings that reaches the kernels does so through one entry
    # (image_size as height and width; dist_eps and cutoff_logit through cutoff_squared;
    # background as a tensor; tconorm_p and dist_shift through their resolved values)
    through_others = {"image_size", "dist_eps", "cutoff_logit", "background", "tconorm_p", "dist_shift"}
    assert {f.name for f in dataclasses.fields(RasterSettings)} - through_others <= set(fields.values())


def test_cpu_and_test_knobs_are_not_params(ext):
    """The CPU kernel's switches and the choice of the CUDA emulation are not in the
    shared parameters: they are arguments of the binding's entries."""
    fields = set(ext.RASTER_PARAMS_FIELDS)
    assert not fields & {"emulate_cuda", "pixel_major", "cache_pairs", "num_threads", "tile_size"}
    assert callable(ext.emulated_forward) and callable(ext.emulated_backward)


@pytest.mark.parametrize(
    "settings",
    [
        RasterSettings(image_size=(9, 12), sigma=3e-3, gamma=0.5, near=0.5, far=7.0, background_eps=0.01),
        RasterSettings(
            dist_func="barycentric", dist_cdf="gamma", dist_shape=3.5, dist_shift=0.25, aggr_alpha="frank",
            tconorm_p=3.0, aggr_rgb="hard", double_sided=True, dist_squared=False, cutoff_logit=5.0,
        ),
        RasterSettings(dist_cdf="exponential", aggr_alpha="hamacher"),
    ],
)  # fmt: skip
def test_params_carry_the_settings_values(ext, settings):
    params = _kernels._params(settings)
    expected = {
        "height": settings.image_size[0],
        "width": settings.image_size[1],
        "cutoff_squared": settings.cutoff_squared,
        "dist_log_gamma_shape": math.lgamma(settings.dist_shape),
        "dist_shift": settings.cdf.shift if hasattr(settings.cdf, "shift") else 0.0,
        "tconorm_p": settings.aggr_alpha_parameter,
    }
    for field in ext.RASTER_PARAMS_FIELDS:
        value = expected[field] if field in expected else getattr(settings, field)
        assert getattr(params, field) == value, field


# ---------------------------------------------------------------- the forward state
def test_forward_state_fields_are_the_extensions(ext):
    assert _kernels.ForwardState._fields == ext.FORWARD_STATE_FIELDS


@pytest.mark.parametrize("emulate_cuda", [False, True])
def test_forward_state_fields_hold_what_their_names_say(emulate_cuda):
    """Each named field has the shape and dtype its comment gives, for a colour render
    with hard colour aggregation (so that winner is kept)."""
    fv, fc = random_scene(2, 6, torch.Generator().manual_seed(3))
    settings = RasterSettings(image_size=(9, 12), sigma=1e-2, near=1.0, far=3.0, aggr_rgb="hard")
    params = _kernels._params(settings)
    state = _kernels.extension_forward(params, fv, fc, torch.zeros(3, dtype=fv.dtype), emulate_cuda=emulate_cuda)
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


# ---------------------------------------------------------------- enums and constants
@pytest.mark.parametrize(
    "attribute, enum_cls",
    [("DIST_FUNC", DistFunc), ("DIST_CDF", DistCDF), ("AGGR_ALPHA", AggrAlpha), ("AGGR_RGB", AggrRGB)],
)
def test_enum_values_are_the_settings(ext, attribute, enum_cls):
    assert getattr(ext, attribute) == {member.name: member.value for member in enum_cls}


@pytest.mark.parametrize(
    "field, enum_cls",
    [("dist_func", DistFunc), ("dist_cdf", DistCDF), ("aggr_alpha", AggrAlpha), ("aggr_rgb", AggrRGB)],
)
def test_raster_params_accept_exactly_the_enum_values(ext, field, enum_cls):
    params = ext.RasterParams()
    for member in enum_cls:
        setattr(params, field, int(member))
        assert getattr(params, field) == member.value
    for bad in (-1, len(enum_cls)):
        with pytest.raises(ValueError, match=f"RasterParams.{field} must be in \\[0, {len(enum_cls)}\\)"):
            setattr(params, field, bad)


def test_constants_are_the_references(ext):
    assert ext.MIN_DOUBLE_AREA == reference.MIN_DOUBLE_AREA
    assert ext.MIN_VERTEX_DEPTH == reference.MIN_VERTEX_DEPTH
    assert ext.GUMBEL_EXPONENT_LIMIT == cdfs.GUMBEL_EXPONENT_LIMIT
    assert ext.GUMBEL_SMALL == cdfs.GUMBEL_SMALL


def test_layouts_fit_their_records(ext):
    """Field offsets are distinct and inside their records; the 3-scalar fields (one per
    vertex or edge) do not overlap the next field."""
    width = {"X": 3, "Y": 3, "Z": 3, "EDGE_DX": 3, "EDGE_DY": 3, "EDGE_LEN2": 3}
    occupied = sorted((offset + k, name) for name, offset in ext.FACE_FIELDS.items() for k in range(width.get(name, 1)))
    assert len({slot for slot, _ in occupied}) == len(occupied), occupied
    assert occupied[-1][0] < ext.FACE_RECORD_SIZE
    assert sorted(ext.AUX_FIELDS.values()) == list(range(ext.AUX_RECORD_SIZE))
    assert sorted(ext.STATS_FIELDS.values()) == list(range(3))
    assert (ext.FACE_VERTICES, ext.VERTEX_SCALARS, ext.VERTEX_COLOR_SAMPLES) == (3, 3, 3)
    codes = ext.PAIR_CODES
    assert codes["ABSENT"] == 0 and codes["OUTSIDE0"] + 3 == codes["INSIDE0"] and codes["INSIDE0"] + 3 <= 256


def test_face_record_fields_hold_what_their_names_say(ext):
    """The face records the forward saves, read by the exported offsets, against the same
    quantities computed here: a valid front face, a valid back face, a zero-area face."""
    fields = ext.FACE_FIELDS
    faces = torch.tensor(
        [
            [[-0.5, -0.5, 2.0], [0.5, -0.5, 2.5], [0.0, 0.5, 2.2]],  # counter-clockwise: area2 > 0, back
            [[-0.5, -0.5, 2.0], [0.0, 0.5, 2.2], [0.5, -0.5, 2.5]],  # clockwise: area2 < 0, front
            [[-0.5, -0.5, 2.0], [0.0, 0.0, 2.0], [0.5, 0.5, 2.0]],  # collinear: invalid
        ],
        dtype=torch.float64,
    )[None]
    settings = RasterSettings(image_size=(16, 20), sigma=1e-3, near=1.0, far=3.0)
    record = _kernels.extension_forward(_kernels._params(settings), faces, faces.new_empty(0), faces.new_zeros(1))
    record = record.face_data
    assert record.shape == (3, ext.FACE_RECORD_SIZE)
    x, y, z = faces[0, :, :, 0], faces[0, :, :, 1], faces[0, :, :, 2]
    area2 = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (x[:, 2] - x[:, 0]) * (y[:, 1] - y[:, 0])
    for name, values in (("X", x), ("Y", y), ("Z", z)):
        assert torch.equal(record[:, fields[name] : fields[name] + 3], values), name
    assert torch.equal(record[:, fields["AREA2"]], area2)
    assert torch.equal(record[:2, fields["INV_AREA2"]], 1 / area2[:2])
    assert record[:, fields["VALID"]].tolist() == [1, 1, 0]
    assert record[:, fields["FRONT"]].tolist() == [0, 1, 0]
    assert record[:, fields["DEPTH_SAFE"]].tolist() == [1, 1, 1]
    assert record[:, fields["WELL_SHAPED"]].tolist() == [1, 1, 0]
    edge_dx = x.roll(-1, dims=1) - x
    assert torch.equal(record[:, fields["EDGE_DX"] : fields["EDGE_DX"] + 3], edge_dx)
    for k in range(2):  # the influence box holds the triangle; its pixel window lies in the image
        assert record[k, fields["X_MIN"]] < x[k].min() and record[k, fields["X_MAX"]] > x[k].max()
        assert record[k, fields["Y_MIN"]] < y[k].min() and record[k, fields["Y_MAX"]] > y[k].max()
        assert 0 <= record[k, fields["COL0"]] <= record[k, fields["COL1"]] <= 19
        assert 0 <= record[k, fields["ROW0"]] <= record[k, fields["ROW1"]] <= 15
    assert record[2, fields["COL1"]] < record[2, fields["COL0"]]  # an invalid face has an empty window


def test_kernel_statistics_reads_the_named_slots():
    fv, _ = random_scene(1, 8, torch.Generator().manual_seed(5))
    stats = _kernels.kernel_statistics(fv, RasterSettings(image_size=16, sigma=1e-2, near=1.0, far=3.0))
    assert 0 < stats["pairs_listed"] and 0 < stats["pairs_evaluated"] <= stats["pairs_listed"]
    assert stats["threads_used"] >= 1 and stats["entries"] > 0
