"""The console entries ``softrecon-<command>`` (pyproject's ``[project.scripts]``): one
function per command of ``softrecon.cli.COMMANDS``, named after its module. They live
apart from the package's ``__init__`` so that no name there hides a command's module."""

from __future__ import annotations

import os
import sys

from . import COMMANDS, PROG, run


def _entry(command: str):
    """The console entry ``softrecon-<command>`` (pyproject's [project.scripts])."""

    def entry() -> int:
        return run(command, prog=os.path.basename(sys.argv[0]) or f"{PROG}-{command}")

    entry.__name__ = entry.__qualname__ = command.replace("-", "_")
    entry.__doc__ = f"``{PROG}-{command}``: {COMMANDS[command][1]}."
    return entry


# One entry function per command, named after its module (``softrecon.cli.entries:train``).
train = _entry("train")
eval = _entry("eval")  # noqa: A001  (the command's name)
reproduce = _entry("reproduce")
show_predictions = _entry("show-predictions")
render = _entry("render")
compare_gendr = _entry("compare-gendr")
fit_mesh = _entry("fit-mesh")
fit_pose = _entry("fit-pose")
make_fit_targets = _entry("make-fit-targets")
make_synthetic_dataset = _entry("make-synthetic-dataset")
build_dataset = _entry("build-dataset")
build_realcad = _entry("build-realcad")
fetch_nmr = _entry("fetch-nmr")
convert_nmr_to_hdf5 = _entry("convert-nmr-to-hdf5")
reconstruct = _entry("reconstruct")
export_model = _entry("export-model")
demo = _entry("demo")
