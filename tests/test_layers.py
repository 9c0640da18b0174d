"""The import graph of softrecon/ has no upward arrow: a module imports only its own layer
and the layers below it (docs/DESIGN.md, "Layers").

Every module is parsed with ``ast`` (nothing is imported), so imports inside functions
count as well as those at the top of a file.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "softrecon"

# Bottom to top: the one place the layer order is written. Each level is a tuple of
# sibling packages. A module of softrecon.<name> may import softrecon.<other> only when
# <other> is on a lower level, or is <name> itself: siblings on one level are independent
# (fitting may not import experiments, nor the reverse).
LEVELS = [
    ("_C",),  # the compiled kernels
    ("protocol",),  # the benchmark protocol's numbers
    ("utils",),
    ("config",),  # Hydra schemas, composition, the lr / sigma schedule
    ("runtime",),  # the process: devices, DDP, RNG, timing
    ("geometry",),
    ("structures",),  # Mesh and the surface-texture texel layout
    ("io",),  # mesh files
    ("renderer",),
    ("voxel",),
    ("metrics",),
    ("losses",),
    ("datasets",),  # reading datasets
    ("dataset_builders",),  # making datasets: renders, voxelizes, writes
    ("models",),
    ("rundir",),  # a run folder: checkpoints, lock, saved config, logger
    ("evaluation",),
    ("training",),
    ("cluster",),  # SLURM through submitit: job arrays, job states (no training code)
    ("fitting", "experiments", "compat", "predict"),  # applications, independent of each other
    ("cli",),  # the console commands: one thin entry per job
    ("configs",),  # the YAML configs (no Python code but the package marker)
]
LAYERS = [name for level in LEVELS for name in level]
LEVEL = {name: index for index, level in enumerate(LEVELS) for name in level}
RANK = {name: index for index, name in enumerate(LAYERS)}

# Upward arrows that are known and accepted, as (importing module, imported module).
KNOWN_EXCEPTIONS: set = set()


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported_modules(path: pathlib.Path):
    """(line, absolute module name) of every softrecon import in the file at ``path``."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "softrecon":  # from softrecon import protocol: the names are modules
                for alias in node.names:
                    yield node.lineno, f"softrecon.{alias.name}"
            else:
                yield node.lineno, name


def _layer(module: str) -> str:
    parts = module.split(".")[1:]
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANK:
            return ".".join(parts[:n])
    return parts[0]


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


def test_every_subpackage_has_a_layer():
    names = {_layer(_module_name(p)) for p in _modules()}
    assert names - set(RANK) == set(), "add these to LAYERS in tests/test_layers.py"


def test_the_parser_sees_relative_and_module_imports():
    # A self-check, so that the test below cannot pass by seeing no imports at all.
    imports = {name for _, name in _imported_modules(PACKAGE / "training" / "trainer.py")}
    assert "softrecon.rundir.checkpoint" in imports and "softrecon.training.loop" in imports
    imports = {name for _, name in _imported_modules(PACKAGE / "renderer" / "cameras.py")}
    assert "softrecon.protocol" in imports
    assert (
        _layer("softrecon.dataset_builders.realcad.pose") == "dataset_builders"
        and _layer("softrecon.datasets.layout") == "datasets"
    )


def test_reading_a_dataset_loads_neither_renderer_nor_voxelizer_nor_mesh_io():
    code = "import sys, softrecon.datasets; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    ).stdout.split()
    heavy = [
        m
        for m in loaded
        if m.split(".")[:2] in (["softrecon", "renderer"], ["softrecon", "voxel"], ["softrecon", "io"])
    ]
    assert "softrecon.datasets.dataset" in loaded and heavy == []


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in _modules():
        module = _module_name(path)
        for line, imported in _imported_modules(path):
            if not imported.startswith("softrecon.") or (module, imported) in KNOWN_EXCEPTIONS:
                continue
            own, other = _layer(module), _layer(imported)
            if LEVEL[other] > LEVEL[own] or (LEVEL[other] == LEVEL[own] and other != own):
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert upward == [], "upward or sideways imports (see LEVELS in tests/test_layers.py):\n" + "\n".join(upward)
