#!/usr/bin/env python
"""``softrecon-render`` from a clone: ``python scripts/render.py --help``; the code is
softrecon/cli/render.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("render", prog="render.py"))
