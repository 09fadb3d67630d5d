"""Collision-free, readable names for everything the compiler invents.

One ``Namer`` serves a whole transformation. It knows every name the user's
code uses (parameters, locals, globals it reads) and hands out new ones derived
from them: the adjoint of ``x`` is ``dx``, then ``dx_2`` if ``dx`` is taken
(``d_x`` if the user has a ``dx`` of their own); a temporary is ``t``, ``t_2``,
... (``tmp``, ``tmp_2``, ... when the user has a ``t`` or a ``dt``, whose
versions these would look like); the value of an ``if`` test is ``cond``.

Guarantee: a name returned by ``fresh`` was never returned before and is not
used by the user's code or by any namespace binding.
"""

import builtins
import keyword
import re

__all__ = ["Namer"]

_SUFFIX = re.compile(r"^(.*?)(?:_(\d+))?$")


class Namer:
    """Hands out fresh names that collide with nothing in the function.

    Args:
        taken: names already in use (the user's locals, parameters, globals).
    """

    def __init__(self, taken=()):
        self._taken = set(taken)
        self._next = {}  # base -> the suffix ``fresh`` found free last (names are never released: start there)
        self._adjoints = {}
        self._user = set()

    def reserve(self, *names):
        """Mark ``names`` as used, so ``fresh`` never returns them."""
        self._taken.update(names)

    def reserve_user(self, *names):
        """Mark ``names`` as the user's own: reserved, and kept apart from invented ones (see ``temp_base``)."""
        self._taken.update(names)
        self._user.update(names)

    def temp_base(self, base="t"):
        """The stem for temporaries: ``base`` unless the user's code has ``base`` or its adjoint's name.

        With a user variable ``t``, temporaries ``t_2, t_3`` would read as versions of it, and with a user
        variable ``dt`` the adjoint ``dt_4`` of ``t_4`` would read as a version of ``dt``; then the
        temporaries are ``tmp, tmp_2, ...`` (adjoints ``dtmp_2``), or the first free of a few other stems.
        """
        for stem in (base, "tmp", "tv", "tt"):
            if stem not in self._user and "d" + stem not in self._user:
                return stem
        return base

    def is_user(self, name):
        """True when ``name`` is the user's own (``reserve_user``)."""
        return name in self._user

    def taken(self, name):
        """True when ``name`` is in use."""
        return name in self._taken

    def fresh(self, base):
        """A new name like ``base``: ``base`` itself if free, else ``base_2``, ``base_3``...

        Args:
            base: the preferred name (sanitised into an identifier).

        Returns:
            The name, now reserved.
        """
        base = re.sub(r"\W", "_", base) or "t"
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base) or hasattr(builtins, base):
            base = base + "_"
        k = self._next.get(base, 1)
        name = base if k == 1 else f"{base}_{k}"
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        self._next[base] = k
        return name

    def adjoint(self, var):
        """The adjoint variable's name of ``var`` (``x`` -> ``dx``), the same on every call.

        Args:
            var: a variable of the primal code.

        Returns:
            The adjoint's name, reserved on first use.
        """
        name = self._adjoints.get(var)
        if name is None:
            stem = var.lstrip("_") or "v"
            base = "d" + stem
            if base in self._user:  # the user's own dx: call x's adjoint d_x, not dx_2 (a version of dx?)
                base = "d_" + stem
            name = self._adjoints[var] = self.fresh(base)
        return name

    def adjoints(self):
        """``{variable: its adjoint's name}`` for every adjoint named so far."""
        return dict(self._adjoints)

    def tangent(self, var):
        """The tangent variable's name of ``var`` for forward mode (``x`` -> ``tx``... uses ``dx`` style)."""
        return self.adjoint(var)

    def state(self):
        """Everything this namer knows, as a hashable value: two namers with equal states hand out the same names."""
        return (
            frozenset(self._taken),
            frozenset(self._user),
            frozenset(self._next.items()),
            frozenset(self._adjoints.items()),
        )

    def copy_from(self, other):
        """Make this namer know what ``other`` knows (each keeps its own tables afterwards)."""
        self._taken = set(other._taken)
        self._next = dict(other._next)
        self._adjoints = dict(other._adjoints)
        self._user = set(other._user)


class Namespace:
    """The globals of the generated module: every object its code refers to by name.

    Args:
        namer: the transformation's ``Namer`` (names bound here are reserved there).
    """

    def __init__(self, namer):
        self.namer = namer
        self.values = {}
        self._by_id = {}
        self.real_values = False  # no complex value can occur: inline drops the rules' conj() and np.real()
        self.complex_result = False  # the returned value may be complex: its default dout is checked at run time

    def bind(self, obj, preferred):
        """The name under which generated code reaches ``obj``.

        Args:
            obj: any object (a module, a function, an array constant).
            preferred: the name to use when it is free or already means ``obj``.

        Returns:
            ``preferred`` when possible, else a fresh variant of it.
        """
        existing = self.values.get(preferred, _UNSET)
        if existing is obj:
            return preferred
        known = self._by_id.get(id(obj))
        if known is not None and self.values[known] is obj:
            return known
        if existing is _UNSET and not self.namer.taken(preferred):
            self.namer.reserve(preferred)
            name = preferred
        else:
            name = self.namer.fresh(preferred)
        self.values[name] = obj
        self._by_id[id(obj)] = name
        return name

    def copy_from(self, other):
        """Make this namespace hold what ``other`` holds (each keeps its own tables; this one keeps its namer)."""
        self.values = dict(other.values)
        self._by_id = dict(other._by_id)
        self.real_values = other.real_values
        self.complex_result = other.complex_result

    def bind_global(self, name, obj):
        """Bind a user global under its own name (the user's code already reserved it)."""
        if self.values.get(name, _UNSET) is obj:
            return name
        if name in self.values:
            return self.bind(obj, name)
        self.values[name] = obj
        self._by_id.setdefault(id(obj), name)
        self.namer.reserve(name)
        return name


_UNSET = object()
