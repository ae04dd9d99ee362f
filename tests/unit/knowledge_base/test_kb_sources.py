"""Sources → passages: header parsing, article splitting, the plan's outline, superseded texts."""

import datetime as dt
from pathlib import Path

import pytest

from knowledge_base import sources
from knowledge_base.sources import (
    clean_doc_number,
    cn_to_int,
    effective_date,
    int_to_cn,
    parse_header,
    split_articles,
    split_outline,
    validate,
)


@pytest.mark.parametrize(("text", "n"), [("十", 10), ("十二", 12), ("二十六", 26), ("一百零八", 108), ("一百三十二", 132), ("一千零八十四", 1084), ("一千一百一十八", 1118)])
def test_chinese_numerals_round_trip(text, n):
    assert cn_to_int(text) == n
    assert int_to_cn(n) == text


def test_header_block_is_parsed_up_to_the_dashes():
    header, body = parse_header("title: 某法\nissuer: 全国人大常委会\ndoc_number: none stated\ndate: 2020-01-02\n---\n正文第一行\n")
    assert header == {"title": "某法", "issuer": "全国人大常委会", "doc_number": "none stated", "date": "2020-01-02"}
    assert body.strip() == "正文第一行"
    assert parse_header("没有头部的网页\n正文")[0] == {}


def test_doc_number_and_effective_date_cleaning():
    assert clean_doc_number("none stated in source text") == ""
    assert clean_doc_number("国务院令第766号 (not in the retrieved text; verify)") == "国务院令第766号（文号待核实）"
    assert clean_doc_number("高检发〔2020〕9 号") == "高检发〔2020〕9号"
    assert effective_date("2015-12-27 (通过; 本法自2016年3月1日起施行)") == dt.date(2016, 3, 1)
    # a 施行 date earlier than the amendment date: the amendment applies from its own date
    assert effective_date("2024-04-26 (第二次修正; 本法自2021年6月1日起施行)") == dt.date(2024, 4, 26)


def test_articles_split_with_chapter_context_and_numbering_check():
    body = "\n".join(
        [
            "某条例",
            "第一章 总  则",
            "第一条 目的。",
            "第二章  家庭保护",
            "第一节  监  护",
            "第二条 父母应当履行监护职责。",
            "第二条规定的职责不得推卸。",  # a paragraph quoting an article is not a new article
            "第三条应当报告。",  # no space after the number (Jilin regulations)
            "网络保护",  # a bare chapter heading between articles
            "第四条 防止沉迷。",
            "（据某日报）",
        ]
    )
    raws = split_articles(body)
    assert [r.section for r in raws] == ["第一条", "第二条", "第三条", "第四条"]
    assert raws[0].context == ("第一章 总则",)
    assert raws[1].context == ("第二章 家庭保护", "第一节 监护")
    assert raws[1].lines == ["第二条 父母应当履行监护职责。", "第二条规定的职责不得推卸。"]
    assert raws[3].context == ("第三章 网络保护",)
    assert raws[3].lines == ["第四条 防止沉迷。"]


def test_outline_split_follows_the_plan_numbering():
    body = "\n".join(
        [
            "一、总体要求",
            "总体要求正文。",
            "二、服务对象",
            "(一)留守儿童",
            "留守儿童是指……",
            "(二)困境儿童",
            "困境儿童包括三类。",
            "1.家庭困境儿童主要指……",
            "2.监护困境儿童主要是指……",
            "要重点关注农村单亲家庭儿童。",
            "三、任务举措",
            "(一)实施精准帮扶行动。",
            "8.开展摸底走访建档。县级民政部门要……",
        ]
    )
    raws = {r.section: r for r in split_outline(body)}
    assert list(raws) == ["一", "二(一)", "二(二)", "二(二)1", "二(二)2", "三(一)8"]
    assert raws["二(二)"].lines == ["困境儿童包括三类。", "要重点关注农村单亲家庭儿童。"]
    assert raws["二(二)2"].lines == ["2.监护困境儿童主要是指……"]
    assert raws["二(二)2"].heading == "监护困境儿童"
    assert raws["三(一)8"].heading == "开展摸底走访建档"
    assert raws["三(一)8"].context == ("三、任务举措", "(一)实施精准帮扶行动")


def test_real_sources_are_complete(content_articles):
    counts = {a.id: len(a.passages) for a in content_articles if a.type in ("law", "policy")}
    assert counts["minors-protection-law-2024"] == 132
    assert counts["minors-protection-law-2020"] == 132
    assert counts["civil-code-guardianship"] == 14
    assert counts["civil-code-marriage-family"] == 79
    assert counts["anti-domestic-violence-law"] == 38
    assert counts["jilin-anti-domestic-violence-regulations"] == 34
    assert counts["mandatory-reporting-opinion-2020"] == 23
    assert counts["minors-online-protection-regulations-2023"] == 60
    assert counts["spc-marriage-family-interpretation-1"] == 91
    assert counts["jilin-action-plan-2024"] >= 30


