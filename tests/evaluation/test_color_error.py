"""The colour error on held-out views: the right views, the right numbers; and
evaluate() reports it for a colour model."""

import json
import os

import pytest
import torch
from test_evaluate import SIZE, _constant_model_checkpoint, _eval_overrides, sphere_setup  # noqa: F401  (fixture)

from softrecon.config import compose_config
from softrecon.evaluation import evaluate
from softrecon.evaluation.color_error import HELD_OUT_OFFSETS, held_out_color_error, renderer_from_config
from softrecon.geometry import icosphere


class ViewShadedDataset:
    """24 views whose image k is uniformly grey k / 24 (alpha 1): the error of a mesh of
    colour c seen at view k is |c - k / 24| where the mesh covers the image."""

    num_views = 24

    def get_images(self, obj, views):
        grey = torch.as_tensor(views, dtype=torch.float32)[:, None, None, None] / 24
        return grey.expand(-1, 4, SIZE, SIZE).clone().index_fill_(1, torch.tensor([3]), 1.0)


def test_held_out_views_and_values():
    renderer = renderer_from_config({"sigma": 1e-5, "aggr_rgb": "softmax", "gamma": 1e-4}, SIZE)
    vertices, faces = icosphere(2)
    vertices = (1.5 * vertices)[None].expand(2, -1, -1)  # fills every view's whole image
    color = torch.tensor([0.5, 0.25])
    textures = color[:, None, None, None].expand(2, faces.shape[0], 1, 3)
    errors = held_out_color_error(renderer, vertices, faces, textures, ViewShadedDataset(), [0, 1], [3, 20])
    expected = [
        sum(abs(c - ((v + o) % 24) / 24) for o in HELD_OUT_OFFSETS) / len(HELD_OUT_OFFSETS)
        for c, v in ((0.5, 3), (0.25, 20))
    ]
    torch.testing.assert_close(errors, torch.tensor(expected), atol=1e-4, rtol=0)


def test_renderer_from_config_refuses_unknown_keys():
    with pytest.raises(ValueError, match="shader"):
        renderer_from_config({"sigma": 1e-4, "shader": "os.system"}, SIZE)


def test_evaluate_reports_the_color_error_of_a_color_model(sphere_setup, tmp_path_factory, tmp_path):  # noqa: F811
    root, _, _ = sphere_setup
    checkpoint = _constant_model_checkpoint(root, str(tmp_path_factory.mktemp("color_run")), "model.palette_size=2")
    json_path = evaluate(compose_config("eval", _eval_overrides(root, checkpoint, str(tmp_path), "chamfer=false")))
    with open(json_path) as handle:
        results = json.load(handle)
    assert set(results["per_class_color_error"]) == {"full", "half"}
    assert 0 < results["mean_color_error"] < 1
    with open(os.path.join(str(tmp_path), "samples.csv")) as handle:
        lines = handle.read().strip().splitlines()
    assert lines[0].endswith(",color_error") and all(line.split(",")[-1] not in ("", "None") for line in lines[1:])
