"""Recover the rigid pose of a coloured mesh from one occluded image (annealed blur).

    softrecon-fit-pose [target=/path/to/mesh.obj] [num_starts=10 ...]

Options and defaults: configs/fit_pose.yaml (``--help`` prints them; default target: a
built-in procedural coloured object); the rasterizer settings are the ``renderer`` config
group shared with train.py. Writes pose_fitting.gif and metrics.json into the run folder
(hydra.run.dir); the LAST line printed is the path of metrics.json. A bad input prints
one line naming it on stderr and exits with status 2; an unknown or mistyped option is
refused by Hydra before anything runs.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from softrecon.config import CONFIG_DIR
from softrecon.fitting.cli import run_command
from softrecon.fitting.config import register_configs
from softrecon.fitting.run_pose import run_fit_pose

register_configs()


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="fit_pose")
def main(cfg: DictConfig) -> None:
    run_command("fit_pose", run_fit_pose, cfg)


if __name__ == "__main__":
    main()
