"""Linear algebra: products, solves, decompositions' scalars, einsum."""

import numpy as np

from . import case


def matvec_tanh(A, x):
    return np.sum(np.tanh(A @ x))


def matmul_chain(A, B, C):
    return np.sum(((A @ B) @ C) ** 2)


def dot_squared(x, y):
    return np.dot(x, y) ** 2


def quadratic_form(A, x):
    return x @ A @ x


def inverse_sum(A):
    return np.sum(np.linalg.inv(A))


def solve_residual(A, b):
    z = np.linalg.solve(A, b)
    return np.sum(z ** 2)


def log_abs_det(A):
    return np.log(np.abs(np.linalg.det(A)))


def slogdet_value(A):
    sign, logdet = np.linalg.slogdet(A)
    return logdet


def outer_and_inner(u, v):
    return np.sum(np.outer(u, v) ** 2) + np.inner(u, v)


def einsum_bilinear(x, W, y):
    return np.einsum("i,ij,j->", x, W, y)


def frobenius(A):
    return np.linalg.norm(A)


def gram_trace(X):
    G = X.T @ X
    return np.trace(G) + np.sum(G ** 2)


def tensordot_sum(A, B):
    return np.sum(np.tensordot(A, B, axes=1) ** 2)


def batched_matmul(A, B):
    return np.sum(np.matmul(A, B) ** 2)


def least_squares(X, y):
    w = np.linalg.solve(X.T @ X + 0.1 * np.eye(X.shape[1]), X.T @ y)
    return np.sum((X @ w - y) ** 2)


def row_dots_vecdot(X, w):
    return np.sum(np.vecdot(X, w) ** 2)


def matvec_sum(A, v):
    return np.sum(np.tanh(np.matvec(A, v)))


def _wellconditioned(r, n):
    return r.normal(size=(n, n)) * 0.3 + np.eye(n) * 2.0


CASES = [
    case(matvec_tanh, lambda r: (r.normal(size=(3, 4)), r.normal(size=4)), wrt=(0, 1)),
    case(matmul_chain, lambda r: (r.normal(size=(2, 3)), r.normal(size=(3, 4)), r.normal(size=(4, 2))), wrt=(0, 1, 2)),
    case(dot_squared, lambda r: (r.normal(size=4), r.normal(size=4)), wrt=(0, 1)),
    case(quadratic_form, lambda r: (r.normal(size=(3, 3)), r.normal(size=3)), wrt=(0, 1)),
    case(inverse_sum, lambda r: (_wellconditioned(r, 3),)),
    case(solve_residual, lambda r: (_wellconditioned(r, 3), r.normal(size=3)), wrt=(0, 1)),
    case(log_abs_det, lambda r: (_wellconditioned(r, 3),)),
    case(slogdet_value, lambda r: (_wellconditioned(r, 3),)),
    case(outer_and_inner, lambda r: (r.normal(size=3), r.normal(size=3)), wrt=(0, 1)),
    case(einsum_bilinear, lambda r: (r.normal(size=3), r.normal(size=(3, 4)), r.normal(size=4)), wrt=(0, 1, 2)),
    case(frobenius, lambda r: (r.normal(size=(3, 3)),)),
    case(gram_trace, lambda r: (r.normal(size=(4, 3)),)),
    case(tensordot_sum, lambda r: (r.normal(size=(2, 3)), r.normal(size=(3, 4))), wrt=(0, 1)),
    case(batched_matmul, lambda r: (r.normal(size=(2, 2, 3)), r.normal(size=(2, 3, 2))), wrt=(0, 1)),
    case(least_squares, lambda r: (r.normal(size=(5, 2)), r.normal(size=5)), wrt=(0, 1)),
    case(row_dots_vecdot, lambda r: (r.normal(size=(4, 3)), r.normal(size=3)), wrt=(0, 1)),
    case(matvec_sum, lambda r: (r.normal(size=(2, 3)), r.normal(size=3)), wrt=(0, 1)),
]
