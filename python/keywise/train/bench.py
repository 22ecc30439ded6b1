"""Per-step latency of candidate model sizes in onnxruntime (int8, one thread).

Weights are random: latency does not depend on them. Quality needs a trained model,
so this only gives the cost side of the quality-per-microsecond choice."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CONFIGS = ((128, 256), (192, 384), (256, 512), (256, 768))


def bench(args: Any) -> None:
    import onnxruntime as ort
    import torch

    from .build import export_onnx
    from .model import PieceLSTM

    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for embed, hidden in CONFIGS:
            model = PieceLSTM(args.vocab, embed, hidden)
            fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
            export_onnx(model, fp32, int8)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            sess = ort.InferenceSession(str(int8), opts, providers=["CPUExecutionProvider"])
            row: dict[str, Any] = {"embed": embed, "hidden": hidden, "int8_mb": round(int8.stat().st_size / 1e6, 2),
                                   "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2)}
            for batch in (1, 12):
                feed = {"tokens": np.zeros(batch, np.int64), "h": np.zeros((batch, hidden), np.float32),
                        "c": np.zeros((batch, hidden), np.float32)}
                for _ in range(20):
                    sess.run(None, feed)
                ts = []
                for _ in range(args.repeats):
                    t = time.perf_counter_ns()
                    sess.run(None, feed)
                    ts.append((time.perf_counter_ns() - t) / 1000)
                row[f"batch{batch}_p50_us"] = round(float(np.percentile(ts, 50)), 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
