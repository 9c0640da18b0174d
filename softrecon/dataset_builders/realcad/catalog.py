"""Which models the realcad benchmark takes: the class mapping (classes.csv) and the
discovery of candidate models in the unpacked packages.

Every model file under a package's root (and every Sweet Home 3D catalog piece) becomes
a ``Candidate``; ``classify`` gives its class from classes.csv, or the reason it is left
out.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from typing import Dict, List, Optional, Tuple

from softrecon.datasets.classes import SHAPENET_CLASS_NAMES
from softrecon.io.sh3f import FurnitureEntry, read_catalog

from .packages import PACKAGE_BY_SOURCE, SH3D_LICENSES, TORCS_LICENSES
from .pose import FRONTS

DEFAULT_CLASSES_FILE = os.path.join(os.path.dirname(__file__), "classes.csv")
SKIP = "skip"
SKIP_REASONS = ("lod", "duplicate", "part", "prop", "not-class")
COLUMNS = ("source", "pattern", "class_id", "class_name", "front", "note")
NO_CLASS = "no class"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID_LENGTH = 100  # model ids name cache files (softrecon.dataset_builders)


@dataclasses.dataclass(frozen=True)
class ClassRule:
    """One row of classes.csv."""

    source: str
    pattern: "re.Pattern[str]"
    class_id: str  # a ShapeNet synset, or 'skip'
    class_name: str  # its name, or the skip reason
    front: str
    note: str
    line: int  # line number in the file, for messages


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One model found in a package."""

    model_id: str
    source: str  # classes.csv source key
    key: str  # what classes.csv patterns match
    package: str  # Debian package name
    path: str  # path inside the package ('...sh3f!folder/model.obj' for a furniture piece)
    file: str  # file on disk (the .sh3f library for a furniture piece)
    license: str
    creator: str = ""
    name: str = ""
    entry: Optional[FurnitureEntry] = None  # furniture pieces only


def load_rules(path=DEFAULT_CLASSES_FILE) -> List[ClassRule]:
    """Read and validate classes.csv.

    Raises:
        ValueError: naming the file and line: wrong columns, unknown source, class id or
            name not ShapeNet's, unknown skip reason or front, invalid regular expression.
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8") as handle:
        numbered = [
            (number, line)
            for number, line in enumerate(handle, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not numbered:
        raise ValueError(f"{path}: no rows")
    reader = csv.reader(io.StringIO("".join(line for _, line in numbered)))
    header = next(reader)
    if tuple(header) != COLUMNS:
        raise ValueError(
            f"{path}: line {numbered[0][0]}: the header must be {','.join(COLUMNS)}, got {','.join(header)}"
        )
    rules = []
    for (number, _), row in zip(numbered[1:], reader):
        where = f"{path}: line {number}"
        if len(row) != len(COLUMNS):
            raise ValueError(f"{where}: expected {len(COLUMNS)} columns, got {len(row)}")
        source, pattern, class_id, class_name, front, note = (value.strip() for value in row)
        if source not in PACKAGE_BY_SOURCE:
            raise ValueError(f"{where}: unknown source {source!r}; expected one of {sorted(PACKAGE_BY_SOURCE)}")
        if class_id == SKIP:
            if class_name not in SKIP_REASONS:
                raise ValueError(f"{where}: skip reason must be one of {SKIP_REASONS}, got {class_name!r}")
        elif SHAPENET_CLASS_NAMES.get(class_id) != class_name:
            raise ValueError(
                f"{where}: {class_id!r} {class_name!r} is not a ShapeNet class (softrecon.datasets.classes)"
            )
        if front not in FRONTS:
            raise ValueError(f"{where}: front must be one of {FRONTS}, got {front!r}")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise ValueError(f"{where}: invalid pattern {pattern!r} ({error})") from None
        rules.append(ClassRule(source, compiled, class_id, class_name, front, note, number))
    return rules


def classify(rules: List[ClassRule], source: str, key: str) -> Tuple[Optional[ClassRule], Optional[str]]:
    """The rule that places a model, or the reason it is left out.

    Returns:
        (class rule, None) for a model in a class; (None, reason) for a model left out
        (a skip rule's reason and note, or ``NO_CLASS``).

    Raises:
        ValueError: class rules of two different classes match the model.
    """
    matching = [rule for rule in rules if rule.source == source and rule.pattern.fullmatch(key)]
    skips = [rule for rule in matching if rule.class_id == SKIP]
    if skips:
        rule = skips[0]
        return None, f"{rule.class_name}: {rule.note}" if rule.note else rule.class_name
    classes = {rule.class_id for rule in matching}
    if len(classes) > 1:
        lines = ", ".join(str(rule.line) for rule in matching)
        raise ValueError(f"{source} model {key!r} matches the classes {sorted(classes)} (classes.csv lines {lines})")
    return (matching[0], None) if matching else (None, NO_CLASS)


def make_model_id(source: str, text: str) -> str:
    """A model id safe as a file name: '<source>-<text with other characters as ->'."""
    slug = _ID_UNSAFE.sub("-", text).strip("-.")
    return f"{source}-{slug}"[:MAX_ID_LENGTH]


def _model_files(root: str, extensions: Tuple[str, ...]) -> List[str]:
    found = []
    for folder, _, names in os.walk(root):
        found += [os.path.join(folder, name) for name in names if name.lower().endswith(extensions)]
    return sorted(found)


def discover(unpacked: Dict[str, str]) -> Tuple[List[Candidate], List[Tuple[str, str]]]:
    """Candidate models of the unpacked packages.

    Args:
        unpacked: {package source key: folder the package was unpacked into}.

    Returns:
        (candidates sorted by model id, [(file, reason)] of libraries that could not be
        read).
    """
    candidates: List[Candidate] = []
    problems: List[Tuple[str, str]] = []
    for source, folder in sorted(unpacked.items()):
        package = PACKAGE_BY_SOURCE[source]
        root = os.path.join(folder, package.root)
        for file in _model_files(root, package.extensions):
            relative = os.path.relpath(file, root).replace(os.sep, "/")
            in_package = f"{package.root}/{relative}"
            if source == "sh3d":
                try:
                    entries = read_catalog(file)
                except Exception as error:  # noqa: BLE001 - one bad library never aborts the build
                    problems.append((in_package, str(error) if isinstance(error, ValueError) else repr(error)))
                    continue
                for entry in entries:
                    candidates.append(
                        Candidate(
                            model_id=make_model_id(source, f"{entry.library}-{entry.index:03d}-{entry.name}"),
                            source=source,
                            key=entry.name,
                            package=package.name,
                            path=f"{in_package}!{entry.model}",
                            file=file,
                            license=SH3D_LICENSES.get(entry.library, entry.license),
                            creator=entry.creator,
                            name=entry.name,
                            entry=entry,
                        )
                    )
            else:
                top = relative.split("/", 1)[0]
                license_name = TORCS_LICENSES.get(top, package.license) if source == "torcs" else package.license
                candidates.append(
                    Candidate(
                        model_id=make_model_id(source, os.path.splitext(relative)[0]),
                        source=source,
                        key=relative,
                        package=package.name,
                        path=in_package,
                        file=file,
                        license=license_name,
                        name=os.path.splitext(os.path.basename(relative))[0],
                    )
                )
    seen: Dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.model_id in seen:
            raise ValueError(
                f"model id {candidate.model_id!r} of {candidate.path} is also that of {seen[candidate.model_id].path}"
            )
        seen[candidate.model_id] = candidate
    return sorted(candidates, key=lambda c: c.model_id), problems
