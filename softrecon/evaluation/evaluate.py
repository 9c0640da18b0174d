"""``evaluate(cfg)``: 3D IoU of a trained checkpoint on a split (docs/METHOD.md section 7)."""

from __future__ import annotations

import csv
import io
import os
import warnings
from typing import Dict

import torch
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from softrecon.config.checks import check_eval_config
from softrecon.config.schedule import scheduled
from softrecon.datasets import iterate_views
from softrecon.datasets.classes import class_name
from softrecon.datasets.open import open_dataset
from softrecon.models.inference import reconstruct
from softrecon.rundir.checkpoint import CheckpointError, load_checkpoint, run_dir_of
from softrecon.rundir.folder import hydra_output_dir
from softrecon.rundir.model import model_from_checkpoint
from softrecon.runtime.distributed import choose_device

from . import report
from .color_error import HELD_OUT_OFFSETS, held_out_color_error, renderer_from_config
from .scoring import VoxelScorer

EVAL_DIR = "eval"  # <run>/eval/<split>_step<iteration> when not run under Hydra
RESULT_FILES = ("metrics.json", "metrics.csv", "metrics.md", "samples.csv")


# The network of a checkpoint (kept under this name: scripts and benchmarks import it from here).
load_model = model_from_checkpoint


def _color_renderer(checkpoint: Dict, dataset):
    """The renderer of the colour error: the run's stored settings at the dataset's image
    size, with sigma where the training schedule left it (``softrecon.evaluation.color_error``)."""
    config = checkpoint["config"]
    renderer = dict(config.get("renderer", {}))
    if "sigma" in renderer:
        renderer["sigma"] = scheduled(config, int(checkpoint["iteration"]))["sigma"]
    try:
        return renderer_from_config(renderer, int(dataset.image_size))
    except (TypeError, ValueError) as error:
        raise CheckpointError(
            f"checkpoint {checkpoint.get('path', '<checkpoint>')!r}: stored renderer settings: {error}"
        ) from None


def _output_dir(cfg: DictConfig, checkpoint: Dict) -> str:
    folder = cfg.paths.run_dir or hydra_output_dir()
    if not folder:
        folder = os.path.join(
            run_dir_of(checkpoint["path"]), EVAL_DIR, f"{cfg.split}_step{int(checkpoint['iteration']):09d}"
        )
    os.makedirs(folder, exist_ok=True)
    return os.path.abspath(folder)


def _object_batches(dataset, batch_size: int, max_objects):
    """(images, view_index, object_index) over every view of every (selected) object."""
    if max_objects is None:
        yield from iterate_views(dataset, batch_size)
        return
    views = torch.arange(dataset.num_views)
    for class_id in dataset.class_ids:
        for obj in list(dataset.object_range(class_id))[:max_objects]:
            for start in range(0, len(views), batch_size):
                chunk = views[start : start + batch_size]
                yield dataset.get_images(obj, chunk), chunk, torch.full((len(chunk),), obj, dtype=torch.long)


