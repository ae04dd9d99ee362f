"""政策找人 hints: facts in the text → benefits, each linked to a passage that exists."""

import pytest

from hotline.knowledge.eligibility import RULES, eligibility_hints
from knowledge_base import all_passages, load_articles


def benefits(text):
    return [h.benefit for h in eligibility_hints(text)]


def test_every_hint_links_to_an_existing_passage():
    ids = {p.id for p in all_passages(load_articles())}
    assert [r.passage_id for r in RULES if r.passage_id not in ids] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("孩子爸爸在外地打工，妈妈也出去挣钱了，孩子跟奶奶过", "留守儿童关爱服务"),
        ("孩子他爹进去了，判刑五年", "监护困境儿童保障"),
        ("孩子他爹在监狱服刑，孩子想见他", "服刑人员未成年子女帮扶（情暖高墙）"),
        ("孩子妈妈前年去世了，爸爸也失踪了", "孤儿基本生活费 / 事实无人抚养儿童生活补贴"),
        ("孩子他爸瘫痪在床，家里就靠低保", "家庭困境儿童保障"),
        ("我儿子查出白血病，治疗费要几十万", "“点燃希望”困难家庭儿童重大疾病救助"),
        ("孩子是先天性心脏病", "“生命之光”先心病救助"),
        ("女儿是脑瘫，想做康复", "残疾儿童康复救助"),
        ("孩子十三岁就不上学了", "控辍保学与教育资助"),
    ],
)
def test_facts_raise_their_hint(text, expected):
    assert expected in benefits(text)


def test_unrelated_text_raises_nothing():
    assert benefits("小区停暖了，什么时候恢复供暖？") == []
