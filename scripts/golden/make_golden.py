#!/usr/bin/python3
"""Writes the PyTorch golden files the Java tests compare against.

Needs Debian's PyTorch (no pip, no network):
    apt-get install python3-torch python3-torchvision
Run from the repository root:
    /usr/bin/python3 scripts/golden/make_golden.py
Everything is seeded and single-threaded, so a rerun rewrites identical files (checked with sha256sum).

Outputs, all small:
  depthwise-nn/src/test/resources/golden/ops/<case>.safetensors
      one file per engine-op case: seeded inputs and parameters, the forward outputs, and the gradients of
      sum(grad_out * output) for a seeded random grad_out (so grad_out is stored, and backward takes it as is).
      Op settings (stride, padding, ...) are in the file's __metadata__ as strings.
      References are computed in float64 from float32 inputs, then stored as float32.
  depthwise-nn/src/test/resources/golden/net_train.safetensors, net_eval.safetensors
      a small conv network (conv-BN-ReLU, maxpool with indices, conv-BN-ReLU, residual add, unpool,
      conv to 3 classes, cross-entropy): parameters, every intermediate, loss, every parameter gradient,
      running statistics before and after the training step; then eval-mode outputs and loss.
  depthwise-nn/src/test/resources/golden/mobilenet_v2_w035.pth, mobilenet_v2_w035_logits.safetensors,
  mobilenet_v2_w035_features.safetensors (features[0..17] of a seeded 64x64 input: the segmenter's encoder)
      a seeded torchvision mobilenet_v2(width_mult=0.35, num_classes=10) state dict (torch.save, zip format)
      with its BatchNorm statistics and affine parameters randomised (so a BatchNorm mix-up cannot hide),
      and its eval-mode logits for a seeded input; mobilenet_v2_w035_train.safetensors: one training-mode step of
      it (dropout off) in float64: logits, loss, gradients of parameters from stem to classifier, running stats.
  depthwise-data/src/test/resources/imagenet/photo.png, resized_WxH.png, preprocess_20_16.f32
      a small seeded RGB image, Pillow's bilinear resizes of it (what torchvision's Resize does to a PIL image),
      and torchvision's Resize(20)-CenterCrop(16)-ToTensor-Normalize(ImageNet) output as raw little-endian float32.
  depthwise-cli/src/test/resources/classify/photo.png, expected.safetensors
      the same image through torchvision's full ImageNet transform (Resize(256), CenterCrop(224), ...) and the
      width-0.35 MobileNetV2 above: its softmax probabilities, for the classify command's end-to-end test.
  depthwise-nn/src/test/resources/io/*.pth, *.safetensors
      small PyTorch checkpoints exercising the .pth reader (float16, bfloat16, int64, storage offsets,
      shared storages, non-contiguous strides, wrapped state dicts, the legacy non-zip format) and the
      tensors the reader must produce from them.

Integer tensors (indices, targets) are stored as I64: the Java reader converts them to float exactly.
"""
import collections
import warnings
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA_RESOURCES = os.path.join(ROOT, "depthwise-data", "src", "test", "resources", "imagenet")
CLI_RESOURCES = os.path.join(ROOT, "depthwise-cli", "src", "test", "resources", "classify")
TRAIN_RESOURCES = os.path.join(ROOT, "depthwise-train", "src", "test", "resources", "golden")
RESOURCES = os.path.join(ROOT, "depthwise-nn", "src", "test", "resources")
GOLDEN = os.path.join(RESOURCES, "golden")
OPS = os.path.join(GOLDEN, "ops")
IO = os.path.join(RESOURCES, "io")

torch.set_num_threads(1)
warnings.filterwarnings("ignore", message=".*deterministic.*")
torch.use_deterministic_algorithms(True, warn_only=True)  # max_unpool2d has no flag, yet is deterministic on CPU


# ---------------------------------------------------------------- safetensors, by hand

