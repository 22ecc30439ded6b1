"""Quality and latency harness: the same simulated typist over keywise and Presage.

    python -m benches                 # quick: a seeded sample of 100 lines per task
    python -m benches --full          # 1,000 lines per task

Presage with the train db dominates the time (about 7.5 ms a call on an idle 2-core machine,
DATA.md): quick is about 2 minutes idle and --full about 20; under a load average of 7 they
took 9.5 minutes and (estimated) over an hour.
    python -m benches --lines 1000 --first --tasks clinical   # DATA.md's reference setting

Writes benches/BENCHMARKS.md, BENCHMARKS.json, ksr_vs_k.png and latency.png (override with
--out DIR). Data comes from ../shared (or $KEYWISE_SHARED); run benches/setup.sh first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benches import systems as registry

REPO = Path(__file__).resolve().parents[1]


def _load_ksr():
    """keywise.eval.ksr; by file path when the package (or its native module) is not built."""
    try:
        from keywise.eval import ksr as mod
    except ImportError:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "keywise_eval_ksr", REPO / "python" / "keywise" / "eval" / "ksr.py"
        )
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    return mod


ksr = _load_ksr()

SEED = 20240601
KS = (1, 3, 5)
NEXT_KS = (1, 3)
COMPLETION_KS = (3,)
TASKS = {
    "clinical": ("Clinical notes (ACI-Bench test)", "corpora/clinical/eval/aci_bench_notes.txt"),
    "dialogue": ("Dialogue (SGD test)", "corpora/general/eval/sgd_dialogues.txt"),
    "web": ("Web text (UD English-EWT dev+test)", "corpora/general/eval/ud_english_ewt.txt"),
}


def shared_dir() -> Path:
    env = os.environ.get("KEYWISE_SHARED")
    if env:  # an explicit choice: no silent fallback
        if not (Path(env) / "corpora").is_dir():
            raise SystemExit(f"KEYWISE_SHARED={env} has no corpora/ folder")
        return Path(env)
    for cand in [REPO.parent / "shared", Path("/work/shared")]:
        if (cand / "corpora").is_dir():
            return cand
    sys.exit("benches: shared data not found (set KEYWISE_SHARED)")


def sample_lines(path: Path, n: int, first: bool) -> list[str]:
    """The first n lines, or n lines drawn with a fixed seed (kept in file order)."""
    lines = ksr.read_lines(path)
    if first or n >= len(lines):
        return lines[:n]
    idx = sorted(random.Random(SEED).sample(range(len(lines)), n))
    return [lines[i] for i in idx]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc), {model}; Python {platform.python_version()}"


def presage_version() -> str:
    import subprocess

    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "libpresage1v5"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def fmt_ratio(value: float, base: float | None) -> str:
    if base is None or base == 0 or math.isnan(value):
        return ""
    r = value / base
    return f" ({r:.2f}×)" if r >= 0.1 or r == 0 else f" ({r:.2g}×)"


MEASURES = [  # (column, getter, is_percent)
    *[(f"KSR k={k}", lambda r, k=k: r["ksr"][str(k)], True) for k in KS],
    *[(f"next-word top-{k}", lambda r, k=k: r["next_word"][str(k)], True) for k in NEXT_KS],
    *[(f"completion top-{k}", lambda r, k=k: r["completion"][str(k)], True) for k in COMPLETION_KS],
    ("p50 µs", lambda r: r["p50_us"], False),
    ("p99 µs", lambda r: r["p99_us"], False),
]


def summarise(rep: Any, seconds: float) -> dict:
    """The figures of one ``ksr.Report``, as JSON-ready values."""
    return {
        "ksr": {str(k): r.ksr for k, r in rep.ksr.items()},
        "next_word": {str(k): a.rate for k, a in rep.next_word.items()},
        "completion": {str(k): a.rate for k, a in rep.completion.items()},
        "next_word_trials": rep.next_word[NEXT_KS[0]].trials,
        "completion_trials": rep.completion[COMPLETION_KS[0]].trials,
        "p50_us": rep.p50_us(),
        "p99_us": rep.p99_us(),
        "calls": len(rep.latencies_us),
        "lines": rep.lines,
        "characters": rep.characters,
        "seconds": seconds,
    }


def write_markdown(path: Path, meta: dict, results: dict, skipped: dict, baseline: str) -> None:
    out = [
        "# keywise benchmarks",
        "",
        f"- command: `{meta['command']}`",
        f"- date (UTC): {meta['date']}",
        (
            f"- machine: {meta['machine']}; load average (1/5/15 min) {meta['load_start']} at start,"
            f" {meta['load_end']} at end (a shared machine: compare ratios, not absolute times)"
        ),
        (
            f"- peers: Presage {meta['presage']} (Debian) through its C API, stateless configuration"
            " (`benches/presage.py`); databases: Presage's own English db, and text2ngram 1-3-grams"
            " lower-cased from all train/ splits (`benches/setup.sh`)"
        ),
        f"- lines per task: {meta['lines']} ({meta['selection']}); context window {ksr.WINDOW} chars",
        f"- ratios (×) are against **{baseline}**, measured in the same run; latency is per"
        " predictor call from Python (time.perf_counter_ns); "
        + (
            "each measure makes its own calls"
            if meta["no_share"]
            else f"one call per distinct context of a line, asked for k={max(KS + NEXT_KS + COMPLETION_KS)}"
        ),
        "- typist, tokenisation and measures: `python/keywise/eval/ksr.py` (module docstring)",
        "",
    ]
    for name, why in skipped.items():
        out.append(f"- skipped **{name}**: {why}")
    if skipped:
        out.append("")
    for task, per_system in results.items():
        title, rel = TASKS[task]
        any_row = next(iter(per_system.values()), None)
        if any_row is None:
            continue
        out += [
            f"## {title}",
            "",
            (
                f"`{rel}`: {any_row['lines']} lines, {any_row['characters']} characters,"
                f" {any_row['next_word_trials']} next-word and {any_row['completion_trials']}"
                " completion trials."
            ),
            "",
            "| system | " + " | ".join(m[0] for m in MEASURES) + " | calls | wall s |",
            "|---" * (len(MEASURES) + 3) + "|",
        ]
        base = per_system.get(baseline)
        for sysname, r in per_system.items():
            cells = []
            for _, get, pct in MEASURES:
                v = get(r)
                b = get(base) if base is not None else None
                txt = f"{100 * v:.1f}%" if pct else (f"{v:,.0f}" if v >= 10 else f"{v:.3g}")
                cells.append(txt + ("" if sysname == baseline else fmt_ratio(v, b)))
            out.append(f"| {sysname} | " + " | ".join(cells) + f" | {r['calls']} | {r['seconds']:.0f} |")
        out.append("")
    out += ["![KSR against k](ksr_vs_k.png)", "", "![latency per call](latency.png)", ""]
    path.write_text("\n".join(out), encoding="utf-8")


def plot(out_dir: Path, results: dict, latencies: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in results if results[t]]
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(4.2 * max(1, len(tasks)), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for sysname, r in results[task].items():
            ax.plot(KS, [100 * r["ksr"][str(k)] for k in KS], marker="o", label=sysname)
        ax.set_title(TASKS[task][0], fontsize=9)
        ax.set_xlabel("suggestions shown (k)")
        ax.set_xticks(KS)
        ax.set_ylabel("KSR %")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "ksr_vs_k.png", dpi=110)
    plt.close(fig)

    names = [n for n, v in latencies.items() if v]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if names:
        ax.boxplot([[x / 1000 for x in latencies[n]] for n in names], whis=(1, 99), showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ms per call (box: quartiles, whiskers: p1-p99)")
    ax.set_title("Prediction latency, all tasks", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benches", description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="1,000 lines per task instead of 100")
    ap.add_argument("--lines", type=int, help="lines per task (overrides --full)")
    ap.add_argument("--first", action="store_true", help="take the first lines instead of a seeded sample")
    ap.add_argument("--tasks", default=",".join(TASKS), help=f"comma list of {','.join(TASKS)}")
    ap.add_argument("--systems", help="comma list of system names to run (default: all)")
    ap.add_argument("--baseline", default=registry.BASELINE)
    ap.add_argument("--out", type=Path, default=REPO / "benches", help="output folder")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument(
        "--no-share",
        action="store_true",
        help="separate calls per k (for predictors whose top-k lists are not prefixes of each other)",
    )
    args = ap.parse_args(argv)

    n = args.lines or (1000 if args.full else 100)
    if n < 1:
        ap.error("--lines must be positive")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if unknown := [t for t in tasks if t not in TASKS]:
        ap.error(f"unknown task(s): {', '.join(unknown)}")
    wanted = None if args.systems is None else {s.strip() for s in args.systems.split(",")}
    known = [name for name, _ in registry.all_systems()]
    if wanted is not None and (unknown := sorted(wanted - set(known))):
        ap.error(f"unknown system(s): {', '.join(unknown)}; known: {', '.join(known)}")
    shared = shared_dir()
    for task in tasks:
        if not (shared / TASKS[task][1]).is_file():
            ap.error(f"missing eval file {shared / TASKS[task][1]}")

    predictors, skipped = {}, {}
    for name, factory in registry.all_systems():
        if wanted is not None and name not in wanted:
            continue
        try:
            predictors[name] = factory()
        except registry.Unavailable as exc:
            skipped[name] = str(exc)
            print(f"benches: skipping {name}: {exc}", file=sys.stderr)

    load_start = load()
    if args.baseline not in predictors:
        print(f"benches: baseline {args.baseline!r} is not running; no ratios", file=sys.stderr)
    results: dict[str, dict[str, dict]] = {}
    latencies: dict[str, list[float]] = {name: [] for name in predictors}
    for task in tasks:
        lines = sample_lines(shared / TASKS[task][1], n, args.first)
        results[task] = {}
        for name, predict in predictors.items():
            t0 = time.perf_counter()
            rep = ksr.evaluate(predict, lines, KS, NEXT_KS, COMPLETION_KS, share_calls=not args.no_share)
            results[task][name] = summarise(rep, time.perf_counter() - t0)
            latencies[name] += rep.latencies_us
            r = results[task][name]
            print(
                f"{task:9s} {name:22s} KSR@3 {100 * r['ksr']['3']:5.1f}%  "
                f"p50 {r['p50_us'] / 1000:6.2f} ms  {r['seconds']:5.0f} s",
                file=sys.stderr,
            )

    meta = {
        "command": "python -m benches"
        + "".join(" " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "load_start": load_start,
        "load_end": load(),
        "presage": presage_version(),
        "lines": n,
        "selection": "first lines" if args.first else f"seeded sample, seed {SEED}",
        "skipped": skipped,
        "no_share": args.no_share,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_markdown(args.out / "BENCHMARKS.md", meta, results, skipped, args.baseline)
    (args.out / "BENCHMARKS.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")
    if not args.no_plots:
        plot(args.out, results, latencies)
    print(f"benches: wrote {args.out / 'BENCHMARKS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
