"""Published mean 3D IoU figures on the ShapeNet benchmark (13 classes), with sources.

The one place these numbers live: the evaluation report and the table reproduction
(``scripts/reproduce.py``) both print them beside ours. Per-class figures were not
retrievable from a source we could check, so none are quoted (a table leaves those
cells empty). Values are percentages, as the papers print them; some are bounds.
"""

from __future__ import annotations

import dataclasses
from typing import Tuple


@dataclasses.dataclass(frozen=True)
class PublishedResult:
    """One published figure."""

    key: str  # short name that table definitions refer to
    method: str
    mean_iou: str  # percent, as printed by the source ("> 62" where only a bound is given)
    split: str  # the split the figure is on ('val', 'test' or 'unstated')
    source: str


PUBLISHED: Tuple[PublishedResult, ...] = (
    PublishedResult(
        "softras_silhouette",
        "SoftRas, silhouette-only, NMR renders",
        "> 62",
        "val",
        "the first author in SoftRas issue #75 (a user's re-run of the released code: 61.84); "
        "SoftRas' examples/recon/test.py evaluates the val split",
    ),
    PublishedResult(
        "softras_color",
        "SoftRas, colour-supervised ('full')",
        "64.64",
        "val",
        "SoftRas paper (ICCV 2019); trained on the authors' own shaded renders (SoftRas issue #75)",
    ),
    PublishedResult("nmr_paper", "NMR, Kato et al.", "60.15", "test", "NMR paper (CVPR 2018)"),
    PublishedResult(
        "nmr_readme",
        "NMR, Kato et al. (mesh_reconstruction README)",
        "60.31 (paper) / 59.88 (released model)",
        "test",
        "hiroharu-kato/mesh_reconstruction README (it differs from the NMR paper's 60.15)",
    ),
)


def published(key: str) -> PublishedResult:
    """The published result named ``key``; ``KeyError`` naming the known keys otherwise."""
    for result in PUBLISHED:
        if result.key == key:
            return result
    raise KeyError(f"no published result {key!r}; known: {[r.key for r in PUBLISHED]}")
