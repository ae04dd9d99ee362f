"""数据找人 on crafted noisy records: ID numbers as other agencies write them, names in traditional script or
mistyped on a pinyin keyboard, abbreviated places — and the traps a false match would fall into (namesakes,
twins, another person's well-formed ID). Plus the `hotline match` contract and its refusal of bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hotline.children.matching import Places, Register, check_digit, match_record, parse_date, parse_id
from hotline.cli import main


def valid_id(area: str, born: str, seq: str) -> str:
    return area + born + seq + check_digit(area + born + seq)


FATHER_ID = valid_id("220122", "19850612", "001")  # 农安县, ends in X
MOTHER_ID = valid_id("220122", "19870203", "022")
CHILD_ID = valid_id("220122", "20160305", "043")
REGISTER = [
    {"child_id": "c1", "name": "王小明", "id_number": CHILD_ID, "birth_date": "2016-03-05", "gender": "男",
     "county": "农安县", "address": "吉林省长春市农安县合隆镇陈家店村",
     "guardians": [{"relation": "father", "name": "王建国", "id_number": FATHER_ID},
                   {"relation": "mother", "name": "陈秀英", "id_number": MOTHER_ID}]},
    {"child_id": "c2", "name": "王小红", "birth_date": "2018-07-01", "gender": "女", "county": "农安县",
     "address": "吉林省长春市农安县合隆镇陈家店村",
     "guardians": [{"relation": "father", "name": "王建国", "id_number": FATHER_ID},
                   {"relation": "grandmother", "name": "李桂兰", "birth_date": "1952-11-30"}]},
    {"child_id": "c3", "name": "张子涵", "birth_date": "2015-05-20", "county": "榆树市", "address": "榆树市五棵树镇东山村",
     "guardians": [{"relation": "mother", "name": "刘丽", "birth_date": "1990-01-15"}]},
    {"child_id": "c4", "name": "张子轩", "birth_date": "2015-05-20", "county": "榆树市", "address": "榆树市五棵树镇东山村",
     "guardians": [{"relation": "mother", "name": "刘丽", "birth_date": "1990-01-15"}]},
]


@pytest.fixture(scope="module")
def register() -> Register:
    return Register.build(REGISTER, Places.of_taxonomy())


def found(register: Register, **record) -> list[tuple[str, str]]:
    return [(m.child_id, m.relation) for m in match_record(register, {"record_id": "r", "source": "x", **record})]


def test_id_numbers_as_other_agencies_write_them():
    assert FATHER_ID.endswith("X")
    assert parse_id(FATHER_ID.lower()).value == FATHER_ID and parse_id(FATHER_ID.lower()).valid
    fifteen = FATHER_ID[:6] + FATHER_ID[8:17]
    assert parse_id(fifteen).value == FATHER_ID  # the 1st-generation form, century and check digit restored
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in FATHER_ID)
    assert parse_id(" " + full_width[:6] + " " + full_width[6:]).value == FATHER_ID
    typo = FATHER_ID[:10] + str((int(FATHER_ID[10]) + 1) % 10) + FATHER_ID[11:]
    assert not parse_id(typo).valid
    assert parse_id(FATHER_ID).birth == "1985-06-12"


@pytest.mark.parametrize("raw", ["2016-03-05", "2016/3/5", "2016.03.05", "20160305", "2016年3月5日", "２０１６-03-05"])
def test_dates_in_any_common_form(raw):
    assert parse_date(raw) == "2016-03-05"


def test_places_abbreviated_or_inside_an_address():
    places = Places.of_taxonomy()
    assert places.county("农安") == "农安县"
    assert places.county(None, "长春农安合隆镇陈家店村") == "农安县"
    assert places.county(None, "前郭县查干花镇") == "前郭尔罗斯蒙古族自治县"


def test_the_father_of_two_siblings_found_by_id_in_every_spelling(register):
    expected = [("c1", "father"), ("c2", "father")]
    assert sorted(found(register, name="王建国", id_number=FATHER_ID.lower())) == expected
    assert sorted(found(register, name="王 建国", id_number=FATHER_ID[:6] + FATHER_ID[8:17])) == expected
    assert sorted(found(register, name="王建國", id_number=FATHER_ID)) == expected  # traditional script


def test_without_an_id_name_birth_date_and_place_decide(register):
    assert found(register, name="王小紅", birth_date="2018/7/1", county="农安") == [("c2", "self")]
    assert found(register, name="李桂兰", birth_date="1952年11月30日", address="农安县合隆镇") == [("c2", "grandmother")]
    # a homophone typed on a pinyin keyboard (建果 for 建国), with the birth date from the ID the record carries
    assert sorted(found(register, name="王建果", birth_date="1985-06-12", county="农安县")) == [("c1", "father"),
                                                                                          ("c2", "father")]


def test_a_one_digit_id_typo_with_the_right_name_still_matches(register):
    typo = FATHER_ID[:15] + str((int(FATHER_ID[15]) + 3) % 10) + FATHER_ID[16:]
    assert sorted(found(register, name="王建国", id_number=typo)) == [("c1", "father"), ("c2", "father")]


def test_the_traps_a_false_match_would_fall_into(register):
    # a namesake with the same birth date in another county, with an ID of his own
    other = valid_id("220182", "19850612", "011")
    assert found(register, name="王建国", id_number=other, county="榆树市") == []
    assert found(register, name="王建国", birth_date="1985-06-12", county="榆树市") == []
    # the same name in the same county, born another day
    assert found(register, name="王小明", birth_date="2016-04-05", county="农安县") == []
    # the child's name with the father's birth date
    assert found(register, name="王小明", birth_date="1985-06-12", county="农安县") == []
    # a registered ID under a wholly different name is not that person
    assert found(register, name="赵大海", id_number=CHILD_ID) == []
    # the other sex
    assert found(register, name="王小红", birth_date="2018-07-01", county="农安县", gender="男") == []


def test_twins_whose_names_differ_by_one_character(register):
    assert found(register, name="张子涵", birth_date="2015-05-20", county="榆树市") == [("c3", "self")]
    assert found(register, name="张子轩", birth_date="2015-05-20", address="榆树五棵树镇东山村") == [("c4", "self")]
    assert sorted(found(register, name="刘丽", birth_date="1990-01-15", county="榆树市")) == [("c3", "mother"),
                                                                                         ("c4", "mother")]


def test_hotline_match_one_line_per_record_in_order(tmp_path):
    reg, rec = tmp_path / "register.jsonl", tmp_path / "records.jsonl"
    reg.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in REGISTER), encoding="utf-8")
    records = [{"record_id": "r2", "source": "death", "name": "陌生人", "birth_date": "1970-01-01"},
               {"record_id": "r1", "source": "prison_admission", "name": "王建国", "id_number": FATHER_ID.lower()}]
    rec.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    result = CliRunner().invoke(main, ["match", "--register", str(reg), "--records", str(rec)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["record_id"] for r in rows] == ["r2", "r1"] and rows[0]["matches"] == []
    assert {(m["child_id"], m["relation"]) for m in rows[1]["matches"]} == {("c1", "father"), ("c2", "father")}
    assert all(0.8 <= m["confidence"] <= 1 for m in rows[1]["matches"])
    rec.write_text('{"record_id": "r1", "name": "王建国"}\nnot json\n', encoding="utf-8")
    bad = CliRunner().invoke(main, ["match", "--register", str(reg), "--records", str(rec)])
    assert bad.exit_code == 2 and "第 2 行" in bad.output and "Traceback" not in bad.output
