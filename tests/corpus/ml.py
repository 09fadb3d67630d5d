"""ML-shaped programs: networks, losses, recurrences, integrators, iterations."""

import math

import numpy as np

from . import AMBIGUOUS_METHOD, TENSOR_INTO_NDARRAY, case


def mlp(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean(out ** 2)


def softmax_cross_entropy(logits, labels):
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    n = logits.shape[0]
    return -np.mean(logp[np.arange(n), labels])


def logistic_regression(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) + 0.01 * np.sum(w ** 2)


def rnn(h0, Wx, Wh, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
    return np.sum(h ** 2)


def _softmax(s):
    e = np.exp(s - np.max(s, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def attention(Q, K, V):
    d = Q.shape[-1]
    a = _softmax(Q @ K.T / np.sqrt(d))
    return np.sum((a @ V) ** 2)


def layer_norm(x, gain, bias):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * gain + bias
    return np.sum(y ** 3)


def euler_ode(y0, k):
    y = y0
    dt = 0.1
    for _ in range(20):
        y = y + dt * (-k * y + np.sin(y))
    return np.sum(y)


def rk4_oscillator(state, omega):
    def deriv(s):
        return np.stack([s[1], -omega * omega * s[0]])

    s = state
    h = 0.05
    for _ in range(10):
        k1 = deriv(s)
        k2 = deriv(s + 0.5 * h * k1)
        k3 = deriv(s + 0.5 * h * k2)
        k4 = deriv(s + h * k3)
        s = s + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return s[0] ** 2 + s[1]


def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def newton_until_converged(a):
    x = 1.0
    while abs(x * x * x - a) > 1e-12:
        x = x - (x * x * x - a) / (3.0 * x * x)
    return x


def horner(coeffs, x):
    result = 0.0
    for c in coeffs:
        result = result * x + c
    return result


def ridge_loss(w, X, y):
    r = X @ w - y
    return 0.5 * np.dot(r, r) / len(y) + 0.1 * np.dot(w, w)


def conv1d_valid(x, k):
    out = []
    for i in range(len(x) - len(k) + 1):
        out.append(np.sum(x[i:i + len(k)] * k))
    return np.sum(np.tanh(np.array(out)))


def gru_cell(h, x, Wz, Wr, Wh):
    xh = np.concatenate([x, h])
    z = 1.0 / (1.0 + np.exp(-(Wz @ xh)))
    r = 1.0 / (1.0 + np.exp(-(Wr @ xh)))
    cand = np.tanh(Wh @ np.concatenate([x, r * h]))
    h_new = (1.0 - z) * h + z * cand
    return np.sum(h_new ** 2)


def gaussian_nll(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    return np.sum(0.5 * ((x - mu) / sigma) ** 2 + log_sigma + 0.5 * math.log(2.0 * math.pi))


def huber_loss(pred, target):
    d = pred - target
    small = np.abs(d) <= 1.0
    return np.mean(np.where(small, 0.5 * d ** 2, np.abs(d) - 0.5))


def cosine_similarity(u, v):
    return np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))


def unrolled_gradient_descent(w, X, y):
    for _ in range(3):
        g = X.T @ (X @ w - y) / len(y)
        w = w - 0.1 * g
    return np.sum((X @ w - y) ** 2)


def batch_norm_train(x, gamma, beta):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mean) / np.sqrt(var + 1e-5)
    return np.sum((gamma * xhat + beta) * np.arange(x.shape[1]))


def kl_divergence(p_logits, q_logits):
    p = _softmax(p_logits)
    q = _softmax(q_logits)
    return np.sum(p * (np.log(p) - np.log(q)))


def softmax_with_methods(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return np.sum(p * np.arange(z.shape[1]))


def _labels(r):
    return np.array([0, 2, 1, 2])


def _bits(r):
    return np.array([0.0, 1.0, 1.0, 0.0, 1.0])



def mean_of_losses(W, xs):
    losses = []
    for x in xs:
        losses.append(np.sum((x @ W) ** 2))
    return np.mean(np.array(losses))


CASES = [
    case(mlp, lambda r: (r.normal(size=(4, 3)), r.normal(size=(3, 5)) * 0.5, r.normal(size=5), r.normal(size=(5, 2)),
                         r.normal(size=2)), wrt=(0, 1, 2, 3, 4)),
    case(softmax_cross_entropy, lambda r: (r.normal(size=(4, 3)), _labels(r))),
    case(logistic_regression, lambda r: (r.normal(size=3), r.normal(size=(5, 3)), _bits(r)), wrt=(0, 1)),
    case(rnn, lambda r: (r.normal(size=3), r.normal(size=(2, 3)) * 0.5, r.normal(size=(3, 3)) * 0.5,
                         r.normal(size=(4, 2))), wrt=(0, 1, 2, 3)),
    case(attention, lambda r: (r.normal(size=(3, 4)), r.normal(size=(5, 4)), r.normal(size=(5, 2))), wrt=(0, 1, 2)),
    case(layer_norm, lambda r: (r.normal(size=(2, 4)), r.normal(size=4), r.normal(size=4)), wrt=(0, 1, 2)),
    case(euler_ode, lambda r: (r.normal(size=3), 0.7), wrt=(0, 1)),
    case(rk4_oscillator, lambda r: (np.array([1.0, 0.3]), 1.3), wrt=(0, 1)),
    case(newton_sqrt, lambda r: (2.7,)),
    case(newton_until_converged, lambda r: (5.0,)),
    case(horner, lambda r: (r.normal(size=5), 0.8), wrt=(0, 1)),
    case(ridge_loss, lambda r: (r.normal(size=3), r.normal(size=(6, 3)), r.normal(size=6)), wrt=(0, 1, 2)),
    case(conv1d_valid, lambda r: (r.normal(size=7), r.normal(size=3)), wrt=(0, 1), dynamic=TENSOR_INTO_NDARRAY),
    case(gru_cell, lambda r: (r.normal(size=3), r.normal(size=2), r.normal(size=(3, 5)) * 0.5,
                              r.normal(size=(3, 5)) * 0.5, r.normal(size=(3, 5)) * 0.5), wrt=(0, 1, 2, 3, 4)),
    case(gaussian_nll, lambda r: (r.normal(size=4), r.normal(size=4) * 0.3, r.normal(size=4)), wrt=(0, 1)),
    case(huber_loss, lambda r: (np.array([0.2, -1.9, 3.1, 0.4]), np.array([0.1, 0.3, -0.5, 0.9])), wrt=(0, 1)),
    case(cosine_similarity, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(unrolled_gradient_descent, lambda r: (r.normal(size=2), r.normal(size=(5, 2)), r.normal(size=5)),
         wrt=(0, 1, 2)),
    case(batch_norm_train, lambda r: (r.normal(size=(5, 3)), r.normal(size=3), r.normal(size=3)), wrt=(0, 1, 2),
         dynamic=AMBIGUOUS_METHOD),
    case(kl_divergence, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(mean_of_losses, lambda r: (r.normal(size=(2, 2)), r.normal(size=(3, 2))), dynamic=TENSOR_INTO_NDARRAY),
    case(softmax_with_methods, lambda r: (r.normal(size=(3, 4)),), dynamic=AMBIGUOUS_METHOD),
]
