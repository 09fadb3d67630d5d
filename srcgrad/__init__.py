"""srcgrad: differentiate numeric Python, by source transformation or by tape.

This module only re-exports the public API.
"""

from . import rules
from .errors import AutogradError, NoRuleError, SrcgradError, TransformError

__version__ = "0.1.0"
