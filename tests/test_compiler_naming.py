"""``Namer.fresh`` hands out ``base``, ``base_2``, ``base_3``, ... skipping every name in use.

It remembers the last suffix it gave a stem (a 1000-line function asks for ``t`` thousands of times), so
names reserved after that point, and the user's own names, must still be skipped.
"""

from srcgrad.compiler.naming import Namer


def test_fresh_names_count_up_and_skip_names_in_use():
    namer = Namer(taken={"t_2"})
    assert [namer.fresh("t") for _ in range(3)] == ["t", "t_3", "t_4"]
    namer.reserve("t_5", "t_7")  # reserved after the counter passed t_4
    namer.reserve_user("t_6")
    assert [namer.fresh("t") for _ in range(2)] == ["t_8", "t_9"]
    assert namer.fresh("x") == "x" and namer.fresh("x") == "x_2"  # each stem counts on its own


def test_fresh_names_are_identifiers_and_never_builtins_or_keywords():
    namer = Namer()
    assert namer.fresh("d x") == "d_x"
    assert namer.fresh("2x") == "_2x"
    assert namer.fresh("sum") == "sum_"
    assert namer.fresh("lambda") == "lambda_"
    assert namer.fresh("sum") == "sum__2"
