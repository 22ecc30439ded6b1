"""Build the shipped neural model: tokenizer, time-boxed training, ONNX export, int8, manifest."""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import random
import shutil
import time
from pathlib import Path

import numpy as np

from .context import write_context_model
from .data import HELDOUT_FILE, HELDOUT_FRACTION, load_corpus, mixture_weights

FORMAT = "keywise-neural"
FORMAT_VERSION = 1
SEP_ID = 2  # sentencepiece eos; also marks a line start (a newline in the text)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def train_tokenizer(blocks: list[list[str]], out: Path, vocab: int, seed: int, work: Path) -> None:
    import sentencepiece as spm

    spm.set_random_generator_seed(seed)
    mix = work / "tokenizer_mix.txt"
    with mix.open("w", encoding="utf-8") as fh:
        for block in blocks:
            for line in block:
                fh.write(line + "\n")
    spm.SentencePieceTrainer.train(
        input=str(mix),
        model_prefix=str(out / "tokenizer"),
        vocab_size=vocab,
        model_type="unigram",
        # nmt_nfkc_cf folds case inside the tokenizer, so the runtime and the
        # n-gram model (which is lower-cased) see the same words.
        normalization_rule_name="nmt_nfkc_cf",
        byte_fallback=True,
        character_coverage=0.9995,
        input_sentence_size=1_500_000,
        shuffle_input_sentence=True,
        seed_sentencepiece_size=1_000_000,
        unk_id=0,
        bos_id=1,
        eos_id=SEP_ID,
        pad_id=-1,
        num_threads=2,
        minloglevel=2,
    )
    (out / "tokenizer.vocab").unlink(missing_ok=True)
    mix.unlink(missing_ok=True)


def encode_stream(sp, lines_iter) -> np.ndarray:
    """Lines -> one piece stream, each line preceded by SEP (as at run time after a newline)."""
    lines = list(lines_iter)
    ids = sp.encode(lines, num_threads=2)
    total = sum(len(x) + 1 for x in ids)
    arr = np.empty(total, dtype=np.int32)
    pos = 0
    for seq in ids:
        arr[pos] = SEP_ID
        arr[pos + 1 : pos + 1 + len(seq)] = seq
        pos += len(seq) + 1
    return arr


def piece_nll(model, stream: np.ndarray, seq: int = 128, batch: int = 32) -> float:
    """Mean piece negative log-likelihood (nats) of a stream, fresh state per chunk."""
    import torch

    model.eval()
    n = (len(stream) - 1) // seq
    x = torch.from_numpy(stream[: n * seq].astype(np.int64)).view(n, seq)
    y = torch.from_numpy(stream[1 : n * seq + 1].astype(np.int64)).view(n, seq)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, batch):
            logits = model(x[i : i + batch])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y[i : i + batch].reshape(-1), reduction="sum"
            )
            total += float(loss)
            count += y[i : i + batch].numel()
    model.train()
    return total / max(count, 1)


