"""Tune the n-gram/neural mixture weight on the held-out slice of train/ (never eval/),
and measure the targets on eval/ (measurement only: nothing is fitted there)."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

from .data import HELDOUT_FILE, HELDOUT_FRACTION
from .evaluate import aligned_word_scores, ksr_report, neural_predictor, perplexities, plain_predictor

KSR_GRID = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0)


def heldout_lines(shared: Path) -> list[str]:
    with (shared / "corpora" / HELDOUT_FILE).open(encoding="utf-8") as fh:
        lines = [ln.rstrip("\n") for ln in fh if ln.strip()]
    return lines[int(len(lines) * (1.0 - HELDOUT_FRACTION)) :]


def _load(args: Any) -> tuple[Any, Any]:
    import keywise
    from keywise.neural import NeuralLM

    engine = keywise.Engine.load(args.pack, neural=False) if args.pack else keywise.Engine.load(neural=False)
    return engine, NeuralLM.load(args.out)


def tune(args: Any) -> None:
    engine, lm = _load(args)
    lines = heldout_lines(Path(args.shared))
    t0 = time.monotonic()
    scores = aligned_word_scores(engine, lm, lines)
    ppl = perplexities(scores["pairs"])
    best_ppl_w = min(ppl["mixture"], key=lambda k: ppl["mixture"][k])
    print(json.dumps({"heldout_perplexity": ppl, "skipped": scores["skipped"]}), flush=True)
    sub = lines[: args.lines]
    ksr = {}
    for w in KSR_GRID:
        lm.mix_weight = w
        ksr[f"{w:.2f}"] = ksr_report(neural_predictor(engine, lm), sub)
        print(f"w={w:.2f} {json.dumps(ksr[f'{w:.2f}'])}", flush=True)
    best_w = max(KSR_GRID, key=lambda w: (ksr[f"{w:.2f}"]["ksr_k3"], -abs(w - float(best_ppl_w))))
    manifest_path = Path(args.out) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["mix_weight"] = best_w
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    record = {
        "command": args.command_line,
        "data": f"held-out slice: last {int(HELDOUT_FRACTION * 100)}% of {HELDOUT_FILE} "
        f"({len(lines)} lines; KSR on the first {len(sub)})",
        "objective": "KSR at k=3 (ties: nearest the perplexity-optimal weight)",
        "ngram_pack": (f"{args.pack}: the default recipe with the held-out lines left out"
                       if args.pack else "the engine's default pack (it has seen the held-out lines)"),
        "heldout_perplexity": ppl,
        "perplexity_optimal_weight": float(best_ppl_w),
        "ksr_by_weight": ksr,
        "chosen_mix_weight": best_w,
        "minutes": round((time.monotonic() - t0) / 60, 2),
    }
    (Path(args.out) / "tuning.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"mix_weight = {best_w}", flush=True)


def measure(args: Any) -> None:
    """Targets on eval/aci_bench_notes.txt: word perplexity, KSR with/without neural, latency, RSS."""
    import keywise
    from keywise.eval.ksr import read_lines

    shared = Path(args.shared)
    path = shared / "corpora" / "clinical" / "eval" / "aci_bench_notes.txt"
    t0 = time.monotonic()
    engine, lm = _load(args)
    lines = read_lines(path)
    ppl_lines = lines if not args.ppl_lines else lines[: args.ppl_lines]
    scores = aligned_word_scores(engine, lm, ppl_lines)
    ppl = perplexities(scores["pairs"], grid=(lm.mix_weight,))
    print(json.dumps({"eval_perplexity": ppl, "skipped": scores["skipped"]}), flush=True)
    del lm
    sub = lines[: args.lines]
    off = ksr_report(plain_predictor(engine), sub, engine)
    print("neural off " + json.dumps(off), flush=True)
    full = keywise.Engine.load(args.pack, neural=True) if args.pack else keywise.Engine.load(neural=True)
    on = ksr_report(plain_predictor(full), sub, full)
    print("neural on " + json.dumps(on), flush=True)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = Path(args.out)
    manifest = json.loads((out / "manifest.json").read_text())
    names = [manifest[key] for key in ("model", "context_model", "tokenizer") if manifest.get(key)]
    sizes = {name: (out / name).stat().st_size for name in names}
    record = {
        "command": args.command_line,
        "data": f"{path.relative_to(shared)} ({len(ppl_lines)} lines for perplexity, first {len(sub)} for KSR)",
        "normalisation": "n-gram engine tokens (lower-cased), in-vocabulary only, <num> dropped; "
        "neural word prob = product of its pieces' probs x P(word ends); lines independent",
        "perplexity": ppl,
        "perplexity_reduction_vs_ngram": round(1 - ppl["neural"] / ppl["ngram"], 4) if ppl.get("words") else None,
        "skipped_words": scores["skipped"],
        "ksr_neural_off": off,
        "ksr_neural_on": on,
        "ksr_k3_gain_points": round(on["ksr_k3"] - off["ksr_k3"], 2),
        "ksr_k3_field_gain_points": round(on["ksr_k3_field"] - off["ksr_k3_field"], 2),
        "max_rss_mb": round(rss_mb, 1),
        "model_bytes": sizes,
        "model_files_mb": round(sum(sizes.values()) / 1e6, 2),  # step model, context model, tokenizer
        "load_average_at_end": [round(x, 2) for x in __import__("os").getloadavg()],
        "minutes": round((time.monotonic() - t0) / 60, 2),
    }
    (out / "eval.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k not in ("perplexity",)}), flush=True)
