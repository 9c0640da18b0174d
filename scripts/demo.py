#!/usr/bin/env python
"""``softrecon-demo`` from a clone: ``python scripts/demo.py --help``; the code is
softrecon/predict/demo.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("demo", prog="demo.py"))
