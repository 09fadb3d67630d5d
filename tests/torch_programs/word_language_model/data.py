"""Reading a corpus directory (train.txt, valid.txt, test.txt) into one long Tensor of word ids
each, a word's id fixed the first time the vocabulary meets it."""
import os

import torch


class Vocabulary:
    def __init__(self):
        self.index = {}
        self.words = []

    def add(self, word):
        if word not in self.index:
            self.index[word] = len(self.words)
            self.words.append(word)
        return self.index[word]

    def __len__(self):
        return len(self.words)


class Corpus:
    def __init__(self, directory):
        self.dictionary = Vocabulary()
        self.train = self.read(os.path.join(directory, "train.txt"))
        self.valid = self.read(os.path.join(directory, "valid.txt"))
        self.test = self.read(os.path.join(directory, "test.txt"))

    def read(self, path):
        assert os.path.exists(path), path
        lines = []
        with open(path, encoding="utf8") as f:
            for line in f:
                ids = [self.dictionary.add(word) for word in line.split() + ["<eos>"]]
                lines.append(torch.tensor(ids).type(torch.int64))
        return torch.cat(lines)
