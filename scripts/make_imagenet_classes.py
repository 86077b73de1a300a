#!/usr/bin/python3
"""Writes the 1,000 ImageNet class names, in torchvision's class-index order, one per line.

torchvision ships them in code, not as a file: torchvision.models._meta._IMAGENET_CATEGORIES (0.14).
Needs Debian's PyTorch (apt-get install python3-torch python3-torchvision). Run from the repository root:
    /usr/bin/python3 scripts/make_imagenet_classes.py
"""
import os

from torchvision.models._meta import _IMAGENET_CATEGORIES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "depthwise-nn", "src", "main", "resources", "dev", "depthwise", "models", "imagenet_classes.txt")

assert len(_IMAGENET_CATEGORIES) == 1000
assert all("\n" not in name for name in _IMAGENET_CATEGORIES)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8", newline="\n") as f:
    for name in _IMAGENET_CATEGORIES:
        f.write(name + "\n")
print("wrote", OUT)
