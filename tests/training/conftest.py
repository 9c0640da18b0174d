"""The training tests' session dataset (``tiny_runs.write_tiny_dataset``)."""

import pytest
from tiny_runs import write_tiny_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> str:
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny_dataset"))
