#!/usr/bin/env python
"""``softrecon-convert-nmr-to-hdf5`` from a clone: ``python scripts/convert_nmr_to_hdf5.py --help``; the code is
softrecon/cli/convert_nmr_to_hdf5.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("convert-nmr-to-hdf5", prog="convert_nmr_to_hdf5.py"))
