"""Pass 5, reverse: emit the forward sweep and the adjoint sweep as one function.

Input: a ``NormalFunction`` and its ``Activity``. Output: an ``ast.FunctionDef``
with these guarantees:

* The forward sweep is the user's computation, one primitive per statement.
  Before a statement overwrites a variable whose earlier value the adjoint
  sweep reads, the old value is pushed on a stack; the adjoint sweep pops it
  back right after the statement's adjoint, so at every point of the adjoint
  sweep every variable holds the value it had at the matching point of the
  forward sweep (this is what makes loops, branches and reassignment exact).
  A value is saved only when the adjoint sweep reads it after its restore,
  before anything rebinds it (a liveness analysis, ``Liveness``); save and
  restore are kept or dropped together. A loop or branch of the adjoint sweep
  is kept while it holds a needed restore, even with no other adjoint work
  (a value overwritten there and read by an earlier statement's adjoint).
  ``if`` tests and loop trip counts are pushed only when inside a loop.
* The adjoint of each assignment is the rule's VJP body with the call's
  operands substituted (``dx = dy * np.cos(x)``), summed into the input's
  adjoint. ``unbroadcast`` is applied only where an operand may have been
  broadcast (never between two Python numbers), to the shape the operand had
  at the statement (``v = v + w``: the restored ``v``'s, not the new one's).
* Adjoints are tracked symbolically: an adjoint that is known to be zero is not
  materialised and its VJPs are skipped; zeros are written out only where
  control flow merges a zero with a non-zero adjoint (``0.0`` for Python
  numbers, ``np.zeros_like(v)`` otherwise).
* Marker statements (``markers``: source lines for comments) are the only
  non-code nodes; ``codegen`` prints them as comments.

The pass is split by job, the mixins combined in ``Reverse``: ``sweeps`` builds the forward sweep, the
adjoint sweep's control flow and the assembled function (``checkpoint``: loops run again from snapshots;
``revolve``: at most n snapshots, the binomial schedule);
``adjoints`` writes each statement's adjoint (``lists``: those of list statements and values; ``inplace``:
index writes and adjoint sums done in place); ``liveness`` decides what the forward sweep saves and which
saves are real; ``markers`` are the statements they leave for one another. Each module's docstring states
what its part guarantees.
"""

import numpy as np

from ..ir import For, While, walk_stmts
from .adjoints import Adjoints
from .checkpoint import Checkpointing
from .inplace import InPlace
from .lists import ListAdjoints
from .revolve import Revolving
from .liveness import overwrites, recomputable, save_groups
from .sweeps import Sweeps

__all__ = ["reverse", "Reverse"]


class Reverse(Sweeps, Checkpointing, Revolving, InPlace, Adjoints, ListAdjoints):
    """Builds the gradient function; see the module docstring.

    Args:
        fn: the ``NormalFunction``.
        act: its ``Activity``.
        wrt: parameter names to differentiate with respect to.
        namer, ns: the transformation's ``Namer`` and ``Namespace``.
        preserve_result: also return the function's value.
        name: the generated function's name.
        callee_derivative: ``callee_derivative(function, wrt)`` makes the derivative a call of a user function
            calls (its gradient here, its JVP in ``forward``), given by ``api``, which knows those classes.
            With ``jvp=True``, its ``JVPFunction``: a recursive call of a generated gradient (higher order) is
            differentiated by JVPs (``Adjoints.gradient_call_contribs``).
    """

    def __init__(self, fn, act, wrt, namer, ns, preserve_result=False, name=None, callee_derivative=None):
        self.fn, self.act, self.wrt = fn, act, wrt
        self.callee_derivative = callee_derivative
        self.namer, self.ns = namer, ns
        self.preserve_result = preserve_result
        self.name = name or namer.fresh("d" + fn.name)
        self.np = ns.bind(np, "np")
        self.overwritten, self.loop_target_shadowed = overwrites(fn)
        self.inplace_writes = self.find_inplace_writes(fn)
        self.overwritten -= self.inplace_writes  # saved element-wise, not as whole arrays
        self.plan_saves()
        self.maybe_undefined = set()
        self.seen = set(fn.params)  # names assigned so far in the forward sweep, on some path
        self.views = {}  # adjoint name -> (the number it is a broadcast view of, as ast; static shape); see sum_view
        self.view_stmts = {}  # id -> the statements that make such views
        self.new_views = {}  # views the statement being differentiated makes
        self.inplace_owned = set()
        self.before_if = {}
        self.loop_stack = []
        self.branch_depth = 0  # how many branches of the adjoint sweep enclose the statement differentiated
        self.uses_stack = False
        self.push = self.pop = None
        self.counters = None
        self.inactive = None  # the form differentiated again: the stack of saved values with no derivative
        self.checkpointed = {}  # id(loop) -> what checkpointed_forward made (names, the forward body with saves)
        self.seen_before = {}  # id(loop) -> the names assigned before a loop checkpoint=True looks at
        self.stored_loops = []  # (line, why) of each loop checkpoint=True leaves storing (``checkpoint_note``)
        self._counters = {}  # id(loop) -> the name of its trip count (``counter_for``)
        self.last_line = {False: None, True: None}  # the last user line marked, per sweep (``line_marker``)

    def plan_saves(self, arithmetic=False):
        """Which overwritten values the adjoint computes again (``recompute``) and which share one push."""
        self.recompute = recomputable(self.fn, self.overwritten, arithmetic)
        self.recomputed = {id(a) for assigns in self.recompute.values() for a in assigns}
        self.groups = save_groups(self.fn, self.overwritten - self.recomputed)
        self.grouped = {id(a) for assigns in self.groups.values() for a in assigns}

    wrt_tuple = False
    plain_stack = False  # save with stack.append / stack.pop(), one value each (a gradient to differentiate again)
    checkpoint = False  # top-level loops keep snapshots and run again in the adjoint sweep (grad(checkpoint=True));
    # a number: range loops keep at most that many, on the binomial schedule (``revolve``)
    dout_name = "dout"  # the cotangent's keyword (another name when the user's code has a `dout`)


