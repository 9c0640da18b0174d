"""What a run writes besides checkpoints: TensorBoard scalars, image grids, meshes, text
and hyperparameters; .obj meshes (textured, with their .mtl and .png, for the colour
model).

Only the main rank logs; on the other ranks (and with TensorBoard off) every method is
a no-op, so the training loop never branches on the rank to log.

Logging never stops training: a disk error while writing (a full or read-only
TensorBoard folder, a quota, an I/O error: any ``OSError``) is warned about once per
channel and training goes on, still writing its checkpoints (which fail loudly on their
own if the disk is really full). TensorBoard is then off for the rest of this (re)start
(its writer is broken); meshes are tried again at each ``mesh_every``, silently.

Shape symbols: B batch, S image side, V vertices, F faces, T texels per face.
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Dict, Optional, Set, Union

import torch

from softrecon.io import save_obj, save_textured_obj

TENSORBOARD_DIR = "tensorboard"  # sub-folders of a run folder
MESH_DIR = "meshes"
IMAGES_SHOWN = 4  # samples per image grid


class RunLogger:
    """TensorBoard + mesh writer of one run.

    Args:
        run_dir: the run folder.
        enabled: whether this process writes anything (the main rank).
        tensorboard: whether to write TensorBoard events.
        purge_step: on resume, the first step the resumed run logs (the checkpoint's
            iteration + 1): TensorBoard drops the interrupted run's events from it on.
    """

    def __init__(self, run_dir: str, enabled: bool, tensorboard: bool, purge_step: Optional[int] = None) -> None:
        self.run_dir = run_dir
        self.enabled = enabled
        self.writer = None
        self.failed: Set[str] = set()  # channels ('tensorboard', 'meshes') that failed and were warned about
        if enabled and tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            try:
                folder = os.path.join(run_dir, TENSORBOARD_DIR)
                _wait_for_a_later_event_file_name(folder)
                self.writer = SummaryWriter(folder, purge_step=purge_step)
            except OSError as error:
                self._failure("tensorboard", error)

    def _failure(self, channel: str, error: OSError) -> None:
        """Warn (once per channel) that writing ``channel`` failed; TensorBoard is dropped."""
        if channel == "tensorboard":
            self.writer = None  # not closed: a writer whose thread died can block in close()
            where, after = os.path.join(self.run_dir, TENSORBOARD_DIR), "without TensorBoard logs until it restarts"
        else:
            where, after = os.path.join(self.run_dir, MESH_DIR), "trying the next meshes again"
        if channel not in self.failed:
            self.failed.add(channel)
            warnings.warn(
                f"writing the run's {channel} to {where!r} failed ({type(error).__name__}: {error}); "
                f"training goes on and checkpoints are still written, {after}",
                RuntimeWarning,
                stacklevel=3,
            )

    def scalars(self, values: Dict[str, float], step: int) -> None:
        """Scalars named like 'loss/iou', 'schedule/lr' at an iteration."""
        if self.writer is not None:
            try:
                for name, value in values.items():
                    self.writer.add_scalar(name, float(value), step)
            except OSError as error:
                self._failure("tensorboard", error)

    def images(
        self,
        step: int,
        inputs: torch.Tensor,
        silhouettes: torch.Tensor,
        targets: torch.Tensor,
        colors: Optional[torch.Tensor] = None,
        color_targets: Optional[torch.Tensor] = None,
    ) -> None:
        """Input images, a grid of rendered vs target silhouettes and, for the colour
        model, the same grid of colour renders vs target colours.

        Args:
            inputs: (B, 4, S, S) float in [0, 1], the images a.
            silhouettes: (4, B, S, S): (mesh a, mesh b) x (view a, view b) renders.
            targets: (4, B, S, S): the matching ground-truth masks.
            colors, color_targets: None, or (4, B, 3, S, S) RGB renders and targets.
        """
        if self.writer is None:
            return
        try:
            self._add_images(step, inputs, silhouettes, targets, colors, color_targets)
        except OSError as error:
            self._failure("tensorboard", error)

    def _add_images(self, step, inputs, silhouettes, targets, colors, color_targets) -> None:
        shown = min(IMAGES_SHOWN, inputs.shape[0])
        rgb, alpha = inputs[:shown, :3], inputs[:shown, 3:4]
        self.writer.add_images("images/input", (rgb * alpha + (1 - alpha)).clamp(0, 1).cpu(), step)
        # Rows: samples; columns: the 4 renders, then the 4 targets.
        rows = torch.cat([silhouettes[:, :shown], targets[:, :shown]], dim=0)  # (8, shown, S, S)
        grid = torch.cat([torch.cat(list(rows[:, s]), dim=-1) for s in range(shown)], dim=-2)  # (shown*S, 8*S)
        self.writer.add_image("images/silhouettes_rendered_vs_target", grid[None].clamp(0, 1).cpu(), step)
        if colors is not None:
            rows = torch.cat([colors[:, :shown], color_targets[:, :shown]], dim=0)  # (8, shown, 3, S, S)
            grid = torch.cat([torch.cat(list(rows[:, s]), dim=-1) for s in range(shown)], dim=-2)  # (3, shown*S, 8*S)
            self.writer.add_image("images/colors_rendered_vs_target", grid.clamp(0, 1).cpu(), step)

    def meshes(
        self,
        step: int,
        vertices: torch.Tensor,
        faces: torch.Tensor,
        count: int,
        textures: Optional[torch.Tensor] = None,
    ) -> None:
        """Write the first ``count`` meshes as <run>/meshes/step_<step>_<k>.obj (textured
        OBJs with .mtl and .png atlas when ``textures`` are given), and show them in
        TensorBoard's mesh view (``meshes/prediction``, geometry only).

        Args:
            vertices: (N, V, 3) float, object frame.
            faces: (F, 3) long.
            textures: None, or (N, F, T, 3) surface textures in [0, 1].
        """
        if not self.enabled or count <= 0:
            return
        folder = os.path.join(self.run_dir, MESH_DIR)
        try:
            os.makedirs(folder, exist_ok=True)
            for k in range(min(count, vertices.shape[0])):
                path = os.path.join(folder, f"step_{step:09d}_{k}.obj")
                if textures is None:
                    save_obj(path, vertices[k].detach().cpu(), faces.cpu())
                else:
                    save_textured_obj(path, vertices[k].detach().cpu(), faces.cpu(), textures[k].detach().cpu())
        except OSError as error:
            self._failure("meshes", error)
        if self.writer is not None:
            shown = min(count, vertices.shape[0])
            try:
                self.writer.add_mesh(
                    "meshes/prediction",
                    vertices=vertices[:shown].detach().float().cpu(),
                    faces=faces.cpu()[None].expand(shown, -1, -1),
                    global_step=step,
                )
            except OSError as error:
                self._failure("tensorboard", error)

    def text(self, tag: str, text: str, step: int) -> None:
        """``text`` shown verbatim (as a code block) under ``tag`` in TensorBoard's TEXT view."""
        if self.writer is not None:
            try:
                self.writer.add_text(tag, "\n".join("    " + line for line in text.splitlines()), step)
            except OSError as error:
                self._failure("tensorboard", error)

    def hparams(self, hparams: Dict[str, Union[bool, int, float, str]], metrics: Dict[str, float]) -> None:
        """The run's hyperparameters and the names of its final metrics, for TensorBoard's
        HPARAMS view. The metrics' values are the scalars already logged under those tags
        (e.g. ``val/iou_mean``), so the run folder keeps one event stream."""
        if self.writer is None:
            return
        from torch.utils.tensorboard.summary import hparams as hparams_summary

        experiment, session_start, session_end = hparams_summary(hparams, metrics)
        try:
            file_writer = self.writer._get_file_writer()  # SummaryWriter.add_hparams would open a second run folder
            for summary in (experiment, session_start, session_end):
                file_writer.add_summary(summary)
        except OSError as error:
            self._failure("tensorboard", error)

    def close(self) -> None:
        """Flush and close TensorBoard's writer (a failing one is dropped, with a warning)."""
        if self.writer is not None:
            try:
                self.writer.flush()  # raises if its writing thread failed: closing it then could block
                self.writer.close()
            except OSError as error:
                self._failure("tensorboard", error)
            self.writer = None


def _wait_for_a_later_event_file_name(folder: str) -> None:
    """Wait (at most about a second) until a new event file's name sorts after every one
    in ``folder``.

    TensorBoard reads a folder's event files in the order of their names,
    ``events.out.tfevents.<whole seconds>.<host>.<pid>.<counter>``, and a resumed run's
    purge only drops what it reads before the new file. A resume started within the same
    second as the previous writer (a fast requeue, or one process that trains twice)
    could otherwise get a name that sorts first (counter 10 before 9), and its purge
    would drop its own new scalars instead of the interrupted run's.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    stamps = [int(parts[3]) for parts in (n.split(".") for n in names) if len(parts) > 3 and parts[3].isdigit()]
    if stamps:
        wait = max(stamps) + 1 - time.time()
        if wait > 0:
            time.sleep(wait)
