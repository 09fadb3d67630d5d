"""Train a character-level GPT on a small text and sample from it (a chargpt-style project on
the GPT, Trainer and configuration of this directory)."""
import sys

import torch
from torch.utils.data import Dataset

from model import GPT
from trainer import Trainer
from utils import CfgNode as CN, set_seed

TEXT = ("the quick brown fox jumps over the lazy dog. a stitch in time saves nine. "
        "all that glitters is not gold. where there is a will there is a way. ") * 4


def get_config():
    C = CN()
    C.system = CN(seed=3407)
    C.model = GPT.get_default_config()
    C.model.model_type = None
    C.model.n_layer, C.model.n_head, C.model.n_embd = 2, 2, 24
    C.trainer = Trainer.get_default_config()
    C.trainer.learning_rate = 5e-3
    C.trainer.max_iters = 30
    C.trainer.batch_size = 8
    C.trainer.num_workers = 0
    C.block_size = 16
    return C


class CharDataset(Dataset):
    def __init__(self, text, block_size):
        chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(chars)}
        self.itos = {i: ch for i, ch in enumerate(chars)}
        self.vocab_size = len(chars)
        self.block_size = block_size
        self.data = text

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, idx):
        chunk = [self.stoi[s] for s in self.data[idx:idx + self.block_size + 1]]
        x = torch.tensor(chunk[:-1], dtype=torch.long)
        y = torch.tensor(chunk[1:], dtype=torch.long)
        return x, y


if __name__ == "__main__":
    config = get_config()
    overrides = dict(arg.lstrip("-").split("=", 1) for arg in sys.argv[1:])
    if "max_iters" in overrides:
        config.trainer.max_iters = int(overrides["max_iters"])
    if "dropout" in overrides:
        p = float(overrides["dropout"])
        config.model.embd_pdrop = config.model.resid_pdrop = config.model.attn_pdrop = p
    print(config)
    set_seed(config.system.seed)

    train_dataset = CharDataset(TEXT, config.block_size)
    config.model.vocab_size = train_dataset.vocab_size
    config.model.block_size = train_dataset.block_size
    model = GPT(config.model)
    trainer = Trainer(config.trainer, model, train_dataset)

    def batch_end_callback(trainer):
        if trainer.iter_num % 10 == 0:
            print(f"iter_dt {trainer.iter_dt * 1000:.2f}ms; iter {trainer.iter_num}: train loss {trainer.loss.item():.5f}")

    trainer.add_callback("on_batch_end", batch_end_callback)
    trainer.run()

    model.eval()
    with torch.no_grad():
        context = "the "
        x = torch.tensor([train_dataset.stoi[s] for s in context], dtype=torch.long)[None, ...].to(trainer.device)
        y = model.generate(x, 40, temperature=1.0, do_sample=True, top_k=10)[0]
        print("sample:", "".join(train_dataset.itos[int(i)] for i in y))
        greedy = model.generate(x, 20, do_sample=False)[0]
        print("greedy:", "".join(train_dataset.itos[int(i)] for i in greedy))
