"""Word-level language modelling (the command line of pytorch/examples' word_language_model):
an RNN or Transformer, truncated backpropagation through time, gradient clipping, a hand-written
SGD update, learning-rate annealing on validation loss, the best model saved whole and reloaded
(``torch.save(model, f)``; ``torch.load(f, weights_only=False)``, which PyTorch >= 2.6 asks for)."""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.onnx

import data
import model

parser = argparse.ArgumentParser(description="word-level language model")
parser.add_argument("--data", type=str, default=os.path.join(os.path.dirname(__file__), "data", "tiny"))
parser.add_argument("--model", type=str, default="LSTM", help="RNN_TANH, RNN_RELU, LSTM, GRU or Transformer")
parser.add_argument("--emsize", type=int, default=200)
parser.add_argument("--nhid", type=int, default=200)
parser.add_argument("--nlayers", type=int, default=2)
parser.add_argument("--lr", type=float, default=20)
parser.add_argument("--clip", type=float, default=0.25)
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--batch_size", type=int, default=20, metavar="N")
parser.add_argument("--bptt", type=int, default=35)
parser.add_argument("--dropout", type=float, default=0.2)
parser.add_argument("--tied", action="store_true")
parser.add_argument("--seed", type=int, default=1111)
parser.add_argument("--cuda", action="store_true")
parser.add_argument("--log-interval", type=int, default=200, metavar="N")
parser.add_argument("--save", type=str, default="model.pt")
parser.add_argument("--onnx-export", type=str, default="")
parser.add_argument("--nhead", type=int, default=2)
args = parser.parse_args()

torch.manual_seed(args.seed)
if torch.cuda.is_available() and not args.cuda:
    print("WARNING: a CUDA device is there; run with --cuda to use it")
device = torch.device("cuda" if args.cuda else "cpu")

corpus = data.Corpus(args.data)


def batchify(ids, bsz):
    """Cut the id stream into bsz columns (what does not fill the last row is dropped)."""
    rows = ids.size(0) // bsz
    return ids.narrow(0, 0, rows * bsz).view(bsz, -1).t().contiguous().to(device)


eval_batch_size = 10
train_data = batchify(corpus.train, args.batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)

ntokens = len(corpus.dictionary)
if args.model == "Transformer":
    lm = model.TransformerModel(ntokens, args.emsize, args.nhead, args.nhid, args.nlayers, args.dropout).to(device)
else:
    lm = model.RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout,
                        args.tied).to(device)
criterion = nn.NLLLoss()


def detach_state(h):
    """Cut the hidden state's history so backpropagation stops at the batch boundary."""
    return h.detach() if isinstance(h, torch.Tensor) else tuple(detach_state(v) for v in h)


def get_batch(source, i):
    length = min(args.bptt, len(source) - 1 - i)
    return source[i:i + length], source[i + 1:i + 1 + length].view(-1)


def evaluate(source):
    lm.eval()
    total = 0.0
    hidden = None if args.model == "Transformer" else lm.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, args.bptt):
            inputs, targets = get_batch(source, i)
            if args.model == "Transformer":
                output = lm(inputs)
            else:
                output, hidden = lm(inputs, hidden)
                hidden = detach_state(hidden)
            total += len(inputs) * criterion(output.view(-1, ntokens), targets).item()
    return total / (len(source) - 1)


def train_epoch(epoch, lr):
    lm.train()
    running, start = 0.0, time.time()
    hidden = None if args.model == "Transformer" else lm.init_hidden(args.batch_size)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        inputs, targets = get_batch(train_data, i)
        lm.zero_grad()
        if args.model == "Transformer":
            output = lm(inputs)
            output = output.view(-1, ntokens)
        else:
            hidden = detach_state(hidden)
            output, hidden = lm(inputs, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), args.clip)
        for p in lm.parameters():
            p.data.add_(p.grad, alpha=-lr)
        running += loss.item()
        if batch % args.log_interval == 0 and batch > 0:
            mean = running / args.log_interval
            print("| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | loss {:5.2f} | ppl {:8.2f}"
                  .format(epoch, batch, len(train_data) // args.bptt, lr,
                          (time.time() - start) * 1000 / args.log_interval, mean, math.exp(mean)))
            running, start = 0.0, time.time()


lr = args.lr
best_val_loss = None
try:
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.time()
        train_epoch(epoch, lr)
        val_loss = evaluate(val_data)
        print("-" * 89)
        print("| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | valid ppl {:8.2f}".format(
            epoch, time.time() - epoch_start, val_loss, math.exp(val_loss)))
        print("-" * 89)
        if best_val_loss is None or val_loss < best_val_loss:
            with open(args.save, "wb") as f:
                torch.save(lm, f)
            best_val_loss = val_loss
        else:
            lr /= 4.0  # no improvement on the validation set: anneal
except KeyboardInterrupt:
    print("-" * 89)
    print("exiting from training early")

with open(args.save, "rb") as f:
    lm = torch.load(f, weights_only=False)
    if args.model in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"):
        lm.rnn.flatten_parameters()

test_loss = evaluate(test_data)
print("=" * 89)
print("| end of training | test loss {:5.2f} | test ppl {:8.2f}".format(test_loss, math.exp(test_loss)))
print("=" * 89)

if args.onnx_export:
    lm.eval()
    dummy_input = torch.LongTensor(args.bptt * 1).zero_().view(-1, 1).to(device)
    torch.onnx.export(lm, (dummy_input, lm.init_hidden(1)), args.onnx_export)
