"""Word clusters learned from the training text, a feature of the role tagger.

A lower-cased wire story gives a tagger nothing to tell a surname from a verb but the words
themselves; a name the training keys never mention is just an unknown word. Words that occur
in the same contexts fall in the same cluster ("garcia", "zamora" and "jaramillo"; "fmln",
"guerrillas" and "commandos"; "kidnapped", "murdered" and "shot"), so what the tagger learns
for one holds for the others. The clusters come from the training text alone (no labels):
positive pointwise mutual information of each word with the words one and two places to its
left and right, reduced by a truncated SVD and grouped by k-means (scikit-learn, fixed seeds).

They are stored beside the tagger as ``clusters.tsv`` (word, tab, cluster number), so a model
keeps the clusters it was trained with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

CLUSTER_PARAMS = {"clusters": 128, "dimensions": 100, "min_count": 3, "contexts": 3000, "window": 2}
FILE = "clusters.tsv"


def learn_clusters(documents: Iterable[list[str]], seed: int = 0, **params: int) -> dict[str, str]:
    """word -> cluster number (as text) for every word seen ``min_count`` times or more in
    ``documents`` (each a list of lower-cased tokens)."""
    import numpy as np
    from scipy import sparse

    try:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import TruncatedSVD
    except ImportError as exc:  # the train extra is optional
        from ..errors import ConfigError

        raise ConfigError("training needs scikit-learn", fix="pip install 'eventcoder[train]'") from exc

    p = {**CLUSTER_PARAMS, **params}
    docs = [list(d) for d in documents]
    counts = Counter(w for d in docs for w in d)
    words = sorted(w for w, c in counts.items() if c >= p["min_count"])
    if len(words) < p["clusters"]:
        return {}
    index = {w: i for i, w in enumerate(words)}
    contexts = {w: i for i, (w, _) in enumerate(sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:p["contexts"]])}
    offsets = [o for o in range(-p["window"], p["window"] + 1) if o]
    rows, cols = [], []
    for d in docs:
        for i, w in enumerate(d):
            if w not in index:
                continue
            for k, o in enumerate(offsets):
                j = i + o
                if 0 <= j < len(d) and d[j] in contexts:
                    rows.append(index[w])
                    cols.append(contexts[d[j]] * len(offsets) + k)
    m = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(words), len(contexts) * len(offsets)))
    m.sum_duplicates()  # counts: sums of ones, exact in any order
    total = m.data.sum()
    pw = np.bincount(m.row, weights=m.data, minlength=m.shape[0]) / total
    pc = np.bincount(m.col, weights=m.data, minlength=m.shape[1]) / total
    pmi = np.maximum(np.log(m.data / total / (pw[m.row] * pc[m.col])), 0.0)
    ppmi = sparse.csr_matrix((pmi, (m.row, m.col)), shape=m.shape)
    z = TruncatedSVD(p["dimensions"], random_state=seed).fit_transform(ppmi)
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
    labels = KMeans(p["clusters"], random_state=seed, n_init=2).fit(z).labels_
    return {w: str(int(c)) for w, c in zip(words, labels)}


def write_clusters(clusters: Mapping[str, str], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for w in sorted(clusters):
            fh.write(f"{w}\t{clusters[w]}\n")


def read_clusters(path: Path) -> dict[str, str]:
    """The clusters in ``path``; none when the model was trained without them."""
    path = Path(path)
    if not path.exists():
        return {}
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, _, cluster = line.rstrip("\n").partition("\t")
            if word and cluster:
                out[word] = cluster
    return out
