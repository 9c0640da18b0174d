"""The reconstruction model: shapes, the paper architecture, the decoder's exact formula."""

import pytest
import torch

from softrecon.geometry import icosphere
from softrecon.models import Encoder, ReconstructionModel, TemplateDecoder


def _tiny(**kwargs):
    args = dict(image_size=16, template_level=1, encoder_channels=[4, 8], encoder_fc=[16], decoder_fc=[16])
    args.update(kwargs)
    return ReconstructionModel(**args)


def test_paper_architecture_layers():
    model = ReconstructionModel()
    convs = [m for m in model.encoder.conv if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (4, 64, (5, 5), (2, 2)),
        (64, 128, (5, 5), (2, 2)),
        (128, 256, (5, 5), (2, 2)),
    ]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.encoder.conv) == 3
    linears = [m for m in model.encoder.fc if isinstance(m, torch.nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(256 * 8 * 8, 1024), (1024, 1024), (1024, 512)]
    dec = model.decoder
    assert [(lin.in_features, lin.out_features) for lin in dec.fc if isinstance(lin, torch.nn.Linear)] == [
        (512, 1024),
        (1024, 2048),
    ]
    assert (dec.centroid_head.out_features, dec.displacement_head.out_features) == (3, 642 * 3)
    assert model.faces.shape == (1280, 3) and model.num_vertices == 642


def test_output_shape_range_and_gradients():
    torch.manual_seed(0)
    model = _tiny()
    images = torch.rand(3, 4, 16, 16)
    vertices = model(images)
    assert vertices.shape == (3, 42, 3) and vertices.dtype == torch.float32
    assert vertices.abs().max() < 0.5  # the object frame's unit box
    vertices.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_zero_heads_give_the_scaled_template_and_centroid_follows_the_formula():
    template, faces = icosphere(1)
    decoder = TemplateDecoder(8, template, faces, [8], template_scale=0.5, centroid_scale=0.1)
    for head in (decoder.centroid_head, decoder.displacement_head):
        torch.nn.init.zeros_(head.weight)
        torch.nn.init.zeros_(head.bias)
    latent = torch.rand(2, 8)
    torch.testing.assert_close(decoder(latent), (template * 0.25).expand(2, -1, -1), atol=1e-6, rtol=0)
    # A centroid raw output r gives c = tanh(0.1 r); positive coordinates are scaled by
    # (1 - c), negative ones by (1 + c), c is added, then everything is halved.
    raw = torch.tensor([5.0, -3.0, 0.0])
    decoder.centroid_head.bias.data.copy_(raw)
    c = torch.tanh(0.1 * raw)
    b = template * 0.5
    expected = (torch.where(b > 0, b * (1 - c), b * (1 + c)) + c) * 0.5
    torch.testing.assert_close(decoder(latent)[0], expected, atol=1e-6, rtol=0)


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match="image_size"):
        Encoder(4, 30, [8, 8, 8], [16])  # not a multiple of 8
    with pytest.raises(ValueError, match="images"):
        _tiny()(torch.rand(2, 3, 16, 16))
    with pytest.raises(ValueError, match="template_level"):
        _tiny(template_level=-1)
    with pytest.raises(ValueError, match="fc_dims"):
        _tiny(decoder_fc=[])


def test_template_orientation_reaches_the_decoder():
    """'softras' orients the template as SoftRas' Blender icosphere: 70 of 642 vertices
    start with a zero coordinate (the sign the decoder keeps), against 90 for 'axes'."""
    for orientation, pinned in (("axes", 90), ("softras", 70)):
        model = ReconstructionModel(
            image_size=16,
            encoder_channels=(4, 4, 4),
            encoder_fc=(8,),
            decoder_fc=(8,),
            template_orientation=orientation,
        )
        assert int((model.decoder.template_sign == 0).any(dim=1).sum()) == pinned
        vertices = model(torch.rand(2, 4, 16, 16))
        zero = model.decoder.template_sign == 0  # (V, 3)
        for axis in range(3):  # a pinned coordinate is the centroid's offset alone, whatever the image
            pinned_values = vertices[:, zero[:, axis], axis]
            assert pinned_values.shape[1] > 0
            torch.testing.assert_close(pinned_values, pinned_values[:, :1].expand_as(pinned_values))
