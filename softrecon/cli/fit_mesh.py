"""Fit a template sphere to target silhouettes (rendered from a mesh, or given as images
with their cameras) with the soft rasterizer, optionally coarse-to-fine.

    softrecon-fit-mesh target=/path/to/mesh.obj [steps=200 image_size=64 ...]
    softrecon-fit-mesh images=images.npy cameras=cameras.npy [reference=mesh.obj]
    softrecon-fit-mesh images=views/ cameras=views/cameras.json subdivisions=2
    softrecon-fit-mesh target=mesh.obj renderer.dist_cdf=gaussian

Options and defaults: configs/fit_mesh.yaml (``--help`` prints them); the rasterizer
settings are the ``renderer`` config group shared with train.py. Writes fitted.obj, fitting.gif and
metrics.json into the run folder (hydra.run.dir); the LAST line printed is the path
of metrics.json. A bad input (missing or unreadable mesh, no faces, NaN, a bad option
value) prints one line naming it on stderr and exits with status 2; an unknown or
mistyped option is refused by Hydra before anything runs.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from softrecon.config import CONFIG_DIR
from softrecon.fitting.cli import run_command
from softrecon.fitting.config import register_configs
from softrecon.fitting.run_shape import run_fit_mesh

register_configs()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="fit_mesh")
def main(cfg: DictConfig) -> None:
    run_command("fit_mesh", run_fit_mesh, cfg)


if __name__ == "__main__":
    main()
