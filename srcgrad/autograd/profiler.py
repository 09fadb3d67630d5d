"""Where a training step spends its time: ``profile()`` times every operation, forward and backward.

    >>> import srcgrad
    >>> from srcgrad.autograd.profiler import profile
    >>> x = srcgrad.ones(64, 10, requires_grad=True)
    >>> with profile() as prof:
    ...     (x @ srcgrad.ones(10, 5)).tanh().sum().backward()
    >>> sorted(e.key for e in prof.key_averages())
    ['AccumulateGrad', 'MmBackward0', 'SumBackward0', 'TanhBackward0', 'np.matmul', 'np.sum', 'np.tanh']

As PyTorch's ``torch.autograd.profiler.profile``: forward operations are named
after the numpy function the tape records (``np.matmul``), backward ones after
their graph node (``MmBackward0``, ``AccumulateGrad``), optimizer steps
``Optimizer.step#Adam.step``, and ``record_function("name")`` marks a range of
your own. ``prof.key_averages().table(sort_by="self_cpu_time_total")`` prints
PyTorch's table: name, self time, total time (self plus what ran inside it),
average, number of calls. ``export_chrome_trace(path)`` writes the events for
``chrome://tracing`` or Perfetto.

Nothing is timed, and nothing costs anything, outside a ``profile`` block:
entering one wraps srcgrad's recording functions, the graph nodes' ``apply``
and the optimizers' ``step`` for the duration of the block (in every thread),
and leaving it puts them back.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

_ACTIVE: profile | None = None  # the profile being recorded (one at a time)


class FunctionEvent:
    """One timed call.

    Attributes:
        name: the operation (``np.matmul``, ``MmBackward0``, a ``record_function`` label).
        start_us: when it started, in microseconds since the profile began.
        cpu_time_total: its wall time in microseconds, including what ran inside it.
        self_cpu_time_total: the same minus the timed events that ran inside it.
        thread: the id of the thread it ran in.
        input_shapes: the shapes of its array arguments (with ``record_shapes=True``), else ``[]``.
    """

    __slots__ = ("name", "start_us", "cpu_time_total", "self_cpu_time_total", "thread", "input_shapes")

    def __init__(self, name, start_us, cpu_time_total, self_cpu_time_total, thread, input_shapes=()):
        self.name = name
        self.start_us = start_us
        self.cpu_time_total = cpu_time_total
        self.self_cpu_time_total = self_cpu_time_total
        self.thread = thread
        self.input_shapes = list(input_shapes)

    @property
    def key(self):
        """The name events are grouped by in ``key_averages``."""
        return self.name

    count = 1

    @property
    def cpu_time(self):
        """Average total time per call (one call: its total)."""
        return self.cpu_time_total

    def __repr__(self):
        return (
            f"<FunctionEvent {self.name} self_cpu_time_total={self.self_cpu_time_total:.3f}us "
            f"cpu_time_total={self.cpu_time_total:.3f}us>"
        )


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped by them), added up.

    Attributes:
        key: the name.
        count: how many calls.
        cpu_time_total, self_cpu_time_total: their summed times in microseconds.
        input_shapes: the shapes shared by the group (``group_by_input_shape=True``), else ``[]``.
    """

    __slots__ = ("key", "count", "cpu_time_total", "self_cpu_time_total", "input_shapes")

    def __init__(self, key, input_shapes=()):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = list(input_shapes)

    def add(self, event):
        """Add one event (or another average) to this one; returns self."""
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def name(self):
        return self.key

    @property
    def cpu_time(self):
        """Average total time per call, in microseconds."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (
            f"<FunctionEventAvg key={self.key} count={self.count} self_cpu_time_total="
            f"{self.self_cpu_time_total:.3f}us cpu_time_total={self.cpu_time_total:.3f}us>"
        )


def _format_time(us):
    """PyTorch's time format: ``1.234s``, ``1.234ms`` or ``1.234us``."""
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


_SORT_KEYS = {"self_cpu_time_total", "cpu_time_total", "cpu_time", "count"}


