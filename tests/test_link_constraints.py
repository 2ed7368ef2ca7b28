"""A person's link decisions: must and cannot win over scores, contradictions resolve the same way
every time, and merges and splits on a store survive re-linking (both backends)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from eventcoder.errors import ConfigError, StoreError
from eventcoder.link import link_incidents, load_pair_corpus, merge_events, relink, split_event
from eventcoder.link_cli import link as link_command
from eventcoder.records import Document, LinkConstraint
from eventcoder.store import Store
from factories import compact_incident

CORPUS = Path(__file__).parent / "data" / "link_pairs.yaml"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def rec(**kw):
    return compact_incident(**kw)


BASRA = ["Basra", "Basra", "IQ", 30.508, 47.783, "exact"]


def decision(a, b, kind, minute=0, id=0, who="ana", note=None):
    return LinkConstraint(id, a.incident_id, b.incident_id, kind, who, T0 + dt.timedelta(minutes=minute), note)


def groups(events):
    """The partition as a set of frozensets of incident ids."""
    return {frozenset(e.incident_ids) for e in events}


def together(events, *incs):
    """Whether the records are all in one event."""
    return any({i.incident_id for i in incs} <= g for g in groups(events))


# -- the linker ----------------------------------------------------------------------------------


def test_must_merges_two_records_the_linker_keeps_apart():
    kirkuk, basra = rec(doc="wire"), rec(doc="ngo", source="ngo", place=BASRA, killed=4)
    assert len(link_incidents([kirkuk, basra])) == 2
    (event,) = link_incidents([kirkuk, basra], constraints=[decision(basra, kirkuk, "must", note="same convoy")])
    assert set(event.incident_ids) == {kirkuk.incident_id, basra.incident_id}
    (lk,) = event.links
    assert lk.reasons[:2] == ("merged by ana", "note: same convoy")
    assert any("km apart" in r for r in lk.reasons)  # the scores' reasons stay, for the reviewer
    assert event.fatalities.low == 4 and event.fatalities.high == 5  # one event: never summed


def test_must_may_join_two_records_of_one_document():
    a, b = rec(doc="one", slot=0), rec(doc="one", slot=1, killed=5)
    assert len(link_incidents([a, b])) == 2
    assert len(link_incidents([a, b], constraints=[decision(a, b, "must")])) == 1


def test_cannot_splits_two_records_the_linker_merges():
    a, b = rec(doc="a"), rec(doc="b", killed=4)
    assert len(link_incidents([a, b])) == 1
    events = link_incidents([a, b], constraints=[decision(a, b, "cannot", who="ben")])
    assert groups(events) == {frozenset({a.incident_id}), frozenset({b.incident_id})}


def test_no_merge_brings_a_cannot_pair_together():
    a, b, c = rec(doc="a"), rec(doc="b", killed=4), rec(doc="c", killed=6)
    assert len(link_incidents([a, b, c])) == 1
    events = link_incidents([a, b, c], constraints=[decision(a, c, "cannot")])
    assert len(events) == 2 and not together(events, a, c)
    # a must elsewhere does not drag a cannot pair in either
    events = link_incidents([a, b, c], constraints=[decision(a, c, "cannot"), decision(b, c, "must")])
    assert groups(events) == {frozenset({a.incident_id}), frozenset({b.incident_id, c.incident_id})}


def test_merged_group_takes_more_records_only_by_complete_linkage():
    kirkuk, basra = rec(doc="wire"), rec(doc="ngo", source="ngo", place=BASRA, killed=4)
    kirkuk2 = rec(doc="wire2", killed=6)  # links to the Kirkuk record, not to the Basra one
    events = link_incidents([kirkuk, basra, kirkuk2], constraints=[decision(kirkuk, basra, "must")])
    assert groups(events) == {frozenset({kirkuk.incident_id, basra.incident_id}), frozenset({kirkuk2.incident_id})}


def test_reruns_with_the_decisions_keep_them():
    a, b, far = rec(doc="a"), rec(doc="b", killed=4), rec(doc="far", place=BASRA)
    decisions = [decision(a, b, "cannot", 1), decision(a, far, "must", 2)]
    first = link_incidents([a, b, far], constraints=decisions)
    assert groups(first) == {frozenset({a.incident_id, far.incident_id}), frozenset({b.incident_id})}
    # a rerun: new records arrive, the same ones come back; the decisions still hold
    late = rec(doc="late", killed=5)
    again = link_incidents([far, late, b, a], constraints=decisions)
    assert not together(again, a, b) and together(again, a, far)
    assert [e.to_dict() for e in link_incidents([a, b, far], constraints=decisions)] == [e.to_dict() for e in first]


def test_decisions_on_absent_records_are_ignored():
    a, b, c = rec(doc="a"), rec(doc="b", killed=4), rec(doc="c", place=BASRA)
    # a must through c (not in the input) does not chain a and b; b cannot c means nothing without c
    decisions = [decision(a, c, "must"), decision(b, c, "cannot")]
    assert [e.to_dict() for e in link_incidents([a, b], constraints=decisions)] == [
        e.to_dict() for e in link_incidents([a, b])]


def test_bad_decisions_fail():
    a, b = rec(doc="a"), rec(doc="b")
    with pytest.raises(ConfigError, match="unknown kind 'maybe'"):
        link_incidents([a, b], constraints=[decision(a, b, "maybe")])
    with pytest.raises(ConfigError, match="with itself"):
        link_incidents([a, b], constraints=[decision(a, a, "must")])
    with pytest.raises(ConfigError, match="LinkConstraint"):
        link_incidents([a, b], constraints=[("a", "b", "must")])


# -- contradictions --------------------------------------------------------------------------------


def _abc():
    # three records the linker alone would put in one event
    a, b, c = sorted((rec(doc="a"), rec(doc="b", killed=4), rec(doc="c", killed=6)), key=lambda i: i.incident_id)
    assert len(link_incidents([a, b, c])) == 1
    return a, b, c


def test_contradiction_the_later_decision_wins():
    a, b, c = _abc()
    ab, bc, ac = decision(a, b, "must", 1, id=1), decision(b, c, "must", 2, id=2), decision(a, c, "cannot", 3, id=3)
    # A must B, B must C, then A cannot C: the cannot holds, so does B must C; A must B is set aside
    events = link_incidents([a, b, c], constraints=[ab, bc, ac])
    assert groups(events) == {frozenset({a.incident_id}), frozenset({b.incident_id, c.incident_id})}
    (pair,) = next(e for e in events if len(e.incident_ids) == 2).links
    assert pair.reasons[0] == "merged by ana"
    # the cannot first, then the two musts: the musts win, all three are one event
    early = [decision(a, c, "cannot", 1, id=1), decision(a, b, "must", 2, id=2), decision(b, c, "must", 3, id=3)]
    (event,) = link_incidents([a, b, c], constraints=early)
    assert len(event.incident_ids) == 3
    # A cannot C, then A must B, then B must C (latest): B must C holds, A must B would bring A to C: set aside
    mixed = [decision(a, c, "cannot", 2, id=1), decision(a, b, "must", 1, id=2), decision(b, c, "must", 3, id=3)]
    events = link_incidents([a, b, c], constraints=mixed)
    assert groups(events) == {frozenset({a.incident_id}), frozenset({b.incident_id, c.incident_id})}


def test_contradiction_at_the_same_time_goes_by_id():
    a, b, c = _abc()
    same = [decision(a, b, "must", id=1), decision(b, c, "must", id=2), decision(a, c, "cannot", id=3)]
    assert groups(link_incidents([a, b, c], constraints=same)) == {
        frozenset({a.incident_id}), frozenset({b.incident_id, c.incident_id})}
    same = [decision(a, b, "must", id=3), decision(b, c, "must", id=2), decision(a, c, "cannot", id=1)]
    (event,) = link_incidents([a, b, c], constraints=same)
    assert len(event.incident_ids) == 3


def test_contradictions_resolve_the_same_in_any_order():
    a, b, c = _abc()
    decisions = [decision(a, b, "must", 1, id=5), decision(b, c, "must", 2, id=4), decision(a, c, "cannot", 3, id=6),
                 decision(a, b, "cannot", 0, id=7)]  # an older, contradicting decision on a pair
    expected = [e.to_dict() for e in link_incidents([a, b, c], constraints=decisions)]
    for incs, cons in itertools.product(itertools.permutations([a, b, c]), itertools.permutations(decisions)):
        assert [e.to_dict() for e in link_incidents(list(incs), constraints=list(cons))] == expected


def test_order_independent_with_decisions():
    pool = {}
    for p in load_pair_corpus(CORPUS):
        pool[p.a.incident_id] = p.a
        pool[p.b.incident_id] = p.b
    incs = sorted(pool.values(), key=lambda i: i.incident_id)
    plain = link_incidents(incs)
    multi = [e for e in plain if len(e.incident_ids) > 1]
    singles = [e for e in plain if len(e.incident_ids) == 1]
    rng = random.Random(7)
    decisions = []
    for n, e in enumerate(multi[:6]):  # split linked pairs
        decisions.append(LinkConstraint(n, e.incident_ids[0], e.incident_ids[1], "cannot", "ana",
                                        T0 + dt.timedelta(minutes=rng.randrange(5))))
    for n in range(6):  # merge unrelated records
        x, y = rng.sample(singles, 2)
        decisions.append(LinkConstraint(100 + n, x.incident_ids[0], y.incident_ids[0], "must", "ben",
                                        T0 + dt.timedelta(minutes=rng.randrange(5))))
    expected = [e.to_dict() for e in link_incidents(incs, constraints=decisions)]
    assert expected != [e.to_dict() for e in plain]
    for seed in range(5):
        shuffled, shuffled_decisions = incs[:], decisions[:]
        random.Random(seed).shuffle(shuffled)
        random.Random(seed + 1).shuffle(shuffled_decisions)
        assert [e.to_dict() for e in link_incidents(shuffled, constraints=shuffled_decisions)] == expected
    got = groups(link_incidents(incs, constraints=decisions))
    for d in decisions:
        joined = any({d.incident_a, d.incident_b} <= g for g in got)
        assert joined == (d.kind == "must")


# -- merges and splits on a store (both backends) ----------------------------------------------------


@pytest.fixture
def store(store_url):
    with Store(store_url) as s:
        yield s


def put(store, *incs):
    for inc in incs:
        store.put_document(Document(text=f"report {inc.doc_id}", doc_id=inc.doc_id, source=inc.source))
        store.put_incidents(inc.doc_id, [inc])


def event_with(events, inc):
    return next(e for e in events if inc.incident_id in e.incident_ids)


def test_merge_events_end_to_end(store, store_url):
    k1, k2 = rec(doc="wire"), rec(doc="wire2", killed=6)  # linked by the linker
    basra = rec(doc="ngo", source="ngo", place=BASRA, killed=4)  # far away: an event of its own
    put(store, k1, k2, basra)
    events = relink(store)
    assert len(events) == 2 and list(store.events()) == events
    kirkuk_event, basra_event = event_with(events, k1), event_with(events, basra)
    merged = merge_events(store, kirkuk_event.event_id, basra_event.event_id, who="ana", note="one convoy")
    # every member of both events is in one event: not only the two smallest ids
    (event,) = merged
    assert set(event.incident_ids) == {k1.incident_id, k2.incident_id, basra.incident_id}
    assert list(store.events()) == merged
    assert {c.kind for c in store.link_constraints()} == {"must"}
    assert all(c.who == "ana" and c.note == "one convoy" for c in store.link_constraints())
    assert [r["kind"] for r in store.audit()] == ["link", "link"]
    # a rerun of the extractor (same records back) and a re-link keep the merge
    for inc in (k1, k2, basra):
        store.put_incidents(inc.doc_id, [inc])
    assert groups(relink(store)) == groups(merged)
    # so does `eventcoder link`
    result = CliRunner().invoke(link_command, ["--db", store_url])
    assert result.exit_code == 0, result.output
    assert "Applied 2 reviewer link decisions" in result.output
    assert groups(store.events()) == groups(merged)


def test_split_event_end_to_end(store, store_url):
    a, b, c = rec(doc="a"), rec(doc="b", killed=4), rec(doc="c", killed=6)
    put(store, a, b, c)
    (event,) = relink(store)
    after = split_event(store, event.event_id, [c.incident_id], who="ben", note="a second blast")
    assert groups(after) == {frozenset({a.incident_id, b.incident_id}), frozenset({c.incident_id})}
    assert list(store.events()) == after
    assert sorted((d.kind, d.incident_a, d.incident_b) for d in store.link_constraints()) == sorted(
        ("cannot", *sorted((c.incident_id, other.incident_id))) for other in (a, b))
    # `eventcoder link` and a plain re-link keep the split
    assert CliRunner().invoke(link_command, ["--db", store_url, "--quiet"]).exit_code == 0
    assert groups(store.events()) == groups(after)
    assert groups(relink(store)) == groups(after)


def test_split_undoes_a_merge_and_merge_undoes_a_split(store):
    a, far = rec(doc="a"), rec(doc="far", place=BASRA)
    put(store, a, far)
    events = relink(store)
    (merged,) = merge_events(store, *(e.event_id for e in events), who="ana")
    after = split_event(store, merged.event_id, [far.incident_id], who="ben")
    assert len(after) == 2
    (d,) = store.link_constraints()  # the must was replaced, not kept beside the cannot
    assert d.kind == "cannot" and d.who == "ben"
    assert [(r["old"], r["new"], r["who"]) for r in store.audit()] == [("must", "cannot", "ben"), (None, "must", "ana")]
    # merging again replaces the cannot; cannot decisions between other members are withdrawn too
    (again,) = merge_events(store, after[0].event_id, after[1].event_id, who="cy")
    assert set(again.incident_ids) == {a.incident_id, far.incident_id}
    assert [(d.kind, d.who) for d in store.link_constraints()] == [("must", "cy")]


def test_merge_withdraws_cannot_decisions_inside_the_merged_event(store):
    a, b, far = sorted((rec(doc="a"), rec(doc="b", killed=4), rec(doc="far", place=BASRA)),
                       key=lambda i: i.incident_id)
    put(store, a, b, far)
    relink(store)
    # b cannot far, then the reviewer merges the event of a and b with far's
    store.add_link_constraint(b.incident_id, far.incident_id, "cannot", who="ana")
    events = relink(store)
    (merged,) = merge_events(store, event_with(events, a).event_id, event_with(events, far).event_id, who="ben")
    assert len(merged.incident_ids) == 3
    assert all(d.kind == "must" for d in store.link_constraints())


def test_relink_leaves_rejected_incidents_out(store):
    a, b = rec(doc="a"), rec(doc="b", killed=4)
    put(store, a, b)
    assert len(relink(store)) == 1
    store.review_incident(b.incident_id, "rejected", who="ana")
    (event,) = relink(store)
    assert event.incident_ids == (a.incident_id,)
    assert b.incident_id in {i.incident_id for i in store.incidents()}  # still in the store


def test_merge_and_split_errors_store_nothing(store):
    a, b, c = rec(doc="a"), rec(doc="b", killed=4), rec(doc="c", place=BASRA)
    put(store, a, b, c)
    events = relink(store)
    joint, alone = event_with(events, a), event_with(events, c)
    with pytest.raises(StoreError, match="no event with id 'evt-nope'") as info:
        merge_events(store, joint.event_id, "evt-nope", who="ana")
    assert info.value.fix
    with pytest.raises(StoreError, match="no event with id 'evt-nope'"):
        split_event(store, "evt-nope", [a.incident_id], who="ana")
    with pytest.raises(ConfigError, match="itself"):
        merge_events(store, joint.event_id, joint.event_id, who="ana")
    with pytest.raises(ConfigError, match="no incidents to move"):
        split_event(store, joint.event_id, [], who="ana")
    with pytest.raises(ConfigError, match=f"'{c.incident_id}' not in event") as info:
        split_event(store, joint.event_id, [a.incident_id, c.incident_id], who="ana")
    assert a.incident_id in info.value.fix
    with pytest.raises(ConfigError, match="every member"):
        split_event(store, joint.event_id, [a.incident_id, b.incident_id], who="ana")
    with pytest.raises(StoreError, match="who"):
        merge_events(store, joint.event_id, alone.event_id, who="")
    with pytest.raises(StoreError, match="who"):
        split_event(store, joint.event_id, [a.incident_id], who=" ")
    assert store.link_constraints() == [] and store.audit() == []
    assert list(store.events()) == events
