"""The commands' modules (softrecon/cli/, which scripts/ wrap), imported for their tests."""

import importlib
from types import ModuleType


def load_script(name: str) -> ModuleType:
    """softrecon.cli.<name>, the module behind scripts/<name>.py (its main() not run)."""
    return importlib.import_module(f"softrecon.cli.{name}")
