"""The examples in the docstrings of srcgrad.nn run and print what they say they print."""

import doctest
import importlib

import pytest

MODULES = [
    "srcgrad.nn." + name
    for name in (
        "activation",
        "container",
        "conv",
        "dropout",
        "embedding",
        "init",
        "linear",
        "loss",
        "module",
        "normalization",
        "padding",
        "parameter",
        "recurrent",
        "transformer",
        "utils",
    )
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
