"""``python -m srcgrad``: the same as the ``srcgrad`` command."""

import sys

from .cli import main

sys.exit(main())
