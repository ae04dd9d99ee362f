"""Analysis: normalisation, jieba search-mode tokens, stopwords, the synonym table."""

from pathlib import Path

from classifier import read_corpus
from knowledge_base.analysis import (
    SynonymRule,
    analyze,
    default_synonyms,
    expand_query,
    matched_rules,
    normalize,
    stopwords,
    user_terms,
)

CORPUS = Path(__file__).resolve().parents[3] / "classifier" / "corpus"


def test_full_width_to_half_width_and_lower_case():
    assert normalize("ＡＢＣ１２３，孩子　（二）") == "abc123,孩子 (二)"


def test_search_mode_keeps_whole_words_and_their_parts():
    tokens = analyze("监护困境儿童主要是指失去父母的儿童")
    assert {"监护困境儿童", "困境儿童", "困境", "儿童", "父母"} <= set(tokens)
    assert tokens.count("儿童") >= 2  # term frequency is kept


def test_domain_dictionary_words_stay_whole():
    for word in ("留守儿童", "事实无人抚养儿童", "人身安全保护令", "强制隔离戒毒", "儿童主任"):
        assert word in user_terms()
        assert word in analyze(f"关于{word}的规定")


def test_stopwords_single_characters_and_punctuation_are_dropped():
    tokens = analyze("请问，孩子的事情咋办呢？！")
    assert "请问" not in tokens and "咋办" not in tokens and "的" not in tokens
    assert all(len(t) >= 2 for t in tokens)
    assert not any(ch in "，？！,?!" for t in tokens for ch in t)
    assert "咋整" in stopwords()


def test_analyze_is_deterministic():
    text = "孩子他爹进去了娘跑了谁管，孩子跟着奶奶过"
    assert analyze(text) == analyze(text) == analyze(normalize(text))


def test_synonym_table_is_large_and_usable():
    rules = default_synonyms()
    assert len(rules) >= 150
    for rule in rules:
        assert rule.phrases and rule.targets and 0 < rule.weight <= 1
        assert all(len(p) >= 2 or p == "娃" for p in rule.phrases)  # 娃 means nothing but child


def test_caller_words_expand_to_document_words():
    terms = dict(expand_query("孩子他爹坐牢了"))
    assert terms["坐牢"] == 1.0  # the caller's own words keep full weight
    assert 0 < terms["服刑在押"] < 1.0
    assert "儿童" in terms and "未成年人" in terms
    assert "人员" not in terms  # targets are added as whole words, not search-mode fragments
    assert dict(expand_query("孩子他爹坐牢了", expand=False)) == {t: 1.0 for t in analyze("孩子他爹坐牢了")}


def test_examples_from_the_brief():
    cases = {
        "蹲监狱": "服刑在押",
        "出去挣钱": "务工",
        "没人照顾": "无人照料",
        "孤儿补贴": "孤儿基本生活费",
        "爸妈": "父母",
        "残疾证": "残疾人证",
        "吸毒": "强制隔离戒毒",
        "上不起学": "辍学",
        "挨打": "家庭暴力",
        "网上有人骚扰": "网络",
        "低保户": "低保",
        "大病": "重特大疾病",
        "先心病": "先天性心脏病",
        "管孩子的干部": "儿童主任",
    }
    for caller, document in cases.items():
        assert document in dict(expand_query(caller)), caller


def test_particle_le_does_not_block_a_match():
    assert any("走丢" in phrase for _, phrase in matched_rules("孩子走丢两天了"))
    assert "走失" in dict(expand_query("孩子走丢了"))


def test_matched_rules_finds_what_a_search_for_every_phrase_finds():
    """The phrase index gives, for 3,000 corpus texts and a few edge cases, exactly the rules (in table order) and
    the first phrase of each that one substring search per phrase of the table gives."""
    def plain(text: str) -> list[tuple[SynonymRule, str]]:
        bare = normalize(text).replace("了", "")
        return [(rule, next(p for p in rule.phrases if p.replace("了", "") in bare)) for rule in default_synonyms()
                if any(p.replace("了", "") in bare for p in rule.phrases)]

    texts = [li.item.text for li in read_corpus([CORPUS]).items][:3000]
    texts += ["", "了", "孩子走丢了两天", "爸妈出去挣钱了，孩子跟奶奶"]
    matched = 0
    for text in texts:
        assert matched_rules(text) == plain(text), text
        matched += bool(plain(text))
    assert matched > 1000  # the table does match most corpus texts
    short = (SynonymRule(("了", "a"), ("x",)), SynonymRule(("走丢了", "走丢"), ("走失",)))
    assert [p for _, p in matched_rules("孩子走丢a", short)] == ["了", "走丢了"]
