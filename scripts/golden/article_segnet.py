"""The article's SegNet (part 2) and SegNet-DSC (part 3) in PyTorch, with the notebook's module names, so a state
dict moves key for key between them and Depthwise's SegNet. Part 2's notebook calls the top class
ImageSegmentation; part 3's code is not published with the article, so SegNet-DSC's depthwise-separable conv (a
depthwise 3x3 conv then a pointwise 1x1 conv, neither with a bias, children `depthwise` and `pointwise`) follows
Depthwise's names. Used by model_printouts.py (print(model)), full_size_reference.py (forward passes) and
../bench/torch_train_step.py (PyTorch's side of `bench train`)."""
import torch.nn as nn


class DepthwiseSeparableConv2d(nn.Module):
    def __init__(self, chin, chout):
        super().__init__()
        self.depthwise = nn.Conv2d(chin, chin, 3, padding=1, groups=chin, bias=False)
        self.pointwise = nn.Conv2d(chin, chout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def conv3x3(chin, chout, separable):
    return DepthwiseSeparableConv2d(chin, chout) if separable else nn.Conv2d(chin, chout, 3, padding=1, bias=False)


def convs(chin, chout_last, n, keep_in, separable):
    """n conv-BN-ReLU; the first conv (down) or the last (up) changes the channel count."""
    layers = []
    for k in range(n):
        i = chin if (keep_in or k == 0) else chout_last
        o = chout_last if (not keep_in or k == n - 1) else chin
        layers += [conv3x3(i, o, separable), nn.BatchNorm2d(o), nn.ReLU()]
    return nn.Sequential(*layers)


class DownConv2(nn.Module):
    def __init__(self, chin, chout, n=2, separable=False):
        super().__init__()
        self.seq = convs(chin, chout, n, keep_in=False, separable=separable)
        self.mp = nn.MaxPool2d(kernel_size=2, return_indices=True)

    def forward(self, x):
        y = self.seq(x)
        pool_shape = y.shape
        y, indices = self.mp(y)
        return y, indices, pool_shape


class DownConv3(DownConv2):
    def __init__(self, chin, chout, separable=False):
        super().__init__(chin, chout, 3, separable)


class UpConv2(nn.Module):
    def __init__(self, chin, chout, n=2, separable=False):
        super().__init__()
        self.seq = convs(chin, chout, n, keep_in=True, separable=separable)
        self.mup = nn.MaxUnpool2d(kernel_size=2)

    def forward(self, x, indices, output_size):
        return self.seq(self.mup(x, indices, output_size=output_size))


class UpConv3(UpConv2):
    def __init__(self, chin, chout, separable=False):
        super().__init__(chin, chout, 3, separable)


class SegNet(nn.Module):
    def __init__(self, classes=3, separable=False):
        super().__init__()
        self.bn_input = nn.BatchNorm2d(3)
        self.dc1, self.dc2 = DownConv2(3, 64, separable=separable), DownConv2(64, 128, separable=separable)
        self.dc3, self.dc4 = DownConv3(128, 256, separable), DownConv3(256, 512, separable)
        self.uc4, self.uc3 = UpConv3(512, 256, separable), UpConv3(256, 128, separable)
        self.uc2, self.uc1 = UpConv2(128, 64, separable=separable), UpConv2(64, classes, separable=separable)

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
