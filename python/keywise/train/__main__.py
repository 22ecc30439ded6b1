"""``python -m keywise.train build|tune|measure|context|card``: rebuild or tune the neural model (needs the train extra)."""

from __future__ import annotations

import argparse
import shlex
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m keywise.train")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="tokenizer + LSTM + ONNX int8 + manifest")
    b.add_argument("--shared", required=True, help="the shared data folder (reads corpora/*/train only)")
    b.add_argument("--out", default="models/en-clinical/neural")
    b.add_argument("--work", default="/tmp/keywise-neural-work", help="scratch folder (checkpoints, fp32 ONNX)")
    b.add_argument("--minutes", type=float, default=25.0, help="training time box")
    b.add_argument("--steps", type=int, default=0, help="fixed step count instead of the time box")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--vocab", type=int, default=8000)
    b.add_argument("--embed", type=int, default=256)
    b.add_argument("--hidden", type=int, default=512)
    b.add_argument("--batch", type=int, default=64)
    b.add_argument("--seq", type=int, default=64)
    b.add_argument("--lr", type=float, default=3e-3)
    b.add_argument("--dropout", type=float, default=0.1)
    b.add_argument("--eval-every", type=int, default=200)
    b.add_argument("--mix-weight", type=float, default=0.5)
    b.add_argument("--keep-mix-weight", action="store_true")
    b.add_argument("--init-from", default="", help="a model.pt checkpoint (or a shipped model.onnx) to continue training")
    b.add_argument("--weights", default="", help='JSON: repeats per pass by file, overriding the defaults, e.g. \'{"clinical/train/aci_bench_notes.txt": 3}\'')
    b.add_argument("--tokenizer", default="", help="reuse this tokenizer.model (with --init-from)")
    t = sub.add_parser("tune", help="tune the mixture weight on the held-out slice of train/")
    t.add_argument("--shared", required=True)
    t.add_argument("--pack", default=None, help="model pack folder (default: the engine's)")
    t.add_argument("--out", default="models/en-clinical/neural")
    t.add_argument("--lines", type=int, default=150)
    m = sub.add_parser("measure", help="targets on eval/aci_bench_notes.txt (measurement only)")
    m.add_argument("--shared", required=True)
    m.add_argument("--pack", default=None, help="model pack folder (default: the engine's)")
    m.add_argument("--out", default="models/en-clinical/neural", help="the neural folder to measure")
    m.add_argument("--lines", type=int, default=1000, help="lines for KSR")
    m.add_argument("--ppl-lines", type=int, default=0, help="lines for perplexity (0: all)")
    hp = sub.add_parser("holdout-pack", help="n-gram pack without the held-out lines (for tune --pack)")
    hp.add_argument("--shared", required=True)
    hp.add_argument("--out", default="/tmp/keywise-holdout")
    bn = sub.add_parser("bench", help="onnxruntime step latency of candidate model sizes")
    bn.add_argument("--vocab", type=int, default=8000)
    bn.add_argument("--repeats", type=int, default=300)
    cx = sub.add_parser("context", help="derive context.onnx (the cell in a Scan) from model.onnx")
    cx.add_argument("--out", default="models/en-clinical/neural")
    c = sub.add_parser("card", help="render TRAINING.md from the JSON records")
    c.add_argument("--out", default="models/en-clinical/neural")
    args = p.parse_args(argv)
    args.command_line = "python -m keywise.train " + " ".join(shlex.quote(a) for a in argv)
    if args.cmd == "build":
        from .build import build

        build(args)
    elif args.cmd == "tune":
        from .tune import tune

        tune(args)
    elif args.cmd == "measure":
        from .tune import measure

        measure(args)
    elif args.cmd == "holdout-pack":
        from .holdout import build_holdout_pack

        build_holdout_pack(args)
    elif args.cmd == "bench":
        from .bench import bench

        bench(args)
    elif args.cmd == "context":
        import json
        from pathlib import Path

        from .context import write_context_model

        print(json.dumps(write_context_model(Path(args.out))))
    else:
        from pathlib import Path

        from .card import write

        write(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
