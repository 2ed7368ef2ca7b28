"""Document features: what the rules and the tagger found, as the classifiers read it."""

from __future__ import annotations

from eventcoder.learn.assemble import Entity
from eventcoder.learn.docfeatures import tagger_features
from eventcoder.learn.tagger import RoleSpan


def entity(role: str, probability: float, sentence: int, key: str = "x") -> Entity:
    return Entity(role, key, [RoleSpan(role, 10 * sentence, 10 * sentence + 5, sentence, probability)])


def test_tagger_features_count_roles_and_their_surest_entity():
    ents = [entity("PerpOrg", 0.95, 0, "fmln"), entity("PerpOrg", 0.6, 5, "army"), entity("Victim", 0.55, 3)]
    f = set(tagger_features(ents))
    assert {"tag_n_PerpOrg=2", "tag_p_PerpOrg>=0.5", "tag_p_PerpOrg>=0.7", "tag_p_PerpOrg>=0.9", "tag_lead_PerpOrg"} <= f
    assert {"tag_n_Victim=1", "tag_p_Victim>=0.5"} <= f
    assert "tag_p_Victim>=0.7" not in f and "tag_lead_Victim" not in f  # sentence 3 is not the lead
    assert "tag_n_Weapon=0" in f and not any(x.startswith("tag_p_Weapon") for x in f)


def test_tagger_features_cap_the_count_and_are_empty_of_claims_without_entities():
    many = [entity("Target", 0.8, i, f"t{i}") for i in range(2, 9)]
    assert "tag_n_Target=3" in tagger_features(many)
    nothing = tagger_features([])
    assert sorted(nothing) == sorted(f"tag_n_{r}=0" for r in ("PerpInd", "PerpOrg", "Target", "Victim", "Weapon"))
