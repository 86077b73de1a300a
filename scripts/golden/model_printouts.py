"""Writes PyTorch's print(model) of torchvision's MobileNetV2 and of the article's SegNet, for
PrintoutTest. Run with /usr/bin/python3 (torch 1.13, torchvision 0.14) from the repository root:

    /usr/bin/python3 scripts/golden/model_printouts.py

The SegNet classes mirror the notebook of "Efficient Image Segmentation Using PyTorch" part 2 (DownConv2,
DownConv3, UpConv2, UpConv3 with `seq` and `mp`/`mup`; the model's `bn_input`, `dc1`..`dc4`,
`uc4`..`uc1`); the top class is named SegNet here (the notebook calls it ImageSegmentation)."""
import pathlib

import torch.nn as nn
import torchvision

OUT = pathlib.Path("depthwise-nn/src/test/resources/print")


def convs(chin, chout_last, n, keep_in):
    layers = []
    for k in range(n):
        i = chin if (keep_in or k == 0) else chout_last
        o = chout_last if (not keep_in or k == n - 1) else chin
        layers += [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(*layers)


class DownConv2(nn.Module):
    def __init__(self, chin, chout, n=2):
        super().__init__()
        self.seq = convs(chin, chout, n, keep_in=False)
        self.mp = nn.MaxPool2d(kernel_size=2, return_indices=True)


class DownConv3(DownConv2):
    def __init__(self, chin, chout):
        super().__init__(chin, chout, 3)


class UpConv2(nn.Module):
    def __init__(self, chin, chout, n=2):
        super().__init__()
        self.seq = convs(chin, chout, n, keep_in=True)
        self.mup = nn.MaxUnpool2d(kernel_size=2)


class UpConv3(UpConv2):
    def __init__(self, chin, chout):
        super().__init__(chin, chout, 3)


class SegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn_input = nn.BatchNorm2d(3)
        self.dc1, self.dc2 = DownConv2(3, 64), DownConv2(64, 128)
        self.dc3, self.dc4 = DownConv3(128, 256), DownConv3(256, 512)
        self.uc4, self.uc3 = UpConv3(512, 256), UpConv3(256, 128)
        self.uc2, self.uc1 = UpConv2(128, 64), UpConv2(64, 3)


OUT.mkdir(parents=True, exist_ok=True)
(OUT / "mobilenet_v2.txt").write_text(str(torchvision.models.mobilenet_v2()) + "\n")
(OUT / "segnet.txt").write_text(str(SegNet()) + "\n")
print("wrote", OUT)