class EventList(list):
    """A list of ``FunctionEvent`` (or of ``FunctionEventAvg`` from ``key_averages``)."""

    def key_averages(self, group_by_input_shape=False):
        """One ``FunctionEventAvg`` per name (and per input shapes, if asked), in order of first appearance."""
        groups = {}
        for event in self:
            key = (event.key, tuple(map(tuple, event.input_shapes))) if group_by_input_shape else event.key
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(event.key, event.input_shapes if group_by_input_shape else ())
            avg.add(event)
        return EventList(groups.values())

    def total_average(self):
        """Every event added into one ``FunctionEventAvg`` named ``Total``."""
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    @property
    def self_cpu_time_total(self):
        """The sum of the events' self times, in microseconds (what the percentages are of)."""
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None):
        """PyTorch's table of the events.

        Args:
            sort_by: ``"self_cpu_time_total"``, ``"cpu_time_total"``, ``"cpu_time"`` or ``"count"``
                (largest first); ``None`` keeps the order of first appearance.
            row_limit: at most this many rows (``-1``: all).
            max_name_column_width: names longer than this are cut.
            header: an optional line printed above the table.

        Returns:
            The table as text: name, self time (and its share of the total), total time (and its
            share), average time per call, number of calls; then the total of self times.

        Raises:
            ValueError: ``sort_by`` is not one of the keys above.
        """
        events = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"sort_by must be one of {sorted(_SORT_KEYS)}, got {sort_by!r}")
            events.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            events = events[:row_limit]
        total = self.self_cpu_time_total or 1.0
        width = min(max([len(e.key) for e in self] + [len("Name")]) + 4, max_name_column_width)
        headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [width] + [12] * 6
        rule = "".join("-" * w + "  " for w in widths)

        def row(cells):
            return "".join(str(c).rjust(w) + "  " for c, w in zip(cells, widths))

        lines = [header] if header else []
        lines += [rule, row(headers), rule]
        for e in events:
            name = e.key if len(e.key) <= width else e.key[: width - 3] + "..."
            lines.append(
                row(
                    [
                        name,
                        f"{100 * e.self_cpu_time_total / total:.2f}%",
                        _format_time(e.self_cpu_time_total),
                        f"{100 * e.cpu_time_total / total:.2f}%",
                        _format_time(e.cpu_time_total),
                        _format_time(e.cpu_time),
                        e.count,
                    ]
                )
            )
        lines += [rule, f"Self CPU time total: {_format_time(self.self_cpu_time_total)}", ""]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


class _Frame:
    __slots__ = ("name", "children_ns")

    def __init__(self, name=None):
        self.name = name
        self.children_ns = 0


