"""realcad: a ShapeNet-like benchmark of real CAD models from Debian packages (Sweet
Home 3D furniture, FlightGear aircraft and ships, TORCS cars), built by
``scripts/build_realcad.py`` into the NMR format. See docs/DATA.md.

Modules: ``packages`` (what to fetch and unpack), ``catalog`` (the class mapping
classes.csv and the discovery of models), ``pose`` (canonical frame), ``prepare`` (load,
pose, check and cache one model), ``builder`` (the whole build and manifest.csv).
"""

from .builder import MANIFEST_NAME, SPLIT_FRACTIONS, RealcadReport, build_realcad
from .catalog import load_rules
from .packages import PACKAGES, download_debs, find_debs, total_download_size

__all__ = [
    "MANIFEST_NAME",
    "PACKAGES",
    "SPLIT_FRACTIONS",
    "RealcadReport",
    "build_realcad",
    "download_debs",
    "find_debs",
    "load_rules",
    "total_download_size",
]
