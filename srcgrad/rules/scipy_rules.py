"""Rules for scipy (``pip install srcgrad[scipy]``; scipy is never required).

``import srcgrad.rules.scipy_rules`` registers every scipy rule srcgrad has:
``scipy.special`` (``scipy_special.py``), ``scipy.stats`` (``scipy_stats.py``),
``scipy.signal.convolve`` (``scipy_signal.py``) and ``scipy.linalg``'s
``sqrtm``, ``solve_sylvester``, ``solve_triangular``, ``solve_banded`` (``scipy_linalg.py``), and
the rules of modules above the runtime listed in ``MODULES_ABOVE`` (``scipy.integrate.odeint``,
whose VJP differentiates the user's function in dynamic mode: ``srcgrad/odeint.py``).
``import srcgrad`` does it by itself for the scipy modules that are already
imported then (``autoload``), so that importing srcgrad never pays for
importing scipy.
"""

import importlib
import sys

__all__ = ["MODULES", "MODULES_ABOVE", "SCIPY_RULE_MODULES", "autoload", "is_scipy_function", "is_scipy_rule", "load",
           "register_above"]

MODULES = {"scipy.special": "scipy_special", "scipy.stats": "scipy_stats", "scipy.signal": "scipy_signal",
           "scipy.linalg": "scipy_linalg"}
"""scipy module -> the srcgrad.rules module holding its rules."""

MODULES_ABOVE = {}
"""scipy module -> a module above the runtime holding its rules (the rules never import the runtime, so
``srcgrad/__init__.py`` fills this with ``register_above``)."""


def load(scipy_modules=None):
    """Register the rules for ``scipy_modules`` (default: all of ``MODULES`` and ``MODULES_ABOVE``).

    Raises:
        ImportError: scipy is not installed.
    """
    for name in scipy_modules or {**MODULES, **MODULES_ABOVE}:
        if name in MODULES:
            importlib.import_module(f"srcgrad.rules.{MODULES[name]}")
        else:
            importlib.import_module(MODULES_ABOVE[name])


def register_above(scipy_module, module):
    """Name the module above the runtime that registers ``scipy_module``'s rules, and register them now when
    ``scipy_module`` is already imported.

    Args:
        scipy_module: ``"scipy.integrate"``.
        module: the module's full name (``"srcgrad.odeint"``).
    """
    MODULES_ABOVE[scipy_module] = module
    if scipy_module in sys.modules:
        load([scipy_module])


def autoload():
    """Register the rules of each scipy module in ``MODULES`` that is already imported."""
    loaded = [name for name in MODULES if name in sys.modules]
    if loaded:
        load(loaded)


SCIPY_RULE_MODULES = ("srcgrad.rules.scipy_", "srcgrad.odeint")
"""Where scipy's rules are defined (module name prefixes)."""


def is_scipy_function(fn):
    """True for a function defined by the modules holding scipy's rules (their primitives, rules, adaptors).

    Args:
        fn: a function, or ``None``.
    """
    return fn is not None and (getattr(fn, "__module__", "") or "").startswith(SCIPY_RULE_MODULES)


def is_scipy_rule(rule):
    """True for a rule these modules registered (tables of numpy's rules leave them out).

    Args:
        rule: a ``Rule``.
    """
    return any(is_scipy_function(f) for f in (rule.fn,) + tuple(rule.vjps) + tuple(rule.jvps))
