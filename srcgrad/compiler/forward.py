"""Pass 5', forward: emit the tangent (JVP) program.

Not written yet: ``jvp`` raises ``NotImplementedError``.
"""

__all__ = ["jvp"]


def jvp(fn, wrt=0, **options):
    """Forward mode: ``(value, tangent_out)`` from ``(*args, tangent)``. Not implemented yet."""
    raise NotImplementedError("srcgrad.jvp (forward mode) is not implemented yet")
