"""softrecon's console commands: one module per job, one table of them.

Every job is a command of its own, ``softrecon-<job>`` (``softrecon-train``,
``softrecon-eval``, ``softrecon-render``, ...), and a sub-command of the umbrella
``softrecon <job>`` (``softrecon`` alone lists them). Both run ``softrecon.cli.<module>``'s
``main``: a Hydra app (train, eval, fit-mesh, fit-pose: ``key=value`` overrides) or an
argparse one (the others). ``train.py``, ``eval.py`` and ``scripts/<module>.py`` in a clone
are thin wrappers of the same modules.

A new job: a module here with ``main(argv=None)`` (argparse; returns an exit status, or
None / the path it wrote for success) or a ``@hydra.main`` ``main()``, a row in
``COMMANDS``, an entry function in ``entries.py`` and its line in pyproject's ``[project.scripts]``
(``tests/cli/test_commands.py`` checks that the table and pyproject agree).
"""

from __future__ import annotations

import importlib
import sys
from typing import Dict, Optional, Sequence, Tuple

# command -> (module of softrecon.cli, one line of help). Hydra apps take key=value
# overrides; the others take options (each command's --help).
COMMANDS: Dict[str, Tuple[str, str]] = {
    "train": ("train", "train a reconstruction model (Hydra: key=value overrides)"),
    "eval": ("eval", "evaluate a trained model: voxel IoU, Chamfer, F-score (Hydra)"),
    "reproduce": ("reproduce", "train, evaluate and tabulate a table of the paper (ablation, GenDR, main)"),
    "show-predictions": ("show_predictions", "a picture of a trained model's reconstructions"),
    "render": ("render", "render a mesh file to a PNG or a turntable GIF"),
    "compare-gendr": ("compare_gendr", "one mesh's soft silhouettes under every GenDR CDF x T-conorm"),
    "fit-mesh": ("fit_mesh", "fit a template sphere to target silhouettes (Hydra)"),
    "fit-pose": ("fit_pose", "recover a mesh's rigid pose from one occluded image (Hydra)"),
    "make-fit-targets": ("make_fit_targets", "render a mesh's fitting targets as images + cameras"),
    "make-synthetic-dataset": ("make_synthetic_dataset", "build the embedded synthetic dataset"),
    "build-dataset": ("build_dataset", "build an NMR-format dataset from your own mesh files"),
    "build-realcad": ("build_realcad", "build the realcad benchmark from Debian CAD packages"),
    "fetch-nmr": ("fetch_nmr", "download, verify and extract the NMR ShapeNet renders"),
    "convert-nmr-to-hdf5": ("convert_nmr_to_hdf5", "convert extracted NMR npz files to HDF5"),
    "reconstruct": ("reconstruct", "pictures to meshes with a trained model (one .obj per picture)"),
    "export-model": ("export_model", "write a trained run as one model file that needs no run folder"),
    "demo": ("demo", "a local web page: drop a picture, turn its mesh in 3D (needs the demo extra)"),
}
PROG = "softrecon"
USAGE_STATUS = 2  # an unknown command, as argparse's usage errors


def run(command: str, argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    """Run ``command`` with the arguments ``argv`` (default: ``sys.argv[1:]``); its exit status.

    ``prog`` is the name its usage and errors show (default ``softrecon-<command>``).
    A Hydra app reads ``sys.argv``, so it is set to ``[prog, *argv]`` for the call.
    """
    module = importlib.import_module(f"softrecon.cli.{COMMANDS[command][0]}")
    argv = list(sys.argv[1:] if argv is None else argv)
    saved = sys.argv
    sys.argv = [prog or f"{PROG}-{command}", *argv]
    try:
        if getattr(module.main, "__wrapped__", None) is not None:  # @hydra.main: it parses sys.argv itself
            module.main()
            return 0
        result = module.main(argv)
    finally:
        sys.argv = saved
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _listing() -> str:
    width = max(len(name) for name in COMMANDS)
    rows = "\n".join(f"  {name:<{width}}  {help_line}" for name, (_, help_line) in COMMANDS.items())
    return (
        f"usage: {PROG} <command> [arguments]   (or {PROG}-<command> [arguments])\n\n"
        f"Single-view mesh reconstruction with the Soft Rasterizer.\n\ncommands:\n{rows}\n\n"
        f"'{PROG} <command> --help' explains one. Version: {PROG} {_version()}."
    )


def _version() -> str:
    import softrecon

    return softrecon.__version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``softrecon <command> [arguments]``: the umbrella command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_listing())
        return 0 if argv else USAGE_STATUS
    if argv[0] in ("-V", "--version"):
        print(f"{PROG} {_version()}")
        return 0
    if argv[0] not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(argv[0], COMMANDS, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else f" (the commands: {', '.join(COMMANDS)})"
        print(f"{PROG}: error: no command {argv[0]!r}{hint}", file=sys.stderr)
        return USAGE_STATUS
    return run(argv[0], argv[1:], prog=f"{PROG} {argv[0]}")
