"""The LSTM cell as one primitive: ``lstm_cell``, PyTorch's fused cell.

An LSTM step composed from ufuncs records eleven nodes (an add, a split, three
sigmoids, two tanhs, three products and a sum); PyTorch's fused kernel is one.
``lstm_cell`` is a primitive for speed only (the same numbers come out of the
composition): one node for the four gates' nonlinearities and the cell
update, whose VJP finds the gates' cotangent once for all its inputs
(``vjp_all``) and recomputes the activations from the saved inputs rather than
keeping them.

* ``lstm_cell(x_gates, h_gates, c) -> (h, c_new)``: ``x_gates`` and
  ``h_gates`` are the two halves of the gates' pre-activations (the input's
  projection, with the biases, and the hidden state's), added together;
  their last axis holds the gates ``i, f, g, o`` in PyTorch's order, each as
  wide as ``c``'s last axis. Then ``c_new = f * c + i * g`` and
  ``h = o * tanh(c_new)``, with ``i, f, o`` sigmoids and ``g`` a tanh.
"""

import numpy as np

from .broadcast import shape_of
from .helpers import broadcast_like
from .nnfuncs import sigmoid
from .registry import defjvp, defvjp, primitive

__all__ = ["lstm_cell", "gate"]


def gate(a, k):
    """Block ``k`` (0 ``i``, 1 ``f``, 2 ``g``, 3 ``o``) of the last axis of ``a``, four blocks wide."""
    width = shape_of(a)[-1] // 4
    return a[..., k * width:(k + 1) * width]


@primitive
def lstm_cell(x_gates, h_gates, c):
    """One LSTM cell update from its gates' pre-activations.

    Args:
        x_gates: the input's share of the pre-activations, (..., 4H) in the order ``i, f, g, o``.
        h_gates: the hidden state's share, broadcastable with ``x_gates``.
        c: the cell state, (..., H).

    Returns:
        ``(h, c_new)``: the new hidden state and cell state.
    """
    gates = np.add(x_gates, h_gates)
    width = gates.shape[-1] // 4
    act = np.multiply(gates, 0.5)  # sigmoid(x) = (tanh(x / 2) + 1) / 2, no overflow, in place
    np.tanh(act, out=act)
    act += 1
    act *= 0.5
    c_new = act[..., width:2 * width] * c
    c_new += act[..., :width] * np.tanh(gates[..., 2 * width:3 * width])
    h = np.tanh(c_new)
    h *= act[..., 3 * width:]
    return h, c_new


def _activations(x_gates, h_gates):
    """``(i, f, g, o)``: the gates after their nonlinearities."""
    gates = x_gates + h_gates
    act = sigmoid(gates)
    return gate(act, 0), gate(act, 1), np.tanh(gate(gates, 2)), gate(act, 3)


def lstm_cell_grads(g, ans, x_gates, h_gates, c):
    """The cotangents ``(d_gates, d_c)`` of the gates' pre-activations and of ``c``; ``g = (g_h, g_c)``."""
    i, f, cand, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    d_c = g[1] + g[0] * o * (1 - tanh_c * tanh_c)
    d_gates = np.concatenate([d_c * cand * i * (1 - i), d_c * c * f * (1 - f), d_c * i * (1 - cand * cand),
                              broadcast_like(g[0] * tanh_c * o * (1 - o), ans[1])], axis=-1)
    return d_gates, d_c * f


def lstm_cell_vjp_all(g, ans, x_gates, h_gates, c, argnums):
    """The cotangents of the arguments at ``argnums``, the gates' found once (the tape's path)."""
    d_gates, d_c = lstm_cell_grads(g, ans, x_gates, h_gates, c)
    return [d_c if i == 2 else d_gates for i in argnums]


def lstm_cell_jvp_gates(t, ans, x_gates, h_gates, c):
    """The tangents ``(h, c_new)`` contributed by a tangent ``t`` of either share of the gates."""
    i, f, cand, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    t_c = broadcast_like(gate(t, 0) * i * (1 - i) * cand + gate(t, 1) * f * (1 - f) * c
                         + gate(t, 2) * (1 - cand * cand) * i, ans[1])
    return gate(t, 3) * o * (1 - o) * tanh_c + o * (1 - tanh_c * tanh_c) * t_c, t_c


def lstm_cell_jvp_c(t, ans, x_gates, h_gates, c):
    """The tangents ``(h, c_new)`` contributed by a tangent ``t`` of ``c``."""
    _, f, _, o = _activations(x_gates, h_gates)
    tanh_c = np.tanh(ans[1])
    t_c = broadcast_like(f * t, ans[1])
    return o * (1 - tanh_c * tanh_c) * t_c, t_c


defvjp(lstm_cell,
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[0],
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[0],
       lambda g, ans, x_gates, h_gates, c: lstm_cell_grads(g, ans, x_gates, h_gates, c)[1],
       multiple_outputs=True, vjp_all=lstm_cell_vjp_all, backward_name="LstmCellBackward0")
defjvp(lstm_cell, lstm_cell_jvp_gates, lstm_cell_jvp_gates, lstm_cell_jvp_c)
