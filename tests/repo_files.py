"""Files of the repository that are no module of the package (scripts/, benchmarks/,
examples/), loaded as modules for their tests. Importable from every test folder:
pyproject.toml's pytest `pythonpath` puts tests/ on the path."""

import importlib.util
import pathlib
from types import ModuleType

REPO = pathlib.Path(__file__).resolve().parents[1]


def load_repo_file(relative_path: str) -> ModuleType:
    """The Python file at ``relative_path`` (from the repository's root, e.g.
    ``scripts/compare_runs.py``) as a module; its ``main()`` is not run, since its
    ``__name__`` is not ``"__main__"``. Each call loads it afresh (not kept in sys.modules)."""
    path = REPO / relative_path
    name = "repo_file_" + relative_path.replace("/", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
