"""Small PyTorch programs written the way PyTorch's tutorials and examples are, run unchanged on
srcgrad by ``tests/test_torch_programs.py`` (see ``harness.py``)."""
