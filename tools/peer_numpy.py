"""The numpy a HIPS test file reads: ``import autograd.numpy as np`` becomes ``import peer_numpy as np``.

Dynamic mode gets ``srcgrad.numpy`` (the one-line port a HIPS autograd user makes: numpy's namespace
whose ``np.array``, reductions and ufuncs take lists holding Tensors); static mode gets numpy itself
(the compiler reads either the same way). ``SRCGRAD_PEER_NUMPY=plain`` gives numpy in dynamic mode too
(the count with plain ``import numpy as np``). Importing this module binds the chosen module in its
place, so ``np`` is numpy or ``srcgrad.numpy`` itself.
"""

import os
import sys

if os.environ.get("SRCGRAD_PEER_MODE") == "dynamic" and os.environ.get("SRCGRAD_PEER_NUMPY") != "plain":
    import srcgrad.numpy as chosen
else:
    import numpy as chosen

sys.modules[__name__] = chosen
