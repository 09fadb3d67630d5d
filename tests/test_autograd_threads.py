"""Backward in several threads into shared leaves: every addition into ``.grad`` counts.

numpy releases the GIL inside ``+=`` on large arrays, so an unguarded
accumulation loses updates (8 threads x 25 backwards used to end between
151 and 199 instead of 200). PyTorch locks each leaf's accumulation; so does
srcgrad (``autograd.graph.grad_lock``).
"""

import threading

import numpy as np

import srcgrad as sg


def _in_threads(work, n=8):
    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_threads_accumulate_every_backward_into_one_leaf():
    for _ in range(3):
        w = sg.tensor(np.zeros(200_000), requires_grad=True)

        def work():
            for _ in range(25):
                (w * 1.0).sum().backward()

        _in_threads(work)
        grad = w.grad.numpy()
        assert grad.min() == 200.0 and grad.max() == 200.0, (grad.min(), grad.max())


def test_threads_accumulate_with_backward_inputs_and_retain_grad():
    w = sg.tensor(np.zeros(100_000), requires_grad=True)
    hidden = []

    def work():
        for _ in range(20):
            h = w * 1.0
            h.retain_grad()
            (h * 2.0).sum().backward(inputs=[w])
            hidden.append(h)

    _in_threads(work)
    assert w.grad.numpy().min() == 2.0 * 160 and w.grad.numpy().max() == 2.0 * 160
    assert len(hidden) == 160


def test_threads_each_with_own_leaf_and_a_shared_one():
    shared = sg.tensor(np.zeros(50_000), requires_grad=True)
    own = [sg.tensor(np.zeros(50_000), requires_grad=True) for _ in range(4)]

    def run(k):
        for _ in range(30):
            (shared * own[k] + shared * 0.5 + own[k]).sum().backward()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.all(shared.grad.numpy() == 4 * 30 * 0.5)
    for leaf in own:
        assert np.all(leaf.grad.numpy() == 30.0)


def test_no_grad_in_one_thread_leaves_the_others_recording():
    """The tape reads a count of threads that do not record (``grad_mode.threads_not_recording``) before the
    thread-local flag: a thread in ``no_grad`` must not record while another records, and the count must come
    back to 0 whichever way the mode was changed."""
    from srcgrad.autograd.grad_mode import threads_not_recording

    x = sg.tensor(2.0, requires_grad=True)
    inside, started, done = {}, threading.Event(), threading.Event()

    def other():
        with sg.no_grad():
            started.set()
            done.wait()
            inside["other"] = ((x * 3.0).requires_grad, np.sin(x).requires_grad, (x + x).requires_grad)

    t = threading.Thread(target=other, daemon=True)
    t.start()
    try:
        assert started.wait(10)
        count = threads_not_recording[0]
        here = ((x * 3.0).requires_grad, np.sin(x).requires_grad, (x + x).requires_grad)
    finally:
        done.set()
        t.join(10)
    assert count == 1
    assert here == (True, True, True) and inside["other"] == (False, False, False)
    assert threads_not_recording[0] == 0
    with sg.no_grad():
        assert not (x * 3.0).requires_grad and threads_not_recording[0] == 1
        with sg.enable_grad():
            assert (x * 3.0).requires_grad and threads_not_recording[0] == 0
    sg.set_grad_enabled(False)
    try:
        assert not np.sin(x).requires_grad and threads_not_recording[0] == 1
    finally:
        sg.set_grad_enabled(True)

    @sg.no_grad()
    def decorated():
        return (x * 3.0).requires_grad

    assert not decorated() and threads_not_recording[0] == 0 and (x * 3.0).requires_grad
    x.sum().backward()  # the engine turns recording off and on again around its walk
    assert threads_not_recording[0] == 0
