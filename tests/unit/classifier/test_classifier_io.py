"""JSON Lines I/O and the `hotline classify` contract shape."""

import io
import json

import pytest

from classifier import CONTRACT_FIELDS, InputLineError, Item, Prediction, read_items, write_predictions


def test_read_items_defaults_and_order():
    src = io.StringIO(
        '{"id": "a1", "text": "孩子一个人在家", "type": "ticket"}\n'
        "\n"
        '{"id": "a3", "text": "转发：延吉一小学门口", "title": "校门口", "type": "sentiment"}\n'
        '{"id": 4, "text": "今天小区停暖了"}\n'
    )
    items = read_items(src)
    assert [i.id for i in items] == ["a1", "a3", 4]
    assert items[1].type == "sentiment" and items[1].title == "校门口"
    assert items[2].type == "ticket" and items[2].title is None


@pytest.mark.parametrize(
    ("bad", "lineno"),
    [
        ('{"id": "x", "text": "ok"}\n{"id": "y", "text": \n', 2),
        ('{"id": "x", "text": "ok"}\n\n{"text": "no id"}\n', 3),
        ('{"id": "x", "text": ""}\n', 1),
        ('{"id": "x", "text": "t", "type": "email"}\n', 1),
        ('["not", "an", "object"]\n', 1),
    ],
)
def test_bad_lines_name_their_line_number(bad, lineno):
    with pytest.raises(ValueError) as exc:
        read_items(io.StringIO(bad))
    assert isinstance(exc.value, InputLineError)
    assert exc.value.lineno == lineno
    assert f"line {lineno}" in str(exc.value)


def _ticket():
    return Prediction(id="t1", type="ticket", category="guardianship", agency="civil_affairs",
                      co_agencies=("public_security",), kind="report", urgency="emergency",
                      prefecture="长春市", county="农安县", confidence=0.8, needs_review=False,
                      explanation={"category": [("监护", 0.5)]})


def _sentiment():
    return Prediction(id="s1", type="sentiment", category="other", agency="data_bureau", relevant=False,
                      polarity="neutral", risk="low", kind="help", urgency="normal", confidence=1.2,
                      needs_review=True)


def test_to_contract_shape_ticket():
    c = _ticket().to_contract()
    assert tuple(c) == CONTRACT_FIELDS
    assert c["kind"] == "report" and c["urgency"] == "emergency"
    assert c["relevant"] is None and c["polarity"] is None and c["risk"] is None
    assert c["co_agencies"] == ["public_security"]
    assert "explanation" not in c


def test_to_contract_shape_sentiment():
    c = _sentiment().to_contract()
    assert set(c) == set(CONTRACT_FIELDS)
    assert c["kind"] is None and c["urgency"] is None  # never for sentiment, whatever was set
    assert c["relevant"] is False and c["polarity"] == "neutral" and c["risk"] == "low"
    assert c["confidence"] == 1.0  # clipped to [0, 1]
    assert c["needs_review"] is True


def test_write_predictions_one_line_each():
    out = io.StringIO()
    write_predictions([_ticket(), _sentiment()], out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["t1", "s1"]
    assert "农安县" in out.getvalue()  # not \u-escaped


def test_item_type_is_validated():
    with pytest.raises(ValueError):
        Item(id="x", text="t", type="email")
