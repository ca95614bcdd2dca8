"""The protocol modules' docstring examples are part of their contract; run them."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["header", "op_msg", "op_query", "op_compressed", "framing"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(f"docdb.protocol.{name}")
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
