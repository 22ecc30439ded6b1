"""The `keywise` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from keywise import Engine

    neural = {"on": True, "off": False, "auto": None}[getattr(args, "neural", "auto")]
    return Engine.load(args.pack, neural=neural)


def cmd_suggest(args: argparse.Namespace) -> int:
    eng = _engine(args)
    text = " ".join(args.text)
    if not args.no_space and text and not text.endswith(" ") and args.next:
        text += " "
    for s in eng.suggest(text, k=args.k):
        print(f"{s.text}\t{s.score:.3f}\t{s.kind}" if args.verbose else s.text)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    eng = _engine(args)
    print(json.dumps(eng.info(), indent=2, sort_keys=True))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from keywise import _native
    from keywise.recipe import default_recipe

    shared = Path(args.shared).resolve()
    if not (shared / "corpora").is_dir():
        print(f"keywise build: {shared} has no corpora/ folder", file=sys.stderr)
        return 2
    recipe = default_recipe(shared)
    out = Path(args.out)
    bar = tqdm(total=100, desc="build", unit="%", leave=True)
    state = {"stage": ""}

    def progress(stage: str, frac: float) -> None:
        if stage != state["stage"]:
            state["stage"] = stage
            bar.set_description(stage)
        bar.n = int(frac * 100)
        bar.refresh()

    manifest = json.loads(_native.build_pack(json.dumps(recipe), out, progress))
    bar.close()
    print(json.dumps(manifest["stats"], indent=2, sort_keys=True))
    return 0


def cmd_eval_ksr(args: argparse.Namespace) -> int:
    from keywise.eval import ksr as ksr_mod

    eng = _engine(args)
    lines = [ln.rstrip("\n") for ln in open(args.file, encoding="utf-8")]
    lines = [ln for ln in lines if ln.strip()]
    if args.lines:
        lines = lines[: args.lines]

    # A keyboard's text field by default: it leaves out what it showed for the word before.
    predict = ksr_mod.engine_predictor(eng, field=not args.stateless)
    res = ksr_mod.run_ksr(predict, lines, k=args.k)
    out = {
        "file": args.file,
        "lines": len(lines),
        "k": args.k,
        "ksr": res.ksr,
        "keystrokes": res.keystrokes,
        "selections": res.selections,
        "characters": res.characters,
        "latency_p50_us": res.p50_us(),
        "latency_p99_us": res.p99_us(),
        "neural": eng.neural,
        "field": not args.stateless,
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(
            f"KSR (k={args.k}) {100 * res.ksr:.2f}% on {len(lines)} lines "
            f"({'Engine.suggest' if args.stateless else 'a text field'}); "
            f"suggest() p50 {res.p50_us():.0f} us, p99 {res.p99_us():.0f} us"
        )
    return 0


def cmd_eval_perplexity(args: argparse.Namespace) -> int:
    import math

    eng = _engine(args)
    total, n, oov = 0.0, 0, 0
    for i, line in enumerate(open(args.file, encoding="utf-8")):
        if args.lines and i >= args.lines:
            break
        for _word, lp, known in eng.score_text(line):
            if known:
                total += lp
                n += 1
            else:
                oov += 1
    ppl = 10 ** (-total / max(n, 1))
    print(json.dumps({"perplexity": ppl, "words": n, "oov": oov, "log10_total": total}, indent=2))
    return 0 if math.isfinite(ppl) else 1


def cmd_eval_kebbie(args: argparse.Namespace) -> int:
    from keywise.eval import kebbie

    return kebbie.main(args)


def cmd_eval_autocorrect(args: argparse.Namespace) -> int:
    from keywise.eval import autocorrect

    return autocorrect.main(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from keywise.demo.app import main as demo_main

    return demo_main(port=args.port, open_browser=not args.no_browser, pack=args.pack)


def _user_store(args: argparse.Namespace, create: bool):  # type: ignore[no-untyped-def]
    """The store of `keywise words` / `keywise shortcuts` (None after printing why not)."""
    from keywise.keystore import StoreAccessError, default_store_path, open_store

    path = Path(args.store) if args.store else default_store_path()
    if not create and not path.exists():
        print(f"keywise {args.cmd}: no word store at {path}", file=sys.stderr)
        return None
    try:
        return open_store(path)
    except StoreAccessError as e:
        print(f"keywise {args.cmd}: {e}", file=sys.stderr)
        return None


def cmd_words(args: argparse.Namespace) -> int:
    """The user's learned words: list, add, forget, export, import, wipe. Each change is saved."""
    store = _user_store(args, create=args.action in ("add", "import"))
    if store is None:
        return 1
    if args.action == "list":
        # What the user asked to see; like export, the one place learned words are shown.
        for word, count in sorted(store.words().items(), key=lambda wc: (-wc[1], wc[0])):
            print(f"{word}\t{count:.1f}")
        return 0
    if args.action == "export":
        store.export(args.file, dic=args.dic)
        return 0
    if args.action == "add":
        store.add(args.word)
    elif args.action == "forget" and not store.forget(args.word):
        print("keywise words: that word is not in the store", file=sys.stderr)
        return 1
    elif args.action == "import":
        print(f"{store.import_words(args.file)} words added")
    elif args.action == "wipe":
        if not args.yes:
            print("keywise words: wipe forgets every learned word and shortcut; add --yes", file=sys.stderr)
            return 2
        store.wipe()
    store.save()
    return 0


