"""Rules for scipy (``pip install srcgrad[scipy]``; scipy is never required).

``import srcgrad.rules.scipy_rules`` registers every scipy rule srcgrad has:
``scipy.special`` (``scipy_special.py``), ``scipy.stats`` (``scipy_stats.py``),
``scipy.signal.convolve`` (``scipy_signal.py``) and ``scipy.linalg``'s
``sqrtm``, ``solve_sylvester``, ``solve_triangular``, ``solve_banded`` (``scipy_linalg.py``).
``import srcgrad`` does it by itself for the scipy modules that are already
imported then (``autoload``), so that importing srcgrad never pays for
importing scipy.
"""

import importlib
import sys

__all__ = ["MODULES", "autoload", "is_scipy_rule", "load"]

MODULES = {"scipy.special": "scipy_special", "scipy.stats": "scipy_stats", "scipy.signal": "scipy_signal",
           "scipy.linalg": "scipy_linalg"}
"""scipy module -> the srcgrad.rules module holding its rules."""


def load(scipy_modules=None):
    """Register the rules for ``scipy_modules`` (default: all of ``MODULES``).

    Raises:
        ImportError: scipy is not installed.
    """
    for name in scipy_modules or MODULES:
        importlib.import_module(f"srcgrad.rules.{MODULES[name]}")


def autoload():
    """Register the rules of each scipy module in ``MODULES`` that is already imported."""
    loaded = [name for name in MODULES if name in sys.modules]
    if loaded:
        load(loaded)


def is_scipy_rule(rule):
    """True for a rule these modules registered (tables of numpy's rules leave them out).

    Args:
        rule: a ``Rule``.
    """
    return any((getattr(f, "__module__", "") or "").startswith("srcgrad.rules.scipy_")
               for f in (rule.fn,) + tuple(rule.vjps) + tuple(rule.jvps) if f is not None)
