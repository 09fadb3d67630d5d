"""What an exception raised inside generated code says about where it came from.

A shape mismatch or a domain error in the user's function surfaces in the
generated gradient, at a line the user never wrote. ``annotate`` adds a note
to such an exception naming the user's function, the file and line the
failing statement came from (forward computation or adjoint of that line, read
from the ``# line N: ...`` comments codegen writes), and the generated
statement itself, which Python 3.10 to 3.12's default traceback printer cannot
show for code that lives only in ``linecache``.
"""

import linecache
import re

__all__ = ["annotate"]

_MARKER = re.compile(r"^\s*# (adjoint of line|line) (\d+)(?:: (.*))?$")


def _generated_frame(tb, filename):
    """The last traceback entry (innermost) whose code is the generated file: ``(line number, function name)``."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == filename:
            found = (tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    return found


def _source_line_of(lines, lineno):
    """The ``(kind, user line, user text)`` of the comment that heads generated line ``lineno``, or None."""
    for k in range(min(lineno, len(lines)) - 1, -1, -1):
        match = _MARKER.match(lines[k])
        if match:
            kind = "the adjoint of" if match.group(1).startswith("adjoint") else "the forward computation of"
            return kind, int(match.group(2)), (match.group(3) or "").strip()
    return None


def annotate(err, generated, fn):
    """Add a note to ``err`` saying which user line and which generated statement raised it.

    Args:
        err: an exception propagating out of a call of ``generated``.
        generated: the generated function (its code's file name is registered in ``linecache``).
        fn: the user's function that ``generated`` was made from.

    Returns:
        None; ``err`` is changed in place (a note on Python 3.11+, the message extended on 3.10), once.
    """
    if getattr(err, "_srcgrad_annotated", False):
        return
    filename = generated.__code__.co_filename
    frame = _generated_frame(err.__traceback__, filename)
    if frame is None:
        return
    lineno, name = frame
    lines = linecache.getlines(filename)
    statement = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else "?"
    origin = _source_line_of(lines, lineno)
    where = fn.__code__.co_filename
    if origin is None:
        head = f"srcgrad: raised in the generated code of {fn.__qualname__} (from {where})"
    else:
        kind, user_line, text = origin
        head = (
            f"srcgrad: raised in {kind} line {user_line} of {fn.__qualname__}\n"
            f'  File "{where}", line {user_line}, in {fn.__name__}' + (f"\n    {text}" if text else "")
        )
    note = f"{head}\n  at line {lineno} of the generated {name} (its .source shows it all):\n    {statement}"
    try:
        err._srcgrad_annotated = True
    except AttributeError:  # an exception type without a __dict__: annotate it anyway, maybe twice
        pass
    if hasattr(err, "add_note"):
        err.add_note(note)
    elif len(err.args) == 1 and isinstance(err.args[0], str):  # Python 3.10: no notes, extend the message
        err.args = (f"{err.args[0]}\n{note}",)
