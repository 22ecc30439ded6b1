"""keywise.neural without torch or shared data: a tiny ONNX model and tokenizer built here."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
spm = pytest.importorskip("sentencepiece")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import keywise  # noqa: E402
from keywise import neural  # noqa: E402

HIDDEN = 8
LINES = [
    "the patient reports chest pain and shortness of breath",
    "the patient denies fever chills or cough",
    "blood pressure is elevated today",
    "she reports that the pain is worse at night",
    "he denies nausea vomiting or abdominal pain",
    "continue the current medication and follow up in two weeks",
    "physical exam shows mild tenderness in the right lower quadrant",
    "assessment and plan",
    "history of present illness",
    "the patient is a pleasant woman with hypertension and diabetes",
] * 4


@dataclass
class Suggestion:
    text: str
    score: float
    kind: str = "next"


def _errors():
    return neural._errors()


@pytest.fixture(scope="module")
def tokenizer_bytes(tmp_path_factory) -> bytes:
    d = tmp_path_factory.mktemp("sp")
    corpus = d / "corpus.txt"
    corpus.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(d / "tok"), vocab_size=80, model_type="unigram",
        normalization_rule_name="nmt_nfkc_cf", unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        hard_vocab_limit=False, minloglevel=2, num_threads=1,
    )
    return (d / "tok.model").read_bytes()


def _weights(vocab: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "emb": rng.normal(0, 1.0, (vocab, HIDDEN)).astype(np.float32),
        "u": rng.normal(0, 0.15, (HIDDEN, HIDDEN)).astype(np.float32),
        "w_out": rng.normal(0, 1.0, (HIDDEN, vocab)).astype(np.float32),
    }


def _model_bytes(vocab: int, w: dict[str, np.ndarray], input_name: str = "tokens", hidden: int = HIDDEN) -> bytes:
    """A tiny recurrent step with the runtime's signature: h' = tanh(E[x] + h U), c' = c + h',
    logits = (h' + c'/2) W. c' sums all history, so a state built on other text shows."""
    emb = w["emb"] if hidden == HIDDEN else np.zeros((vocab, hidden), np.float32)
    u = w["u"] if hidden == HIDDEN else np.zeros((hidden, hidden), np.float32)
    w_out = w["w_out"] if hidden == HIDDEN else np.zeros((hidden, vocab), np.float32)
    nodes = [
        helper.make_node("Gather", ["emb", input_name], ["x"], axis=0),
        helper.make_node("MatMul", ["h", "u"], ["hu"]),
        helper.make_node("Add", ["x", "hu"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["h_out"]),
        helper.make_node("Add", ["c", "h_out"], ["c_out"]),
        helper.make_node("Mul", ["c_out", "half"], ["c_half"]),
        helper.make_node("Add", ["h_out", "c_half"], ["mix"]),
        helper.make_node("MatMul", ["mix", "w_out"], ["logits"]),
        helper.make_node("LogSoftmax", ["logits"], ["logprobs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_step",
        [
            helper.make_tensor_value_info(input_name, TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", hidden]),
            helper.make_tensor_value_info("c", TensorProto.FLOAT, ["batch", hidden]),
        ],
        [
            helper.make_tensor_value_info("logprobs", TensorProto.FLOAT, ["batch", vocab]),
            helper.make_tensor_value_info("h_out", TensorProto.FLOAT, ["batch", hidden]),
            helper.make_tensor_value_info("c_out", TensorProto.FLOAT, ["batch", hidden]),
        ],
        [numpy_helper.from_array(emb, "emb"), numpy_helper.from_array(u, "u"),
         numpy_helper.from_array(w_out, "w_out"), numpy_helper.from_array(np.array(0.5, np.float32), "half")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _vocab(tok: bytes) -> int:
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(tok)
    return sp.get_piece_size()


def _write_pack(d: Path, model: bytes, tok: bytes, **overrides) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "model.onnx").write_bytes(model)
    (d / "tokenizer.model").write_bytes(tok)
    manifest: dict = {
        "format": "keywise-neural", "version": 1, "model": "model.onnx", "tokenizer": "tokenizer.model",
        "sha256": {"model.onnx": hashlib.sha256(model).hexdigest(),
                   "tokenizer.model": hashlib.sha256(tok).hexdigest()},
        "vocab_size": overrides.pop("vocab_size", None) or _vocab(tok), "hidden": HIDDEN, "sep_id": 2, "mix_weight": 0.5,
    }
    manifest.update(overrides)
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


@pytest.fixture(scope="module")
def pack(tmp_path_factory, tokenizer_bytes) -> tuple[Path, dict[str, np.ndarray]]:
    w = _weights(_vocab(tokenizer_bytes))
    d = _write_pack(tmp_path_factory.mktemp("pack"), _model_bytes(_vocab(tokenizer_bytes), w), tokenizer_bytes)
    return d, w


class Reference:
    """The tiny model in numpy, run over the whole context every time (no caching)."""

    def __init__(self, w: dict[str, np.ndarray], tok: bytes) -> None:
        self.w = w
        self.sp = spm.SentencePieceProcessor()
        self.sp.LoadFromSerializedProto(tok)
        v = self.sp.get_piece_size()
        self.cont = np.array([
            (not self.sp.is_control(i)) and (
                self.sp.is_unknown(i) or self.sp.is_byte(i)
                or (self.sp.id_to_piece(i)[:1] not in ("\u2581", "") and neural._is_word_char(self.sp.id_to_piece(i)[0]))
            ) for i in range(v)
        ])

    def step(self, tok: int, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h2 = np.tanh(self.w["emb"][tok].astype(np.float64) + h @ self.w["u"])
        c2 = c + h2
        logits = (h2 + 0.5 * c2) @ self.w["w_out"]
        m = logits.max()
        return logits - (m + np.log(np.exp(logits - m).sum())), h2, c2

    def word_log10(self, context_ids: list[int], word: str) -> float:
        return self.pieces_log10(context_ids, self.sp.encode(word))

    def pieces_log10(self, context_ids: list[int], pieces: list[int]) -> float:
        h = c = np.zeros(HIDDEN)
        lp = None
        for t in context_ids:
            lp, h, c = self.step(t, h, c)
        total = 0.0
        for t in pieces:
            total += lp[t]
            lp, h, c = self.step(t, h, c)
        end = math.log(1.0 - np.exp(lp[self.cont]).sum())
        return (total + end) / math.log(10)

    def context_ids(self, text: str) -> list[int]:
        ids = [2]
        for i, line in enumerate(text.split("\n")):
            if i:
                ids.append(2)
            ids.extend(self.sp.encode(line))
        return ids


# ---------------------------------------------------------------- loading and integrity

def test_load_ok(pack, tokenizer_bytes):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    assert lm.hidden == HIDDEN and lm.vocab_size == _vocab(tokenizer_bytes)
    assert lm.threads == 1
    assert neural.NeuralLM.load(d, threads=2).threads == 2


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2", True])
def test_bad_threads(pack, threads):
    with pytest.raises(_errors().InputError):
        neural.NeuralLM.load(pack[0], threads=threads)


def test_missing_folder_and_manifest(tmp_path):
    with pytest.raises(_errors().PackError, match="manifest.json is missing"):
        neural.NeuralLM.load(tmp_path / "nowhere")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(_errors().PackError, match="not valid JSON"):
        neural.NeuralLM.load(tmp_path)


def _copy(pack_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "copy"
    shutil.copytree(pack_dir, d)
    return d


def test_missing_model_file(pack, tmp_path):
    d = _copy(pack[0], tmp_path)
    (d / "model.onnx").unlink()
    with pytest.raises(_errors().PackError, match="model file is missing"):
        neural.NeuralLM.load(d)


def test_truncated_model(pack, tmp_path):
    d = _copy(pack[0], tmp_path)
    data = (d / "model.onnx").read_bytes()
    (d / "model.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(_errors().PackError, match="sha256"):
        neural.NeuralLM.load(d)


def test_tampered_tokenizer(pack, tmp_path):
    d = _copy(pack[0], tmp_path)
    data = bytearray((d / "tokenizer.model").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "tokenizer.model").write_bytes(bytes(data))
    with pytest.raises(_errors().PackError, match="tokenizer.*sha256"):
        neural.NeuralLM.load(d)


def test_truncated_model_with_matching_checksum(tmp_path, tokenizer_bytes):
    # A broken file whose checksum was updated must still fail at load, clearly.
    model = _model_bytes(_vocab(tokenizer_bytes), _weights(_vocab(tokenizer_bytes)))
    d = _write_pack(tmp_path / "p", model[: len(model) // 3], tokenizer_bytes)
    with pytest.raises(_errors().PackError, match="not a loadable ONNX"):
        neural.NeuralLM.load(d)


def test_garbage_tokenizer_with_matching_checksum(tmp_path, tokenizer_bytes):
    model = _model_bytes(_vocab(tokenizer_bytes), _weights(_vocab(tokenizer_bytes)))
    d = _write_pack(tmp_path / "p", model, b"\x00not a tokenizer" * 10, vocab_size=_vocab(tokenizer_bytes))
    with pytest.raises(_errors().PackError, match="not a sentencepiece"):
        neural.NeuralLM.load(d)


def test_wrong_input_name(tmp_path, tokenizer_bytes):
    v = _vocab(tokenizer_bytes)
    d = _write_pack(tmp_path / "p", _model_bytes(v, _weights(v), input_name="ids"), tokenizer_bytes)
    with pytest.raises(_errors().PackError, match="inputs"):
        neural.NeuralLM.load(d)


def test_wrong_hidden_width(tmp_path, tokenizer_bytes):
    v = _vocab(tokenizer_bytes)
    d = _write_pack(tmp_path / "p", _model_bytes(v, _weights(v), hidden=HIDDEN * 2), tokenizer_bytes)
    with pytest.raises(_errors().PackError, match="width"):
        neural.NeuralLM.load(d)


def test_vocab_mismatch(tmp_path, tokenizer_bytes):
    v = _vocab(tokenizer_bytes)
    d = _write_pack(tmp_path / "p", _model_bytes(v, _weights(v)), tokenizer_bytes, vocab_size=v + 1)
    with pytest.raises(_errors().PackError, match="pieces"):
        neural.NeuralLM.load(d)


@pytest.mark.parametrize("override", [{"format": "other"}, {"version": 99}, {"mix_weight": 2.0},
                                      {"hidden": "8"}, {"model": "../model.onnx"}, {"sha256": []}])
def test_bad_manifest_fields(pack, tmp_path, override):
    d = _copy(pack[0], tmp_path)
    m = json.loads((d / "manifest.json").read_text())
    m.update(override)
    (d / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(_errors().PackError):
        neural.NeuralLM.load(d)


# ---------------------------------------------------------------- probabilities and state

def test_word_probs_match_reference(pack, tokenizer_bytes):
    d, w = pack
    lm = neural.NeuralLM.load(d)
    ref = Reference(w, tokenizer_bytes)
    for text in ["", "the patient ", "the patient reports chest ", "assessment and plan\n", "she den"]:
        ctx = text if (not text or text[-1].isspace()) else text[: text.rfind(" ") + 1]
        got = lm.word_log10_probs(text, ["pain", "denies", "the"])
        want = [ref.word_log10(ref.context_ids(ctx), wd) for wd in ["pain", "denies", "the"]]
        assert got == pytest.approx(want, abs=1e-4, rel=5e-5)


def test_batched_scores_do_not_depend_on_order_or_company(pack):
    """Each word scored in a batch gets the score it gets alone, whatever the list's order."""
    d, _ = pack
    words = ["the", "pain", "denies", "and", "patient", "a", "fever", "pa", "reports", "chest"]
    alone = [neural.NeuralLM.load(d).word_log10_probs("the patient ", [w])[0] for w in words]
    for order in (words, words[::-1], sorted(words)):
        got = neural.NeuralLM.load(d).word_log10_probs("the patient ", order)
        assert got == pytest.approx([alone[words.index(w)] for w in order], abs=1e-4, rel=5e-5)


def test_probs_are_a_distribution_over_words(pack, tokenizer_bytes):
    # Summed over every word the tokenizer can build from two pieces or fewer, mass <= 1.
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    vals = lm.word_log10_probs("the patient ", ["pain", "painful", "pa", "denies"])
    assert all(v < 0 for v in vals)
    assert sum(10**v for v in vals) < 1.0


def test_cache_follows_typing(pack, tokenizer_bytes):
    """Typing forward, backspacing and a sliding 300-char window all give uncached answers."""
    d, w = pack
    lm = neural.NeuralLM.load(d)
    ref = Reference(w, tokenizer_bytes)
    text = ""
    sentence = " ".join(LINES[:6]) + " "
    checks = 0
    for ch in sentence[:120]:
        text += ch
        if ch == " ":
            got = lm.word_log10_probs(text, ["pain"])[0]
            want = ref.word_log10(ref.context_ids(text), "pain")
            assert got == pytest.approx(want, abs=1e-4, rel=5e-5)
            checks += 1
    assert checks > 10
    # Backspace into the previous word and retype.
    back = text[:-9]
    ctx = back[: back.rfind(" ") + 1]
    assert lm.word_log10_probs(back, ["pain"])[0] == pytest.approx(ref.word_log10(ref.context_ids(ctx), "pain"), abs=1e-4, rel=5e-5)


def test_one_new_word_runs_only_its_pieces(pack, tokenizer_bytes):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(tokenizer_bytes)
    lm.word_log10_probs("the patient reports ", ["pain"])
    before = lm.steps_run
    lm.word_log10_probs("the patient reports ", ["pain"])
    assert lm.steps_run == before  # same context, same word: cached
    lm.word_log10_probs("the patient reports chest ", ["pain"])
    new_word = len(sp.encode("chest"))
    word_rows = len(sp.encode("pain"))
    assert lm.steps_run - before == new_word + word_rows


def test_the_runtime_joins_words_as_the_engine_does():
    from keywise import _native

    assert neural._JOINERS == _native.JOINERS and set(_native.JOINERS) == {"-", "'", "\u2019"}


def test_a_scored_word_that_is_typed_on_runs_no_context_steps(pack, tokenizer_bytes):
    """States built while scoring a candidate are taken when the user goes on with that word."""
    d, w = pack
    lm = neural.NeuralLM.load(d)
    ref = Reference(w, tokenizer_bytes)
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(tokenizer_bytes)
    lm.word_log10_probs("the patient reports ", ["chest", "pain"])
    before = lm.steps_run
    got = lm.word_log10_probs("the patient reports chest ", ["pain"])[0]
    assert lm.steps_run - before == len(sp.encode("pain"))  # "chest" itself is not run again
    want = ref.word_log10(ref.context_ids("the patient reports chest "), "pain")
    assert got == pytest.approx(want, abs=1e-4, rel=5e-5)
    # A word that was not a candidate still runs its own pieces.
    before = lm.steps_run
    lm.word_log10_probs("the patient reports chest cough ", ["fever"])
    assert lm.steps_run - before == len(sp.encode("cough")) + len(sp.encode("fever"))


def test_sliding_window_reuses_state(pack):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    long_text = " ".join(LINES) + " "
    assert len(long_text) > neural.MAX_CONTEXT_CHARS * 2
    pos = neural.MAX_CONTEXT_CHARS + 50
    lm.word_log10_probs(long_text[:pos] + " ", ["pain"])
    before = lm.steps_run
    # Three more words typed: the window start moved, but only the new words run.
    nxt = long_text.find(" ", pos + 1)
    for _ in range(2):
        nxt = long_text.find(" ", nxt + 1)
    lm.word_log10_probs(long_text[: nxt + 1], ["pain"])
    assert lm.steps_run - before < 20


# ---------------------------------------------------------------- reranking

def test_rerank_mixture_formula(pack, monkeypatch):
    monkeypatch.setattr(neural, "RERANK_MAX_PIECES", neural.MAX_WORD_PIECES)  # the tiny tokenizer splits words finely
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    pool = [Suggestion("pain", -1.0), Suggestion("fever", -1.5), Suggestion("cough", -2.0)]
    neu = lm.word_log10_probs("the patient reports ", [s.text for s in pool])
    out = lm.rerank("the patient reports ", pool, k=3)
    want = {s.text: math.log10(0.5 * 10**s.score + 0.5 * 10**n) for s, n in zip(pool, neu)}
    assert {s.text: s.score for s in out} == pytest.approx(want)
    assert [s.score for s in out] == sorted((s.score for s in out), reverse=True)
    assert all(isinstance(s, Suggestion) and s.kind == "next" for s in out)


def test_rerank_weight_extremes_and_k(pack, monkeypatch):
    monkeypatch.setattr(neural, "RERANK_MAX_PIECES", neural.MAX_WORD_PIECES)
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    words = ["pain", "fever", "cough", "the", "and", "denies"]
    pool = [Suggestion(wd, -1.0 - 0.1 * i) for i, wd in enumerate(words)]
    lm.mix_weight = 0.0
    assert [s.text for s in lm.rerank("she ", pool, k=3)] == words[:3]
    lm.mix_weight = 1.0
    neu = lm.word_log10_probs("she ", words)
    by_neural = [wd for _, wd in sorted(zip(neu, words), key=lambda t: -t[0])]
    assert [s.text for s in lm.rerank("she ", pool, k=4)] == by_neural[:4]
    assert lm.rerank("she ", pool, k=0) == []
    assert lm.rerank("she ", [], k=3) == []


def test_rerank_scores_only_words_that_can_reach_the_top_k(pack, monkeypatch):
    """Bounded reranking returns exactly what scoring every word would, with fewer model rows."""
    import random

    monkeypatch.setattr(neural, "RERANK_MAX_PIECES", neural.MAX_WORD_PIECES)
    d, _ = pack
    words = sorted({wd for line in LINES for wd in line.split()})
    rng = random.Random(7)
    for trial in range(40):
        text = " ".join(rng.sample(LINES, 1)[0].split()[: rng.randint(0, 6)]) + " "
        picked = rng.sample(words, 12)
        # n-gram scores near the neural ones, so that both decide the order
        near = neural.NeuralLM.load(d).word_log10_probs(text, picked)
        pool = [Suggestion(wd, n + rng.uniform(-1.0, 1.0)) for wd, n in zip(picked, near)]
        if trial % 5 == 0:
            pool.append(Suggestion(pool[0].text, pool[0].score - 1.0, "correction"))  # a duplicate text
        k = rng.choice([1, 3, 5])
        lm = neural.NeuralLM.load(d)
        lm.mix_weight = rng.choice([0.5, 0.8, 1.0])
        got = lm.rerank(text, pool, k)
        neu = neural.NeuralLM.load(d).word_log10_probs(text, [p.text for p in pool])
        w = lm.mix_weight
        mixed = sorted(((math.log10((1 - w) * 10**p.score + w * 10**n), i) for i, (p, n) in enumerate(zip(pool, neu))),
                       key=lambda t: (-t[0], t[1]))
        want, seen = [], set()
        for sc, i in mixed:
            if pool[i].text not in seen:
                seen.add(pool[i].text)
                want.append((pool[i].text, sc))
        assert [(s.text, s.score) for s in got] == [(t, pytest.approx(sc, abs=1e-6)) for t, sc in want[:k]]
    # Two words far ahead of the rest: the first round settles it, the rest is never run.
    lm = neural.NeuralLM.load(d)
    lm.mix_weight = 0.5
    pool = [Suggestion("pain", 0.0), Suggestion("fever", 0.0)] + [Suggestion(wd, -30.0) for wd in words[:10]]
    assert [s.text for s in lm.rerank("the patient reports ", pool, k=2)] == ["pain", "fever"]
    full = neural.NeuralLM.load(d)
    full.word_log10_probs("the patient reports ", [p.text for p in pool])
    assert lm.steps_run < 0.6 * full.steps_run


def test_rerank_pruning_rule_on_tight_bounds(pack):
    """The stopping rule itself, with bounds as tight as they can be (exact values just below)."""
    import random

    d, _ = pack
    rng = random.Random(3)
    for _ in range(300):
        n, k = rng.randint(1, 14), rng.randint(1, 5)
        texts = [f"w{rng.randint(0, n)}" for _ in range(n)]  # repeats: distinct words count
        bound_ln = [rng.uniform(-8.0, 0.0) for _ in range(n)]
        exact_ln = {(i + 3,): b - rng.choice([0.0, 1e-6, rng.uniform(0.0, 3.0)]) for i, b in enumerate(bound_ln)}
        ngram = [rng.uniform(-6.0, 0.0) for _ in range(n)]
        lm = neural.NeuralLM.load(d)
        lm.mix_weight = rng.choice([0.2, 0.8, 1.0])
        lp = np.full((1, n + 3), -50.0, dtype=np.float32)
        lp[0, 3:] = bound_ln
        asked: list[tuple[int, ...]] = []
        lm._prepare = lambda text, words, next_word: ((0, 1), None, None, lp, [(i + 3,) for i in range(n)])
        lm._score_words = lambda key, h, c, lp_, seqs, prune=None: asked.extend(seqs) or [exact_ln[q] for q in seqs]
        got = lm._top_k_log10_probs("x ", texts, ngram, False, k)
        w = lm.mix_weight
        ex = [math.log10((1 - w) * 10**ngram[i] + w * 10 ** (float(np.float32(exact_ln[(i + 3,)])) / math.log(10))) for i in range(n)]
        mixed = [math.log10((1 - w) * 10**ngram[i] + w * 10**got[i]) for i in range(n)]
        best: dict[str, float] = {}
        for t, v in sorted(zip(texts, ex), key=lambda tv: -tv[1]):
            best.setdefault(t, v)
        top = sorted(best.values(), reverse=True)[:k]
        for i in range(n):  # every word that ties or beats the k-th best was scored exactly
            if (i + 3,) not in asked:
                assert mixed[i] < top[-1] or math.isclose(mixed[i], ex[i], abs_tol=1e-9)
                assert mixed[i] >= ex[i] - 1e-9  # an unscored word keeps a true upper bound
        assert len(asked) == len(set(asked))


def test_rerank_completion_and_shortcut(pack):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    pool = [Suggestion("pain", -1.0, "completion"), Suggestion("painful", -1.2, "completion"),
            Suggestion("pain", -3.0, "correction"), Suggestion("sob", -0.5, "shortcut")]
    out = lm.rerank("the patient reports pa", pool, k=5)
    assert [s.text for s in out].count("pain") == 1  # duplicates collapse
    sob = next(s for s in out if s.text == "sob")
    assert sob.score == -0.5 and sob.kind == "shortcut"
    # Completion scores condition on the text before the partial word.
    assert lm.word_log10_probs("the patient reports pa", ["pain"]) == lm.word_log10_probs("the patient reports ", ["pain"])


def test_rerank_bad_input_never_echoes_text(pack):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    secret = "Jane Roe MRN 123456"
    for args in [(123, [], 3), (secret, "pool", 3), (secret, [Suggestion(secret, -1.0)], -1),
                 (secret, [object()], 3), (secret, [Suggestion(secret, "x")], 3)]:
        with pytest.raises(_errors().InputError) as info:
            lm.rerank(*args)
        assert secret not in str(info.value) and "123456" not in str(info.value)
    # Odd but valid text is scored, not crashed on.
    odd = ["\x00\x01", "🙂 " * 400, "a" * 5000, "\n\n\n", "  ", "é" * 301]
    for text in odd:
        out = lm.rerank(text, [Suggestion("pain", -1.0), Suggestion("🙂", -2.0), Suggestion("", -3.0)], k=3)
        assert len(out) == 3 and all(math.isfinite(s.score) for s in out)
    out = lm.rerank("the ", [Suggestion("pain", float("nan")), Suggestion("x", float("-inf"))], k=2)
    assert all(math.isfinite(s.score) for s in out)


def test_unrelated_window_is_not_glued_to_old_state(pack, tokenizer_bytes):
    # A new long text whose window merely starts with a word seen before must not
    # reuse the old state after that word: the answer equals a fresh computation.
    d, w = pack
    lm = neural.NeuralLM.load(d)
    ref = Reference(w, tokenizer_bytes)
    a = " ".join(LINES[:12]) + " "
    b = " ".join(reversed(LINES[:12])) + " "  # same lines, other order: short overlaps only
    lm.word_log10_probs(a, ["pain"])
    window = b[-neural.MAX_CONTEXT_CHARS:]
    window = window[window.index(" "):]
    ids = []
    for piece_ids in ref.sp.encode(window.split("\n")):
        ids.extend(piece_ids)
    want = ref.word_log10(ids, "pain")
    assert lm.word_log10_probs(b, ["pain"])[0] == pytest.approx(want, abs=1e-4, rel=5e-5)


def test_next_word_after_punctuation_is_glued(pack, tokenizer_bytes):
    # A trailing partial word is replaced by the candidates; after a boundary the engine
    # marks (all "next"), the candidate is glued to the trailing chunk, conditioned on it.
    d, w = pack
    lm = neural.NeuralLM.load(d)
    ref = Reference(w, tokenizer_bytes)
    sp = ref.sp
    assert lm.word_log10_probs("she reports (pa", ["pain"]) == lm.word_log10_probs("she reports (", ["pain"], next_word=True)
    for chunk, word in [("(", "pain"), ("pa", "in")]:
        pre, full = sp.encode(chunk), sp.encode(chunk + word)
        got = lm.word_log10_probs("she reports " + chunk, [word], next_word=True)[0]
        ctx = ref.context_ids("she reports ")
        if full[: len(pre)] == pre:  # conditioned on the chunk's own pieces
            want = ref.pieces_log10(ctx + pre, full[len(pre):])
        else:  # segmentations differ: the chunk and word are scored together
            want = ref.pieces_log10(ctx, full)
        assert got == pytest.approx(want, abs=1e-4, rel=5e-5)
    replaced = lm.word_log10_probs("she reports pa", ["pain"])[0]
    assert replaced == pytest.approx(ref.word_log10(ref.context_ids("she reports "), "pain"), abs=1e-4, rel=5e-5)
    out = lm.rerank("she reports pa", [Suggestion("in", -1.0, "next"), Suggestion("x", -2.0, "next")], k=2)
    assert {s.text for s in out} == {"in", "x"}


# ---------------------------------------------------------------- training helpers (no torch)

def test_training_mixture_never_reads_eval_and_holds_out(tmp_path, monkeypatch):
    from keywise.train import data

    shared = tmp_path / "shared"
    for rel in data.WEIGHTS:
        f = shared / "corpora" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("".join(f"{rel} line {i}\n" for i in range(100)))
    corpus = data.load_corpus(shared, seed=0)
    lines = [ln for b in corpus.train_blocks for ln in b]
    held = set(corpus.heldout)
    assert len(held) == 10 and all(data.HELDOUT_FILE in h for h in held)
    assert not held & set(lines)  # held-out lines never reach training
    notes = sum(1 for ln in lines if ln.startswith(data.HELDOUT_FILE))
    assert notes == 90 * int(data.WEIGHTS[data.HELDOUT_FILE])
    lighter = data.load_corpus(shared, seed=0, weights={data.HELDOUT_FILE: 2})
    assert sum(1 for b in lighter.train_blocks for ln in b if ln.startswith(data.HELDOUT_FILE)) == 90 * 2
    assert lighter.sources[data.HELDOUT_FILE]["weight"] == 2
    with pytest.raises(ValueError, match="unknown training file"):
        data.load_corpus(shared, seed=0, weights={"clinical/eval/aci_bench_notes.txt": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        data.mixture_weights({data.HELDOUT_FILE: float("nan")})
    monkeypatch.setitem(data.WEIGHTS, "clinical/eval/aci_bench_notes.txt", 1.0)
    with pytest.raises(ValueError):
        data.load_corpus(shared, seed=0)


def test_perplexity_mixture_arithmetic():
    from keywise.train.evaluate import perplexities

    pairs = [(-1.0, -2.0), (-2.0, -1.0)]
    p = perplexities(pairs, grid=(0.0, 0.5, 1.0))
    assert p["ngram"] == pytest.approx(10**1.5) and p["neural"] == pytest.approx(10**1.5)
    mixed = 10 ** (-math.log10(0.5 * 0.1 + 0.5 * 0.01))
    assert p["mixture"]["0.5"] == pytest.approx(mixed) and set(p["mixture"]) == {"0", "0.5", "1"}
    assert p["mixture"]["0.5"] < p["ngram"]
    assert perplexities([]) == {"words": 0}


def test_rerank_long_word_keeps_its_ngram_score(pack, tokenizer_bytes):
    d, _ = pack
    lm = neural.NeuralLM.load(d)
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(tokenizer_bytes)
    long_word = "shortnessabdominaltendernessquadrant"
    assert len(sp.encode(long_word)) > neural.RERANK_MAX_PIECES
    out = lm.rerank("the ", [Suggestion(long_word, -1.0), Suggestion("pain", -1.0)], k=2)
    got = {s.text: s.score for s in out}
    assert got[long_word] == pytest.approx(-1.0)
    assert got["pain"] != pytest.approx(-1.0)  # scored words are mixed
    assert lm.word_log10_probs("the ", [long_word])[0] != lm.word_log10_probs("the ", [long_word])[0]  # nan


def test_training_card_renders_records(tmp_path):
    from keywise.train import card

    run = {"command": "python -m keywise.train build --seed 0", "seed": 0,
           "hyper_parameters": {"tokenizer": "unigram", "model": "lstm", "minutes_budget": 1, "batch": 2, "seq": 3,
                                "lr": 0.1, "torch_threads": 1},
           "result": {"steps": 5, "tokens": 30, "minutes": 1.0}, "heldout_piece_ppl": {"onnx_int8": 9.5},
           "files": {"model.onnx": {"sha256": "0" * 64, "bytes": 2_000_000}},
           "data": {"weights": {"a.txt": 2.0}, "heldout": "last 10%"}}
    (tmp_path / "training.json").write_text(json.dumps({"runs": [run]}))
    (tmp_path / "manifest.json").write_text(json.dumps({"mix_weight": 0.4}))
    text = card.render(tmp_path)
    assert "python -m keywise.train build --seed 0" in text and "5 steps" in text and "0.4" in text
    assert "eval/aci_bench_notes" not in text  # no eval record, no eval section


def test_onnx_state_recovers_weights_from_an_int8_step_model(tmp_path):
    """Continuing a run from the shipped int8 model: the dequantised weights land in the
    PieceLSTM state-dict layout (gates split into input and recurrent parts, transposed)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from keywise.train.build import onnx_state

    rng = np.random.default_rng(3)
    vocab, embed, hidden = 40, 6, 5
    w = {
        "emb": rng.normal(0, 0.5, (vocab, embed)), "w_gates": rng.normal(0, 0.5, (embed + hidden, 4 * hidden)),
        "b_gates": rng.normal(0, 0.5, 4 * hidden), "w_proj": rng.normal(0, 0.5, (hidden, embed)),
        "w_out": rng.normal(0, 0.5, (embed, vocab)), "out_bias": rng.normal(0, 0.5, vocab),
    }
    w = {k: v.astype(np.float32) for k, v in w.items()}
    nodes = [
        helper.make_node("Gather", ["emb", "tokens"], ["x"], axis=0),
        helper.make_node("Concat", ["x", "h"], ["xh"], axis=1),
        helper.make_node("MatMul", ["xh", "w_gates"], ["z0"]),
        helper.make_node("Add", ["z0", "b_gates"], ["z"]),
        helper.make_node("MatMul", ["h", "w_proj"], ["p"]),
        helper.make_node("MatMul", ["p", "w_out"], ["l0"]),
        helper.make_node("Add", ["l0", "out_bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "step",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info("h", TensorProto.FLOAT, ["batch", hidden])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4 * hidden]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", vocab])],
        [numpy_helper.from_array(v, k) for k, v in w.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    fp32.write_bytes(model.SerializeToString())
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
    names = {i.name for i in onnx.load(str(int8)).graph.initializer}
    assert "w_gates_quantized" in names and "emb_quantized" in names  # the round trip is real

    state = onnx_state(str(int8), embed, hidden)
    tol = 0.02  # int8 steps over a [-2, 2] range
    assert np.allclose(state["emb.weight"], w["emb"], atol=tol)
    assert np.allclose(state["lstm.weight_ih_l0"], w["w_gates"][:embed].T, atol=tol)
    assert np.allclose(state["lstm.weight_hh_l0"], w["w_gates"][embed:].T, atol=tol)
    assert np.allclose(state["proj.weight"], w["w_proj"].T, atol=tol)
    assert np.array_equal(state["lstm.bias_ih_l0"], w["b_gates"]) and not state["lstm.bias_hh_l0"].any()
    assert state["lstm.weight_hh_l0"].shape == (4 * hidden, hidden)
    with pytest.raises(ValueError, match="do not match"):
        onnx_state(str(int8), embed + 1, hidden)
    with pytest.raises(ValueError, match="not a keywise"):
        onnx_state(str(_plain(tmp_path)), embed, hidden)


def _plain(tmp_path: Path) -> Path:
    """An ONNX file without the step model's weights."""
    graph = helper.make_graph([helper.make_node("Identity", ["a"], ["b"])], "g",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "plain.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def _engine_with_tiny_neural(pack, tiny_pack: Path, tmp_path: Path):
    """The tiny n-gram pack with the tiny neural model in it, loaded by keywise.Engine."""
    import keywise

    full = tmp_path / "full"
    shutil.copytree(tiny_pack, full)
    shutil.copytree(pack[0], full / "neural")
    eng = keywise.Engine.load(full, neural=True)
    assert eng.neural
    return eng


def test_field_leaves_out_what_the_reranked_strip_showed(pack, tiny_pack, tmp_path):
    # The neural path reranks the pool in Python; the field must remember the reranked strip.
    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    field = eng.field()
    shown: set[str] = set()
    for text in ["The patient ", "The patient d", "The patient di"]:
        got = [s.text.lower() for s in field.suggest(text, 3)]
        assert not shown & set(got), (text, got, shown)
        shown |= set(got)
    # Without the field the strip repeats (so the assertion above can fail).
    first = {s.text.lower() for s in eng.suggest("The patient d", 3)}
    assert first & {s.text.lower() for s in eng.suggest("The patient di", 3)}


def test_incognito_leaves_no_neural_cache_of_its_text(pack, tiny_pack, tmp_path):
    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    lm = eng._neural
    text = "The patient denies chest pain and "
    before = [(s.text, s.score) for s in eng.suggest(text, 3)]
    with eng.incognito():
        with eng.incognito():
            eng.suggest("Zebra quartz ", 3)
        assert lm._path_ids  # still inside the outer block: the caches serve it
        eng.suggest(text + "sh", 3)
    for cache in (lm._path_ids, lm._path_states, lm._word_cache, lm._piece_cache, lm._branches):
        assert not cache
    assert lm._last_context is None and lm._branch_key is None
    # Same answers afterwards: the caches only saved work.
    after = [(s.text, s.score) for s in eng.suggest(text, 3)]
    assert [t for t, _ in after] == [t for t, _ in before]
    assert [v for _, v in after] == pytest.approx([v for _, v in before], abs=1e-9)


def test_field_focus_reads_the_prefilled_text_before_the_first_keystroke(pack, tiny_pack, tmp_path):
    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    lm = eng._neural
    text = "Chief complaint: chest pain. The patient denies fever and reports "
    cold = [(s.text, s.score) for s in eng.field().suggest(text, 3)]
    lm.forget()
    field = eng.field()
    field.focus(text)
    read = lm.steps_run
    assert read > 0 and lm._path_ids  # the context was run at focus
    primed = [(s.text, s.score) for s in field.suggest(text, 3)]
    # The first keystroke only scores the pool's words: no row of the context is run again.
    context_rows = len(lm._encode_context(*lm._split(text)[:2]))
    assert lm.steps_run - read < context_rows
    assert [t for t, _ in primed] == [t for t, _ in cold]
    assert [v for _, v in primed] == pytest.approx([v for _, v in cold], abs=1e-6)
    field.focus("")  # nothing to read; the field forgets what it showed
    assert [s.text for s in field.suggest(text, 3)] == [t for t, _ in cold]
    with pytest.raises(keywise.InputError):
        field.focus(None)  # type: ignore[arg-type]


def test_closing_an_incognito_field_drops_the_neural_caches(pack, tiny_pack, tmp_path):
    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    lm = eng._neural
    with eng.field() as normal:
        normal.suggest("The patient denies ", 3)
    assert lm._path_ids  # a normal field's end keeps the caches (they only save work)
    with eng.field(incognito=True) as private:
        private.suggest("Zebra quartz ", 3)
        assert lm._path_ids
    assert not lm._path_ids and not lm._path_states and not lm._word_cache


def test_forget_context_drops_the_neural_caches(pack, tiny_pack, tmp_path):
    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    eng.suggest("The patient denies ", 3)
    assert eng._neural._path_ids
    eng.forget_context()
    assert not eng._neural._path_ids and not eng._neural._word_cache
    keywise.Engine.load(tiny_pack, neural=False).forget_context()  # nothing to drop: no error


# ---------------------------------------------------------------- the context model (cell in a Scan)

def _with_context(src: Path, dst: Path) -> Path:
    from keywise.train.context import write_context_model

    shutil.copytree(src, dst)
    write_context_model(dst)
    return dst


def test_context_model_gives_the_step_models_scores(pack, tokenizer_bytes, tmp_path):
    """Typing, backspacing into a context run, a sliding window: the same scores either way."""
    d, w = pack
    plain = neural.NeuralLM.load(d)
    fast = neural.NeuralLM.load(_with_context(d, tmp_path / "ctx"))
    assert plain._context_session is None and fast._context_session is not None
    runs = []
    run = fast._run_context
    fast._run_context = lambda t, h, c: runs.append(len(t)) or run(t, h, c)
    ref = Reference(w, tokenizer_bytes)
    words = ["pain", "the", "patient", "fever"]
    long = " ".join(LINES[:12]) + " "
    texts = [long[:n] for n in range(40, len(long), 7)]
    texts += [long[:200], long[:120], long[:121], long[:60] + "\n" + long[:90]]  # back, then pasted
    for text in texts:
        got, want = fast.word_log10_probs(text, words), plain.word_log10_probs(text, words)
        assert got == pytest.approx(want, abs=1e-5), text[-30:]
    assert runs and max(runs) > 10  # the long catch-ups went through the context model
    # The order above reuses states with more history than the window (as an LSTM may); from
    # nothing cached, the context run gives the reference's uncached answer.
    fast.forget()
    ctx = long[:121][: long[:121].rfind(" ") + 1]
    for _ in range(2):  # a context run, then its reuse
        assert fast.word_log10_probs(long[:121], ["pain"])[0] == pytest.approx(
            ref.word_log10(ref.context_ids(ctx), "pain"), abs=1e-4, rel=5e-5)


def test_context_model_catches_up_in_one_call(pack, tmp_path):
    fast = neural.NeuralLM.load(_with_context(pack[0], tmp_path / "ctx"))
    calls = []
    run = fast._run
    fast._run = lambda t, h, c: calls.append(len(t)) or run(t, h, c)
    fast.word_log10_probs(" ".join(LINES[:4]) + " ", ["pain"])
    # One context run, one step for the context's last piece, then the word's pieces (batched).
    assert len(calls) <= 1 + len(fast._pieces("pain"))


def test_context_model_bad_files(pack, tmp_path):
    errs = _errors()
    d = _with_context(pack[0], tmp_path / "ctx")
    tampered = _copy(d, tmp_path / "t1")
    data = bytearray((tampered / "context.onnx").read_bytes())
    data[len(data) // 2] ^= 1
    (tampered / "context.onnx").write_bytes(bytes(data))
    with pytest.raises(errs.PackError, match="context model file context.onnx does not match"):
        neural.NeuralLM.load(tampered)

    def rewrite(dst: Path, body: bytes) -> Path:
        (dst / "context.onnx").write_bytes(body)
        m = json.loads((dst / "manifest.json").read_text())
        m["sha256"]["context.onnx"] = hashlib.sha256(body).hexdigest()
        (dst / "manifest.json").write_text(json.dumps(m))
        return dst

    step = (d / "model.onnx").read_bytes()
    with pytest.raises(errs.PackError, match="context model has inputs"):
        neural.NeuralLM.load(rewrite(_copy(d, tmp_path / "t2"), step))
    with pytest.raises(errs.PackError, match="context model file is not a loadable"):
        neural.NeuralLM.load(rewrite(_copy(d, tmp_path / "t3"), b"\x08\x01garbage"))
    # A context model of other weights: caught by the load-time check, not at a keystroke.
    from keywise.train.context import context_model

    vocab = json.loads((d / "manifest.json").read_text())["vocab_size"]
    other = context_model(onnx.load_from_string(_model_bytes(vocab, _weights(vocab, seed=7)))).SerializeToString()
    with pytest.raises(errs.PackError, match="does not give the step model's states"):
        neural.NeuralLM.load(rewrite(_copy(d, tmp_path / "t4"), other))
    missing = _copy(d, tmp_path / "t5")
    (missing / "context.onnx").unlink()
    with pytest.raises(errs.PackError, match="context model file is missing"):
        neural.NeuralLM.load(missing)


def test_engine_sets_the_neural_threads(pack, tiny_pack, tmp_path):
    import keywise

    eng = _engine_with_tiny_neural(pack, tiny_pack, tmp_path)
    assert eng._neural.threads == 1
    two = keywise.Engine.load(eng.path, neural=True, neural_threads=2)
    assert two._neural.threads == 2
    assert two._neural._session.get_session_options().intra_op_num_threads == 2
    for bad in (0, 65, 1.5, True, "2"):
        with pytest.raises(keywise.InputError):
            keywise.Engine.load(eng.path, neural_threads=bad)


def test_engine_falls_back_with_one_warning(pack, tiny_pack, tmp_path, monkeypatch):
    """No neural model in the pack, no onnxruntime, a broken model: one warning and the n-gram
    engine by default; `neural=True` raises PackError instead; `neural=False` stays silent."""
    import sys
    import warnings

    import keywise

    def load_warns(path, match):
        with pytest.warns(RuntimeWarning, match=match) as got:
            eng = keywise.Engine.load(path)
        assert len(got) == 1 and not eng.neural
        assert str(path) in str(got[0].message) or "not installed" in str(got[0].message)
        with pytest.raises(keywise.PackError):
            keywise.Engine.load(path, neural=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not keywise.Engine.load(path, neural=False).neural

    load_warns(tiny_pack, "has no neural model")
    full = _engine_with_tiny_neural(pack, tiny_pack, tmp_path).path
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert keywise.Engine.load(full).neural  # present and loadable: no warning
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "onnxruntime", None)  # as on a machine without it
        load_warns(full, "onnxruntime is not installed")
    (full / "neural" / "model.onnx").write_bytes(b"not a model")
    load_warns(full, "could not be loaded")
