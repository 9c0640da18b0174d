#!/usr/bin/env python
"""``softrecon-reconstruct`` from a clone: ``python scripts/reconstruct.py --help``; the code is
softrecon/predict/reconstruct.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("reconstruct", prog="reconstruct.py"))
