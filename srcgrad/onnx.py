"""``srcgrad.onnx``: PyTorch's ``torch.onnx``, present so ``import torch.onnx`` works.

srcgrad has no ONNX exporter: ``export`` raises a ``SrcgradError`` that says
so. Save the weights with ``srcgrad.save(model.state_dict(), path)`` instead,
or export from PyTorch.
"""

from .errors import SrcgradError

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, *more, **kwargs):
    """Raises: srcgrad cannot write ONNX.

    Raises:
        SrcgradError: always.
    """
    raise SrcgradError(
        "torch.onnx.export: srcgrad has no ONNX exporter. Save the weights with "
        "torch.save(model.state_dict(), path) (an .npz archive) and export from PyTorch if you "
        "need ONNX."
    )


def is_in_onnx_export():
    """False: no export is ever running."""
    return False
