"""``softrecon-demo``: the command of ``softrecon.predict.demo`` (docs/RECONSTRUCT.md)."""

from softrecon.predict.demo import main

__all__ = ["main"]
