"""Quality, speed and size harness: the same simulated typist over keywise and Presage.

    python -m benches                 # quick: a seeded sample of 100 lines per task, kebbie on 50
    python -m benches --full          # 500 lines per task, kebbie on 500 sentences per file

Besides the typist's KSR / next-word / completion tables per task it measures, per system, pack
load time, peak RSS of a fresh process, size on disk, suggest() / autocorrect / neural-step
latency (benches/speed.py), word perplexity on the clinical sample (benches/perplexity.py) and
kebbie's evaluation on a clinical and a general file (benches/kebbie_run.py), and plots quality
against pack size.

Presage with the train db dominates the time (about 7.5 ms a call on an idle 2-core machine,
DATA.md). Quick mode, everything included (typist, speed and size, perplexity, kebbie on 50
sentences per file), took 301 s of wall time under a load average of about 9 (2026-12-02);
--full is five times the typist work plus kebbie on 500 sentences per file.
    python -m benches --lines 1000 --first --tasks clinical   # DATA.md's reference setting

Writes benches/BENCHMARKS.md, BENCHMARKS.json, ksr_vs_k.png, latency.png and
quality_vs_size.png (override with --out DIR). Data comes from ../shared (or $KEYWISE_SHARED); run benches/setup.sh first.
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

from benches import kebbie_run, perplexity, speed
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
KEBBIE_FILES = {
    "clinical": "corpora/clinical/eval/aci_bench_notes.txt",
    "general": "corpora/general/eval/ud_english_ewt.txt",
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


def _ms(us: float | None) -> str:
    if us is None or (isinstance(us, float) and math.isnan(us)):
        return "n/a"
    return f"{us / 1000:.3f}" if us < 10_000 else f"{us / 1000:,.1f}"


def _mb(b: int | None) -> str:
    return "n/a" if b is None else f"{b / 1e6:,.1f}"


def headline(results: dict, speed_rows: dict, baseline: str) -> list[str]:
    clin = results.get("clinical", {})
    kw = clin.get("keywise")
    base = clin.get(baseline)
    if kw is None or base is None:
        return ["(needs the clinical task with keywise and the baseline)", ""]
    k3, b3 = kw["ksr"]["3"], base["ksr"]["3"]
    sk, sb = speed_rows.get("keywise", {}), speed_rows.get(baseline, {})
    p99, bp99 = sk.get("suggest_p99_us"), sb.get("suggest_p99_us")
    neural = "neural on" if sk.get("neural") else "neural off: no model in the pack"
    row = (
        f"| keywise ({neural}) | {100 * k3:.1f}% | {100 * b3:.1f}% | {k3 / b3:.2f}× |"
        f" {_ms(p99)} ms | {_ms(bp99)} ms | {p99 / bp99:.3f}× |"
        if p99 and bp99
        else f"| keywise ({neural}) | {100 * k3:.1f}% | {100 * b3:.1f}% | {k3 / b3:.2f}× | n/a | n/a | |"
    )
    return [
        f"| system | KSR k=3, clinical | {baseline} KSR k=3 | ratio | suggest() p99 | {baseline} p99 | ratio |",
        "|---|---|---|---|---|---|---|",
        row,
        "",
        f"({kw['lines']} clinical lines; p99 over all tasks' typist calls; lower latency ratio is faster.)",
        "",
    ]


def speed_markdown(speed_rows: dict, baseline: str) -> list[str]:
    cols = [  # (header, key, formatter)
        ("load s (median of 3)", "load_s", lambda v: f"{v:.3f}"),
        ("peak RSS MB", "peak_kib", lambda v: f"{v / 1024:,.1f}"),
        ("RSS of the system MB", "pack_kib", lambda v: f"{v / 1024:,.1f}"),
        ("size on disk MB", "size_bytes", lambda v: f"{v / 1e6:,.1f}"),
        ("suggest p50 ms", "suggest_p50_us", lambda v: _ms(v)),
        ("suggest p99 ms", "suggest_p99_us", lambda v: _ms(v)),
        ("autocorrect p50 ms", "autocorrect_p50_us", lambda v: _ms(v)),
        ("autocorrect p99 ms", "autocorrect_p99_us", lambda v: _ms(v)),
        ("neural step p50 ms", "neural_p50_us", lambda v: _ms(v)),
        ("neural step p99 ms", "neural_p99_us", lambda v: _ms(v)),
    ]
    out = [
        "| system | " + " | ".join(c[0] for c in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    base = speed_rows.get(baseline, {})
    for name, row in speed_rows.items():
        cells = []
        for _, key, f in cols:
            v = row.get(key)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("n/a")
                continue
            b = base.get(key)
            cells.append(f(v) + ("" if name == baseline or b is None else fmt_ratio(float(v), float(b))))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("")
    notes = [f"- {name}: {row['notes']}" for name, row in speed_rows.items() if row.get("notes")]
    return out + notes + ([""] if notes else [])


def write_markdown(
    path: Path, meta: dict, results: dict, skipped: dict, baseline: str, extra: dict | None = None
) -> None:
    extra = extra or {}
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
            " (`benches/presage.py`), and for the typist of `presage (train db, stock)` as shipped (no"
            " word offered twice within a word, recency predictor); databases: Presage's own English db, and text2ngram 1-3-grams"
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
        "- keywise's typist types in a text field (`Engine.field`: it leaves out the words it"
        " showed for the word being typed, which the typist passed over); `keywise (neural off,"
        " stateless)` asks `Engine.suggest` alone. Next-word and completion accuracies always ask"
        " `Engine.suggest`, one context at a time",
        "",
    ]
    for name, why in skipped.items():
        out.append(f"- skipped **{name}**: {why}")
    if skipped:
        out.append("")
    if "speed" in extra:
        out += ["## Headline", ""] + headline(results, extra["speed"], baseline)
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
    if "speed" in extra:
        out += [
            "## Speed and size",
            "",
            (
                "Load: from nothing to the first answer, in this process (warm page cache). Peak RSS:"
                " the peak resident set (`VmHWM`; see benches/speed.py for why not `ru_maxrss`) of a fresh"
                " `python -m benches.speed --rss` process holding the system after two predictions; *RSS of the system* = that minus the"
                " reading before loading (imports done). Size on disk: the keywise pack's files (without `neural/` when the variant"
                " does not load it), Presage's SQLite db. suggest: every typist call of all tasks."
                " autocorrect: `engine.correction(line up to each word + space)` over every word of"
                " all tasks' lines (keywise only: Presage has no autocorrect). neural step:"
                " `NeuralLM.rerank` alone over the native pool, per next-word and completion context"
                " (benches/speed.py)."
            ),
            "",
        ] + speed_markdown(extra["speed"], baseline)
        sizes = extra.get("pack_sizes")
        if sizes:
            out += [
                (
                    f"keywise pack `{sizes['path']}`: {_mb(sizes['total'])} MB in all: n-gram models"
                    f" {_mb(sizes['ngram'])} MB + lexicon {_mb(sizes['lexicon'])} MB"
                    f" = {_mb(sizes['ngram'] + sizes['lexicon'])} MB; neural/ {_mb(sizes['neural'])} MB;"
                    f" other files {_mb(sizes['total'] - sizes['ngram'] - sizes['lexicon'] - sizes['neural'])} MB."
                ),
                "",
            ]
        out += [
            (
                "Rust core: `cargo bench -p keywise-core` (criterion, rust/core/benches/core.rs); Python"
                " path: `pytest benches/test_latency.py --benchmark-only` (pytest-benchmark). Not run"
                " by this command."
            ),
            "",
        ]
    if "perplexity" in extra:
        pp = extra["perplexity"]
        out += ["## Perplexity (clinical)", ""]
        if "error" in pp:
            out += [f"not available: {pp['error']}", ""]
        else:
            out += [
                (
                    f"`{TASKS['clinical'][1]}`, the same {pp['lines']} lines as the clinical table;"
                    " word perplexity = 10^(−mean log10 p) (benches/perplexity.py). Lower is better."
                ),
                "",
                "| model | words | perplexity |",
                "|---|---|---|",
                f"| keywise n-gram, all in-vocabulary words ({pp['oov']} OOV left out) | {pp['words']} | {pp['ngram']:.1f} |",
            ]
            if "neural_aligned" in pp:
                out += [
                    f"| keywise n-gram, aligned words | {pp['aligned_words']} | {pp['ngram_aligned']:.1f} |",
                    f"| keywise neural, aligned words | {pp['aligned_words']} | {pp['neural_aligned']:.1f} |",
                    "",
                    (
                        "Aligned words: the known words found in the text (not `<num>`) and scorable by"
                        f" the neural model ({pp['unaligned_words']} left out); neural p = P(pieces) ×"
                        " P(word ends), normalised over all strings, the n-gram's over its vocabulary."
                    ),
                ]
            else:
                out.append(f"| keywise neural | | not available: {pp.get('neural_reason', 'no neural model loaded')} |")
            out += [
                "",
                "Presage: not available (its C API returns ranked words, not probabilities).",
                "",
            ]
    if "kebbie" in extra:
        kb = extra["kebbie"]
        out += [
            "## kebbie (Fleksy's keyboard benchmark), keywise",
            "",
            (
                f"`keywise eval kebbie FILE --lines {kb['lines']} --seed {kebbie_run.SEED} --json` per file (its first {kb['lines']}"
                f" sentences: lines split after . ! or ?; seed {kebbie_run.SEED}; kebbie's own noise model: Gaussian"
                " taps, character edits, common typos). keywise with `neural=False` (the n-gram engine and its"
                " decoder; see `keywise/eval/kebbie.py`) only: Presage has no kebbie adapter here."
            ),
            "",
            "| file | sentences | autocorrect precision | recall | F-score | completion top-1 | top-3 | next word top-1 | top-3 | s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in kb["files"].items():
            if "error" in r:
                out.append(f"| {name} (`{KEBBIE_FILES[name]}`) | not available: {r['error']} | | | | | | | | |")
                continue
            out.append(
                f"| {name} (`{KEBBIE_FILES[name]}`) | {r['sentences']} | {r['autocorrect_precision']:.3f} |"
                f" {r['autocorrect_recall']:.3f} | {r['autocorrect_fscore']:.3f} | {r['completion_top1']:.3f} |"
                f" {r['completion_top3']:.3f} | {r['next_word_top1']:.3f} | {r['next_word_top3']:.3f} |"
                f" {r.get('seconds', 0):.0f} |"
            )
        out.append("")
    out += ["![KSR against k](ksr_vs_k.png)", "", "![latency per call](latency.png)", ""]
    if "speed" in extra:
        out += ["![quality against pack size](quality_vs_size.png)", ""]
    if meta.get("wall_s") is not None:
        out += [f"Wall time of this run: {meta['wall_s']:.0f} s.", ""]
    path.write_text("\n".join(out), encoding="utf-8")


def plot_quality_size(out_dir: Path, results: dict, speed_rows: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in results if results[t]]
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(4.2 * max(1, len(tasks)), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for sysname, r in results[task].items():
            size = speed_rows.get(sysname, {}).get("size_bytes")
            if not size:
                continue
            ax.scatter([size / 1e6], [100 * r["ksr"]["3"]], label=sysname, s=30)
            ax.annotate(sysname, (size / 1e6, 100 * r["ksr"]["3"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_title(TASKS[task][0], fontsize=9)
        ax.set_xlabel("model size on disk, MB (log)")
        ax.set_ylabel("KSR k=3, %")
        ax.grid(alpha=0.3)
    if axes[0][0].collections:  # a legend only when some system has a size
        axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out_dir / "quality_vs_size.png", dpi=110)
    plt.close(fig)


def measure_speed(
    predictors: dict, latencies: dict[str, list[float]], all_lines: list[str], pack_sizes: dict | None
) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for name, predict in predictors.items():
        spec = getattr(predict, "spec", None)
        row: dict[str, Any] = {"spec": spec}
        lat = latencies.get(name, [])
        row["suggest_p50_us"] = ksr.percentile(lat, 50) if lat else None
        row["suggest_p99_us"] = ksr.percentile(lat, 99) if lat else None
        row["suggest_calls"] = len(lat)
        notes = []
        if spec is None:
            notes.append("no spec to rebuild it: load time and RSS not measured")
        else:
            try:
                row["load_s"] = speed.load_seconds(spec)
            except Exception as exc:  # noqa: BLE001 - a failure is reported in the table, not hidden
                notes.append(f"load time failed: {type(exc).__name__}: {exc}")
            rss = speed.rss_probe(spec)
            if "error" in rss:
                notes.append(f"RSS probe failed: {rss['error']}")
            else:
                row.update(rss)
        engine = getattr(predict, "engine", None)
        if engine is not None:
            row["neural"] = engine.neural
            if pack_sizes:
                row["size_bytes"] = pack_sizes["total"] - (0 if engine.neural else pack_sizes["neural"])
            ac = speed.autocorrect_latencies(engine, all_lines)
            row["autocorrect_p50_us"] = ksr.percentile(ac, 50) if ac else None
            row["autocorrect_p99_us"] = ksr.percentile(ac, 99) if ac else None
            row["autocorrect_calls"] = len(ac)
            if engine.neural:
                ns = speed.neural_step_latencies(engine, all_lines)
                row["neural_p50_us"] = ksr.percentile(ns, 50) if ns else None
                row["neural_p99_us"] = ksr.percentile(ns, 99) if ns else None
                row["neural_calls"] = len(ns)
            else:
                notes.append("neural step: not loaded in this variant")
        else:
            db = getattr(predict, "db", None)
            if db is not None:
                row["size_bytes"] = Path(db).stat().st_size
        if notes:
            row["notes"] = "; ".join(notes)
        rows[name] = row
        print(f"speed     {name:22s} load {row.get('load_s', float('nan')):.3f} s", file=sys.stderr)
    return rows


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
    ap.add_argument("--full", action="store_true", help="500 lines per task instead of 100")
    ap.add_argument("--lines", type=int, help="lines per task (overrides --full)")
    ap.add_argument("--first", action="store_true", help="take the first lines instead of a seeded sample")
    ap.add_argument("--tasks", default=",".join(TASKS), help=f"comma list of {','.join(TASKS)}")
    ap.add_argument("--systems", help="comma list of system names to run (default: all)")
    ap.add_argument("--baseline", default=registry.BASELINE)
    ap.add_argument("--out", type=Path, default=REPO / "benches", help="output folder")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--pack", help="keywise model pack folder (default: the shipped pack; sets KEYWISE_PACK)")
    ap.add_argument("--kebbie-lines", type=int, help="kebbie: first N sentences per file (default 50, --full 500)")
    ap.add_argument("--no-kebbie", action="store_true", help="skip kebbie's evaluation")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed-and-size and perplexity measures")
    ap.add_argument(
        "--no-share",
        action="store_true",
        help="separate calls per k (for predictors whose top-k lists are not prefixes of each other)",
    )
    args = ap.parse_args(argv)

    n = args.lines or (500 if args.full else 100)
    if n < 1:
        ap.error("--lines must be positive")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if unknown := [t for t in tasks if t not in TASKS]:
        ap.error(f"unknown task(s): {', '.join(unknown)}")
    wanted = None if args.systems is None else {s.strip() for s in args.systems.split(",")}
    known = [name for name, _ in registry.all_systems()]
    if wanted is not None and (unknown := sorted(wanted - set(known))):
        ap.error(f"unknown system(s): {', '.join(unknown)}; known: {', '.join(known)}")
    wall0 = time.perf_counter()
    if args.pack:
        os.environ["KEYWISE_PACK"] = str(Path(args.pack).resolve())  # also for the subprocesses
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
    task_lines: dict[str, list[str]] = {}
    for task in tasks:
        lines = sample_lines(shared / TASKS[task][1], n, args.first)
        task_lines[task] = lines
        results[task] = {}
        for name, predict in predictors.items():
            t0 = time.perf_counter()
            rep = ksr.evaluate(
                predict,
                lines,
                KS,
                NEXT_KS,
                COMPLETION_KS,
                share_calls=not args.no_share,
                typist=getattr(predict, "typist", None),
            )
            results[task][name] = summarise(rep, time.perf_counter() - t0)
            latencies[name] += rep.latencies_us
            r = results[task][name]
            print(
                f"{task:9s} {name:22s} KSR@3 {100 * r['ksr']['3']:5.1f}%  "
                f"p50 {r['p50_us'] / 1000:6.2f} ms  {r['seconds']:5.0f} s",
                file=sys.stderr,
            )

    extra: dict[str, Any] = {}
    pack = Path(os.environ.get("KEYWISE_PACK") or REPO / "models" / "en-clinical")
    if not args.no_speed:
        sizes = speed.keywise_sizes(pack) if (pack / "manifest.json").is_file() else None
        if sizes:
            extra["pack_sizes"] = {**sizes, "path": os.path.relpath(pack, REPO)}
        all_lines = [x for t in tasks for x in task_lines[t]]
        extra["speed"] = measure_speed(predictors, latencies, all_lines, sizes)
        kw = next((p for name, p in predictors.items() if getattr(p, "engine", None) is not None), None)
        if "clinical" not in task_lines:
            extra["perplexity"] = {"error": "the clinical task was not run"}
        elif kw is None:
            extra["perplexity"] = {"error": "no keywise engine loaded"}
        else:
            neural_kw = next((p for p in predictors.values() if getattr(getattr(p, "engine", None), "neural", False)), kw)
            extra["perplexity"] = perplexity.perplexity(neural_kw.engine, task_lines["clinical"])
            if not neural_kw.engine.neural:
                why = skipped.get("keywise (neural on)", "no keywise variant loaded the neural model")
                extra["perplexity"]["neural_reason"] = why
    if not args.no_kebbie and any(getattr(p, "engine", None) is not None for p in predictors.values()):
        kl = args.kebbie_lines or (500 if args.full else 50)
        extra["kebbie"] = {"lines": kl, "files": {}}
        for name, rel in KEBBIE_FILES.items():
            r = kebbie_run.run(shared / rel, kl)
            extra["kebbie"]["files"][name] = r
            print(f"kebbie    {name:9s} {r.get('error') or 'F ' + format(r['autocorrect_fscore'], '.3f')}", file=sys.stderr)

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
        "pack": os.path.relpath(pack, REPO),
        "wall_s": time.perf_counter() - wall0,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_markdown(args.out / "BENCHMARKS.md", meta, results, skipped, args.baseline, extra)
    (args.out / "BENCHMARKS.json").write_text(
        json.dumps({"meta": meta, "results": results, **extra}, indent=1, default=str) + "\n"
    )
    if not args.no_plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:  # the tables are written; say why the figures are not
            print("benches: plots skipped (matplotlib is not installed: benches/setup.sh installs it)", file=sys.stderr)
        else:
            plot(args.out, results, latencies)
            if "speed" in extra:
                plot_quality_size(args.out, results, extra["speed"])
    print(f"benches: wrote {args.out / 'BENCHMARKS.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
