import pytest
import yaml

from eventcoder.codebook import PACKAGED, alias_pattern, explain, load_codebook, parse_codebook
from eventcoder.errors import CodebookError
from eventcoder.records import Incident


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_codebooks_validate_and_have_versions(name):
    book = load_codebook(name)
    assert book.name == name
    assert book.ref == f"{name}@{book.version}"
    assert len(set(book.codes)) == len(book.codes)


def test_schema_enums_match_codebooks():
    """The JSON Schema's closed sets and the codebooks must list the same codes."""
    from eventcoder.validate import incident_schema

    props = incident_schema()["properties"]
    assert set(props["sub_event_type"]["enum"]) == set(load_codebook("event_types").codes)
    assert set(props["weapons"]["items"]["properties"]["category"]["enum"]) == set(load_codebook("weapons").codes)
    assert set(props["targets"]["items"]["properties"]["category"]["enum"]) == set(load_codebook("targets").codes)
    groups = {g["code"] for g in load_codebook("event_types").raw["groups"]}
    assert set(props["event_type"]["enum"]) == groups


def test_every_sub_event_type_has_a_known_group_and_muc4_type():
    book = load_codebook("event_types")
    groups = {g["code"] for g in book.raw["groups"]}
    muc = {None, "attack", "bombing", "kidnapping", "arson", "robbery", "forced work stoppage"}
    for e in book.entries:
        assert e.get("group") in groups, e.code
        assert e.get("muc4") in muc, e.code


def test_claim_slurs_map_to_neutral_target_categories():
    targets = set(load_codebook("targets").codes)
    for term in load_codebook("claims").raw["enemy_terms"]:
        assert term["category"] in targets


def test_explain_finds_codes_and_aliases():
    assert [e.code for _, e in explain("vbied")] == ["explosives_vehicle"]
    assert any(e.code == "suicide_bomb" for _, e in explain("suicide_bomb"))
    assert explain("no-such-thing") == []


def test_user_codebook_errors_name_the_field(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text(yaml.safe_dump({"name": "mine", "version": "1.0", "entries": []}))
    with pytest.raises(CodebookError, match="version"):
        load_codebook(str(bad))
    with pytest.raises(CodebookError, match="repeats codes: a"):
        parse_codebook({"name": "x", "version": "1.0.0", "entries": [{"code": "a", "label": "A"}, {"code": "a", "label": "B"}]})
    with pytest.raises(CodebookError, match="no codebook named"):
        load_codebook(str(tmp_path / "missing.yaml"))


def test_alias_pattern_respects_word_boundaries_and_hyphen_variants():
    p = alias_pattern(["car bomb", "mine"])
    assert p.search("a car-bomb exploded").group(0) == "car-bomb"
    assert p.search("the determined crowd") is None
    assert p.search("a land MINE") .group(0) == "MINE"
    assert Incident  # records import stays cheap
