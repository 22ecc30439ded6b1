"""Render models/en-clinical/neural/TRAINING.md from the JSON records next to the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _rel(reduction: float | None) -> str:
    if reduction is None:
        return "n/a"
    return f"{100 * reduction:.1f}% lower" if reduction >= 0 else f"{-100 * reduction:.1f}% higher"


def render(out: Path) -> str:
    tr = _load(out / "training.json") or {}
    tu = _load(out / "tuning.json")
    ev = _load(out / "eval.json")
    man = _load(out / "manifest.json") or {}
    lines = ["# Neural model: how it was built", ""]
    lines += ["Generated from `training.json`, `tuning.json` and `eval.json` in this folder by",
              "`python -m keywise.train card`; the JSON files are the record.", ""]
    runs = tr.get("runs") or ([tr] if tr else [])
    lines += ["## Reproduce", "", "From the repository root, with the `train` extra installed (torch on the CPU):", "", "```",
              "python -m keywise.train build --shared ../shared --out models/en-clinical/neural --work /tmp/kw1 \\",
              "    --minutes 50 --seed 0 --batch 32 --seq 64 --dropout 0.0 --embed 256 --hidden 512",
              "python -m keywise.train build --shared ../shared --out models/en-clinical/neural --work /tmp/kw2 \\",
              "    --init-from /tmp/kw1/model.pt --tokenizer models/en-clinical/neural/tokenizer.model \\",
              "    --minutes 38 --seed 1 --batch 32 --seq 64 --dropout 0.0 --embed 256 --hidden 512 --lr 0.0015",
              "python -m keywise.train build --shared ../shared --out models/en-clinical/neural --work /tmp/kw3 \\",
              "    --init-from models/en-clinical/neural/model.onnx --tokenizer models/en-clinical/neural/tokenizer.model \\",
              "    --keep-mix-weight \\",
              "    --minutes 55 --seed 2 --batch 32 --seq 64 --dropout 0.35 --embed 256 --hidden 512 --lr 0.0012 \\",
              "    --eval-every 100 --weights '{\"clinical/train/aci_bench_notes.txt\": 5, \"clinical/train/mts_dialog_notes.txt\": 3}'",
              "python -m keywise.train holdout-pack --shared ../shared --out /tmp/kw-holdout",
              "python -m keywise.train tune --shared ../shared --pack /tmp/kw-holdout/pack --out models/en-clinical/neural --lines 150",
              "python -m keywise.train measure --shared ../shared --out models/en-clinical/neural --lines 1000",
              "python -m keywise.train card --out models/en-clinical/neural", "```", "",
              "Training is time-boxed with a cosine schedule on wall time, so on a differently loaded",
              "machine it reaches a different step count; `--steps N` (the counts below) fixes the count",
              "with a step-based schedule instead. The seed fixes the data order and initialisation.",
              "A run keeps its best held-out checkpoint (evaluated every `--eval-every` steps).", "",
              "`--init-from` also takes a shipped `model.onnx` (int8 weights dequantised): run 3 below",
              "started from the committed run-2 model because run 2's fp32 checkpoint was gone; its",
              "held-out piece perplexity at the start (33.293) matched run 2's fp32 figure (33.289).", "",
              "`build` also writes `context.onnx`; for the shipped model, trained before that existed, it was",
              "derived afterwards with `python -m keywise.train context --out models/en-clinical/neural`.", "",
              "Commands as run (scratch folders under /work/cache):", "", "```"]
    lines += [r.get("command", "?") for r in runs]
    if tu:
        lines.append(tu.get("command", ""))
    if ev:
        lines.append(ev.get("command", ""))
    lines += ["```", ""]
    if runs:
        last = runs[-1]
        hp = last.get("hyper_parameters", {})
        lines += ["## Model", ""]
        lines += [f"- tokenizer: {hp.get('tokenizer')}", f"- model: {hp.get('model')}",
                  "- export: one-step ONNX (state `h`, `c` in and out), dynamic int8 (MatMul, Gather)",
                  f"- files: " + ", ".join(f"{k} {v['bytes'] / 1e6:.2f} MB" for k, v in last.get("files", {}).items()),
                  *([f"- context model: {man['context_model']} {_mb(out / man['context_model'])} MB, the cell in an "
                     "ONNX Scan without the output layer, derived from model.onnx (`python -m keywise.train context`): "
                     "catching up on text runs in one call"] if man.get("context_model") else []),
                  f"- mixture weight (neural share): {man.get('mix_weight')}", ""]
        lines += ["## Training", ""]
        for i, r in enumerate(runs, 1):
            hp = r.get("hyper_parameters", {})
            res = r.get("result", {})
            lines.append(
                f"- run {i}: {res.get('steps')} steps, {res.get('tokens')} pieces seen, {res.get('minutes')} min "
                f"(budget {hp.get('minutes_budget')} min, {hp.get('torch_threads')} torch threads, batch "
                f"{hp.get('batch')}x{hp.get('seq')}, lr {hp.get('lr')}, seed {r.get('seed')}"
                + (f", continued from the previous run" if hp.get("init_from") else "")
                + (f", dropout {hp['dropout']}" if hp.get("dropout") else "")
                + (f"; kept step {res['kept_step']}" if res.get("kept_step") not in (None, res.get("steps")) else "")
                + ")"
            )
            lines.append(f"  held-out piece perplexity: {json.dumps(r.get('heldout_piece_ppl'))}")
            w0, wi = runs[0].get("data", {}).get("weights", {}), r.get("data", {}).get("weights", {})
            changed = {k: v for k, v in wi.items() if w0.get(k) != v}
            if changed:
                lines.append("  data weights changed from run 1: " + ", ".join(f"`{k}` x{v}" for k, v in changed.items()))
        d = runs[0].get("data", {})
        lines += ["", "Data of run 1 (repeats per pass; fractions sample that share of 32-line blocks):", ""]
        for name, wt in d.get("weights", {}).items():
            lines.append(f"- `{name}` x{wt}")
        lines += ["", f"Held out: {d.get('heldout')}", ""]
    if tu:
        lines += ["## Mixture weight (tuned on the held-out slice of train/, never eval/)", ""]
        lines.append(f"- {tu.get('data')}; n-gram: {tu.get('ngram_pack', 'the default recipe')}")
        ppl = tu.get("heldout_perplexity", {})
        lines.append(f"- held-out word perplexity: n-gram {ppl.get('ngram', 0):.2f}, neural {ppl.get('neural', 0):.2f}, "
                     f"best mixture {min(ppl.get('mixture', {'-': 0}).values()):.2f} (w={tu.get('perplexity_optimal_weight')})")
        for w, r in tu.get("ksr_by_weight", {}).items():
            lines.append(f"- w={w}: KSR k=3 {r['ksr_k3']}%, next top-3 {r['next_top3']}, completion top-3 {r['completion_top3']}")
        lines.append(f"- chosen: {tu.get('chosen_mix_weight')} ({tu.get('objective')})")
        lines.append("")
    if ev:
        lines += ["## Figures on eval/aci_bench_notes.txt (measurement only)", "", f"`{ev.get('command')}`", ""]
        p = ev.get("perplexity", {})
        lines.append(f"- normalisation: {ev.get('normalisation')}")
        lines.append(f"- word perplexity over {p.get('words')} words: n-gram {p.get('ngram', 0):.2f}, neural "
                     f"{p.get('neural', 0):.2f} ({_rel(ev.get('perplexity_reduction_vs_ngram'))} than the n-gram), "
                     f"mixture {json.dumps({k: round(v, 2) for k, v in p.get('mixture', {}).items()})}")
        off, on = ev.get("ksr_neural_off", {}), ev.get("ksr_neural_on", {})
        lines.append(f"- KSR k=3: {off.get('ksr_k3')}% without, {on.get('ksr_k3')}% with the neural model "
                     f"({ev.get('ksr_k3_gain_points')} points), {on.get('lines')} lines")
        if "ksr_k3_field" in on:
            lines.append(f"- KSR k=3 typed in a text field (`Engine.field`): {off.get('ksr_k3_field')}% without, "
                         f"{on.get('ksr_k3_field')}% with ({ev.get('ksr_k3_field_gain_points')} points); suggest() "
                         f"p99 {off.get('field_p99_us')} us without, {on.get('field_p99_us')} us with")
        lines.append(f"- next top-3 {off.get('next_top3')} -> {on.get('next_top3')}; completion top-3 "
                     f"{off.get('completion_top3')} -> {on.get('completion_top3')}")
        lines.append(f"- suggest() latency, one thread: without p50 {off.get('p50_us')} us / p99 {off.get('p99_us')} us; "
                     f"with p50 {on.get('p50_us')} us / p99 {on.get('p99_us')} us (load average {ev.get('load_average_at_end')} "
                     "on 2 shared cores)")
        lines.append(f"- max RSS of the measuring process: {ev.get('max_rss_mb')} MB; model files "
                     f"{_files_mb(ev)} MB ({', '.join(ev.get('model_bytes', {}))})")
        lines.append("")
        red = ev.get("perplexity_reduction_vs_ngram") or 0.0
        mix = list(p.get("mixture", {}).values())
        mix_red = 1 - mix[0] / p["ngram"] if mix and p.get("ngram") else 0.0
        gain = ev.get("ksr_k3_gain_points") or 0.0
        p99 = on.get("p99_us") or 0.0
        def mark(ok: bool) -> str:
            return "met" if ok else "NOT met"
        lines += ["## Targets", "",
                  f"- neural word perplexity >= 20% below the n-gram's: {mark(red >= 0.2)} "
                  f"(neural alone {_rel(red)}; the n-gram+neural mixture the engine uses is {_rel(mix_red)})",
                  f"- KSR (k=3) +3 points with the neural model: {mark(gain >= 3)} ({gain:+.2f})",
                  f"- suggest() with neural p99 <= 2 ms: {mark(p99 <= 2000)} ({p99 / 1000:.2f} ms on the shared machine)",
                  f"- RSS < 250 MB: {mark((ev.get('max_rss_mb') or 1e9) < 250)}",
                  f"- model and tokenizer files <= 12 MB together: {mark((_files_mb(ev) or 1e9) <= 12)} "
                  f"({_files_mb(ev)} MB)", ""]
    return "\n".join(lines) + "\n"


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.2f}" if path.is_file() else "?"


def _files_mb(ev: dict) -> float | None:
    # eval.json of earlier measure runs named it model_plus_tokenizer_mb (no context model then).
    return ev.get("model_files_mb", ev.get("model_plus_tokenizer_mb"))


def write(out: Path) -> None:
    (out / "TRAINING.md").write_text(render(out))
