"""References at full size, too large for the test resources: torchvision's MobileNetV2 (width 1.0, 1000 classes,
3x224x224) and the article's SegNet and SegNet-DSC (3 classes, 3x128x128), with seeded weights and randomised
BatchNorm statistics. For each model it writes, into OUTDIR (outside the repository; about 90 MB):

    MODEL.safetensors        the state dict, Depthwise's (and PyTorch's) keys
    MODEL_eval.safetensors   input (2 images) and eval-mode output
    MODEL_train.safetensors  input, target, training-mode output, loss, gradients of parameters from the first
                             layer to the last, and the running statistics after the step

Every reference is computed in float64 from float32 weights and inputs (dropout off), so it bounds our float32
error; beside each output and gradient, PyTorch's own float32 result (key `torch_float32.KEY`) says how far a float32
computation of the same network lands from it. A training step at batch 2 is ill-conditioned enough that where
float32 lands depends on the order of its sums: SegNet-DSC's gradients missed float64 by 0.3% on one thread and by
0.7% on two (torch 1.13). So PyTorch's float32 step runs in several summation orders (FLOAT32_ORDERS) and each key
keeps the result farthest from float64: the float32 error a careful engine can have, not one lucky draw.
FullSizeReferenceTest reads OUTDIR when DEPTHWISE_FULL_SIZE_REFERENCE names it, and skips otherwise:

    /usr/bin/python3 scripts/golden/full_size_reference.py data/full-size
    DEPTHWISE_FULL_SIZE_REFERENCE=$PWD/data/full-size mvn -B -pl depthwise-nn -am test -Dtest=FullSizeReferenceTest \
        -Dsurefire.failIfNoSpecifiedTests=false
"""
import collections
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

from article_segnet import SegNet
from make_golden import randomise_batchnorm, seeded, write_safetensors


def gradient_keys(model):
    """The weight (and bias) of the first conv, of every fifth parameter after it and of the last layer."""
    names = [n for n, _ in model.named_parameters()]
    return sorted(set(names[:2] + names[::5] + names[-2:]), key=names.index)


# PyTorch's float32 runs: (threads, oneDNN convolutions). Each changes the order of the sums. Channels-last tensors
# are left out: in torch 1.13 they put SegNet-DSC's gradients 13% off float64, far beyond rounding.
FLOAT32_ORDERS = ((1, True), (2, True), (1, False))


def run(model, x, target, dtype):
    """Eval-mode output, then one training step's output, loss, gradients and running means, in dtype."""
    model = model.to(dtype)
    x = x.to(dtype)
    model.eval()
    with torch.no_grad():
        results = collections.OrderedDict(output_eval=model(x))
    model.train()
    out = model(x)
    loss = F.cross_entropy(out, target)
    loss.backward()
    params = dict(model.named_parameters())
    results.update(output=out.detach(), loss=loss.detach().reshape(1))
    results.update(("grad." + k, params[k].grad) for k in gradient_keys(model))
    results.update(("after." + k, v) for k, v in model.named_buffers() if k.endswith("running_mean"))
    # Copies: the next run's model.to() and load_state_dict() write into these very tensors.
    return collections.OrderedDict((k, v.detach().clone()) for k, v in results.items())


def farthest_float32(model, state, x, target, reference):
    """PyTorch's float32 result in each of FLOAT32_ORDERS; per key, the one farthest from the float64 reference."""
    farthest = collections.OrderedDict()
    for threads, onednn in FLOAT32_ORDERS:
        model.load_state_dict(state)
        model.zero_grad(set_to_none=True)
        torch.set_num_threads(threads)
        with torch.backends.mkldnn.flags(enabled=onednn):
            results = run(model, x, target, torch.float32)
        for k, v in results.items():
            error = torch.linalg.vector_norm(v.double() - reference[k]).item()
            if k not in farthest or error > farthest[k][0]:
                farthest[k] = (error, v)
    torch.set_num_threads(1)
    return collections.OrderedDict((k, v) for k, (_, v) in farthest.items())


def write_case(outdir, name, model, x, target, meta):
    state = collections.OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    write_safetensors(os.path.join(outdir, name + ".safetensors"), state)
    reference = run(model, x, target, torch.float64)
    float32 = farthest_float32(model, state, x, target, reference)
    peers = collections.OrderedDict(("torch_float32." + k, v) for k, v in float32.items() if not k.startswith("after."))

    eval_tensors = collections.OrderedDict(input=x, output=reference.pop("output_eval"))
    eval_tensors["torch_float32.output"] = peers.pop("torch_float32.output_eval")
    write_safetensors(os.path.join(outdir, name + "_eval.safetensors"), eval_tensors, meta)
    train_tensors = collections.OrderedDict(input=x, target=target)
    train_tensors.update(reference)
    train_tensors.update(peers)
    write_safetensors(os.path.join(outdir, name + "_train.safetensors"), train_tensors,
                      dict(meta, note="training mode, dropout 0, cross-entropy"))
    print("wrote", name, file=sys.stderr)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(2001)
    mobilenet = torchvision.models.mobilenet_v2()
    g = seeded(2002)
    randomise_batchnorm(mobilenet, g)
    with torch.no_grad():  # torchvision's N(0, 0.01) classifier gives logits near 1e-3
        mobilenet.classifier[1].weight.mul_(10)
    mobilenet.classifier[0].p = 0.0
    x = torch.randn(2, 3, 224, 224, generator=g).double()
    target = torch.randint(0, 1000, (2,), generator=g)
    write_case(outdir, "mobilenet_v2", mobilenet, x, target,
               dict(model="torchvision.models.mobilenet_v2()", torchvision=torchvision.__version__))

    for name, separable, seed in (("segnet", False, 2003), ("segnet_dsc", True, 2004)):
        torch.manual_seed(seed)
        segnet = SegNet(3, separable)
        g = seeded(seed + 100)
        randomise_batchnorm(segnet, g)
        x = torch.randn(2, 3, 128, 128, generator=g).double()
        target = torch.randint(0, 3, (2, 128, 128), generator=g)
        write_case(outdir, name, segnet, x, target, dict(model="article_segnet.SegNet(3, separable=%s)" % separable))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: full_size_reference.py OUTDIR")
    main(sys.argv[1])
