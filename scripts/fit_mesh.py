#!/usr/bin/env python
"""``softrecon-fit-mesh`` from a clone: ``python scripts/fit_mesh.py --help``; the code is
softrecon/cli/fit_mesh.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("fit-mesh", prog="fit_mesh.py"))
