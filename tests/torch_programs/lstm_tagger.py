"""Tagging words with an LSTM: embeddings, an LSTM over the sentence, a linear layer to tag
scores, NLL loss on log-softmax, SGD (the pattern of PyTorch's sequence-model tutorial)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

torch.manual_seed(0)

# An LSTM stepped one element at a time gives what it gives on the whole sequence at once.
cell = nn.LSTM(4, 3)
steps = [torch.randn(1, 4) for _ in range(6)]
state = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
start = state
for x in steps:
    out, state = cell(x.view(1, 1, -1), state)
whole, whole_state = cell(torch.cat(steps).view(len(steps), 1, -1), start)
print("last output, stepped vs whole:", out.view(-1).tolist(), whole[-1].view(-1).tolist())

corpus = [
    ("my cat chased a mouse".split(), ["DET", "NOUN", "VERB", "DET", "NOUN"]),
    ("children love stories".split(), ["NOUN", "VERB", "NOUN"]),
    ("the mouse loves a cat".split(), ["DET", "NOUN", "VERB", "DET", "NOUN"]),
]
vocab = {}
for words, _ in corpus:
    for w in words:
        vocab.setdefault(w, len(vocab))
tags = {"DET": 0, "NOUN": 1, "VERB": 2}


def encode(items, table):
    return torch.tensor([table[item] for item in items], dtype=torch.long)


class Tagger(nn.Module):
    def __init__(self, vocab_size, n_tags, embed=8, hidden=8):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden)
        self.to_tags = nn.Linear(hidden, n_tags)

    def forward(self, sentence):
        vectors = self.embed(sentence).view(len(sentence), 1, -1)
        states, _ = self.lstm(vectors)
        return F.log_softmax(self.to_tags(states.view(len(sentence), -1)), dim=1)


tagger = Tagger(len(vocab), len(tags))
nll = nn.NLLLoss()
opt = optim.SGD(tagger.parameters(), lr=0.1)

with torch.no_grad():
    print("before:", tagger(encode(corpus[0][0], vocab)).argmax(dim=1).tolist())

for epoch in range(args.epochs):
    for words, labels in corpus:
        tagger.zero_grad()
        loss = nll(tagger(encode(words, vocab)), encode(labels, tags))
        loss.backward()
        opt.step()
    if epoch % 50 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")

with torch.no_grad():
    scores = tagger(encode(corpus[0][0], vocab))
    print(scores)
    print("after:", scores.argmax(dim=1).tolist(), "expected:", encode(corpus[0][1], tags).tolist())
