"""L-BFGS with an optional strong-Wolfe line search (cubic interpolation), PyTorch's algorithm.

The parameters are treated as one flat vector. ``two_loop`` (the L-BFGS
direction), ``cubic_interpolate`` and ``strong_wolfe`` are pure functions over
floats and ndarrays; the class evaluates the closure and keeps the history.
"""

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ._update import buffer, check_option, grad_array, storage
from .optimizer import Optimizer

__all__ = ["LBFGS", "cubic_interpolate", "strong_wolfe", "two_loop"]


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through two points with values and slopes, clamped to ``bounds``.

    Args:
        x1, f1, g1: the first point, its value and its derivative.
        x2, f2, g2: the second point, its value and its derivative.
        bounds: ``(low, high)`` to clamp into (default: the interval between the points).

    Returns:
        The step, a float; the middle of the bounds when the cubic has no minimiser.
    """
    if bounds is not None:
        low, high = bounds
    else:
        low, high = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = float(np.sqrt(d2_square))
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, low), high)
    return (low + high) / 2.0


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    r"""A step length satisfying the strong Wolfe conditions, by bracketing then zooming.

    The conditions on :math:`\phi(t) = f(x + t d)` are sufficient decrease,
    :math:`\phi(t) \le \phi(0) + c_1 t \phi'(0)`, and curvature,
    :math:`|\phi'(t)| \le -c_2 \phi'(0)`. Trial steps come from cubic interpolation.

    Args:
        obj_func: ``obj_func(x, t, d)`` returns ``(loss, flat_grad)`` at ``x + t d``.
        x: the starting point (passed through to ``obj_func``).
        t: the first trial step.
        d: the search direction (flat ndarray).
        f, g, gtd: the loss, flat gradient and directional derivative at ``x``.
        c1, c2: the constants of the two conditions.
        tolerance_change: stop when the bracket is shorter than this (scaled by ``|d|``).
        max_ls: the most function evaluations to spend.

    Returns:
        ``(loss, flat_grad, t, evaluations)`` at the chosen step.
    """
    d_norm = float(np.abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
        # as in PyTorch, the gtd of this bracket is the last one seen by the loop

    # zoom: shrink the bracket until a point satisfies both conditions
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep the trial point away from the ends of the bracket when progress is slow
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            # not a sufficient decrease, or no better than the low end: it becomes the high end
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


def two_loop(flat_grad, old_dirs, old_stps, ro, h_diag, al):
    r"""The L-BFGS direction :math:`-H g` by the two-loop recursion.

    Args:
        flat_grad: the gradient :math:`g` (flat ndarray).
        old_dirs: the gradient differences :math:`y_i`, oldest first.
        old_stps: the step differences :math:`s_i`, oldest first.
        ro: :math:`1 / (y_i^\top s_i)`.
        h_diag: the scale of the initial inverse Hessian, :math:`s^\top y / y^\top y`.
        al: a list, at least as long as the history, that receives the :math:`\alpha_i`.

    Returns:
        The direction (a new flat ndarray).
    """
    q = -flat_grad
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = float(old_stps[i].dot(q)) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = float(old_dirs[i].dot(r)) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


class LBFGS(Optimizer):
    r"""L-BFGS, PyTorch's algorithm (after minFunc); one parameter group only.

    Each ``step(closure)`` runs up to ``max_iter`` iterations. The direction is
    :math:`d_k = -H_k g_k`, with :math:`H_k` the limited-memory BFGS inverse Hessian
    built from the last ``history_size`` pairs :math:`s_i = t_i d_i`,
    :math:`y_i = g_{i+1} - g_i` (kept only when :math:`y_i^\top s_i > 10^{-10}`) and
    scaled by :math:`s^\top y / y^\top y`. The step is :math:`x_{k+1} = x_k + t_k d_k`
    with :math:`t_k = \text{lr}` (the first iteration: :math:`\min(1, 1/\|g\|_1)\,\text{lr}`),
    or the strong-Wolfe step when ``line_search_fn="strong_wolfe"``.

    Args:
        params: the parameters (one group).
        lr: the learning rate / first trial step (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this (default 1e-7).
        tolerance_change: stop when the loss or the step changes less than this (default 1e-9).
        history_size: the number of ``(s, y)`` pairs kept (default 100).
        line_search_fn: None or ``"strong_wolfe"``.

    Raises:
        ValueError: more than one parameter group, a negative ``lr``, or an unknown ``line_search_fn``.

    Example:
        >>> import srcgrad
        >>> x = srcgrad.tensor([3.0, -1.0], requires_grad=True)
        >>> opt = srcgrad.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - 1.0) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> bool(abs(x.detach().numpy() - 1.0).max() < 1e-6)
        True
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        check_option("learning rate", lr)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"only 'strong_wolfe' is supported as line_search_fn, not {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]

    # -- the parameters as one flat vector --------------------------------------------------

    def _gather_flat_grad(self):
        return np.concatenate(
            [
                np.zeros_like(buffer(p)).reshape(-1) if p.grad is None else grad_array(p).reshape(-1)
                for p in self._params
            ]
        )

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            value = buffer(p)
            n = value.size
            value += step_size * update[offset : offset + n].reshape(value.shape)
            p._vc[0] += 1
            offset += n

    def _clone_param(self):
        return [np.array(storage(p), copy=True) for p in self._params]

    def _set_param(self, values):
        for p, value in zip(self._params, values):
            np.copyto(storage(p), value)
            p._vc[0] += 1

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = _number(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: re-evaluates the model (zero the grads, compute the loss,
                ``backward``) and returns the loss; required. It runs with grad enabled.

        Returns:
            The loss of the first evaluation (before any update), as PyTorch returns it.
        """
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        closure = enable_grad()(closure)

        # the state is global, kept under the first parameter (as in PyTorch)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = _number(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d = _array(state.get("d"))
        t = state.get("t")
        old_dirs = [_array(v) for v in state.get("old_dirs", [])]
        old_stps = [_array(v) for v in state.get("old_stps", [])]
        ro = list(state.get("ro", []))
        h_diag = state.get("H_diag")
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = two_loop(flat_grad, old_dirs, old_stps, ro, h_diag, state["al"])
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn == "strong_wolfe":
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # re-evaluate (not on the last iteration: its value would go unused)
                    loss = _number(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _tensor(d)
        state["t"] = t
        state["old_dirs"] = [_tensor(v) for v in old_dirs]
        state["old_stps"] = [_tensor(v) for v in old_stps]
        state["ro"] = ro
        state["H_diag"] = h_diag
        state["prev_flat_grad"] = _tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss


def _array(v):
    return v._value if isinstance(v, Tensor) else v


def _tensor(v):
    return None if v is None else Tensor._wrap(v)


def _number(loss):
    """A closure's loss as a float (``.item()`` of a Tensor: it may require grad)."""
    return float(loss.item() if hasattr(loss, "item") else loss)