def in_loops(stmts):
    """The ids of the statements inside a loop's body in ``stmts`` (at any depth)."""
    return {id(s) for loop in walk_stmts(stmts) if isinstance(loop, (For, While)) for s in walk_stmts(loop.body)}


def reverse(
    fn,
    act,
    wrt,
    namer,
    ns,
    preserve_result=False,
    wrt_tuple=False,
    dout_name="dout",
    callee_derivative=None,
    plain_stack=False,
    checkpoint=False,
):
    """Build the gradient ``ast.FunctionDef`` of ``fn`` (see the module docstring).

    Args:
        fn: the ``NormalFunction``.
        act: its ``Activity``.
        wrt: the parameter names to differentiate with respect to.
        namer, ns: the transformation's ``Namer`` and ``Namespace``.
        preserve_result: return ``(value, gradients)``.
        wrt_tuple: return a tuple of gradients even for one parameter.
        dout_name: the keyword-only parameter of the output cotangent (``dout`` unless the user's code has one).
        callee_derivative: ``callee_derivative(function, wrt)``, the ``GradFunction`` of a user function the
            code calls (see ``Reverse``).
        plain_stack: save values with ``stack.append``/``stack.pop()``, one per call (no bound-method aliases,
            no tuples), so the compiler can differentiate the generated code again (higher order).
        checkpoint: top-level range loops save a snapshot of what they assign every ~sqrt(T) iterations instead
            of every iteration's values, and the adjoint sweep runs each stretch again (``grad(checkpoint=True)``);
            a loop that cannot be gets a comment saying why and a ``CheckpointWarning``; a number instead of
            ``True``: range loops keep at most that many snapshots, placed by the binomial schedule (``revolve``).

    Returns:
        The ``ast.FunctionDef``.

    Raises:
        NoRuleError: a function without rule or source lies on a differentiable path.
    """
    r = Reverse(fn, act, wrt, namer, ns, preserve_result, callee_derivative=callee_derivative)
    r.wrt_tuple = wrt_tuple
    r.dout_name = dout_name
    r.plain_stack = plain_stack
    if plain_stack:
        # read again, an array written in place is one whose views and stacked copies the compiler cannot
        # follow: index writes outside loops run out of place, the array saved whole as any rebinding is (in a
        # loop that would save the array every iteration; those stay in place, saving the items written)
        outside = r.inplace_writes - in_loops(fn.body)
        r.inplace_writes -= outside
        r.overwritten |= outside & overwrites(fn)[0]
        # an index popped from the stack is one the compiler cannot follow when it reads this again
        r.plan_saves(arithmetic=True)
    r.checkpoint = checkpoint
    fdef = r.build()
    r.warn_stored_loops()
    return fdef
