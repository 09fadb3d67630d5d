"""Findings of the random-program fuzzer (``tests/fuzzing``, ``tools/fuzz.py``) that nothing else tests.

Each is a short program shrunk from a generated one, judged as the fuzzer judges it: static mode against
central finite differences, dynamic mode against numpy's own value and finite differences. A bug someone
else is to fix is a strict xfail whose reason says what goes wrong today, so the suite stays green and
the fix is noticed: when it lands the test passes, the xfail fails the suite, and the mark goes. Each
reason starts with the area the bug is in: compiler (srcgrad/compiler), runtime (tensor.py, autograd/) or
rules (srcgrad/rules).
"""

import numpy as np
import pytest

import srcgrad
from corpus.harness import check_grad_and_jvp, fd_grad
from fuzzing.oracle import identifiers_of, internal_names
from srcgrad.errors import AutogradError, SrcgradError, TransformError

X = np.array([0.3, -0.7, 1.2, 0.5])
HERE = "test_fuzz_findings.py, line"


NAMES = identifiers_of(open(__file__).read())


def grad_right_or_refused_here(f, *args, wrt=0):
    """``srcgrad.grad`` (both optimize settings) is right, or refuses with a TransformError at this file's line
    whose message names no variable this file does not have."""
    expected = fd_grad(f, args, wrt)
    for optimize in (True, False):
        try:
            got = srcgrad.grad(f, wrt=wrt, optimize=optimize)(*args)
        except TransformError as e:
            assert HERE in str(e), str(e)
            assert not internal_names(e.message, NAMES), str(e)
            continue
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"optimize={optimize}")


def dynamic_like_numpy_or_refused(f, *args):
    """``f`` on a Tensor gives numpy's value and the finite-difference gradient, or raises a srcgrad error."""
    value = f(*(np.copy(a) if isinstance(a, np.ndarray) else a for a in args))
    expected = fd_grad(f, args, 0)
    t = srcgrad.tensor(np.copy(args[0]), requires_grad=True)
    try:
        out = f(t, *args[1:])
    except SrcgradError:
        return
    np.testing.assert_allclose(np.asarray(out.detach().numpy()), value, rtol=1e-12, err_msg="value")
    if out.requires_grad:
        try:
            out.backward()
        except SrcgradError:
            return
    got = np.zeros_like(expected) if t.grad is None else t.grad.detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg="gradient")


# ---------------------------------------------------------------------------- compiler: generated names


def local_named_dout(x):
    dout = np.sin(x) * 2.0
    return np.sum(dout * x)


def test_a_local_variable_named_dout():  # was a silently wrong gradient (fixed in 84fce9f)
    grad_right_or_refused_here(local_named_dout, X)


def parameter_named_dout(x, dout):
    return np.sum(x * dout)


def test_a_parameter_named_dout():  # was SyntaxError 'duplicate argument' (fixed in 84fce9f)
    grad_right_or_refused_here(parameter_named_dout, X, np.ones(4))


def _scaled(a):
    a = a * 1.0
    a *= 1.42
    a[0] = a[0] + 1.0
    return a


def _squash(a):
    return np.tanh(a)


def helper_writing_into_its_own_copy(x):
    return np.sum(_scaled(_squash(x)))


def test_a_refusal_inside_an_inlined_helper_names_the_users_variable():  # the name was a generated one (b1be565)
    grad_right_or_refused_here(helper_writing_into_its_own_copy, X)


# ---------------------------------------------------------------------------- compiler: what a name holds


def swap_a_number_and_an_array(s, A, data):
    s, A = A, s
    return np.sum(data @ s) + np.sum(np.sin(s))


SWAP_ARGS = (1.02649, np.array([0.621104, -1.256598, -0.577204]), np.array([[-0.47646, -0.615918, 0.3]]))


@pytest.mark.parametrize("wrt", [0, 1])
def test_a_number_parameter_swapped_with_an_array(wrt):  # was silently wrong: s stayed a number after the swap
    check_grad_and_jvp(swap_a_number_and_an_array, *SWAP_ARGS, wrt=wrt)


def rebind_a_number_to_an_array(s, w):
    s = np.tensordot(np.linspace(0.06, 0.31, 6).reshape(2, 3), w, axes=1).mean(1)
    return np.sum(s * np.array([0.5, 0.7]))