def evaluate(cfg: DictConfig) -> str:
    """Evaluate ``cfg.ckpt_path`` on ``cfg.split``; prints a Markdown table, then the
    path of metrics.json (the last line), and returns that path.

    Raises:
        softrecon.rundir.CheckpointError: the checkpoint is missing or unreadable
            (the message names the file).
    """
    if OmegaConf.is_missing(cfg, "ckpt_path"):
        raise ValueError("ckpt_path is mandatory: python eval.py ckpt_path=<checkpoint file or run folder>")
    check_eval_config(cfg)
    device = choose_device(cfg.device)
    checkpoint = load_checkpoint(str(cfg.ckpt_path), map_location=device)
    model = load_model(checkpoint, device)
    image_size = int(checkpoint["config"]["model"]["image_size"])
    with warnings.catch_warnings(record=True) as caught:  # also kept in metrics.json
        warnings.simplefilter("always")
        dataset = open_dataset(cfg.data, cfg.split)
    notes = [str(w.message) for w in caught]
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if len(dataset) == 0:
        raise ValueError(f"split {cfg.split!r} of {dataset.root!r} has no objects: nothing to evaluate")
    scorer = VoxelScorer(
        dataset, model.faces, with_points=bool(cfg.chamfer), fscore_threshold=float(cfg.fscore_threshold)
    )

    num_objects = (
        len(dataset)
        if cfg.max_objects is None
        else sum(min(len(dataset.object_range(c)), cfg.max_objects) for c in dataset.class_ids)
    )
    bar = tqdm(total=num_objects, unit="obj", desc=f"eval {cfg.split}", disable=not cfg.progress, dynamic_ncols=True)
    done = set()
    color_renderer = _color_renderer(checkpoint, dataset) if getattr(model, "has_color", False) else None
    for images, view_index, object_index in _object_batches(dataset, int(cfg.data.eval_batch_size), cfg.max_objects):
        if color_renderer is None:
            vertices, color_errors = reconstruct(model, images.to(device), image_size), None
        else:
            vertices, textures = reconstruct(model, images.to(device), image_size, with_color=True)
            color_errors = held_out_color_error(
                color_renderer, vertices, model.faces, textures, dataset, object_index.tolist(), view_index.tolist()
            )
        scorer.add(vertices, object_index.tolist(), view_index.tolist(), color_errors)
        finished = {int(o) for o, v in zip(object_index, view_index) if int(v) == dataset.num_views - 1}
        bar.update(len(finished - done))
        done |= finished
    bar.close()

    results = summarize(scorer, dataset, checkpoint, cfg)
    if notes:
        results["warnings"] = notes
    folder = _output_dir(cfg, checkpoint)
    table = report.markdown_table(results)
    paths = {name: os.path.join(folder, name) for name in RESULT_FILES}
    report.write_text(paths["metrics.md"], table)
    report.write_text(paths["metrics.csv"], report.csv_text(results))
    report.write_text(paths["samples.csv"], _samples_csv(scorer))
    report.write_json(paths["metrics.json"], results)
    print(table, flush=True)
    print(paths["metrics.json"], flush=True)
    return paths["metrics.json"]


def summarize(scorer: VoxelScorer, dataset, checkpoint: Dict, cfg: DictConfig) -> Dict:
    """The JSON payload: per-class and mean IoU (fractions), counts, provenance."""
    names = {class_id: class_name(class_id) for class_id in dataset.class_ids}
    if len(set(names.values())) != len(names):  # two ids share a name: key by id instead
        names = {class_id: class_id for class_id in dataset.class_ids}
    counts: Dict[str, int] = {}
    for sample in scorer.samples:
        counts[names[sample.class_id]] = counts.get(names[sample.class_id], 0) + 1
    evaluated = [c for c in dataset.class_ids if names[c] in counts]

    def by_name(values: Dict[str, float]) -> Dict[str, float]:
        return {names[c]: values[c] for c in evaluated if c in values}

    results = {
        "per_class": by_name(scorer.per_class("iou")),
        "mean": scorer.class_mean("iou"),
        "metric": "voxel IoU at 32^3 per (object, view), averaged per class, then unweighted over classes",
        "class_ids": {names[c]: c for c in evaluated},
        "num_samples": {names[c]: counts[names[c]] for c in evaluated},
        "split": str(cfg.split),
        "checkpoint": checkpoint["path"],
        "checkpoint_iteration": int(checkpoint["iteration"]),
        "data_root": str(dataset.root),
        "max_objects_per_class": cfg.max_objects,
        # class -> {object number (as a string: JSON keys): IoU averaged over its views}
        "per_object": {
            name: {str(obj): iou for obj, iou in objs.items()}
            for name, objs in by_name(scorer.per_object("iou")).items()
        },
    }
    if cfg.chamfer:
        results.update(
            per_class_chamfer=by_name(scorer.per_class("chamfer")),
            mean_chamfer=scorer.class_mean("chamfer"),
            per_class_fscore=by_name(scorer.per_class("fscore")),
            mean_fscore=scorer.class_mean("fscore"),
            chamfer_note="squared-distance Chamfer between 2048 points on the predicted surface and the "
            "centres of the ground-truth boundary voxels; F-score at fscore_threshold",
            fscore_threshold=float(cfg.fscore_threshold),
        )
    if any(sample.color_error is not None for sample in scorer.samples):
        results.update(
            per_class_color_error=by_name(scorer.per_class("color_error")),
            mean_color_error=scorer.class_mean("color_error"),
            color_error_note=f"mean absolute RGB error (0-1) of the predicted textured mesh rendered at the input view + {list(HELD_OUT_OFFSETS)} views",
        )
    return results


def _samples_csv(scorer: VoxelScorer) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["object_index", "view", "class_id", "iou", "chamfer", "fscore", "color_error"])
    for s in scorer.samples:
        writer.writerow([s.object_index, s.view, s.class_id, s.iou, s.chamfer, s.fscore, s.color_error])
    return buffer.getvalue()
