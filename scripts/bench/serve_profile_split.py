#!/usr/bin/env python3
"""Splits a JFR recording of `bench serve` by what the sampled server threads were doing.

usage: jfr print --events jdk.ExecutionSample --stack-depth 96 REC.jfr | scripts/bench/serve_profile_split.py

Each Java execution sample is put under the first stage (from the top of its stack) whose code it is in: PNG
encoding, soft alpha, cut-out image, upsampling, argmax, resize, model, decode; a server thread's sample in none of
them is HTTP (Jetty, Javalin, multipart parsing, writing the answer). Samples of the model's pool threads
(depthwise-N) are the model's; the load generator's own threads (HttpClient, pool-N) are counted apart, and the
main thread's (bench serve's in-process timings) not at all. JFR's Java
sampler does not see native code, so deflate's own time inside PNG encoding is missing here: bench serve's in-process
CPU split has it.
"""
import re
import sys
from collections import Counter

STAGES = [  # (stage, pattern of a frame), first match from the top of the stack wins
    ("PNG encoding", re.compile(r"PngEncoder|com\.sun\.imageio\.plugins\.png|java\.util\.zip\.Deflater")),
    ("soft alpha (guided filter)", re.compile(r"dev\.depthwise\.train\.(GuidedFilter|AlphaMatte)")),
    ("cut-out image", re.compile(r"dev\.depthwise\.train\.Segmenter\.(withAlpha|cutout|lambda\$cutout)")),
    ("mask/overlay image", re.compile(r"dev\.depthwise\.train\.(Segmenter\.(overlay|maskImage)|Palette)")),
    ("upsampling", re.compile(r"UpsampleOp")),
    ("argmax", re.compile(r"SegmentationMetrics\.argmax")),
    ("resize", re.compile(r"dev\.depthwise\.data\.Transforms")),
    ("model", re.compile(r"dev\.depthwise\.(nn|engine|models)\.")),
    ("decode", re.compile(r"dev\.depthwise\.data\.(ImageDecoder|ImageStructure)|dev\.depthwise\.serve\.UploadDecoder"
                          r"|javax\.imageio|com\.twelvemonkeys")),
]


def stage_of(thread, frames):
    if thread == "main":
        return None  # bench serve's own in-process timings before and between the load steps
    if thread.startswith("HttpClient") or thread.startswith("pool-"):
        return "load generator (client threads)"
    for frame in frames:
        for stage, pattern in STAGES:
            if pattern.search(frame):
                return stage
    if re.match(r"depthwise-\d+", thread):
        return "model"
    return "HTTP, multipart, JSON and the rest"


def main():
    counts = Counter()
    thread, frames, in_stack = None, [], False
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("jdk.ExecutionSample"):
            thread, frames, in_stack = None, [], False
        elif line.startswith("sampledThread"):
            m = re.search(r'"([^"]*)"', line)
            thread = m.group(1) if m else ""
        elif line.startswith("stackTrace = ["):
            in_stack = True
        elif in_stack and line.startswith("]"):
            in_stack = False
            stage = stage_of(thread or "", frames)
            if stage:
                counts[stage] += 1
        elif in_stack and line != "...":
            frames.append(line)
    server = sum(n for s, n in counts.items() if not s.startswith("load generator"))
    print("| stage | samples | share of the server's |")
    print("|---|---:|---:|")
    for stage, n in counts.most_common():
        share = "" if stage.startswith("load generator") else "%.1f%%" % (100.0 * n / server)
        print("| %s | %d | %s |" % (stage, n, share))


if __name__ == "__main__":
    main()
