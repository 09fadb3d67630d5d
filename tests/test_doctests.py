"""The examples in docstrings run, and print what they say they print."""

import doctest
import importlib

import pytest

MODULES = ["srcgrad.tensor", "srcgrad.creation", "srcgrad.autograd.grad_mode"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
