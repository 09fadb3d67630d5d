"""Sequence labelling with a bidirectional LSTM and a linear-chain CRF: the partition function by
the forward algorithm and the best path by Viterbi, both as explicit loops over tags, the way
PyTorch's dynamic-decisions tutorial builds them."""
import argparse

import torch
import torch.nn as nn
import torch.optim as optim

BEGIN, END = "<begin>", "<end>"


def best_index(row):
    """The column of the largest value of a (1, n) row, as a Python int."""
    _, index = torch.max(row, 1)
    return index.item()


def logsumexp_row(row):
    """log(sum(exp(row))) of a (1, n) row, shifted by its maximum."""
    peak = row[0, best_index(row)]
    return peak + torch.log(torch.sum(torch.exp(row - peak.view(1, -1).expand(1, row.size()[1]))))


class BiLSTMCRF(nn.Module):
    def __init__(self, n_words, tag_index, embed_dim, hidden_dim):
        super().__init__()
        self.tag_index = tag_index
        self.n_tags = len(tag_index)
        self.hidden_dim = hidden_dim
        self.embed = nn.Embedding(n_words, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.emit = nn.Linear(hidden_dim, self.n_tags)
        # transitions[i, j]: the score of moving to tag i from tag j
        self.transitions = nn.Parameter(torch.randn(self.n_tags, self.n_tags))
        self.transitions.data[tag_index[BEGIN], :] = -10000  # nothing moves into BEGIN
        self.transitions.data[:, tag_index[END]] = -10000    # nothing leaves END

    def fresh_state(self):
        return (torch.randn(2, 1, self.hidden_dim // 2), torch.randn(2, 1, self.hidden_dim // 2))

    def emissions(self, sentence):
        vectors = self.embed(sentence).view(len(sentence), 1, -1)
        states, _ = self.lstm(vectors, self.fresh_state())
        return self.emit(states.view(len(sentence), self.hidden_dim))

    def log_partition(self, emissions):
        alphas = torch.full((1, self.n_tags), -10000.)
        alphas[0][self.tag_index[BEGIN]] = 0.
        for emission in emissions:
            next_alphas = []
            for tag in range(self.n_tags):
                emit = emission[tag].view(1, -1).expand(1, self.n_tags)
                scores = alphas + self.transitions[tag].view(1, -1) + emit
                next_alphas.append(logsumexp_row(scores).view(1))
            alphas = torch.cat(next_alphas).view(1, -1)
        return logsumexp_row(alphas + self.transitions[self.tag_index[END]])

    def path_score(self, emissions, path):
        total = torch.zeros(1)
        path = torch.cat([torch.tensor([self.tag_index[BEGIN]], dtype=torch.long), path])
        for i, emission in enumerate(emissions):
            total = total + self.transitions[path[i + 1], path[i]] + emission[path[i + 1]]
        return total + self.transitions[self.tag_index[END], path[-1]]

    def viterbi(self, emissions):
        scores = torch.full((1, self.n_tags), -10000.)
        scores[0][self.tag_index[BEGIN]] = 0
        pointers = []
        for emission in emissions:
            step_pointers, step_scores = [], []
            for tag in range(self.n_tags):
                candidates = scores + self.transitions[tag]
                best = best_index(candidates)
                step_pointers.append(best)
                step_scores.append(candidates[0][best].view(1))
            scores = (torch.cat(step_scores) + emission).view(1, -1)
            pointers.append(step_pointers)
        final = scores + self.transitions[self.tag_index[END]]
        best = best_index(final)
        path = [best]
        for step_pointers in reversed(pointers):
            best = step_pointers[best]
            path.append(best)
        assert path.pop() == self.tag_index[BEGIN]
        return final[0][path[0]], path[::-1]

    def neg_log_likelihood(self, sentence, path):
        emissions = self.emissions(sentence)
        return self.log_partition(emissions) - self.path_score(emissions, path)

    def forward(self, sentence):
        return self.viterbi(self.emissions(sentence))


parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
args = parser.parse_args()
torch.manual_seed(1)

data = [
    ("ada lovelace wrote notes in london".split(), "B I O O O B".split()),
    ("the analytical engine never ran".split(), "O B I O O".split()),
]
words = {}
for sentence, _ in data:
    for w in sentence:
        words.setdefault(w, len(words))
tag_index = {"B": 0, "I": 1, "O": 2, BEGIN: 3, END: 4}


def ids(items, table):
    return torch.tensor([table[item] for item in items], dtype=torch.long)


model = BiLSTMCRF(len(words), tag_index, embed_dim=5, hidden_dim=4)
opt = optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)

with torch.no_grad():
    print("before training:", model(ids(data[0][0], words)))
for epoch in range(args.epochs):
    for sentence, labels in data:
        model.zero_grad()
        loss = model.neg_log_likelihood(ids(sentence, words), ids(labels, tag_index))
        loss.backward()
        opt.step()
with torch.no_grad():
    print("after training:", model(ids(data[0][0], words)))
