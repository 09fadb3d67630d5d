"""The exceptions srcgrad raises.

Every error srcgrad raises on purpose is a ``SrcgradError``. Errors that mirror
PyTorch's (a second backward through a freed graph, a non-scalar implicit
backward, ...) are also ``RuntimeError`` so code written against PyTorch that
catches ``RuntimeError`` keeps working.
"""


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on purpose."""


class AutogradError(SrcgradError, RuntimeError):
    """Dynamic mode (the tape) was asked to do something it cannot do."""


class DeviceError(SrcgradError, RuntimeError):
    """A device other than the CPU was asked for (srcgrad computes on the CPU only)."""


class NoRuleError(SrcgradError, TypeError):
    """A function has no derivative rule and no source srcgrad could read."""


class TransformError(SrcgradError):
    """The compiler met a construct it cannot differentiate.

    Args:
        message: what was wrong, in the user's words (the construct's name).
        filename: the user's source file.
        lineno: the line in that file.
        source_line: the text of that line, shown under the message.
        hint: an optional last line (where to read more, how to fix it).
    """

    def __init__(self, message, filename=None, lineno=None, source_line=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        parts = []
        if self.filename is not None:
            where = f"{self.filename}, line {self.lineno}" if self.lineno else self.filename
            parts.append(f"{where}: {self.message}")
        else:
            parts.append(self.message)
        if self.source_line:
            parts.append("    " + self.source_line.strip())
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class CheckpointWarning(UserWarning):
    """``grad(f, checkpoint=True)`` met a loop it cannot checkpoint: that loop stores every iteration's values
    (the gradient is the same; only the memory differs). The warning names the loop's file and line and why;
    ``warnings.simplefilter("error", srcgrad.CheckpointWarning)`` makes it an error."""


class ShapeError(SrcgradError, RuntimeError, ValueError):
    """Operands whose shapes do not fit (PyTorch raises a RuntimeError, numpy a ValueError: it is both)."""
