"""Configuration nodes and seeding, the way minGPT's utils organise them."""
import random

import numpy as np
import torch


def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class CfgNode:
    """A bag of settings with attribute access; nested nodes print indented."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __str__(self):
        return self._render(0)

    def _render(self, indent):
        lines = []
        for key, value in self.__dict__.items():
            if isinstance(value, CfgNode):
                lines.append(f"{key}:\n" + value._render(indent + 1))
            else:
                lines.append(f"{key}: {value}\n")
        return "".join("    " * indent + line for line in lines)

    def merge_from_dict(self, d):
        self.__dict__.update(d)
