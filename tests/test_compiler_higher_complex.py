"""Complex values through a derivative of a derivative in static mode: a function calling a gradient or a JVP.

The compiler reads such a call in the form made for complex arguments (every argument may be complex; the
code gives a real input the real part of its gradient itself, ``real_like``, as ``GradFunction.__call__``
does), once it finds complex values flowing. Each second derivative is judged by central finite differences
of the function calling the derivative, with complex directions for complex arguments; the gradient of a
real loss ``L`` with respect to ``z`` is ``dL/dRe z + i dL/dIm z``.
"""

import importlib.util
import itertools

import numpy as np
import pytest

import srcgrad

_COUNT = itertools.count()
_rng = np.random.default_rng(11)


def R(*shape):
    return _rng.normal(size=shape)


def C(*shape):
    return _rng.normal(size=shape) + 1j * _rng.normal(size=shape)


# ---------------------------------------------------------------- the first-order functions
def exp_loss(z, u):
    return np.sum(np.real(np.conj(u) * np.exp(z)))


def mixed_add(x, y, u):
    return np.sum(np.real(np.conj(u) * np.add(x, y)))


def mixed_product(x, z):
    return np.sum(np.abs(np.sin(x) * z) ** 2)


def abs_of_complex(x, z):
    return np.sum(np.abs(z) * x)


def padded_fft(x):
    return np.sum(np.abs(np.fft.fft(x, n=7)) ** 2 * np.arange(7.0))


def truncated_rfft(x):
    return np.sum(np.abs(np.fft.rfft(x, n=4)) ** 3)


FIRST = [
    (exp_loss, lambda: (C(3), C(3)), (0, 1)),
    (mixed_add, lambda: (R(3), C(3), C(3)), (0, 1)),  # a real input next to a complex one
    (mixed_add, lambda: (C(3), R(3), C(3)), (0, 1)),
    (mixed_product, lambda: (R(2, 3), C(2, 3)), (0, 1)),
    (abs_of_complex, lambda: (R(3), C(3)), (0, 1)),
    (padded_fft, lambda: (R(5),), (0,)),
    (truncated_rfft, lambda: (R(6),), (0,)),
]
IDS = [f"{f.__name__}-{''.join('c' if np.iscomplexobj(a) else 'r' for a in make())}" for f, make, _ in FIRST]


def _module(tmp_path, text, **bindings):
    """``text`` written to a real file (the compiler reads source), loaded with ``bindings`` as globals."""
    n = next(_COUNT)
    path = tmp_path / f"higher_complex_gen_{n}.py"
    path.write_text("import numpy as np\n\n\n" + text)
    spec = importlib.util.spec_from_file_location(f"higher_complex_gen_{n}", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(bindings)
    spec.loader.exec_module(module)
    return module


def _direction(a):
    d = _rng.normal(size=np.shape(a))
    return d + 1j * _rng.normal(size=np.shape(a)) if np.iscomplexobj(a) else d


def _pairing(grads, directions):
    """``sum Re(conj(g) * d)``: the derivative of the real loss along the directions, from its gradients."""
    return sum(float(np.real(np.sum(np.conj(g) * d))) for g, d in zip(grads, directions))


def _fd(h, args, directions, eps=1e-6):
    up = [a + eps * d for a, d in zip(args, directions)]
    down = [a - eps * d for a, d in zip(args, directions)]
    return (h(*up) - h(*down)) / (2 * eps)


def _weights(g):
    """Random weights for the gradient ``g``: complex where ``g`` is complex."""
    return _direction(np.asarray(g))


@pytest.mark.parametrize("f, make, wrt", FIRST, ids=IDS)
def test_gradient_of_a_function_calling_a_gradient(f, make, wrt, tmp_path):
    args = make()
    df = srcgrad.grad(f, wrt=wrt if len(wrt) > 1 else wrt[0])
    first = df(*args)
    first = first if isinstance(first, tuple) else (first,)
    weights = [_weights(g) for g in first]
    params = ", ".join(f"a{k}" for k in range(len(args)))
    reads = [f"g[{k}]" for k in range(len(first))] if len(first) > 1 else ["g"]
    terms = " + ".join(f"np.sum(np.real(np.conj(W[{k}]) * {r}))" for k, r in enumerate(reads))
    h = _module(tmp_path, f"def h({params}):\n    g = DF({params})\n    return {terms}\n", DF=df, W=weights).h
    every = tuple(range(len(args)))
    got = srcgrad.grad(h, wrt=every)(*args)
    directions = [_direction(a) for a in args]
    assert all(np.iscomplexobj(g) == np.iscomplexobj(a) for g, a in zip(got, args)), "a real input's gradient is real"
    assert _pairing(got, directions) == pytest.approx(_fd(h, args, directions), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("f, make, wrt", FIRST, ids=IDS)
def test_jvp_of_a_function_calling_a_gradient(f, make, wrt, tmp_path):
    args = make()
    df = srcgrad.grad(f, wrt=wrt[-1])
    weights = _weights(df(*args))
    params = ", ".join(f"a{k}" for k in range(len(args)))
    h = _module(
        tmp_path, f"def h({params}):\n    return np.sum(np.real(np.conj(W) * DF({params})))\n", DF=df, W=weights
    ).h
    directions = [_direction(a) for a in args]
    every = tuple(range(len(args)))
    _, tangent = srcgrad.jvp(h, wrt=every)(*args, tuple(directions))
    assert float(np.real(tangent)) == pytest.approx(_fd(h, args, directions), rel=1e-5, abs=1e-6)


def test_gradient_of_a_function_calling_a_jvp(tmp_path):
    def spectrum(x):
        return np.fft.fft(x) * np.exp(x)

    jf = srcgrad.jvp(spectrum)
    x, t, w = R(4), R(4), C(4)
    h = _module(
        tmp_path,
        "def h(x, t):\n    value, tangent = JF(x, t)\n    return np.sum(np.real(np.conj(W) * tangent))\n",
        JF=jf,
        W=w,
    ).h
    got = srcgrad.grad(h, wrt=(0, 1))(x, t)
    directions = [R(4), R(4)]
    assert _pairing(got, directions) == pytest.approx(_fd(h, (x, t), directions), rel=1e-5, abs=1e-6)


def test_the_complex_form_is_read_only_where_complex_values_flow(tmp_path):
    """A real call keeps the real code (no real_like, no conj), a complex one gets the complex form."""
    df = srcgrad.grad(mixed_add, wrt=0)
    h = _module(tmp_path, "def h(x, y, u):\n    return np.sum(DF(x, y, u) * W)\n", DF=df, W=R(3)).h
    gh = srcgrad.grad(h, wrt=(0, 1, 2))
    gh(R(3), R(3), R(3))
    assert "real_like" not in gh.source
    gh(R(3), C(3), C(3))
    assert "real_like(" in gh.source
