"""``softrecon-export-model``: the command of ``softrecon.predict.export`` (docs/RECONSTRUCT.md)."""

from softrecon.predict.export import main

__all__ = ["main"]
