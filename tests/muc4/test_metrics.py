"""The three MUC-4 scorers against every worked example of METRICS.md, plus properties.

Gold is built by hand with the dataclasses; figures in the asserts are the spec's.
"""

from __future__ import annotations

import itertools
import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.errors import ConfigError, InputError
from eventcoder.muc4 import (
    BUCKETS,
    ROLES,
    MucDocument,
    MucTemplate,
    Prf,
    normalize_mention,
    score_ceaf_ree,
    score_ceaf_rme,
    score_gtt,
)

FMLN = ["farabundo marti national liberation front", "fmln"]


def tpl(incident_type: str, **roles: list[list[str]]) -> MucTemplate:
    return MucTemplate(
        incident_type, {r: tuple(tuple(e) for e in roles.get(r, [])) for r in ROLES}
    )


def doc(*templates: MucTemplate, extracts: dict | None = None, docid: str = "D1") -> MucDocument:
    if extracts is not None:
        extracts = {r: tuple(tuple(e) for e in extracts.get(r, [])) for r in ROLES}
    return MucDocument(docid, "", None, tuple(templates), extracts)


def pred(incident_type, **roles) -> dict:
    return {"incident_type": incident_type, **roles}


def counters(prf: Prf) -> tuple:
    return (prf.p_num, prf.p_den, prf.r_num, prf.r_den)


# --- 0.1 normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("The U.S. Embassy", "us embassy"),
        ("an FMLN unit", "fmln unit"),
        ("\u201cthe guerrillas\u201d", "\u201c guerrillas\u201d"),  # curly quotes survive
        ("u.s.", "us"),
        ("army's", "armys"),
        ("a-37", "a37"),
        ("theater", "theater"),
        ("  the   guerrilla   column ", "guerrilla column"),
        ("a", ""),
    ],
)
def test_normalize_mention_examples(raw, expected):
    assert normalize_mention(raw) == expected


def test_curly_quoted_mention_does_not_match_plain_gold():
    gold = [doc(tpl("attack", PerpInd=[["guerrillas"]]))]
    curly = score_gtt(gold, {"D1": [pred("attack", PerpInd=[["\u201cthe guerrillas\u201d"]])]})
    assert counters(curly.buckets["PerpInd"]) == (0, 1, 0, 1)


@given(st.text())
def test_normalize_mention_is_idempotent(s):
    once = normalize_mention(s)
    assert normalize_mention(once) == once


# --- 0.4 Prf -------------------------------------------------------------------------------


def test_prf_arithmetic_and_zero_rules():
    total = Prf(1, 2, 1, 4) + Prf(2, 2, 0, 0)
    assert counters(total) == (3, 4, 1, 4)
    assert total.as_percent() == (75.0, 25.0, 37.5)
    assert Prf(0, 3, 0, 0).f1 == 0.0
    assert Prf(0, 0, 2, 2).as_percent() == (0.0, 100.0, 0.0)


# --- GTT template F1, examples 1-8 ---------------------------------------------------------

EX1_GOLD = [
    doc(
        tpl("attack", PerpInd=[["guerrillas", "guerrilla column"]], PerpOrg=[FMLN],
            Victim=[["jose garcia"]]),
        tpl("bombing", PerpOrg=[FMLN], Target=[["power station"]], Weapon=[["dynamite"]]),
    )
]
EX1_P1 = pred("attack", PerpInd=[["the guerrillas"]], PerpOrg=[["FMLN"]],
              Victim=[["Jose Garcia"], ["his bodyguard"]])
EX1_P2 = pred("bombing", Target=[["electric power station"]], Weapon=[["dynamite"]])


def test_example_1_two_incidents_both_found():
    result = score_gtt(EX1_GOLD, {"D1": [EX1_P1, EX1_P2]})
    expected = {
        "incident_type": (2, 2, 2, 2),
        "PerpInd": (1, 1, 1, 1),
        "PerpOrg": (1, 1, 1, 2),
        "Target": (0, 1, 0, 1),
        "Victim": (1, 2, 1, 1),
        "Weapon": (1, 1, 1, 1),
    }
    assert {b: counters(result.buckets[b]) for b in BUCKETS} == expected
    assert counters(result.micro) == (6, 8, 6, 8)
    assert result.micro.as_percent() == (75.0, 75.0, 75.0)
    reordered = score_gtt(EX1_GOLD, {"D1": [EX1_P2, EX1_P1]})
    assert {b: counters(reordered.buckets[b]) for b in BUCKETS} == expected


