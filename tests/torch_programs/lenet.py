"""LeNet-5 on random 32x32 images, written as PyTorch's introduction to torch.nn presents it:
print the model and its parameter shapes, backpropagate a random gradient, look at the graph
behind the loss, update by hand, then train with torch.optim.SGD."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5)    # 32x32 -> 28x28, pooled to 14x14
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)   # 14x14 -> 10x10, pooled to 5x5
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, images):
        h = F.max_pool2d(F.relu(self.conv1(images)), (2, 2))
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = torch.flatten(h, 1)
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


model = LeNet5()
print(model)
weights = list(model.parameters())
print(len(weights), "parameter tensors; conv1.weight is", weights[0].size())

image = torch.randn(1, 1, 32, 32)
scores = model(image)
print("scores", scores.size())
model.zero_grad()
scores.backward(torch.randn(1, 10))  # a non-scalar output needs the gradient to start from

goal = torch.randn(10).view(1, -1)
mse = nn.MSELoss()
loss = mse(model(image), goal)
print("loss", loss.size(), loss.dim())

# the graph behind the loss: MSELoss <- fc3 (addmm) <- its bias, fc2's relu, fc3's weight
node = loss.grad_fn
print(node)
print(node.next_functions[0][0])
print(node.next_functions[0][0].next_functions[0][0])

model.zero_grad()
print("conv1.bias.grad before:", model.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after:", model.conv1.bias.grad.size())

# one step of gradient descent by hand ...
for p in model.parameters():
    p.data.sub_(p.grad.data * 0.01)

# ... and then with an optimizer
opt = optim.SGD(model.parameters(), lr=0.01)
batch = torch.randn(4, 1, 32, 32)
goals = torch.randn(4, 10)
for step in range(5):
    opt.zero_grad()
    loss = mse(model(batch), goals)
    loss.backward()
    opt.step()
    print(f"step {step}: loss {loss.item():.6f}")
