"""Writes PyTorch's print(model) of torchvision's MobileNetV2 and of the article's SegNet, for
PrintoutTest. Run with /usr/bin/python3 (torch 1.13, torchvision 0.14) from the repository root:

    /usr/bin/python3 scripts/golden/model_printouts.py

The SegNet classes, in article_segnet.py, mirror the notebook of "Efficient Image Segmentation Using PyTorch"
part 2 (DownConv2, DownConv3, UpConv2, UpConv3 with `seq` and `mp`/`mup`; the model's `bn_input`, `dc1`..`dc4`,
`uc4`..`uc1`); the top class is named SegNet there (the notebook calls it ImageSegmentation)."""
import pathlib

import torchvision

from article_segnet import SegNet

OUT = pathlib.Path("depthwise-nn/src/test/resources/print")

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "mobilenet_v2.txt").write_text(str(torchvision.models.mobilenet_v2()) + "\n")
(OUT / "segnet.txt").write_text(str(SegNet()) + "\n")
print("wrote", OUT)
