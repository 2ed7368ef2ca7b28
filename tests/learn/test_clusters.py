"""Word clusters of the training text: words used alike share a cluster; the file round-trips;
the tagger's features carry them."""

from __future__ import annotations

import pickle

from eventcoder.learn.clusters import learn_clusters, read_clusters, write_clusters
from eventcoder.learn.features import sentence_features
from eventcoder.learn.tokens import sentences
from eventcoder.lexicon import Lexicon

# names only ever follow "mr"/"said"; weapons only "with a"/"exploded": two kinds of context
NAMES = ["garcia", "zamora", "vargas", "lopez", "castro", "rivas"]
WEAPONS = ["bomb", "grenade", "mine", "rocket", "charge", "device"]


def corpus() -> list[list[str]]:
    docs = []
    for i in range(60):
        n, m = NAMES[i % 6], NAMES[(i + 2) % 6]
        w, v = WEAPONS[i % 6], WEAPONS[(i + 3) % 6]
        docs.append(f"police said mr {n} and mr {m} were seen . attackers came with a {w} that exploded , "
                    f"then with a {v} that exploded .".split())
    return docs


def test_words_used_in_the_same_contexts_share_a_cluster_and_others_do_not():
    clusters = learn_clusters(corpus(), clusters=4, dimensions=5, min_count=3)
    assert len({clusters[w] for w in NAMES}) == 1
    assert len({clusters[w] for w in WEAPONS}) == 1
    assert clusters[NAMES[0]] != clusters[WEAPONS[0]]


def test_the_same_text_and_seed_give_the_same_clusters():
    a = learn_clusters(corpus(), clusters=3, dimensions=3, min_count=3)
    assert a == learn_clusters(corpus(), clusters=3, dimensions=3, min_count=3)
    assert set(a) == {w for d in corpus() for w in set(d)}  # every word seen three times or more


def test_too_small_a_text_gives_no_clusters_rather_than_failing():
    assert learn_clusters([["one", "two"]], clusters=8, min_count=1) == {}


def test_the_file_round_trips_and_a_model_without_one_has_no_clusters(tmp_path):
    clusters = {"garcia": "3", "bomb": "0", "l'aquila": "12"}
    write_clusters(clusters, tmp_path / "clusters.tsv")
    assert read_clusters(tmp_path / "clusters.tsv") == clusters
    assert read_clusters(tmp_path / "missing.tsv") == {}


def test_the_tagger_features_carry_the_clusters_of_a_token_and_its_neighbours():
    text = "mr garcia was killed."
    sent = sentences(text)[0]
    lexicon = Lexicon()
    plain = sentence_features(text, sent, 0, 1, lexicon)
    with_clusters = sentence_features(text, sent, 0, 1, lexicon, {"garcia": "7", "killed": "2"})
    garcia = [t.text for t in sent].index("garcia")
    added = set(with_clusters[garcia]) - set(plain[garcia])
    assert added == {"c=7"}
    was = garcia + 1
    assert set(with_clusters[was]) - set(plain[was]) == {"c-1=7", "c+1=2"}
    assert not [f for f in plain[garcia] if f.split("=")[0] in ("c", "c-1", "c+1")]


def test_a_tagger_pickles_with_its_clusters(tmp_path):
    import pycrfsuite

    from eventcoder.learn.tagger import RoleTagger

    text = "the fmln attacked the post."
    sent = sentences(text)[0]
    lexicon = Lexicon()
    clusters = {"fmln": "1", "post": "2"}
    trainer = pycrfsuite.Trainer(verbose=False)
    labels = ["O", "B-PerpOrg", "O", "O", "B-Target", "O"]
    trainer.append(sentence_features(text, sent, 0, 1, lexicon, clusters), labels)
    trainer.set_params({"max_iterations": 5})
    trainer.train(str(tmp_path / "t.crfsuite"))
    tagger = RoleTagger(tmp_path / "t.crfsuite", lexicon, clusters=clusters)
    again = pickle.loads(pickle.dumps(tagger))
    assert again.clusters == clusters
    assert again.tag(text, [sent]) == tagger.tag(text, [sent])