def test_example_2_wrong_type_loses_the_template():
    p2 = dict(EX1_P2, incident_type="attack")
    result = score_gtt(EX1_GOLD, {"D1": [EX1_P1, p2]})
    assert counters(result.micro) == (4, 8, 4, 8)
    assert result.micro.as_percent()[2] == 50.0
    assert counters(result.buckets["Weapon"]) == (0, 1, 0, 1)  # the correct dynamite earns nothing


def test_example_3_compound_gold_type_is_a_substring_test():
    gold = [doc(tpl("attack / bombing", Target=[["embassy"]]))]
    result = score_gtt(gold, {"D1": [pred("bombing", Target=[["the embassy"]])]})
    assert counters(result.micro) == (2, 2, 2, 2)
    assert result.micro.as_percent() == (100.0, 100.0, 100.0)

    reverse_gold = [doc(tpl("attack", Target=[["embassy"]]))]
    reverse = score_gtt(reverse_gold, {"D1": [pred("attack / bombing", Target=[["embassy"]])]})
    assert counters(reverse.micro) == (0, 2, 0, 2)
    assert reverse.micro.f1 == 0.0


def test_example_4_multi_mention_prediction():
    gold = [doc(tpl("kidnapping", Victim=[["carlos ramirez mendoza", "carlos ramirez"]]))]
    two = score_gtt(gold, {"D1": [pred("kidnapping", Victim=[["carlos ramirez", "ramirez"]])]})
    assert counters(two.buckets["Victim"]) == (0, 1, 0, 1)
    assert two.micro.as_percent() == (50.0, 50.0, 50.0)
    one = score_gtt(gold, {"D1": [pred("kidnapping", Victim=[["carlos ramirez"]])]})
    assert one.micro.as_percent() == (100.0, 100.0, 100.0)


def test_example_5_spurious_template_in_irrelevant_document():
    gold = [doc()]
    result = score_gtt(gold, {"D1": [pred("attack", PerpOrg=[["army"]], Target=[["bus"]])]})
    assert counters(result.micro) == (0, 3, 0, 0)
    assert result.micro.as_percent() == (0.0, 0.0, 0.0)


def test_example_6_missed_type_only_template():
    gold = [doc(tpl("attack"))]
    missed = score_gtt(gold, {"D1": []})
    assert counters(missed.micro) == (0, 0, 0, 1)
    found = score_gtt(gold, {"D1": [pred("attack")]})
    assert counters(found.buckets["incident_type"]) == (1, 1, 1, 1)
    assert counters(found.micro) == (1, 1, 1, 1)


def test_example_7_over_splitting_one_incident():
    gold = [doc(tpl("attack", Victim=[["mayor"], ["driver"]]))]
    t1 = pred("attack", Victim=[["mayor"]])
    t2 = pred("attack", Victim=[["mayor"], ["driver"]])
    result = score_gtt(gold, {"D1": [t1, t2]})
    assert counters(result.micro) == (3, 5, 3, 3)
    assert result.micro.as_percent() == (60.0, 100.0, 75.0)


def test_example_8_empty_entity_quirk_is_neutralised():
    gold = [doc(tpl("attack", Victim=[["mayor"], ["driver"]]))]
    result = score_gtt(gold, {"D1": [pred("attack", Victim=[[]])]})
    # The reference scorer gives Victim 1/1, 2/2 and F1 100 here; we drop the empty entity.
    assert result.cleanup.dropped_entities == 1
    assert counters(result.buckets["Victim"]) == (0, 0, 0, 2)
    assert result.micro.as_percent() == (100.0, 33.33, 50.0)


def test_blank_mentions_are_dropped_and_counted():
    gold = [doc(tpl("attack", Victim=[["mayor"]]))]
    result = score_gtt(gold, {"D1": [pred("attack", Victim=[["", "mayor"], ["  "], [None]])]})
    assert result.cleanup.dropped_mentions == 3
    assert result.cleanup.dropped_entities == 2
    assert counters(result.buckets["Victim"]) == (1, 1, 1, 1)