class profile:
    """Time every forward operation, backward node and optimizer step run inside the block.

    Args:
        enabled: ``False`` makes the block a no-op (as in PyTorch).
        record_shapes: also keep the shapes of each operation's array arguments
            (``key_averages(group_by_input_shape=True)`` groups by them).
        use_cuda: accepted for PyTorch scripts; srcgrad runs on the CPU only.

    Raises:
        RuntimeError: a profile is already being recorded.

    Example:
        ``with profile() as prof: loss = model(x).sum(); loss.backward()`` then
        ``print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))``.
    """

    def __init__(self, enabled=True, record_shapes=False, use_cuda=False, **_ignored):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.function_events = EventList()
        self._local = threading.local()
        self._patched = []
        self._t0 = 0

    # -- recording ------------------------------------------------------------------

    def _stack(self):
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _time(self, name, fn, args, kwargs, shapes=()):
        stack = self._stack()
        if stack and stack[-1].name == name:  # _record_fast handing the same call to _record: one event
            return fn(*args, **kwargs)
        frame = _Frame(name)
        stack.append(frame)
        start = time.perf_counter_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            total = time.perf_counter_ns() - start
            stack.pop()
            if stack:
                stack[-1].children_ns += total
            self.function_events.append(
                FunctionEvent(
                    name,
                    (start - self._t0) / 1e3,
                    total / 1e3,
                    (total - frame.children_ns) / 1e3,
                    threading.get_ident(),
                    shapes,
                )
            )

    def _shapes(self, values):
        if not self.record_shapes:
            return ()
        return [list(getattr(v, "shape", ())) for v in values if hasattr(v, "shape")]

    # -- wrapping srcgrad while the block runs ---------------------------------------

    def _patch(self, owner, name, wrapper):
        self._patched.append((owner, name, owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)))
        setattr(owner, name, wrapper)

    def _wrap_recording(self):
        from .. import recording

        for attr, positional in (("record", True), ("record_fast", False)):
            original = getattr(recording, attr)
            wrapper = self._forward_wrapper(original, positional)
            for module in [
                m for name, m in list(sys.modules.items()) if name == "srcgrad" or name.startswith("srcgrad.")
            ]:
                for key, value in list(vars(module).items()):
                    if value is original:
                        self._patch(module, key, wrapper)

    def _forward_wrapper(self, original, packed):
        prof = self

        @functools.wraps(original)
        def timed(func, *rest, **kwargs):
            values = rest[0] if packed and rest else rest
            return prof._time(_op_name(func), original, (func, *rest), kwargs, prof._shapes(values))

        return timed

    def _wrap_classes(self, base, method, name_of):
        prof = self
        todo, seen = [base], set()
        while todo:
            cls = todo.pop()
            if cls in seen:
                continue
            seen.add(cls)
            todo.extend(cls.__subclasses__())
            original = cls.__dict__.get(method)
            if original is None or not callable(original):
                continue

            def make(original, cls):
                @functools.wraps(original)
                def timed(self, *args, **kwargs):
                    return prof._time(name_of(self, cls), original, (self, *args), kwargs)

                return timed

            self._patch(cls, method, make(original, cls))

    def __enter__(self):
        global _ACTIVE
        if not self.enabled:
            return self
        if _ACTIVE is not None:
            raise RuntimeError("a srcgrad profiler is already recording; nest record_function() ranges instead")
        from ..optim.optimizer import Optimizer
        from .graph import Node

        _ACTIVE = self
        self._t0 = time.perf_counter_ns()
        try:
            self._wrap_recording()
            self._wrap_classes(Node, "apply", lambda node, cls: node.name())
            self._wrap_classes(Optimizer, "step", lambda opt, cls: f"Optimizer.step#{type(opt).__name__}.step")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        global _ACTIVE
        if not self.enabled or _ACTIVE is not self:
            return False
        for owner, name, original in reversed(self._patched):
            setattr(owner, name, original)
        self._patched.clear()
        _ACTIVE = None
        return False

    # -- results ----------------------------------------------------------------------

    def events(self):
        """Every timed call, in the order they finished."""
        return self.function_events

    def key_averages(self, group_by_input_shape=False):
        """The events grouped by name (see ``EventList.key_averages``)."""
        return self.function_events.key_averages(group_by_input_shape)

    def total_average(self):
        """All events added up (see ``EventList.total_average``)."""
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self):
        """The sum of every event's self time, in microseconds."""
        return self.function_events.self_cpu_time_total

    def table(self, *args, **kwargs):
        """The table of every event (``key_averages().table(...)`` groups them first)."""
        return self.function_events.table(*args, **kwargs)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (JSON "complete" events): open it in chrome://tracing or Perfetto.

        Args:
            path: the file to write.
        """
        trace = [
            {
                "name": e.name,
                "ph": "X",
                "ts": e.start_us,
                "dur": e.cpu_time_total,
                "pid": 0,
                "tid": e.thread,
                "cat": "cpu_op",
                "args": {"Input Dims": e.input_shapes} if e.input_shapes else {},
            }
            for e in sorted(self.function_events, key=lambda e: e.start_us)
        ]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)

    def __str__(self):
        return self.table()


class record_function:
    """Mark a range of your own code (a data-loading step, a layer) as one event in the active profile.

    Args:
        name: the event's name in the table.

    Usable as a context manager or a decorator; outside a ``profile`` block it does nothing.
    """

    def __init__(self, name):
        self.name = name
        self._state = None

    def __enter__(self):
        prof = _ACTIVE
        if prof is None:
            self._state = None
            return self
        stack = prof._stack()
        frame = _Frame()
        stack.append(frame)
        self._state = (prof, frame, time.perf_counter_ns())
        return self

    def __exit__(self, *exc):
        if self._state is None:
            return False
        prof, frame, start = self._state
        total = time.perf_counter_ns() - start
        stack = prof._stack()
        if stack and stack[-1] is frame:
            stack.pop()
        if stack:
            stack[-1].children_ns += total
        prof.function_events.append(
            FunctionEvent(
                self.name,
                (start - prof._t0) / 1e3,
                total / 1e3,
                (total - frame.children_ns) / 1e3,
                threading.get_ident(),
            )
        )
        self._state = None
        return False

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapped


def _op_name(func):
    """The forward event's name: ``np.matmul`` for numpy's functions, the function's name otherwise."""
    name = getattr(func, "__name__", None) or type(func).__name__
    module = getattr(func, "__module__", None) or ""
    if module == "numpy" or module.startswith("numpy.") or type(func).__name__ == "ufunc":
        return f"np.{name}"
    return name