def cmd_shortcuts(args: argparse.Namespace) -> int:
    """The user's shortcuts ("sob" -> "shortness of breath"): list, set, remove. Saved at once."""
    store = _user_store(args, create=args.action == "set")
    if store is None:
        return 1
    if args.action == "list":
        for abbrev, expansion in sorted(store.shortcuts()):
            print(f"{abbrev}\t{expansion}")
        return 0
    if args.action == "set":
        store.set_shortcut(args.abbrev, " ".join(args.expansion))
    elif not store.remove_shortcut(args.abbrev):
        print("keywise shortcuts: no such shortcut", file=sys.stderr)
        return 1
    store.save()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="keywise", description="Private, on-device text prediction.")
    p.add_argument("--pack", default=None, help="model pack folder (default: the shipped pack)")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("suggest", help="suggestions for the text before the cursor")
    s.add_argument("text", nargs="+")
    s.add_argument("-k", "--k", type=int, default=3)
    s.add_argument("--next", action="store_true", help="predict the next word (append a space)")
    s.add_argument("--no-space", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("-v", "--verbose", action="store_true", help="show scores and kinds")
    s.add_argument("--neural", choices=["on", "off", "auto"], default="auto")
    s.set_defaults(func=cmd_suggest)

    s = sub.add_parser("info", help="what a pack holds")
    s.add_argument("--neural", choices=["on", "off", "auto"], default="off")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("build", help="build the default pack from the shared corpora")
    s.add_argument("--shared", default="../shared")
    s.add_argument("--out", default="models/en-clinical")
    s.set_defaults(func=cmd_build)

    e = sub.add_parser("eval", help="evaluations").add_subparsers(dest="what", required=True)
    s = e.add_parser("ksr", help="keystroke savings rate of a simulated typist")
    s.add_argument("file")
    s.add_argument("--k", type=int, default=3)
    s.add_argument("--lines", type=int, default=0, help="first N non-empty lines only")
    s.add_argument("--json", action="store_true")
    s.add_argument("--neural", choices=["on", "off", "auto"], default="auto")
    s.add_argument(
        "--stateless",
        action="store_true",
        help="ask Engine.suggest (a pure function) instead of a text field (Engine.field)",
    )
    s.set_defaults(func=cmd_eval_ksr)
    s = e.add_parser("perplexity", help="n-gram word perplexity over in-vocabulary words")
    s.add_argument("file")
    s.add_argument("--lines", type=int, default=0)
    s.add_argument("--neural", choices=["on", "off", "auto"], default="off")
    s.set_defaults(func=cmd_eval_perplexity)

    s = e.add_parser("kebbie", help="Fleksy's kebbie benchmark, offline, on the sentences of FILE")
    s.add_argument("file")
    s.add_argument("--lines", type=int, default=0, help="first N sentences only")
    s.add_argument("--seed", type=int, default=42)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_eval_kebbie)
    s = e.add_parser("autocorrect", help="autocorrect precision/recall with simulated tap noise")
    s.add_argument("file")
    s.add_argument("--lines", type=int, default=300)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--sigma", type=float, default=0.3, help="tap noise, key widths")
    s.add_argument("--level", default="normal")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_eval_autocorrect)

    w = sub.add_parser("words", help="your learned words (the encrypted user store)")
    w.add_argument("--store", default=None,
                   help="store file (default: $KEYWISE_USER_STORE or ~/.local/share/keywise/user-store.kws)")
    acts = w.add_subparsers(dest="action", required=True)
    acts.add_parser("list", help="learned words with their counts, most used first")
    for name, helptext in (("add", "add a word now"), ("forget", "forget a word and its n-grams")):
        acts.add_parser(name, help=helptext).add_argument("word")
    a = acts.add_parser("export", help="write the words to FILE (plain list, or Hunspell .dic)")
    a.add_argument("file")
    a.add_argument("--dic", action="store_true")
    acts.add_parser("import", help="add the words of FILE (plain list or .dic)").add_argument("file")
    acts.add_parser("wipe", help="forget everything").add_argument("--yes", action="store_true")
    w.set_defaults(func=cmd_words)

    w = sub.add_parser("shortcuts", help="your shortcuts, e.g. sob -> shortness of breath")
    w.add_argument("--store", default=None, help="store file (as for `keywise words`)")
    acts = w.add_subparsers(dest="action", required=True)
    acts.add_parser("list", help="every shortcut")
    a = acts.add_parser("set", help="define ABBREV as EXPANSION (offered when ABBREV is typed)")
    a.add_argument("abbrev")
    a.add_argument("expansion", nargs="+")
    acts.add_parser("remove", help="remove a shortcut").add_argument("abbrev")
    w.set_defaults(func=cmd_shortcuts)

    s = sub.add_parser("demo", help="the note-entry app on 127.0.0.1")
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--no-browser", action="store_true")
    s.set_defaults(func=cmd_demo)

    args = p.parse_args(argv)
    from keywise.errors import KeywiseError

    try:
        return int(args.func(args))
    except KeywiseError as e:
        print(f"keywise: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