def test_non_string_incident_type_is_scored_as_attack():
    gold = [doc(tpl("attack", Target=[["bus"]]))]
    result = score_gtt(gold, {"D1": [pred(None, Target=[["bus"]])]})
    assert result.cleanup.retyped == 1
    assert result.micro.as_percent() == (100.0, 100.0, 100.0)


def test_duplicate_gold_templates_are_scored_once():
    template = tpl("bombing", Weapon=[["dynamite"]])
    result = score_gtt([doc(template, template)], {"D1": [pred("bombing", Weapon=[["dynamite"]])]})
    assert counters(result.micro) == (2, 2, 2, 2)


def test_missing_and_extra_documents():
    gold = [doc(tpl("attack", Target=[["bus"]]), docid="A"), doc(docid="B")]
    result = score_gtt(gold, {"B": [], "ZZZ": [pred("attack", Target=[["bus"]])]})
    assert counters(result.micro) == (0, 0, 0, 2)  # A unpredicted, ZZZ ignored


@pytest.mark.parametrize(
    "bad",
    [
        [pred("attack", Perpind=[["fmln"]])],  # misspelt role
        [pred("attack", PerpOrg=["fmln"])],  # entity given as a bare string
        [pred("attack", PerpOrg=[[3]])],  # mention not a string
        ["attack"],  # template not an object
    ],
)
def test_malformed_predictions_raise_input_error(bad):
    with pytest.raises(InputError):
        score_gtt([doc(tpl("attack"))], {"D1": bad})


# --- GTT alignment search ------------------------------------------------------------------

VOCAB = ["fmln", "army", "bus", "mayor", "driver", "dynamite"]
TYPES = ["attack", "bombing", "attack / bombing", "kidnapping"]


def _naive_gtt(gold: list[MucTemplate], preds: list[dict]) -> dict[str, tuple]:
    """Section 1.3-1.4 transcribed literally: enumerate every alignment, keep the first best."""
    unique = []
    for t in gold:
        if t not in unique:
            unique.append(t)
    gold = unique

    def score(mapping):
        c = {b: [0, 0, 0, 0] for b in BUCKETS}
        aligned_gold = set()
        for i, p in enumerate(preds):
            j = mapping[i]
            if j >= 0 and p["incident_type"] in gold[j].incident_type:
                aligned_gold.add(j)
                c["incident_type"] = [x + 1 for x in c["incident_type"]]
                for role in ROLES:
                    g_ents = [set(e) for e in gold[j].roles[role]]
                    p_ents = [set(e) for e in p.get(role, [])]
                    for pe in p_ents:
                        c[role][1] += 1
                        c[role][0] += any(pe <= ge for ge in g_ents)
                    for ge in g_ents:
                        c[role][3] += 1
                        c[role][2] += any(pe <= ge for pe in p_ents)
            else:
                c["incident_type"][1] += 1
                for role in ROLES:
                    c[role][1] += len(p.get(role, []))
        for j, g in enumerate(gold):
            if j not in aligned_gold:
                c["incident_type"][3] += 1
                for role in ROLES:
                    c[role][3] += len(g.roles[role])
        return c

    def f1(c):
        pn, pd, rn, rd = (sum(c[b][k] for b in BUCKETS) for k in range(4))
        p = Fraction(pn, pd) if pd else Fraction(0)
        r = Fraction(rn, rd) if rd else Fraction(0)
        return 0 if p + r == 0 else 2 * p * r / (p + r)

    best = best_f1 = None
    for mapping in itertools.product(list(range(len(gold))) + [-1], repeat=len(preds)):
        used = [j for j in mapping if j >= 0]
        if len(used) != len(set(used)):
            continue
        c = score(mapping)
        if best is None or f1(c) > best_f1:
            best, best_f1 = c, f1(c)
    return {b: tuple(best[b]) for b in BUCKETS}


