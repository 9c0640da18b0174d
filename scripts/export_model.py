"""Export a trained run as one model file: ``python scripts/export_model.py RUN -o model.pt``

A thin wrapper of ``softrecon.predict.export.main``; ``--help`` explains the options,
docs/RECONSTRUCT.md the framing and the output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.predict.export import main  # noqa: E402

if __name__ == "__main__":
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
