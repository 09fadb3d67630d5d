"""The few helpers generated code calls besides numpy and the rules.

Kept tiny on purpose: everything else the generated code does is written out
in it, so it can be read. They are defined in the rule table
(``srcgrad/rules/generated.py``), beside their rules, which make generated
code differentiable again.
"""

from ..rules.generated import default_dout, match_shape, stacked_piece

__all__ = ["default_dout", "match_shape", "stacked_piece"]