def rebind_a_number_to_arithmetic_on_an_array(s, w):
    s = w * 2.0 + s
    return np.sum(s * s)


def rebind_a_number_in_a_loop(s, w):
    for _ in range(2):
        s = s * w
    return np.sum(s)


def rebind_a_number_in_a_branch(s, w):
    if w[0, 0] > 0.0:
        s = w * s
    return np.sum(s * s)


@pytest.mark.parametrize(
    "f",
    [
        rebind_a_number_to_an_array,
        rebind_a_number_to_arithmetic_on_an_array,
        rebind_a_number_in_a_loop,
        rebind_a_number_in_a_branch,
    ],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize("wrt", [0, 1])
def test_a_number_parameter_rebound_to_an_array(f, wrt):  # was ValueError 'cannot reshape' in generated code
    w = np.array([[0.63, 0.68], [1.45, -0.69], [0.24, -1.24]])
    if f is not rebind_a_number_to_an_array:
        w = w[:2]
    check_grad_and_jvp(f, 0.4, w, wrt=wrt)


def einsum_rebinding_its_operand(w):
    w = np.einsum("gd,dg->dg", w, w)
    return np.mean(w * np.array([[1.0, 2.0], [3.0, 4.0]]))


def einsum_rebinding_its_operand_in_a_loop(w):
    for _ in range(2):
        w = np.einsum("ij,jk->ik", w, w) * 0.5
        w = np.einsum("ij,ji->ij", w, w)
    return np.sum(w * np.array([[1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize(
    "f", [einsum_rebinding_its_operand, einsum_rebinding_its_operand_in_a_loop], ids=lambda f: f.__name__
)
def test_einsum_assigned_to_the_name_of_its_operand(f):  # was silently wrong in grad: the VJP read the new w
    check_grad_and_jvp(f, np.array([[0.26, -0.49], [0.05, 0.03]]))


def dict_item_doubled(x):
    d = {"a": 0.18}
    d["a"] += d["a"]
    return np.sum(x) * d["a"]


def test_a_constant_dict_item_updated_with_itself():
    grad_right_or_refused_here(dict_item_doubled, X)
    value, tangent = srcgrad.jvp(dict_item_doubled)(X, np.ones(4))
    assert np.isclose(tangent, 4 * 0.36)


# ---------------------------------------------------------------------------- runtime: in-place operators


def power_through_a_view(x):
    base = x * 1.0
    w = base[:2]
    w **= 2
    return np.sum(base * np.array([1.0, 2.0, 3.0, 4.0]))


def floor_divide_through_a_view(x):
    base = x * 1.0
    w = base[:2]
    w //= 0.4
    return np.sum(base * base)


def remainder_through_a_view(x):
    base = x * 1.0
    w = base[:2]
    w %= 0.4
    return np.sum(base * base)


def matmul_through_a_view(x):
    base = x * 1.0
    w = base.reshape(2, 2)
    w @= np.array([[2.0, 1.0], [0.5, 3.0]])
    return np.sum(base * base)


@pytest.mark.parametrize(
    "f",
    [power_through_a_view, floor_divide_through_a_view, remainder_through_a_view, matmul_through_a_view],
    ids=lambda f: f.__name__,
)
def test_inplace_operators_on_a_view_of_a_tensor(f):
    """Was silently wrong: Tensor had no __ipow__/__ifloordiv__/__imod__/__imatmul__, so 'w **= 2' rebound w
    instead of writing through the view. Now in place, so refused on a view with grad (and right without)."""
    dynamic_like_numpy_or_refused(f, np.array([0.3, -0.7, 1.3, 0.5]))
    x = np.array([0.3, -0.7, 1.3, 0.5])
    with srcgrad.no_grad():  # the view writes into its base, as numpy's does
        np.testing.assert_allclose(f(srcgrad.tensor(x)).item(), f(x), rtol=1e-15)


def power_in_place_on_the_argument(x):
    x **= 2
    return np.sum(x)


def test_inplace_power_on_a_leaf_raises_like_pytorch():  # rebound x (Tensor had no __ipow__)
    t = srcgrad.tensor(X, requires_grad=True)
    with pytest.raises(AutogradError, match="a leaf Variable that requires grad is being used in an in-place"):
        power_in_place_on_the_argument(t)


@pytest.mark.parametrize("op", ["x **= 2", "x //= 0.4", "x %= 0.4"])
def test_inplace_operators_on_a_leaf_raise_like_pytorch(op):
    torch = pytest.importorskip("torch")
    for lib, error in ((srcgrad, AutogradError), (torch, RuntimeError)):
        x = lib.tensor(X, requires_grad=True)
        with pytest.raises(error, match="a leaf Variable that requires grad is being used in an in-place"):
            exec(op)


def test_inplace_matmul_keeps_the_shape_as_numpy():
    t = srcgrad.ones(2, 2)
    same = t
    t @= srcgrad.tensor([[2.0, 1.0], [0.5, 3.0]])
    assert t is same
    np.testing.assert_array_equal(t.numpy(), [[2.5, 4.0], [2.5, 4.0]])
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        t @= srcgrad.ones(2, 3)
    with srcgrad.set_method_meanings("pytorch"):  # PyTorch's Tensor has no in-place @=: it rebinds
        t @= srcgrad.eye(2)
    assert t is not same


def ravel_that_numpy_makes_a_view(x):
    base = np.outer(x, np.array([1.0, 2.0])).T * 1.0  # Fortran-ordered, so base.T.ravel() is a view in numpy
    flat = base.T.ravel()
    base *= x[0]
    return np.sum(flat * np.array([1.0, -2.0, 3.0, 0.5, 1.5, -1.0]))


def test_an_in_place_update_seen_through_a_ravel_that_is_a_view():
    """Was silently wrong: the ravel was linked to the transpose it was taken of, not to the Tensor whose memory
    both share, so the base's in-place update did not make it stale. A view of a view is a view of the root now:
    refused (tests/test_runtime_views.py)."""
    dynamic_like_numpy_or_refused(ravel_that_numpy_makes_a_view, np.array([0.3, -0.7, 1.2]))


# ---------------------------------------------------------------------------- runtime: numpy functions on Tensors


def divmod_remainder(x):
    q, r = divmod(x, 0.7)
    return np.sum(r * r) + np.sum(q)


def np_divmod_remainder(x):
    q, r = np.divmod(x, 0.7)
    return np.sum(r * r) + np.sum(q)


def rdivmod_remainder(x):
    q, r = divmod(5.5, x + 3.0)
    return np.sum(r * r) + np.sum(q)


@pytest.mark.parametrize("f", [divmod_remainder, np_divmod_remainder, rdivmod_remainder], ids=lambda f: f.__name__)
def test_divmod_of_a_tensor(f):  # was TypeError (Tensor had no __divmod__/__rdivmod__; np.divmod had no rule)
    x = np.array([0.3, -0.5, 1.2, 2.0])
    dynamic_like_numpy_or_refused(f, x)
    t = srcgrad.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), fd_grad(f, (x,), 0), rtol=1e-6)  # right, not refused


def real_and_imag(x):
    return np.sum(x.real * x) + np.sum(x.imag)


def test_real_and_imag_of_a_tensor():  # fixed with the complex convention (e87ec78)
    dynamic_like_numpy_or_refused(real_and_imag, X)


def max_with_an_axis_indexed(x):
    return np.sum(x.reshape(2, 2).max(0)[1] * 1.0)


def max_with_an_axis_in_arithmetic(x):
    return np.sum(x.reshape(2, 2).max(1) * 2.0)


@pytest.mark.parametrize("f", [max_with_an_axis_indexed, max_with_an_axis_in_arithmetic], ids=lambda f: f.__name__)
def test_max_with_an_axis_means_numpys_on_tensors(f):
    dynamic_like_numpy_or_refused(f, X)


def einsum_of_a_max(x):
    m = x.reshape(2, 2, 1).max(1)
    return np.sum(np.einsum("ij,kj->j", m, x.reshape(4, 1)[:3]))


def test_einsum_of_the_result_of_max_with_an_axis():
    """x.max(1) is ambiguous (srcgrad.meanings): refused, no longer a (values, indices) pair fed to einsum."""
    dynamic_like_numpy_or_refused(einsum_of_a_max, X)


# ---------------------------------------------------------------------------- rules: found by tools/fuzz.py seed 22


def svd_of_a_square_matrix_of_rank_two(x):
    M = np.expand_dims(x, 1)[[0, 0, 1]] + np.linspace(0.78, 0.54, 9).reshape(3, 3)
    u, s, vh = np.linalg.svd(M, full_matrices=False)
    return np.mean(vh) + np.sum(u[:, :2] * np.arange(3.0)[:, None])


def test_svd_of_a_square_matrix_with_a_zero_singular_value():
    # was silently wrong in every mode: rounding in (I - u u^T) g_u, which is 0 for a square u, divided by the
    # singular value 1e-17
    x = np.array([-0.209384, 0.820324])
    check_grad_and_jvp(svd_of_a_square_matrix_of_rank_two, x)
    dynamic_like_numpy_or_refused(svd_of_a_square_matrix_of_rank_two, x)


def hypot_of_a_padded_row(A):
    u = np.pad(A, ((0, 1), (0, 0)))
    return np.sum(np.hypot(u, u)) + np.sum(np.hypot(2.0 * u, 0.0))


def test_hypot_where_both_arguments_are_zero():
    # the padded row is 0 in value and tangent: jvp gave nan (0 * 0 / 0) where the tangent is 0
    A = np.array([[0.98, -0.81, 0.54], [-0.17, -1.63, 1.76]])
    check_grad_and_jvp(hypot_of_a_padded_row, A)
    dynamic_like_numpy_or_refused(hypot_of_a_padded_row, A)


def test_hypot_at_zero_has_slope_zero_as_abs_does():
    assert srcgrad.grad(lambda x, y: np.hypot(x, y), wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    x = srcgrad.tensor(np.zeros(2), requires_grad=True)
    np.hypot(x, np.zeros(2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def imag_of_a_real_slice_in_a_comprehension(u):
    v = [np.imag(u[:, :3:2]) for k in range(3)]
    return np.sum(v) + np.sum(u[:, 1] ** 2)


_Z = np.array([1 + 2j, 0.5 - 1j])


def complex_product_of_a_real_slice_in_a_loop(u):
    s = 0.0
    for k in range(2):
        s = s + np.sum(np.real(_Z * u[0, :2])) + np.sum(np.abs(_Z * u[1, 1:]))
    return s


@pytest.mark.parametrize(
    "f", [imag_of_a_real_slice_in_a_comprehension, complex_product_of_a_real_slice_in_a_loop], ids=lambda f: f.__name__
)
def test_a_complex_cotangent_of_a_real_slice_inside_a_loop(f):
    # was UFuncTypeError in generated code: du[:, :3:2] += dt with a complex dt and a real du
    u = np.array([[2.09, -0.18, -0.34], [0.88, -1.12, -0.04]])
    check_grad_and_jvp(f, u)
    dynamic_like_numpy_or_refused(f, u)


# ---------------------------------------------------------------------------- compiler: found by tools/fuzz.py


def split_then_appended(x):
    parts = np.array_split(x, 3)
    parts.append(x * 2.0)
    return np.sum(parts[1]) + np.sum(parts[3])


def split_then_item_replaced(x):
    parts = np.array_split(x * 1.5, 3)
    first = parts[1]
    parts[1] = x[:2] * 0.5
    return np.sum(first) + np.sum(parts[1] * parts[2])


@pytest.mark.parametrize("f", [split_then_appended, split_then_item_replaced], ids=lambda f: f.__name__)
def test_the_pieces_of_a_split_changed_as_a_list(f):
    # jvp was AttributeError / TypeError in generated code (the tangents of the pieces were a tuple)
    x = np.array([0.3, -0.7, 1.2, 0.5, 0.9, -1.1])
    check_grad_and_jvp(f, x)
    dynamic_like_numpy_or_refused(f, x)


def fancy_index_repeated_in_an_add(x):
    y = x**2
    y[[0, 0, 1]] += x[1:] * np.array([0.85, 0.7, 0.59])
    return np.sum(y)


def test_an_add_into_a_fancy_index_with_repeats_is_numpys():  # was silently wrong: index_add added both values
    check_grad_and_jvp(fancy_index_repeated_in_an_add, X)


def test_an_add_into_a_fancy_index_with_repeats_on_tensors():
    dynamic_like_numpy_or_refused(fancy_index_repeated_in_an_add, X)


def a_list_appended_to_itself(x):
    parts = np.array_split(x, 2)
    parts.append(parts)
    return np.sum(parts[1])


def test_a_list_appended_to_itself_is_refused_at_the_line():  # was ValueError 'inhomogeneous shape' in generated code
    grad_right_or_refused_here(a_list_appended_to_itself, X)


def real_part_of_svd_vectors_times_i(s):
    u, sv, vh = np.linalg.svd(s * np.linspace(0.73, 0.86, 4).reshape(2, 2) + np.eye(2), full_matrices=False)
    return np.sum(np.real(0.5j * vh)) + np.sum(np.real((1.0 + 0.5j) * u)) + np.sum(sv)


def test_a_complex_cotangent_of_the_singular_vectors_of_a_real_matrix():
    # was ValueError 'the loss depends on the phases of complex ... singular vectors' in generated code: the
    # imaginary part of the cotangents (meaningless for real vectors) reached the complex phase check
    check_grad_and_jvp(real_part_of_svd_vectors_times_i, 1.087632)
    dynamic_like_numpy_or_refused(real_part_of_svd_vectors_times_i, 1.087632)


# ---------------------------------------------------------------------------- compiler: found by tools/fuzz.py seed 36


def parameter_rebound_to_a_list_item_in_a_loop(u):
    v1 = np.logaddexp(0.18, u)
    v2 = [v1 for k in range(3)]
    for i in range(4):
        u = v2[1]
    return np.sum(u)


def parameter_rebound_to_an_item_of_a_list_in_a_loop(u):
    v1 = np.logaddexp(0.18, u)
    v2 = [v1, v1 * 2.0]
    for i in range(4):
        u = v2[1]
    return np.sum(u)


@pytest.mark.parametrize(
    "f",
    [parameter_rebound_to_a_list_item_in_a_loop, parameter_rebound_to_an_item_of_a_list_in_a_loop],
    ids=lambda f: f.__name__,
)
def test_a_parameter_rebound_to_a_list_item_inside_a_loop(f):
    # was silently wrong in grad: u = v2[1] was read again in the adjoint loop instead of being saved, so the
    # VJP of logaddexp read v2[1] where it needed the parameter's value
    u = np.array([[-1.089735, -0.208824], [0.002577, -0.05326]])
    check_grad_and_jvp(f, u)
    dynamic_like_numpy_or_refused(f, u)


# ---------------------------------------------------------------------------- runtime: found by tools/fuzz.py seed 41


def ndarray_operand_changed_after_use(u, data):
    v1 = np.prod(1.0 + 0.2 * data, axis=0)  # an ndarray: data is one
    b = u[2, :2] * v1
    v1 /= 1.16  # changes what the tape saved for b's VJP
    return np.sum(b)


def test_an_ndarray_operand_changed_in_place_after_the_tape_saved_it():
    # was silently wrong: the tape kept the ndarray by reference and the VJP read its new values (a Tensor
    # operand is version-checked; an ndarray has no counter, so the tape keeps its own copy of one a VJP reads)
    u = np.array([[-1.07, -0.08, -0.15], [-1.43, 1.06, 0.75], [-2.14, -1.5, -0.98]])
    data = np.array([[-0.21, 0.86], [0.16, 0.0003], [-0.47, -1.33]])
    dynamic_like_numpy_or_refused(ndarray_operand_changed_after_use, u, data)


def ndarray_left_operand_changed_after_use(u):
    v = np.cos(np.arange(3.0))
    b = v * u  # the ndarray on the left: recorded through the reflected operator
    v *= -3.0
    return np.sum(b)


def where_condition_changed_after_use(u):
    keep = np.array([True, False, True])
    b = np.where(keep, u * u, 0.0)
    keep[:] = ~keep
    return np.sum(b)


def index_array_changed_after_use(u):
    idx = np.array([0, 2])
    b = u[idx]
    idx[0] = 1
    return np.sum(b * b)


def list_operand_changed_after_use(u):
    fp = [1.0, 3.0]
    b = np.interp(u, [0.0, 1.0], fp)
    fp[1] = -5.0
    return np.sum(b)


def view_operand_changed_through_its_base(u):
    data = np.linspace(0.5, 2.0, 6)
    w = data[:3]  # a view: the write below goes through another name
    b = u * w
    data[:3] = 7.0
    return np.sum(b)


def keyword_operand_changed_after_use(u):
    w = np.array([1.0, 2.0, 3.0])
    b = np.average(u, weights=w)
    w[:] = 0.5
    return b * b


def operand_of_an_in_place_operation_changed_after(u):
    y = u * 1.0
    s = np.array([2.0, -1.0, 0.5])
    y *= s
    s += 10.0
    return np.sum(y * y)


@pytest.mark.parametrize(
    "f",
    [
        ndarray_left_operand_changed_after_use,
        where_condition_changed_after_use,
        index_array_changed_after_use,
        list_operand_changed_after_use,
        view_operand_changed_through_its_base,
        keyword_operand_changed_after_use,
        operand_of_an_in_place_operation_changed_after,
    ],
    ids=lambda f: f.__name__,
)
def test_a_plain_operand_changed_in_place_after_the_tape_saved_it(f):
    dynamic_like_numpy_or_refused(f, np.array([0.3, 0.7, 0.2]))


# ---------------------------------------------------------------------------- runtime: found by tools/fuzz.py seed 56


def array_copy_of_a_tensor_then_changed(cond):
    g = cond
    v2, v3 = np.divmod(cond, 0.75)  # v2 needs no gradient: np.array of it is allowed
    base4 = v2
    w5 = np.array(base4)  # a copy in numpy
    base4 += g
    return np.sum(w5) + np.sum(v3)


def test_np_array_of_a_tensor_is_a_copy():
    # was a silently wrong value and gradient: numpy 2 asks __array__ for a copy (copy=True) and trusts it;
    # the Tensor handed back its own buffer, so base4 += g showed through w5
    cond = np.array([[0.591229, 0.903045, -1.120752], [0.521048, -0.279165, 0.408654]])
    dynamic_like_numpy_or_refused(array_copy_of_a_tensor_then_changed, cond)
    t = srcgrad.tensor([1.0, 2.0])
    copied, shared = np.array(t), np.asarray(t)
    t += 1.0
    np.testing.assert_array_equal(copied, [1.0, 2.0])
    np.testing.assert_array_equal(shared, [2.0, 3.0])  # np.asarray shares, as on an ndarray
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":  # copy=False: never copy (numpy 1 reads it as "if needed")
        with pytest.raises(ValueError):
            np.array(t, dtype=np.float32, copy=False)


def test_a_layer_given_an_ndarray_weight_changed_in_place_after():
    # was silently wrong: F.linear's W.T of an ndarray W became a Tensor holding W's memory, with a version
    # counter of its own that never moved, so the matrix product's VJP read the changed W
    from srcgrad.nn import functional as F

    W0 = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    x0 = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
    W = W0.copy()
    x = srcgrad.tensor(x0, requires_grad=True)
    y = F.linear(x, W)
    W *= -3.0
    np.sum(y * y).backward()
    expected = fd_grad(lambda v: np.sum((v @ W0.T) ** 2), (x0,), 0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------- runtime: found by tools/fuzz.py seed 61


def in_place_through_a_view_of_a_0d_array(w):
    base3 = np.copy(np.prod(w[0], axis=1)[1])  # a 0-d array
    w4 = base3.reshape(1)  # a view of it
    w4 += 0.46
    w4 *= w[1, 0, 0]
    return np.sum(base3 * w[0, 0, 1]) + np.sum(w4**2)


def test_an_in_place_change_through_a_view_of_a_0d_tensor():
    # crashed: mapping the view onto its 0-d base (view_index) indexed a 0-d array with an index array
    w = np.array(
        [
            [[-0.685319, -0.243029], [-0.417842, 0.594058], [-0.126947, -0.20893]],
            [[0.83475, 0.401619], [-1.535152, 0.14865], [1.058453, 0.828417]],
        ]
    )
    dynamic_like_numpy_or_refused(in_place_through_a_view_of_a_0d_array, w)


# ---------------------------------------------------------------------------- runtime: np.append with an ndarray


def append_an_ndarray(x):
    return np.sum(np.append(x, np.array([3.0, 4.0])) ** 2) + np.sum(np.append(np.array([0.5]), x) * 3.0)


def test_np_append_of_a_tensor_and_an_ndarray():
    # crashed (AttributeError in the tape's per-op path): append's VJP reads the other operand for its shape,
    # and the tape made a shape stand-in of it as if it were a Tensor
    dynamic_like_numpy_or_refused(append_an_ndarray, np.array([1.0, -2.0]))
