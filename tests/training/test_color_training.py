"""The colour-supervised model in training: one run end to end (textured meshes, colour
loss terms, TensorBoard colour grids), gradients reaching the colour head, exact resume,
and the silhouette model unchanged by it."""

import os

import torch
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer, train

COLOR = {"model.palette_size": 4, "loss.color": 1.0, "loss.color_laplacian": 1e-3, "renderer.aggr_rgb": "softmax"}


def test_color_model_trains_and_writes_textured_meshes(tiny_dataset, tmp_path):
    logging = [
        "logging=default",
        "logging.progress=false",
        "trainer.log_every=1",
        "trainer.image_every=2",
        "trainer.mesh_every=2",
        "logging.mesh_samples=1",
    ]
    trainer = Trainer(
        compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "step"), iterations=2, **COLOR))
    )
    before = {name: value.clone() for name, value in trainer.model.color_head.state_dict().items()}
    output = trainer.loop.step()
    assert set(output.terms) == {"iou", "laplacian", "flatten", "color", "color_laplacian"}
    assert output.colors.shape == (4, 2, 3, 16, 16) and output.color_targets.shape == output.colors.shape
    assert output.textures.shape == (4, trainer.model.faces.shape[0], 1, 3)
    after = trainer.model.color_head.state_dict()
    assert any(not torch.equal(before[name], after[name]) for name in before)  # the colour head learns
    trainer.loop.batches.close()
    run_dir = str(tmp_path / "run")
    summary = train(compose_config("train", tiny_overrides(tiny_dataset, run_dir, iterations=2, **COLOR) + logging))
    assert summary.run_dir == run_dir
    meshes = sorted(os.listdir(os.path.join(run_dir, "meshes")))
    assert meshes == ["step_000000002_0.mtl", "step_000000002_0.obj", "step_000000002_0_texture.png"]


def test_color_model_resumes_exactly(tiny_dataset, tmp_path):
    extra = dict(COLOR, **{"trainer.checkpoint_every": 2, "trainer.seed": 3})
    straight = Trainer(
        compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "a"), iterations=4, **extra))
    )
    straight.fit()
    Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "b"), iterations=2, **extra))).fit()
    resumed = Trainer(
        compose_config(
            "train", tiny_overrides(tiny_dataset, str(tmp_path / "b"), iterations=4, **extra) + ["resume=true"]
        )
    )
    assert resumed.iteration == 2
    resumed.fit()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name


def test_the_alpha_of_a_color_render_is_the_silhouette(tiny_dataset, tmp_path):
    """Same weights, same batch: the colour model's IoU term equals the silhouette
    model's, so adding colour changes the geometry only through the colour terms."""
    trainer = Trainer(compose_config("train", tiny_overrides(tiny_dataset, str(tmp_path / "c"), iterations=1, **COLOR)))
    batch = trainer.loop.batches.next()
    images = torch.cat([batch["images_a"], batch["images_b"]])
    vertices, color = trainer.model(images, with_color=True)
    args = (vertices.detach(), batch["images_a"], batch["images_b"], batch["view_a"], batch["view_b"])
    with_color = trainer.task.objective(*args, color.textures.detach())
    without = trainer.task.objective(*args)
    torch.testing.assert_close(with_color.silhouettes, without.silhouettes, rtol=0, atol=1e-6)
    torch.testing.assert_close(with_color.terms["iou"], without.terms["iou"], rtol=0, atol=1e-6)
    trainer.loop.batches.close()
