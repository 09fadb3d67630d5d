"""A random-program fuzzer for srcgrad's three ways to differentiate.

It writes plain numpy/``math`` functions to real files (the compiler reads
source), runs each through static mode (``srcgrad.grad``, with and without
``optimize``), forward mode (``srcgrad.jvp``) and dynamic mode (Tensors and
``.backward()``), and judges every answer against central finite differences
and the modes against each other. A program gets the right gradient in a mode,
or a srcgrad error at the user's line; anything else is a finding, shrunk to a
small standalone repro.

Modules, in the order they depend on each other:

* ``program``: the generated program (module items, one function, arguments) and its text;
* ``exprs``: random expressions of a known shape over the variables in scope;
* ``statements``: random statements, weighted by theme;
* ``programs``: whole programs (arguments, statements checked as they are made, the loss);
* ``oracle``: runs a program in every mode, finite differences, and the verdicts;
* ``shrink``: drops statements while a finding persists, and writes the repro;
* ``run``: many programs from one seed, the summary line, the findings directory.

``tools/fuzz.py`` is the command line; ``tests/test_fuzz.py`` runs a few
programs with a fixed seed in the default suite, and proves the fuzzer reports a
deliberately wrong rule.
"""
