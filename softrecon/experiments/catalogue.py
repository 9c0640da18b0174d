"""The catalogue of the paper's tables: which rows each table has.

A table is a list of rows; a row is a name and the Hydra overrides that make it from the
budget's preset (``budgets``). The ablation and GenDR rows are the files of the config
groups ``configs/ablation/`` and ``configs/gendr/`` (one ``# @package _global_`` file each,
so ``python train.py -m '+ablation=glob(*)'`` runs the same rows as a Hydra multirun; a
new file is a new row). The main table compares the silhouette model with the colour
model. A new table is a function returning its ``Table``, entered in ``TABLES``.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Dict, List, Tuple

from omegaconf import OmegaConf

from softrecon.evaluation.published import PublishedResult, published

CONFIG_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs")
SPLITS = ("val", "test")
# --data choices -> the data group option (configs/data/<name>.yaml).
DATA_GROUPS = {"synthetic": "synthetic", "realcad": "realcad", "shapenet": "shapenet"}


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a table: a name, the model kind and the overrides on top of the preset."""

    name: str
    kind: str  # 'silhouette' | 'color': which of the budget's presets it starts from
    overrides: Tuple[str, ...]
    description: str
    # (factor, level) pairs placing the row in a factorial design, e.g. (("distribution",
    # "uniform"), ("T-conorm", "yager")) for a cell of GenDR's grid (``grid``); () for others.
    factors: Tuple[Tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class Table:
    """A table: its rows and the published figures printed beside them."""

    name: str
    title: str
    rows: Tuple[Row, ...]
    published: Tuple[PublishedResult, ...]


#: The rows of configs/gendr/ whose names begin so are the cells of GenDR's benchmark grid.
GRID_PREFIX = "grid_"
#: The factors of a grid row (``Row.factors`` keys; ``grid`` summarizes rows carrying both).
DISTRIBUTION, T_CONORM = "distribution", "T-conorm"


def grid_factors(config_path: str) -> Tuple[Tuple[str, str], ...]:
    """A GenDR grid row's factors from its config file: the distribution (the renderer's
    ``dist_cdf``, ``_squares`` added for squared distances) and the T-conorm
    (``aggr_alpha``: 'prod' is the probabilistic sum)."""
    renderer = OmegaConf.load(config_path).get("renderer", {})
    missing = [key for key in ("dist_cdf", "aggr_alpha") if key not in renderer]
    if missing:
        raise ValueError(f"{config_path}: a GenDR grid row must set renderer.{' and renderer.'.join(missing)}")
    distribution = renderer.dist_cdf + ("_squares" if renderer.get("dist_squared", False) else "")
    return ((DISTRIBUTION, distribution), (T_CONORM, renderer.aggr_alpha))


def _group_rows(group: str, reference: str) -> Tuple[Row, ...]:
    """One row per file of ``configs/<group>/``, named after it, described by its comment;
    the ``reference`` row first, the others in name order. The GenDR grid's rows carry
    their factors (``grid_factors``)."""
    folder = os.path.join(CONFIG_DIR, group)
    rows = []
    for file_name in sorted(os.listdir(folder)):
        if not file_name.endswith(".yaml"):
            continue
        name = file_name[: -len(".yaml")]
        path = os.path.join(folder, file_name)
        with open(path, encoding="utf-8") as handle:
            comments = [line[1:].strip() for line in handle if line.startswith("#") and "@package" not in line]
        factors = grid_factors(path) if group == "gendr" and name.startswith(GRID_PREFIX) else ()
        rows.append(Row(name, "silhouette", (f"+{group}={name}",), " ".join(comments), factors))
    if not any(row.name == reference for row in rows):
        raise FileNotFoundError(f"the reference row {reference}.yaml is missing from {folder}")
    return tuple(sorted(rows, key=lambda row: (row.name != reference, row.name)))


def main_table() -> Table:
    """Silhouette-only against colour-supervised model, beside the published figures."""
    return Table(
        "main",
        "Silhouette-only vs colour-supervised model, and NMR retrained (3D IoU, %)",
        (
            Row("silhouette", "silhouette", (), "the paper's silhouette-only model (soft IoU + regularizers)"),
            Row(
                "color",
                "color",
                (),
                "the colour-supervised model (palette colour head, soft IoU + colour L1 + regularizers)",
            ),
            Row(
                "nmr_retrained",
                "silhouette",
                ("renderer=nmr",),
                "NMR (retrained here): the silhouette model, data and schedule, rendered by NMR's hard "
                "rasterizer and trained through its approximate gradient (Kato et al. 2018)",
            ),
        ),
        tuple(published(key) for key in ("softras_silhouette", "softras_color", "nmr_paper", "nmr_readme")),
    )


def ablation_table() -> Table:
    """One row per file of ``configs/ablation/``, the baseline first."""
    return Table(
        "ablation",
        "Ablations of the silhouette model (3D IoU, %)",
        _group_rows("ablation", "baseline"),
        (published("softras_silhouette"),),
    )


def gendr_table() -> Table:
    """One row per file of ``configs/gendr/``, SoftRas' logistic CDF first."""
    return Table(
        "gendr",
        "GenDR coverage CDFs and T-conorms, silhouette model (3D IoU, %)",
        _group_rows("gendr", "cdf_logistic"),
        (),
    )


# name -> the function that makes the table (``softrecon-reproduce --table`` offers these names).
TABLES: Dict[str, Callable[[], Table]] = {"main": main_table, "ablation": ablation_table, "gendr": gendr_table}


def table_names() -> List[str]:
    """The names of the tables, in ``TABLES`` order."""
    return list(TABLES)


def get_table(name: str) -> Table:
    """The table called ``name`` (one of ``TABLES``: 'main', 'ablation', 'gendr')."""
    if name not in TABLES:
        raise ValueError(f"table must be one of {tuple(TABLES)}, got {name!r}")
    return TABLES[name]()
