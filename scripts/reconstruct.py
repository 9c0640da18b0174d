"""Pictures to meshes: ``python scripts/reconstruct.py MODEL INPUT... -o OUT``

A thin wrapper of ``softrecon.predict.reconstruct.main``; ``--help`` explains the options,
docs/RECONSTRUCT.md the framing and the output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.predict.reconstruct import main  # noqa: E402

if __name__ == "__main__":
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
