"""Class ids and names: the 13 ShapeNet classes of the benchmark and the synthetic ones."""

from __future__ import annotations

from collections import OrderedDict

from softrecon import protocol

# The 13 ShapeNetCore v1 synsets of the benchmark (softrecon.protocol), in the usual order.
SHAPENET_CLASS_NAMES = OrderedDict(protocol.SHAPENET_CLASSES)

# The procedural classes of the embedded default dataset (softrecon.dataset_builders.synthetic).
# Their ids cannot be mistaken for ShapeNet synsets.
SYNTHETIC_CLASS_NAMES = OrderedDict(
    [
        ("synth-chair", "chair"),
        ("synth-table", "table"),
        ("synth-airplane", "airplane"),
        ("synth-car", "car"),
        ("synth-lamp", "lamp"),
    ]
)

# Every known class id -> name; unknown ids (e.g. user-built datasets) are allowed too.
CLASS_NAMES = OrderedDict(list(SHAPENET_CLASS_NAMES.items()) + list(SYNTHETIC_CLASS_NAMES.items()))


def class_name(class_id: str) -> str:
    """The name of a class id, or the id itself when it is not a known class."""
    return CLASS_NAMES.get(class_id, class_id)
