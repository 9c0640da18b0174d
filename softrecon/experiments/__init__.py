"""Experiments made of several runs: the paper's tables (``tables``)."""
