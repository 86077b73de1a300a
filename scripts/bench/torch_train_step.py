#!/usr/bin/python3
"""Times PyTorch training steps for `depthwise bench train`, and prints one JSON object.

Same work as our side: random images and labels, cross-entropy, Adam (lr 1e-3), model in train mode.
Models: torchvision's mobilenet_v2 (1000 classes, as torchvision), and SegNet / SegNet-DSC exactly as in
Matani & Singh, "Efficient Image Segmentation Using PyTorch", parts 2 and 3 (3 classes).

    /usr/bin/python3 scripts/bench/torch_train_step.py --model segnet_dsc --batch 16 --size 128 --threads 2
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from article_segnet import SegNet  # noqa: E402 (the article's SegNet, shared with the golden scripts)


def build(name):
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(), 1000, False
    if name == "segnet":
        return SegNet(3, separable=False), 3, True
    if name == "segnet_dsc":
        return SegNet(3, separable=True), 3, True
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
