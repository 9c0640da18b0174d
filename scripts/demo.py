"""A local web page to try a model: ``python scripts/demo.py MODEL`` (needs ``pip install -e ".[demo]"``)

A thin wrapper of ``softrecon.predict.demo.main``; ``--help`` explains the options,
docs/RECONSTRUCT.md the framing and the output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from softrecon.predict.demo import main  # noqa: E402

if __name__ == "__main__":
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
