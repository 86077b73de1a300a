# Writes resize_golden.txt for TransformsTest: torch 1.13's F.interpolate on an 8-bit image.
# Run with /usr/bin/python3 in this directory. Line 1: "H W" then the input, CHW, as integers;
# then per case a line "MODE OUT_H OUT_W" followed by a line with the output (bilinear rounded half to even).
import torch
import torch.nn.functional as F

torch.manual_seed(0)
h, w = 13, 17
x = torch.randint(0, 256, (1, 3, h, w)).float()
with open("resize_golden.txt", "w") as f:
    f.write(f"{h} {w}\n" + " ".join(str(int(v)) for v in x.flatten().tolist()) + "\n")
    for mode, oh, ow in [("nearest", 6, 8), ("nearest", 23, 29), ("bilinear", 6, 8), ("bilinear", 23, 29)]:
        kwargs = {} if mode == "nearest" else {"align_corners": False}
        y = F.interpolate(x, size=(oh, ow), mode=mode, **kwargs).round()
        f.write(f"{mode} {oh} {ow}\n" + " ".join(str(int(v)) for v in y.flatten().tolist()) + "\n")