def test_law_passage_id_title_and_citation(content_passages):
    p = content_passages["minors-protection-law-2024#第四十三条"]
    assert p.title == "未成年人保护法（2024）第四十三条 · 第四章 社会保护"
    assert p.text.startswith("第四十三条 居民委员会、村民委员会应当设置专人专岗")
    assert p.source == "《中华人民共和国未成年人保护法（2024年修正）》第四十三条"
    assert p.section_path == ("第四章 社会保护", "第四十三条")
    assert p.effective == dt.date(2024, 4, 26)
    assert not p.superseded
    first = content_passages["civil-code-guardianship#第二十六条"]
    assert first.section_path[:2] == ("第二章 自然人", "第二节 监护")
    online = content_passages["minors-online-protection-regulations-2023#第四十条"]
    assert "第五章 网络沉迷防治" in online.title  # chapter number restored for a bare heading
    last = content_passages["jilin-anti-domestic-violence-regulations#第三十四条"]
    assert "吉林日报" not in last.text


def test_plan_passages(content_passages):
    p = content_passages["jilin-action-plan-2024#二(二)3"]
    assert p.text.startswith("3.监护困境儿童主要是指失去父母")
    assert p.title.startswith("吉林三年行动方案 二(二)3 监护困境儿童")
    assert "吉民发〔2024〕2号" in p.source
    assert p.type == "policy" and p.effective == dt.date(2024, 1, 9)
    assert "农村单亲家庭儿童" in content_passages["jilin-action-plan-2024#二(二)"].text
    assert "农村单亲家庭儿童" not in p.text
    for sec in ("一", "二(一)", "二(二)1", "三(一)1", "三(三)8", "三(五)18", "四(一)", "五(三)"):
        assert f"jilin-action-plan-2024#{sec}" in content_passages
    assert "每三个月入户走访一次" in content_passages["jilin-action-plan-2024#三(三)8"].text
    assert "扫一扫" not in content_passages["jilin-action-plan-2024#五(三)"].text
    dv = content_passages["dv-victim-shelter-assistance-guidance-2015#三(一)"]
    assert dv.text.startswith("（一）及时受理求助")


def test_superseded_text_is_flagged(content_articles):
    arts = {a.id: a for a in content_articles}
    old, new = arts["minors-protection-law-2020"], arts["minors-protection-law-2024"]
    assert old.superseded_by == "minors-protection-law-2024" and old.superseded
    assert all(p.superseded for p in old.passages)
    assert not new.superseded and not any(p.superseded for p in new.passages)
    assert "已被2024年修正取代" in old.passages[0].title


def test_fixture_superseded_flag_comes_from_the_header(fixture_articles):
    arts = {a.id: a for a in fixture_articles}
    assert arts["demo-child-law-2020"].superseded_by == "demo-child-law-2024"
    assert arts["demo-child-law-2020"].passages[0].title.startswith("示例儿童保护条例（已被取代）")


def test_scripts_and_directory_files_are_articles(content_articles):
    by_type: dict[str, list] = {}
    for a in content_articles:
        by_type.setdefault(a.type, []).append(a)
    assert len(by_type["script"]) == 117
    assert len(by_type["directory"]) == 17
    s1 = next(a for a in by_type["script"] if a.id == "script-001")
    assert s1.title == "父母一方服刑，孩子算不算困境儿童？"
    assert s1.categories == ("guardianship", "inmate_children")
    assert "坐牢" in s1.tags
    assert s1.review_by == dt.date(2027, 1, 9) and s1.version == "1"
    assert s1.cites[0] == "jilin-action-plan-2024#二(二)3"
    assert len(s1.passages) == 1 and s1.passages[0].id == "script-001"


def test_every_citation_resolves(content_articles):
    assert validate(content_articles) == []


def test_validation_reports_a_broken_citation(tmp_path, fixture_articles):
    (tmp_path / "sources").mkdir()
    for f in (Path(__file__).resolve().parents[2] / "data" / "kb_fixture" / "sources").glob("*.txt"):
        (tmp_path / "sources" / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "script-009.md").write_text(
        "---\nid: script-009\ntitle: 测试\ntype: script\ncategories: [nope]\ntags: []\nreview_by: 2027-01-09\n"
        'cites: ["demo-child-law-2024#第九十九条", "demo-child-law-2020#第二条"]\n---\n正文\n',
        encoding="utf-8",
    )
    problems = validate(sources.load_articles(tmp_path), categories={"guardianship"})
    assert any("第九十九条" in p and "not a passage id" in p for p in problems)
    assert any("superseded" in p for p in problems)
    assert any("unknown category 'nope'" in p for p in problems)


def test_sources_dir_argument_still_includes_the_plan(tmp_path):
    src = tmp_path / "kb-sources"
    src.mkdir()
    law = sources.DEFAULT_CONTENT_DIR / "sources" / "anti-domestic-violence-law.txt"
    (src / law.name).write_text(law.read_text(encoding="utf-8"), encoding="utf-8")
    ids = [a.id for a in sources.load_sources(src)]
    assert ids == ["anti-domestic-violence-law", "jilin-action-plan-2024"]
