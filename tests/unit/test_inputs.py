"""Input specs: one declaration gives the JSON parser, the form parser and the JSON Schema."""

import pytest

from hotline.errors import InputError
from hotline.inputs import Boolean, Choice, DateTime, Group, Integer, Spec, Text, TextList

SPEC = Spec([
    Text(name="name", label="姓名", required=True, max_length=4),
    Text(name="note", label="说明", multiline=True, max_length=20),
    Integer(name="age", label="年龄", minimum=0, maximum=17, code="bad_age"),
    Boolean(name="urgent", label="紧急"),
    Choice(name="gender", label="性别", choices={"男": "男", "女": "女"}, aliases={"male": "男"}),
    DateTime(name="at", label="时间"),
    TextList(name="tags", label="标签", item=Choice(name="tag", label="标签", choices={"a": "A", "b": "B"})),
    Group(name="caller", label="来电人", spec=Spec([Text(name="phone", label="电话", pattern=r"[0-9]{3,}")])),
])


def code_of(data, source="json") -> str:
    with pytest.raises(InputError) as info:
        SPEC.parse(data, source=source)
    return info.value.code


def test_json_values_are_typed():
    out = SPEC.parse({"name": " 王 ", "age": 7, "urgent": True, "gender": "male", "at": "2026-06-01T09:00",
                      "tags": ["a"], "caller": {"phone": "138"}}, source="json")
    assert out["name"] == "王" and out["age"] == 7 and out["urgent"] is True and out["gender"] == "男"
    assert out["at"].utcoffset().total_seconds() == 8 * 3600  # no offset: Beijing time
    assert out["tags"] == ["a"] and out["caller"] == {"phone": "138"} and out["note"] is None


def test_forms_send_text():
    out = SPEC.parse({"name": "王", "age": "7", "urgent": "1", "gender": ""}, source="text")
    assert (out["age"], out["urgent"], out["gender"]) == (7, True, None)


@pytest.mark.parametrize(
    ("data", "source", "code"),
    [({}, "json", "missing_field"), ({"name": "   "}, "json", "missing_field"),
     ({"name": "王", "age": "7"}, "json", "bad_age"), ({"name": "王", "age": "²"}, "text", "bad_age"),
     ({"name": "王", "age": 18}, "json", "bad_age"), ({"name": "王", "age": True}, "json", "bad_age"),
     ({"name": "王五六七八"}, "json", "too_long"), ({"name": "\n \t"}, "json", "missing_field"),
     ({"name": "王\n五"}, "json", "bad_characters"), ({"name": "王", "note": "a\x00b"}, "json", "bad_characters"),
     ({"name": "王", "urgent": "maybe"}, "text", "wrong_type"), ({"name": "王", "gender": "x"}, "json", "unknown_code"),
     ({"name": "王", "at": "明天"}, "json", "bad_datetime"), ({"name": "王", "tags": ["c"]}, "json", "unknown_code"),
     ({"name": "王", "caller": {"phone": "x"}}, "json", "bad_format"),
     ({"name": "王", "caller": {"fax": "1"}}, "json", "unknown_field"), ({"name": "王", "extra": 1}, "json", "unknown_field")],
)
def test_refusals_name_the_field_and_carry_a_code(data, source, code):
    assert code_of(data, source) == code


def test_multiline_text_keeps_its_line_breaks():
    assert SPEC.parse({"name": "王", "note": "第一行\n第二行"}, source="json")["note"] == "第一行\n第二行"


def test_forms_ignore_other_inputs_but_json_does_not():
    assert SPEC.parse({"name": "王", "csrf_token": "x"}, source="text")["name"] == "王"
    assert code_of({"name": "王", "csrf_token": "x"}) == "unknown_field"


def test_a_spec_wide_code_replaces_the_fields():
    with pytest.raises(InputError) as info:
        Spec([Integer(name="page", label="页码", minimum=1, maximum=9)], code="bad_parameter").parse(
            {"page": "0"}, source="text")
    assert info.value.code == "bad_parameter"


def test_the_schema_says_what_the_parser_accepts():
    schema = SPEC.json_schema()
    assert schema["required"] == ["name"] and schema["additionalProperties"] is False
    props = schema["properties"]
    assert props["name"]["maxLength"] == 4
    assert props["age"]["minimum"] == 0 and props["age"]["maximum"] == 17
    assert set(props["gender"]["enum"]) == {"男", "女", "male"}  # aliases are accepted, so documented
    assert props["caller"]["properties"]["phone"]["pattern"] == "[0-9]{3,}"
    assert props["tags"]["items"]["enum"] == ["a", "b"]