def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> torch tensor (float -> F32, integer -> I64)."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype.is_floating_point:
            dtype, raw = "F32", t.to(torch.float32).numpy().astype("<f4").tobytes()
        else:
            dtype, raw = "I64", t.to(torch.int64).numpy().astype("<i8").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


def seeded(seed):
    return torch.Generator().manual_seed(seed)


def randn(gen, *shape, scale=1.0):
    """Float32 values, returned as float64 so the reference maths runs in double precision."""
    return (torch.randn(*shape, generator=gen) * scale).to(torch.float32).to(torch.float64)


def f32(t):
    """Rounds to float32 (kept as float64), so the Java side reads exactly the reference's inputs."""
    return t.to(torch.float32).to(torch.float64)


def leaf(t):
    return t.clone().requires_grad_(True)


def save_case(name, tensors, metadata=None):
    write_safetensors(os.path.join(OPS, name + ".safetensors"), tensors, metadata)


# ---------------------------------------------------------------- single ops

def conv_case(name, seed, n, cin, h, w, cout, kernel, stride, padding, dilation, groups, bias):
    g = seeded(seed)
    kh, kw = kernel
    x = leaf(randn(g, n, cin, h, w))
    weight = leaf(randn(g, cout, cin // groups, kh, kw, scale=0.5))
    b = leaf(randn(g, cout)) if bias else None
    out = F.conv2d(x, weight, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    tensors = collections.OrderedDict(x=x, weight=weight)
    if bias:
        tensors["bias"] = b
    tensors.update(out=out, grad_out=grad_out, grad_x=x.grad, grad_weight=weight.grad)
    if bias:
        tensors["grad_bias"] = b.grad
    meta = dict(in_channels=cin, out_channels=cout, kernel_h=kh, kernel_w=kw, stride_h=stride[0],
                stride_w=stride[1], pad_h=padding[0], pad_w=padding[1], dilation_h=dilation[0],
                dilation_w=dilation[1], groups=groups)
    save_case(name, tensors, meta)


def conv_cases():
    conv_case("conv_1x1", 101, 2, 8, 5, 6, 12, (1, 1), (1, 1), (0, 0), (1, 1), 1, False)
    conv_case("conv_3x3_s1_bias", 102, 2, 4, 7, 9, 6, (3, 3), (1, 1), (1, 1), (1, 1), 1, True)
    conv_case("conv_3x3_s2", 103, 2, 4, 9, 8, 6, (3, 3), (2, 2), (1, 1), (1, 1), 1, False)
    conv_case("conv_depthwise_s1", 104, 2, 6, 8, 7, 6, (3, 3), (1, 1), (1, 1), (1, 1), 6, False)
    conv_case("conv_depthwise_s2", 105, 2, 6, 9, 9, 6, (3, 3), (2, 2), (1, 1), (1, 1), 6, False)
    conv_case("conv_grouped", 106, 2, 8, 6, 7, 12, (3, 3), (1, 1), (1, 1), (1, 1), 4, True)
    conv_case("conv_dilation2", 107, 2, 4, 9, 10, 5, (3, 3), (1, 1), (2, 2), (2, 2), 1, True)
    conv_case("conv_rect_kernel", 108, 1, 3, 7, 8, 4, (3, 5), (2, 1), (1, 2), (1, 1), 1, True)
    # MobileNetV2-like channel counts, so the vectorised main loops and blocking run, not only their tails.
    conv_case("conv_1x1_wide", 111, 1, 40, 12, 13, 72, (1, 1), (1, 1), (0, 0), (1, 1), 1, False)
    conv_case("conv_3x3_wide", 112, 1, 16, 14, 15, 24, (3, 3), (1, 1), (1, 1), (1, 1), 1, True)
    conv_case("conv_depthwise_s1_wide", 113, 1, 48, 14, 15, 48, (3, 3), (1, 1), (1, 1), (1, 1), 48, False)
    conv_case("conv_depthwise_s2_wide", 114, 1, 48, 15, 17, 48, (3, 3), (2, 2), (1, 1), (1, 1), 48, False)


def batchnorm_cases():
    g = seeded(201)
    n, c, h, w = 4, 5, 6, 7
    x = leaf(f32(randn(g, n, c, h, w, scale=2.0) + 0.5))
    gamma = leaf(f32(1.0 + randn(g, c, scale=0.3)))
    beta = leaf(randn(g, c, scale=0.3))
    running_mean = randn(g, c, scale=0.2)
    running_var = f32(1.0 + randn(g, c, scale=0.2).abs())
    mean_before, var_before = running_mean.clone(), running_var.clone()
    out = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=0.1, eps=1e-5)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    save_mean = x.detach().mean(dim=(0, 2, 3))
    save_invstd = 1.0 / torch.sqrt(x.detach().var(dim=(0, 2, 3), unbiased=False) + 1e-5)
    save_case("batchnorm_train", collections.OrderedDict(
        x=x, gamma=gamma, beta=beta, running_mean=mean_before, running_var=var_before, out=out,
        running_mean_after=running_mean, running_var_after=running_var, save_mean=save_mean,
        save_invstd=save_invstd, grad_out=grad_out, grad_x=x.grad, grad_gamma=gamma.grad, grad_beta=beta.grad),
        dict(momentum=0.1, eps=1e-5))

    g = seeded(202)
    x = randn(g, n, c, h, w, scale=2.0)
    gamma, beta = f32(1.0 + randn(g, c, scale=0.3)), randn(g, c, scale=0.3)
    running_mean, running_var = randn(g, c, scale=0.5), f32(0.5 + randn(g, c, scale=0.5).abs())
    out = F.batch_norm(x, running_mean, running_var, gamma, beta, training=False, eps=1e-5)
    save_case("batchnorm_eval", collections.OrderedDict(
        x=x, gamma=gamma, beta=beta, running_mean=running_mean, running_var=running_var, out=out),
        dict(eps=1e-5))


def activation_cases():
    for name, fn, seed in (("relu", F.relu, 301), ("relu6", F.relu6, 302)):
        g = seeded(seed)
        x = leaf(randn(g, 2, 3, 5, 6, scale=4.0))
        out = fn(x)
        grad_out = randn(g, *out.shape)
        out.backward(grad_out)
        save_case(name, collections.OrderedDict(x=x, out=out, grad_out=grad_out, grad_x=x.grad))


def pool_cases():
    g = seeded(401)
    x = leaf(randn(g, 2, 3, 7, 9))
    out, indices = F.max_pool2d(x, 2, 2, return_indices=True)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    save_case("maxpool", collections.OrderedDict(x=x, out=out, indices=indices, grad_out=grad_out, grad_x=x.grad),
              dict(kernel=2, stride=2))

    # Unpool to the odd pre-pool size, with indices from a real pool.
    g = seeded(402)
    pre = randn(g, 2, 3, 7, 9)
    _, indices = F.max_pool2d(pre, 2, 2, return_indices=True)
    x = leaf(randn(g, 2, 3, 3, 4))
    out = F.max_unpool2d(x, indices, 2, 2, output_size=(7, 9))
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    save_case("maxunpool", collections.OrderedDict(x=x, indices=indices, out=out, grad_out=grad_out, grad_x=x.grad))

    g = seeded(403)
    x = leaf(randn(g, 2, 5, 4, 6))
    out = F.adaptive_avg_pool2d(x, 1)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    save_case("global_avg_pool", collections.OrderedDict(x=x, out=out, grad_out=grad_out, grad_x=x.grad))


def linear_case():
    g = seeded(501)
    x = leaf(randn(g, 3, 10))
    weight = leaf(randn(g, 7, 10, scale=0.3))
    bias = leaf(randn(g, 7))
    out = F.linear(x, weight, bias)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    save_case("linear", collections.OrderedDict(
        x=x, weight=weight, bias=bias, out=out, grad_out=grad_out, grad_x=x.grad, grad_weight=weight.grad,
        grad_bias=bias.grad))


def upsample_cases():
    for name, mode, seed, size in (("upsample_nearest_2x", "nearest", 601, (8, 10)),
                                   ("upsample_nearest_odd", "nearest", 602, (7, 13)),
                                   ("upsample_bilinear_2x", "bilinear", 603, (8, 10)),
                                   ("upsample_bilinear_odd", "bilinear", 604, (7, 13))):
        g = seeded(seed)
        x = leaf(randn(g, 2, 3, 4, 5))
        kwargs = {"align_corners": False} if mode == "bilinear" else {}
        out = F.interpolate(x, size=size, mode=mode, **kwargs)
        grad_out = randn(g, *out.shape)
        out.backward(grad_out)
        save_case(name, collections.OrderedDict(x=x, out=out, grad_out=grad_out, grad_x=x.grad), dict(mode=mode))


def elementwise_cases():
    g = seeded(701)
    inputs = [leaf(randn(g, 2, c, 3, 4)) for c in (2, 3, 1)]
    out = torch.cat(inputs, dim=1)
    grad_out = randn(g, *out.shape)
    out.backward(grad_out)
    tensors = collections.OrderedDict()
    for i, t in enumerate(inputs):
        tensors["x%d" % i] = t
    tensors.update(out=out, grad_out=grad_out)
    for i, t in enumerate(inputs):
        tensors["grad_x%d" % i] = t.grad
    save_case("concat", tensors)

    g = seeded(702)
    a, b = randn(g, 2, 3, 4, 5), randn(g, 2, 3, 4, 5)
    save_case("add", collections.OrderedDict(a=a, b=b, out=a + b))


def loss_cases():
    # Per-pixel cross-entropy, mean reduction, plain; weighted with an ignored label; and [N, C] logits.
    g = seeded(801)
    logits = leaf(randn(g, 2, 4, 3, 5, scale=2.0))
    target = torch.randint(0, 4, (2, 3, 5), generator=g)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    save_case("cross_entropy", collections.OrderedDict(logits=logits, target=target, loss=loss.reshape(1),
                                                       grad_logits=logits.grad), dict(ignore_index=-100))

    g = seeded(802)
    logits = leaf(randn(g, 2, 4, 3, 5, scale=2.0))
    target = torch.randint(0, 4, (2, 3, 5), generator=g)
    target[torch.rand(2, 3, 5, generator=g) < 0.25] = 255
    weights = (0.5 + torch.rand(4, generator=g)).to(torch.float64)
    loss = F.cross_entropy(logits, target, weight=weights, ignore_index=255)
    loss.backward()
    save_case("cross_entropy_weighted_ignore", collections.OrderedDict(
        logits=logits, target=target, class_weights=weights, loss=loss.reshape(1), grad_logits=logits.grad),
        dict(ignore_index=255))

    g = seeded(803)
    logits = leaf(randn(g, 5, 7, scale=2.0))
    target = torch.randint(0, 7, (5,), generator=g)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    save_case("cross_entropy_2d", collections.OrderedDict(logits=logits, target=target, loss=loss.reshape(1),
                                                          grad_logits=logits.grad), dict(ignore_index=-100))

    # The article's soft-IoU loss, exactly as TEAM.md defines it.
    g = seeded(804)
    logits = leaf(randn(g, 2, 3, 4, 5, scale=2.0))
    target = torch.randint(0, 3, (2, 4, 5), generator=g)
    loss = soft_iou_loss(logits, target)
    loss.backward()
    probs = F.softmax(logits.detach(), dim=1)
    save_case("soft_iou", collections.OrderedDict(logits=logits, target=target, loss=loss.reshape(1),
                                                  grad_logits=logits.grad, probs=probs))

    # Five classes with 255s (VOC's boundary label): both losses and the metrics, ignored pixels left out.
    five_class_ignore_case()


def dice_loss(logits, target, ignore_index):
    """segmentation_models_pytorch's multiclass DiceLoss (smooth 0, eps 1e-7, classes absent from the targets
    masked out), with the ignored pixels removed from both sums."""
    p = F.softmax(logits, dim=1)
    keep = (target != ignore_index).unsqueeze(1).to(p.dtype)
    onehot = F.one_hot(torch.where(target != ignore_index, target, 0), logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    p, onehot = p * keep, onehot * keep
    dice = 2 * (p * onehot).sum(dim=(0, 2, 3)) / (p + onehot).sum(dim=(0, 2, 3)).clamp_min(1e-7)
    present = onehot.sum(dim=(0, 2, 3)) > 0
    return (1 - dice)[present].mean()


def five_class_ignore_case():
    """The 5-class case with ignore_index 255: cross-entropy and soft IoU (value and gradient) into ops/, and
    the metrics into depthwise-train's resources. torchmetrics is not packaged in Debian, so the metrics are
    computed here in torch by torchmetrics 1.x's definitions: MulticlassAccuracy(average='micro'),
    MulticlassJaccardIndex(average='none' / 'macro' over classes present / 'micro' with ignore_index=0),
    MulticlassConfusionMatrix, each with the pixels whose target is 255 removed first."""
    g = seeded(811)
    classes = 5
    logits = leaf(randn(g, 2, classes, 6, 7, scale=2.0))
    target = torch.randint(0, classes - 1, (2, 6, 7), generator=g)  # class 4 only ever predicted
    target[torch.rand(2, 6, 7, generator=g) < 0.2] = 255
    ce = F.cross_entropy(logits, target, ignore_index=255)
    ce.backward()
    save_case("cross_entropy_5class_ignore", collections.OrderedDict(
        logits=logits, target=target, loss=ce.reshape(1), grad_logits=logits.grad), dict(ignore_index=255))
    logits.grad = None
    iou = soft_iou_loss(logits, target, ignore_index=255)
    iou.backward()
    save_case("soft_iou_5class_ignore", collections.OrderedDict(
        logits=logits, target=target, loss=iou.reshape(1), grad_logits=logits.grad), dict(ignore_index=255))

    logits.grad = None
    dice = dice_loss(logits, target, ignore_index=255)
    dice.backward()
    save_case("dice_5class_ignore", collections.OrderedDict(
        logits=logits, target=target, loss=dice.reshape(1), grad_logits=logits.grad), dict(ignore_index=255))

    x = logits.detach()
    preds = x.argmax(dim=1)
    keep = target != 255
    t, p = target[keep], preds[keep]
    confmat = torch.bincount(t * classes + p, minlength=classes * classes).reshape(classes, classes).to(torch.float64)
    tp = confmat.diag()
    union = confmat.sum(0) + confmat.sum(1) - tp
    per_class = torch.where(union > 0, tp / union.clamp(min=1), torch.zeros_like(tp))
    present = union > 0
    kept_rows = confmat.clone()
    kept_rows[0, :] = 0  # micro IoU with ignore_index=0: target-0 pixels dropped, class 0 left out of the sums
    micro_union = kept_rows.sum(0) + kept_rows.sum(1) - kept_rows.diag()
    micro = kept_rows.diag()[1:].sum() / micro_union[1:].sum()
    probs = F.softmax(x.to(torch.float64), dim=1)
    onehot = F.one_hot(torch.where(keep, target, 0), classes).permute(0, 3, 1, 2).to(torch.float64)
    k = keep.unsqueeze(1).to(torch.float64)
    inter = (onehot * probs * k).sum(dim=(1, 2, 3))
    soft = ((inter + 0.001) / ((onehot * k + probs * k - onehot * probs * k).sum(dim=(1, 2, 3)) + 0.001)).mean()
    write_safetensors(os.path.join(TRAIN_RESOURCES, "metrics_5class_ignore.safetensors"), collections.OrderedDict(
        logits=x, target=target, confusion=confmat, pixel_accuracy=(tp.sum() / confmat.sum()).reshape(1),
        per_class_iou=per_class, mean_iou=(per_class[present].mean()).reshape(1), iou_ignore_0=micro.reshape(1),
        soft_iou=soft.reshape(1)), dict(ignore_index=255, iou_ignored_class=0))


def soft_iou_loss(logits, target, ignore_index=None):
    p = F.softmax(logits, dim=1)
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    onehot = F.one_hot(torch.where(keep, target, 0), logits.shape[1]).permute(0, 3, 1, 2).to(p.dtype)
    # an ignored pixel is cut out of both sums
    keep = keep.unsqueeze(1).to(p.dtype)
    onehot, p = onehot * keep, p * keep
    intersection = (onehot * p).sum(dim=(1, 2, 3))
    union = (onehot + p - onehot * p).sum(dim=(1, 2, 3))
    iou = (intersection + 0.001) / (union + 0.001)
    return -torch.log(iou.mean())


# ---------------------------------------------------------------- the small network

class SmallNet(nn.Module):
    """conv-BN-ReLU, maxpool with indices, conv-BN-ReLU, residual add, unpool, conv to 3 classes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(6)
        self.classifier = nn.Conv2d(6, 3, 3, padding=1, bias=True)

    def forward(self, x):
        a1 = F.relu(self.bn1(self.conv1(x)))
        pooled, indices = F.max_pool2d(a1, 2, 2, return_indices=True)
        a2 = F.relu(self.bn2(self.conv2(pooled)))
        residual = a2 + pooled
        unpooled = F.max_unpool2d(residual, indices, 2, 2, output_size=a1.shape[2:])
        logits = self.classifier(unpooled)
        return collections.OrderedDict(a1=a1, pooled=pooled, indices=indices, a2=a2, residual=residual,
                                       unpooled=unpooled, logits=logits)


def network_cases():
    torch.manual_seed(901)
    net = SmallNet().double()
    g = seeded(902)
    with torch.no_grad():
        for bn in (net.bn1, net.bn2):
            bn.weight.copy_(f32(1.0 + randn(g, 6, scale=0.3)))
            bn.bias.copy_(randn(g, 6, scale=0.3))
            bn.running_mean.copy_(randn(g, 6, scale=0.2))
            bn.running_var.copy_(f32(1.0 + randn(g, 6, scale=0.2).abs()))
        for p in net.parameters():  # float32-representable parameters
            p.copy_(p.to(torch.float32).to(torch.float64))
    x = randn(g, 2, 3, 9, 11)  # odd sizes: the pool drops a row and a column that unpool restores as zeros
    target = torch.randint(0, 3, (2, 9, 11), generator=g)

    state_before = collections.OrderedDict((k, v.clone()) for k, v in net.state_dict().items()
                                           if not k.endswith("num_batches_tracked"))
    net.train()
    outs = net(x)
    loss = F.cross_entropy(outs["logits"], target)
    loss.backward()
    tensors = collections.OrderedDict(x=x, target=target)
    tensors.update(("param." + k, v) for k, v in state_before.items())
    tensors.update(outs)
    tensors["loss"] = loss.reshape(1)
    tensors.update(("grad." + k, p.grad) for k, p in net.named_parameters())
    tensors.update(("after." + k, v) for k, v in net.state_dict().items()
                   if k.endswith("running_mean") or k.endswith("running_var"))
    write_safetensors(os.path.join(GOLDEN, "net_train.safetensors"), tensors, dict(momentum=0.1, eps=1e-5))

    # Eval mode, starting from the running statistics the training step left behind.
    net.eval()
    with torch.no_grad():
        outs = net(x)
        loss = F.cross_entropy(outs["logits"], target)
    tensors = collections.OrderedDict(x=x, target=target)
    tensors.update(("param." + k, v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked"))
    tensors.update(outs)
    tensors["loss"] = loss.reshape(1)
    write_safetensors(os.path.join(GOLDEN, "net_eval.safetensors"), tensors, dict(eps=1e-5))


# ---------------------------------------------------------------- torchvision MobileNetV2

def randomise_batchnorm(model, g):
    """Statistics and affine parameters away from their 0/1 defaults, so folding and normalising are exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=g))
                m.bias.copy_(0.1 * torch.randn(c, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                m.running_var.copy_(0.5 + torch.rand(c, generator=g))


def mobilenet_w035():
    """The seeded width-0.35, 10-class torchvision MobileNetV2 of the golden test, in eval mode."""
    torch.manual_seed(1001)
    model = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)
    g = seeded(1002)
    randomise_batchnorm(model, g)
    with torch.no_grad():
        # torchvision's N(0, 0.01) classifier gives logits near 1e-3, below the test's absolute floor.
        model.classifier[1].weight.copy_(0.1 * torch.randn(model.classifier[1].weight.shape, generator=g))
        model.classifier[1].bias.copy_(0.1 * torch.randn(10, generator=g))
    model.eval()
    return model, g


def mobilenet_case():
    model, g = mobilenet_w035()
    x = torch.randn(2, 3, 96, 96, generator=g)
    with torch.no_grad():
        logits = model(x)
    torch.save(model.state_dict(), os.path.join(GOLDEN, "mobilenet_v2_w035.pth"))
    write_safetensors(os.path.join(GOLDEN, "mobilenet_v2_w035_logits.safetensors"),
                      collections.OrderedDict(input=x, logits=logits),
                      dict(model="torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=10)",
                           torchvision=torchvision.__version__))
    # The encoder a segmenter takes from these weights (--encoder-weights): features[0..17], eval mode.
    x = torch.randn(1, 3, 64, 64, generator=seeded(1010))
    with torch.no_grad():
        encoded = model.features[:18](x)
    write_safetensors(os.path.join(GOLDEN, "mobilenet_v2_w035_features.safetensors"),
                      collections.OrderedDict(input=x, features=encoded),
                      dict(model="torchvision.models.mobilenet_v2(width_mult=0.35).features[:18]"))


MOBILENET_TRAIN_GRADS = ("features.0.0.weight", "features.0.1.weight", "features.0.1.bias",
                         "features.1.conv.0.0.weight", "features.2.conv.1.0.weight", "features.3.conv.2.weight",
                         "features.3.conv.3.weight", "features.3.conv.3.bias", "features.16.conv.1.0.weight",
                         "features.17.conv.2.weight", "features.18.1.weight", "features.18.1.bias",
                         "classifier.1.weight", "classifier.1.bias")
MOBILENET_TRAIN_STATS = ("features.0.1.running_mean", "features.0.1.running_var", "features.3.conv.3.running_mean",
                         "features.3.conv.3.running_var", "features.18.1.running_mean", "features.18.1.running_var")


def mobilenet_train_case():
    """One training-mode step of the same model (dropout off, as it is random): loss, logits, a selection of
    parameter gradients across the network, and updated running statistics. Computed in float64."""
    model, _ = mobilenet_w035()
    model.classifier[0].p = 0.0
    model = model.double().train()
    g = seeded(1003)
    x = randn(g, 2, 3, 96, 96)
    target = torch.randint(0, 10, (2,), generator=g)
    logits = model(x)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    tensors = collections.OrderedDict(input=x, target=target, logits=logits, loss=loss.reshape(1))
    tensors.update(("grad." + k, params[k].grad) for k in MOBILENET_TRAIN_GRADS)
    tensors.update(("after." + k, buffers[k]) for k in MOBILENET_TRAIN_STATS)
    write_safetensors(os.path.join(GOLDEN, "mobilenet_v2_w035_train.safetensors"), tensors,
                      dict(note="state dict mobilenet_v2_w035.pth, dropout 0, training mode, cross-entropy"))


# ---------------------------------------------------------------- files for the .pth reader

def io_cases():
    g = seeded(1101)
    big = torch.randn(4, 6, generator=g)
    state = collections.OrderedDict()
    state["plain"] = torch.randn(2, 3, 3, generator=g)
    state["half"] = torch.randn(5, generator=g).to(torch.float16)
    state["bfloat"] = torch.randn(5, generator=g).to(torch.bfloat16)
    state["double"] = torch.randn(3, generator=g).to(torch.float64)
    state["transposed"] = big.t()                # non-contiguous strides (1, 6) over a shared storage
    state["row_slice"] = big[1:3]                # storage offset 6, same storage as "transposed"
    state["column_step"] = big[:, ::2]           # offset 0, strides (6, 2)
    state["scalar"] = torch.tensor(3.5)
    state["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
    torch.save(state, os.path.join(IO, "tiny_state_dict.pth"))
    torch.save({"epoch": 3, "state_dict": state}, os.path.join(IO, "tiny_checkpoint_state_dict.pth"))
    torch.save({"model": state, "optimizer": {"lr": 0.1}}, os.path.join(IO, "tiny_checkpoint_model.pth"))
    # The legacy (pre-1.6) format names storages by memory address, so only a tensor-free file is reproducible;
    # the reader must refuse it by its format alone.
    torch.save({"epoch": 3}, os.path.join(IO, "tiny_legacy.pth"), _use_new_zipfile_serialization=False)
    expected = collections.OrderedDict((k, v.to(torch.float32)) for k, v in state.items())
    write_safetensors(os.path.join(IO, "tiny_expected.safetensors"), expected, dict(source="tiny_state_dict.pth"))


# ---------------------------------------------------------------- ImageNet preprocessing and classify

IMAGENET_NORMALIZE = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])


def seeded_photo():
    """97x75 RGB: 8x8 blocks of random colours over a gradient, so resizing meets both edges and ramps."""
    rng = np.random.default_rng(1201)
    blocks = rng.integers(0, 256, size=(10, 13, 3)).astype(np.float64)
    image = np.kron(blocks, np.ones((8, 8, 1)))[:75, :97]
    ramp = np.linspace(-40, 40, 97)[None, :, None]
    return Image.fromarray(np.clip(image + ramp, 0, 255).astype(np.uint8), "RGB")


def preprocessing_cases():
    photo = seeded_photo()
    photo.save(os.path.join(DATA_RESOURCES, "photo.png"))
    for size in ((41, 31), (20, 15), (130, 100), (97, 40), (60, 75)):
        photo.resize(size, Image.BILINEAR).save(os.path.join(DATA_RESOURCES, "resized_%dx%d.png" % size))
    small = T.Compose([T.Resize(20), T.CenterCrop(16), T.ToTensor(), IMAGENET_NORMALIZE])(photo)
    with open(os.path.join(DATA_RESOURCES, "preprocess_20_16.f32"), "wb") as f:
        f.write(small.numpy().astype("<f4").tobytes())

    photo.save(os.path.join(CLI_RESOURCES, "photo.png"))
    full = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), IMAGENET_NORMALIZE])(photo)
    model, _ = mobilenet_w035()
    with torch.no_grad():
        probs = F.softmax(model(full.unsqueeze(0)), dim=1)[0]
    write_safetensors(os.path.join(CLI_RESOURCES, "expected.safetensors"), collections.OrderedDict(probs=probs),
                      dict(weights="depthwise-nn/src/test/resources/golden/mobilenet_v2_w035.pth",
                           transform="Resize(256) CenterCrop(224) ToTensor Normalize(ImageNet)"))


def main():
    for d in (OPS, IO, DATA_RESOURCES, CLI_RESOURCES, TRAIN_RESOURCES):
        os.makedirs(d, exist_ok=True)
    conv_cases()
    batchnorm_cases()
    activation_cases()
    pool_cases()
    linear_case()
    upsample_cases()
    elementwise_cases()
    loss_cases()
    network_cases()
    mobilenet_case()
    mobilenet_train_case()
    io_cases()
    preprocessing_cases()
    print("golden files written under", RESOURCES, file=sys.stderr)


if __name__ == "__main__":
    main()
