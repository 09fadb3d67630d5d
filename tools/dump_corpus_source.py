"""Print the generated source of every corpus case, for checking that a compiler change leaves the output alone.

For each case of ``tests/corpus`` (arguments from ``make_args(np.random.default_rng(0))``) and for
``optimize=True`` and ``False`` it prints ``grad``'s general source (``.source``), its source specialised
for the case's arguments (``source_for``) and the same two for ``jvp``. A case a mode refuses prints the
error's type and message instead, so a change in what is refused shows too.

Usage::

    python tools/dump_corpus_source.py > before.txt
    # ... change the compiler ...
    python tools/dump_corpus_source.py > after.txt
    diff before.txt after.txt && echo identical

Other people's unfinished edits in a shared working tree change the output too; to compare only your
own change, run it in a clean export of HEAD (``git archive HEAD | tar -x -C /tmp/base``) with and
without your files copied in.
"""

import os
import sys
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import srcgrad  # noqa: E402
from srcgrad.compiler import api  # noqa: E402
from tests.corpus import all_cases  # noqa: E402


def _text(make):
    try:
        return make()
    except Exception as e:  # a refusal is part of the output
        return f"!! {type(e).__name__}: {e}"


def main():
    warnings.simplefilter("ignore")
    out = sys.stdout
    for c in all_cases():
        args = c.make_args(np.random.default_rng(0))
        wrt = c.wrt if len(c.wrt) > 1 else c.wrt[0]
        for optimize in (True, False):
            api.clear_cache()
            g = srcgrad.grad(c.fn, wrt=wrt, optimize=optimize)
            j = srcgrad.jvp(c.fn, wrt=wrt, optimize=optimize)
            for label, make in (
                ("grad general", lambda: g.source),
                ("grad specialised", lambda: g.source_for(*args)),
                ("jvp general", lambda: j.source),
                ("jvp specialised", lambda: j.source_for(*args)),
            ):
                text = _text(make).replace(ROOT, "<repo>")  # the same text from any checkout
                out.write(f"==== {c.name} optimize={optimize} {label}\n{text}\n")


if __name__ == "__main__":
    main()