_entity = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=2, unique=True)
_roles = st.fixed_dictionaries({r: st.lists(_entity, max_size=2) for r in ROLES})
_gold_template = st.builds(
    lambda t, roles: tpl(t, **roles), st.sampled_from(TYPES), _roles
)
_pred_template = st.builds(
    lambda t, roles: pred(t, **roles), st.sampled_from(TYPES[:2] + TYPES[3:]), _roles
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_gold_template, max_size=4), st.lists(_pred_template, max_size=4))
def test_search_equals_full_enumeration_per_bucket(gold, preds):
    result = score_gtt([doc(*gold)], {"D1": preds})
    assert {b: counters(result.buckets[b]) for b in BUCKETS} == _naive_gtt(gold, preds)
    assert result.n_approximate == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_gold_template, max_size=5),
    st.lists(_pred_template, max_size=6),
    st.randoms(use_true_random=False),
)
def test_shuffling_predicted_templates_keeps_the_score(gold, preds, rnd):
    shuffled = list(preds)
    rnd.shuffle(shuffled)
    before = score_gtt([doc(*gold)], {"D1": preds}).micro
    after = score_gtt([doc(*gold)], {"D1": shuffled}).micro
    assert after.f1 == pytest.approx(before.f1, abs=1e-12)


def _big_document(seed: int, n_gold: int, n_pred: int) -> tuple[list[MucDocument], dict]:
    rnd = random.Random(seed)
    gold = [
        tpl(rnd.choice(TYPES), Target=[[w] for w in rnd.sample(VOCAB, 2)]) for _ in range(n_gold)
    ]
    preds = [
        pred(rnd.choice(TYPES[:2]), Target=[[rnd.choice(VOCAB)]]) for _ in range(n_pred)
    ]
    return [doc(*gold)], {"D1": preds}


def test_over_generating_document_is_scored_exactly_and_fast():
    gold, preds = _big_document(seed=7, n_gold=6, n_pred=25)  # 7**25 alignments
    start = time.perf_counter()
    result = score_gtt(gold, preds)
    assert time.perf_counter() - start < 5
    assert result.n_approximate == 0
    assert counters(result.micro)[1] == 25 + 25  # every predicted type and entity is counted


def test_search_budget_falls_back_and_flags_the_document():
    gold, preds = _big_document(seed=3, n_gold=5, n_pred=12)  # 6**12 > 2 million
    exact = score_gtt(gold, preds)
    approx = score_gtt(gold, preds, max_search_nodes=5)
    assert exact.approximate_docids == ()
    assert approx.approximate_docids == ("D1",)
    assert approx.micro.p_den == exact.micro.p_den and approx.micro.r_den == exact.micro.r_den
    assert 0 < approx.micro.f1 <= exact.micro.f1


def test_small_search_is_never_budgeted():
    gold, preds = _big_document(seed=5, n_gold=3, n_pred=6)  # 4**6 alignments: enumerate all
    assert score_gtt(gold, preds, max_search_nodes=1).n_approximate == 0


# --- CEAF-REE, examples 9-10 ---------------------------------------------------------------

EX9_EXTRACTS = {
    "PerpOrg": [FMLN],
    "Target": [["power station", "electric substation"], ["bus"]],
    "Weapon": [["dynamite"]],
}
EX9_GOLD = [doc(extracts=EX9_EXTRACTS)]


def test_example_9_coreferent_names_as_separate_entities():
    prediction = {
        "PerpOrg": [["FMLN"], ["farabundo marti national liberation front"]],
        "Target": [["the power station"], ["electric substation"], ["buses"]],
        "Weapon": [["dynamite"], ["explosives"]],
    }
    result = score_ceaf_ree(EX9_GOLD, {"D1": prediction})
    assert counters(result.roles["PerpOrg"]) == (1, 2, 1, 1)
    assert counters(result.roles["Target"]) == (1, 3, 1, 2)
    assert counters(result.roles["Weapon"]) == (1, 2, 1, 1)
    assert counters(result.micro) == (3, 7, 3, 4)
    assert result.micro.as_percent() == (42.86, 75.0, 54.55)


def test_example_10_multi_mention_entities():
    prediction = {
        "PerpOrg": [["fmln", "farabundo marti national liberation front"]],
        "Target": [["power station", "bus"]],
        "Weapon": [["dynamite"]],
    }
    result = score_ceaf_ree(EX9_GOLD, {"D1": prediction})
    assert counters(result.micro) == (2, 3, 2, 4)
    assert result.micro.as_percent() == (66.67, 50.0, 57.14)


