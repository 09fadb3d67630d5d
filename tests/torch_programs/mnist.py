"""A convolutional digit classifier with the command line, device choice, data loaders,
Adadelta + StepLR schedule and train/test loops of pytorch/examples' MNIST script. The dataset
is a synthetic stand-in (noisy copies of ten random 28x28 prototypes) instead of a download."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset


class NoisyPrototypes(Dataset):
    """size images, each a clamped noisy copy of one of ten random prototypes, normalised with
    MNIST's mean and standard deviation; the label is the prototype's index."""

    def __init__(self, size, seed):
        gen = torch.Generator().manual_seed(seed)
        prototypes = torch.rand(10, 1, 28, 28, generator=gen)
        self.labels = torch.randint(0, 10, (size,), generator=gen)
        images = (prototypes[self.labels] + 0.3 * torch.randn(size, 1, 28, 28, generator=gen)).clamp(0, 1)
        self.images = (images - 0.1307) / 0.3081

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.drop_conv = nn.Dropout(0.25)
        self.drop_fc = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.drop_conv(F.max_pool2d(x, 2))
        x = self.drop_fc(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def train_epoch(args, model, device, loader, optimizer, epoch):
    model.train()
    for i, (images, labels) in enumerate(loader):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        if i % args.log_interval == 0:
            print("epoch {} [{}/{} ({:.0f}%)]\tloss {:.6f}".format(
                epoch, i * len(images), len(loader.dataset), 100.0 * i / len(loader), loss.item()))
            if args.dry_run:
                break


def evaluate(model, device, loader):
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            log_probs = model(images)
            total += F.nll_loss(log_probs, labels, reduction="sum").item()
            guess = log_probs.argmax(dim=1, keepdim=True)
            correct += guess.eq(labels.view_as(guess)).sum().item()
    n = len(loader.dataset)
    print("\ntest: average loss {:.4f}, accuracy {}/{} ({:.0f}%)\n".format(total / n, correct, n, 100.0 * correct / n))


def main():
    parser = argparse.ArgumentParser(description="digit classifier")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--no-accel", action="store_true", help="stay on the CPU")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--train-size", type=int, default=60000)
    parser.add_argument("--test-size", type=int, default=10000)
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}
    if use_accel:
        extra = {"num_workers": 1, "pin_memory": True, "persistent_workers": True}
        train_kwargs.update(extra)
        test_kwargs.update(extra)
    train_loader = DataLoader(NoisyPrototypes(args.train_size, seed=0), **train_kwargs)
    test_loader = DataLoader(NoisyPrototypes(args.test_size, seed=1), **test_kwargs)

    model = ConvNet().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train_epoch(args, model, device, train_loader, optimizer, epoch)
        evaluate(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "digits_cnn.pt")


if __name__ == "__main__":
    main()