def train_model(args, stream: np.ndarray, heldout: np.ndarray, vocab: int):
    import torch

    from .model import PieceLSTM

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    model = PieceLSTM(vocab, args.embed, args.hidden, dropout=args.dropout)
    if args.init_from:  # continue training a checkpoint (a second time box)
        if args.init_from.endswith(".onnx"):
            state = onnx_state(args.init_from, args.embed, args.hidden)
            model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        else:
            model.load_state_dict(torch.load(args.init_from, map_location="cpu"))
        log(f"initialised from {args.init_from}: val piece ppl {math.exp(piece_nll(model, heldout)):.3f}")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    budget_s = args.minutes * 60.0
    start = time.monotonic()
    step, tokens = 0, 0
    history = []
    best = (float("inf"), 0, None)  # val nll, step, weights: the run keeps its best held-out point
    t_len, bsz = args.seq, args.batch
    max_start = len(stream) - t_len - 1
    while True:
        elapsed = time.monotonic() - start
        if args.steps and step >= args.steps:
            break
        if not args.steps and elapsed >= budget_s:
            break
        # Cosine decay on progress (steps if fixed, else wall time) with a short warm-up.
        progress = step / args.steps if args.steps else elapsed / budget_s
        warm = 1.0 if args.init_from else min(1.0, (step + 1) / 100)
        lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        for g in opt.param_groups:
            g["lr"] = max(lr, args.lr * 0.02)
        starts = rng.integers(0, max_start, size=bsz)
        idx = starts[:, None] + np.arange(t_len + 1)[None, :]
        chunk = torch.from_numpy(stream[idx].astype(np.int64))
        logits = model(chunk[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += bsz * t_len
        if step % args.eval_every == 0:
            val = piece_nll(model, heldout)
            rec = {
                "step": step,
                "tokens": tokens,
                "minutes": round((time.monotonic() - start) / 60, 2),
                "train_loss": round(float(loss.detach()), 4),
                "val_piece_ppl": round(math.exp(val), 3),
            }
            history.append(rec)
            log(json.dumps(rec))
            if val < best[0]:
                best = (val, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
    val = piece_nll(model, heldout)
    kept = step
    if best[2] is not None and best[0] < val:
        log(f"keeping step {best[1]} (held-out piece ppl {math.exp(best[0]):.3f} < {math.exp(val):.3f} at the end)")
        model.load_state_dict(best[2])
        val, kept = best[0], best[1]
    final = {
        "steps": step,
        "kept_step": kept,
        "tokens": tokens,
        "minutes": round((time.monotonic() - start) / 60, 2),
        "val_piece_ppl": round(math.exp(val), 3),
    }
    log("final " + json.dumps(final))
    return model, final, history


def onnx_state(path: str, embed: int, hidden: int) -> dict[str, np.ndarray]:
    """PieceLSTM weights (state-dict names) back from a shipped one-step model, int8 dequantised.

    Lets a run continue from the shipped model when its fp32 checkpoint is gone; the int8
    round trip costs about 0.2% held-out perplexity (see training.json).
    """
    import onnx
    from onnx import numpy_helper

    init = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}

    def weight(name: str) -> np.ndarray:
        if name in init:
            return init[name].astype(np.float32)
        if name + "_quantized" not in init:
            raise ValueError(f"{path}: no weight {name!r}; not a keywise one-step model")
        q = init[name + "_quantized"].astype(np.float32)
        return (q - init[name + "_zero_point"].astype(np.float32)) * init[name + "_scale"].astype(np.float32)

    w_gates = weight("w_gates")  # [E+H, 4H], gate order i, f, g, o as nn.LSTM
    if w_gates.shape != (embed + hidden, 4 * hidden):
        raise ValueError(f"{path}: gate weights {w_gates.shape} do not match embed {embed}, hidden {hidden}")
    c = np.ascontiguousarray
    return {
        "emb.weight": c(weight("emb")),
        "lstm.weight_ih_l0": c(w_gates[:embed].T),
        "lstm.weight_hh_l0": c(w_gates[embed:].T),
        "lstm.bias_ih_l0": c(weight("b_gates")),
        "lstm.bias_hh_l0": np.zeros(4 * hidden, np.float32),
        "proj.weight": c(weight("w_proj").T),
        "out_bias": c(weight("out_bias")),
    }


def export_onnx(model, path_fp32: Path, path_int8: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from .model import PieceLSTMStep

    step = PieceLSTMStep(model).eval()
    b = 2
    args = (
        torch.zeros(b, dtype=torch.int64),
        torch.zeros(b, model.hidden),
        torch.zeros(b, model.hidden),
    )
    torch.onnx.export(
        step,
        args,
        str(path_fp32),
        input_names=["tokens", "h", "c"],
        output_names=["logprobs", "h_out", "c_out"],
        dynamic_axes={k: {0: "batch"} for k in ["tokens", "h", "c", "logprobs", "h_out", "c_out"]},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(path_fp32),
        str(path_int8),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=False,
    )


def ort_piece_nll(onnx_path: Path, stream: np.ndarray, hidden: int, seq: int = 128, batch: int = 64) -> float:
    """The same figure as piece_nll, computed by onnxruntime on the exported step model."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    n = (len(stream) - 1) // seq
    x = stream[: n * seq].astype(np.int64).reshape(n, seq)
    y = stream[1 : n * seq + 1].astype(np.int64).reshape(n, seq)
    total, count = 0.0, 0
    for i in range(0, n, batch):
        xb, yb = x[i : i + batch], y[i : i + batch]
        h = np.zeros((len(xb), hidden), np.float32)
        c = np.zeros_like(h)
        for t in range(seq):
            lp, h, c = sess.run(None, {"tokens": xb[:, t], "h": h, "c": c})
            total -= float(lp[np.arange(len(xb)), yb[:, t]].sum())
            count += len(xb)
    return total / max(count, 1)


def build(args) -> None:
    import sentencepiece as spm
    import torch

    out = Path(args.out)
    work = Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    t0 = time.monotonic()
    weights = mixture_weights(json.loads(args.weights) if args.weights else None)
    corpus = load_corpus(Path(args.shared), args.seed, weights)
    log(f"corpus: {len(corpus.train_blocks)} blocks, heldout {len(corpus.heldout)} lines")
    if args.tokenizer:  # continue a run: same pieces as the checkpoint
        if Path(args.tokenizer).resolve() != (out / "tokenizer.model").resolve():
            shutil.copyfile(args.tokenizer, out / "tokenizer.model")
    else:
        train_tokenizer(corpus.train_blocks, out, args.vocab, args.seed, work)
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    stream = encode_stream(sp, (ln for block in corpus.train_blocks for ln in block))
    heldout = encode_stream(sp, corpus.heldout)
    log(f"tokenizer done: train stream {len(stream)} pieces, heldout {len(heldout)} pieces")
    model, final, history = train_model(args, stream, heldout, sp.get_piece_size())
    torch.save(model.state_dict(), work / "model.pt")
    fp32 = work / "model_fp32.onnx"
    export_onnx(model, fp32, out / "model.onnx")
    # Drop the external-data sidecar the exporter may leave; the shipped model is one file.
    for extra in out.glob("model.onnx.data"):
        extra.unlink()
    int8_nll = ort_piece_nll(out / "model.onnx", heldout, args.hidden)
    fp32_nll = ort_piece_nll(fp32, heldout, args.hidden)
    log(f"onnx heldout piece ppl: fp32 {math.exp(fp32_nll):.3f}, int8 {math.exp(int8_nll):.3f}")
    files = {name: sha256_file(out / name) for name in ("model.onnx", "tokenizer.model")}
    sizes = {name: (out / name).stat().st_size for name in files}
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model": "model.onnx",
        "tokenizer": "tokenizer.model",
        "sha256": files,
        "vocab_size": sp.get_piece_size(),
        "hidden": args.hidden,
        "sep_id": SEP_ID,
        "inputs": {"tokens": ["batch"], "h": ["batch", args.hidden], "c": ["batch", args.hidden]},
        "outputs": {"logprobs": ["batch", sp.get_piece_size()], "h_out": ["batch", args.hidden],
                    "c_out": ["batch", args.hidden]},
        # Weight of the neural word probability in the linear mixture with the n-gram's;
        # set by `python -m keywise.train tune` on the held-out slice of train/.
        "mix_weight": args.mix_weight,
    }
    old = out / "manifest.json"
    if old.exists():  # keep a tuned weight across rebuilds only if asked
        try:
            prev = json.loads(old.read_text())
            if args.keep_mix_weight and "mix_weight" in prev:
                manifest["mix_weight"] = prev["mix_weight"]
        except (OSError, ValueError):
            pass
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    context = write_context_model(out)  # the cell in a Scan: catching up on text in one call
    files[context["file"]] = context["sha256"]
    sizes[context["file"]] = context["bytes"]
    record = {
        "command": args.command_line,
        "seed": args.seed,
        "data": {
            "sources": corpus.sources,
            "heldout": f"last {int(HELDOUT_FRACTION * 100)}% of lines of {HELDOUT_FILE} "
            f"({len(corpus.heldout)} lines, {len(heldout)} pieces); never trained on",
            "train_stream_pieces": int(len(stream)),
            "weights": weights,
        },
        "hyper_parameters": {
            "tokenizer": f"sentencepiece unigram, {args.vocab} pieces, nmt_nfkc_cf (case-folded), byte fallback",
            "model": f"1-layer LSTM, embedding {args.embed} (tied output), hidden {args.hidden}",
            "batch": args.batch, "seq": args.seq, "lr": args.lr, "dropout": args.dropout,
            "optimizer": "Adam, cosine decay, grad clip 1.0",
            "minutes_budget": args.minutes, "steps_fixed": args.steps, "torch_threads": args.threads,
            "init_from": args.init_from or None, "tokenizer_from": args.tokenizer or None,
        },
        "result": final,
        "heldout_piece_ppl": {"torch_fp32": final["val_piece_ppl"], "onnx_fp32": round(math.exp(fp32_nll), 3),
                              "onnx_int8": round(math.exp(int8_nll), 3)},
        "history": history,
        "files": {k: {"sha256": v, "bytes": sizes[k]} for k, v in files.items()},
        "total_minutes": round((time.monotonic() - t0) / 60, 2),
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cpu_count": os.cpu_count()},
    }
    runs = [record]
    prev = out / "training.json"
    if args.init_from and prev.exists():  # a continued run: keep the earlier ones on record
        try:
            runs = json.loads(prev.read_text()).get("runs", []) + runs
        except (OSError, ValueError, AttributeError):
            pass
    (out / "training.json").write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    log(f"done in {record['total_minutes']} min: {json.dumps(record['files'])}")
