#!/usr/bin/env python
"""``softrecon-build-realcad`` from a clone: ``python scripts/build_realcad.py --help``; the code is
softrecon/cli/build_realcad.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("build-realcad", prog="build_realcad.py"))
