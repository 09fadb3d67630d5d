"""The generated text does not depend on the string hash seed: the same function gives the same source in every
process (a name handed out while iterating a set of variables made it differ from one process to the next)."""

import os
import subprocess
import sys
import textwrap

import numpy as np

import srcgrad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CASE = textwrap.dedent(
    """
    import numpy as np
    import srcgrad


    def f(a, b, c):
        t = np.outer(a, b)
        s = np.sum(a) * np.sum(t * c)
        return s + np.sum(np.tanh(b)) * np.sum(a * a)


    def g(a, b, c):
        return np.sum(srcgrad.grad(f, wrt=(0, 1))(a, b, c)[0] * c[:, 0]) + np.sum(srcgrad.grad(f)(a, b, c) ** 2)


    ARGS = (np.linspace(0.1, 0.5, 3), np.linspace(-0.3, 0.4, 4), np.linspace(0.5, 1.5, 12).reshape(3, 4))
    """
)


def _source_with_seed(tmp_path, seed):
    (tmp_path / "hash_case.py").write_text(_CASE)
    code = "import hash_case as m, srcgrad; print(srcgrad.grad(m.g, wrt=(0, 1, 2)).source_for(*m.ARGS), end='')"
    env = dict(os.environ, PYTHONHASHSEED=str(seed), PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def test_second_order_source_is_the_same_under_every_hash_seed(tmp_path):
    texts = {seed: _source_with_seed(tmp_path, seed) for seed in (1, 2, 3, 4, 5)}
    assert all(text == texts[1] for text in texts.values()), [s for s, t in texts.items() if t != texts[1]]


def test_the_case_is_differentiated_right(tmp_path):
    import importlib.util

    (tmp_path / "hash_case_fd.py").write_text(_CASE)
    spec = importlib.util.spec_from_file_location("hash_case_fd", tmp_path / "hash_case_fd.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g, args = module.g, module.ARGS
    grads = srcgrad.grad(g, wrt=(0, 1, 2))(*args)
    for i, got in enumerate(grads):
        want = np.zeros_like(args[i])
        for j in np.ndindex(args[i].shape):
            step = np.zeros_like(args[i])
            step[j] = 1e-6
            up = [a + step if k == i else a for k, a in enumerate(args)]
            down = [a - step if k == i else a for k, a in enumerate(args)]
            want[j] = (g(*up) - g(*down)) / 2e-6
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