def test_ree_merges_templates_and_removes_exact_duplicates():
    templates = [
        pred("attack", PerpOrg=[["FMLN"]], Target=[["bus"]]),
        pred("bombing", PerpOrg=[["the fmln"]], Weapon=[["dynamite"]]),
    ]
    merged = score_ceaf_ree(EX9_GOLD, {"D1": templates})
    assert counters(merged.roles["PerpOrg"]) == (1, 1, 1, 1)
    assert counters(merged.micro) == (3, 3, 3, 4)
    # The same entities given as a role map keep their duplicate, which costs precision.
    role_map = {"PerpOrg": [["FMLN"], ["the fmln"]], "Target": [["bus"]], "Weapon": [["dynamite"]]}
    assert counters(score_ceaf_ree(EX9_GOLD, {"D1": role_map}).micro) == (3, 4, 3, 4)


def test_ree_needs_grit_extracts():
    with pytest.raises(ConfigError):
        score_ceaf_ree([doc(tpl("attack"))], {})


def test_ree_missing_prediction_is_predicted_nothing():
    result = score_ceaf_ree(EX9_GOLD, {})
    assert counters(result.micro) == (0, 0, 0, 4)


# --- CEAF-RME phi-subset -------------------------------------------------------------------


def test_rme_example_1():
    result = score_ceaf_rme(EX1_GOLD, {"D1": [EX1_P1, EX1_P2]})
    assert counters(result.micro) == (4, 6, 4, 6)
    assert result.micro.as_percent() == (66.67, 66.67, 66.67)


def test_rme_example_2_typed_mentions_only_match_their_type():
    p2 = dict(EX1_P2, incident_type="attack")
    result = score_ceaf_rme(EX1_GOLD, {"D1": [EX1_P1, p2]})
    assert counters(result.micro) == (3, 6, 3, 6)
    assert result.micro.as_percent() == (50.0, 50.0, 50.0)


def test_rme_uses_any_mention_not_all_mentions():
    gold = [doc(tpl("kidnapping", Victim=[["carlos ramirez mendoza", "carlos ramirez"]]))]
    two_mentions = pred("kidnapping", Victim=[["carlos ramirez", "ramirez"]])
    result = score_ceaf_rme(gold, {"D1": [two_mentions]})
    assert counters(result.micro) == (1, 1, 1, 1)  # the GTT metric gives this entity nothing


def test_rme_counts_hit_gold_entities_once():
    gold = [doc(tpl("attack", PerpOrg=[FMLN]))]
    preds = [pred("attack", PerpOrg=[["fmln"], ["farabundo marti national liberation front"]])]
    assert counters(score_ceaf_rme(gold, {"D1": preds}).micro) == (2, 2, 1, 1)


@pytest.mark.parametrize("predicted_type, expected", [
    ("bombing", (1, 1, 1, 1)),
    ("attack", (1, 1, 1, 1)),
    ("attack / bombing", (0, 1, 0, 1)),  # gold copies are retyped; the compound string is not
])
def test_rme_compound_gold_type_expansion(predicted_type, expected):
    gold = [doc(tpl("attack / bombing", Target=[["embassy"]]))]
    result = score_ceaf_rme(gold, {"D1": [pred(predicted_type, Target=[["the embassy"]])]})
    assert counters(result.micro) == expected


def test_rme_compound_copy_with_largest_row_sum_is_kept():
    # The "bombing" copy scores 2 over both predictions, the "attack" copy 1, so only the
    # bombing copy may be assigned: the attack prediction cannot borrow the template.
    gold = [doc(tpl("attack / bombing", Target=[["embassy"], ["bus"]]))]
    preds = [pred("bombing", Target=[["embassy"], ["bus"]]), pred("attack", Target=[["bus"]])]
    assert counters(score_ceaf_rme(gold, {"D1": preds}).micro) == (2, 3, 2, 2)


def test_rme_ignores_templates_without_entities():
    gold = [doc(tpl("attack"), tpl("bombing", Weapon=[["dynamite"]]))]
    preds = [pred("attack"), pred("bombing", Weapon=[["dynamite"]], Victim=[[]])]
    result = score_ceaf_rme(gold, {"D1": preds})
    assert counters(result.micro) == (1, 1, 1, 1)
    assert result.cleanup.dropped_entities == 1
