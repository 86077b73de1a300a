#!/usr/bin/python3
"""Times PyTorch training steps for `depthwise bench train`, and prints one JSON object.

Same work as our side: random images and labels, cross-entropy, Adam (lr 1e-3), model in train mode.
Models: torchvision's mobilenet_v2 (1000 classes, as torchvision), and SegNet / SegNet-DSC exactly as in
Matani & Singh, "Efficient Image Segmentation Using PyTorch", parts 2 and 3 (3 classes).

    /usr/bin/python3 scripts/bench/torch_train_step.py --model segnet_dsc --batch 16 --size 128 --threads 2
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torchvision


def conv(cin, cout, dsc):
    if dsc:  # the article's depthwise-separable conv: depthwise 3x3 then pointwise 1x1, no biases
        return nn.Sequential(nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
                             nn.Conv2d(cin, cout, 1, bias=False))
    return nn.Conv2d(cin, cout, 3, padding=1, bias=False)


def conv_bn_relu(cin, cout, dsc):
    return [conv(cin, cout, dsc), nn.BatchNorm2d(cout), nn.ReLU()]


class Down(nn.Module):
    """n conv-BN-ReLU (cin -> cout, then cout -> cout), then a 2x2 max-pool that keeps its indices."""

    def __init__(self, cin, cout, n, dsc):
        super().__init__()
        layers = conv_bn_relu(cin, cout, dsc)
        for _ in range(n - 1):
            layers += conv_bn_relu(cout, cout, dsc)
        self.seq = nn.Sequential(*layers)
        self.mp = nn.MaxPool2d(kernel_size=2, return_indices=True)

    def forward(self, x):
        y = self.seq(x)
        shape = y.shape
        y, indices = self.mp(y)
        return y, indices, shape


class Up(nn.Module):
    """A max-unpool, then n conv-BN-ReLU of which the first n-1 keep cin and the last maps to cout."""

    def __init__(self, cin, cout, n, dsc):
        super().__init__()
        layers = []
        for _ in range(n - 1):
            layers += conv_bn_relu(cin, cin, dsc)
        layers += conv_bn_relu(cin, cout, dsc)
        self.seq = nn.Sequential(*layers)
        self.mup = nn.MaxUnpool2d(kernel_size=2)

    def forward(self, x, indices, output_size):
        return self.seq(self.mup(x, indices, output_size=output_size))


class SegNet(nn.Module):
    def __init__(self, dsc=False):
        super().__init__()
        self.bn_input = nn.BatchNorm2d(3)
        self.dc1 = Down(3, 64, 2, dsc)
        self.dc2 = Down(64, 128, 2, dsc)
        self.dc3 = Down(128, 256, 3, dsc)
        self.dc4 = Down(256, 512, 3, dsc)
        self.uc4 = Up(512, 256, 3, dsc)
        self.uc3 = Up(256, 128, 3, dsc)
        self.uc2 = Up(128, 64, 2, dsc)
        self.uc1 = Up(64, 3, 2, dsc)

    def forward(self, x):
        x = self.bn_input(x)
        x, i1, s1 = self.dc1(x)
        x, i2, s2 = self.dc2(x)
        x, i3, s3 = self.dc3(x)
        x, i4, s4 = self.dc4(x)
        x = self.uc4(x, i4, s4)
        x = self.uc3(x, i3, s3)
        x = self.uc2(x, i2, s2)
        return self.uc1(x, i1, s1)


def build(name):
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(), 1000, False
    if name == "segnet":
        return SegNet(dsc=False), 3, True
    if name == "segnet_dsc":
        return SegNet(dsc=True), 3, True
    raise SystemExit("unknown model " + name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True, choices=["mobilenet_v2", "segnet", "segnet_dsc"])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, classes, dense = build(a.model)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, classes, (a.batch, a.size, a.size) if dense else (a.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(json.dumps({
        "model": a.model, "batch": a.batch, "size": a.size, "threads": a.threads,
        "parameters": sum(p.numel() for p in model.parameters()),
        "step_seconds": times, "median_step_seconds": median, "images_per_second": a.batch / median,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
