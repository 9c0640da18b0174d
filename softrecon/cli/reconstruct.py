"""``softrecon-reconstruct``: the command of ``softrecon.predict.reconstruct`` (docs/RECONSTRUCT.md)."""

from softrecon.predict.reconstruct import main

__all__ = ["main"]
