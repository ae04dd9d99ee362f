"""Snippets: a window around the matches, plain text plus offsets, 【】 marks, no HTML."""

from knowledge_base.snippets import display_text, find_matches, make_snippet


def test_highlights_are_offsets_into_the_plain_snippet():
    text = "第二条 本条例所称留守儿童，是指父母双方外出务工、不满十六周岁的儿童。"
    snip = make_snippet(text, {"留守儿童": 2.0, "儿童": 1.0, "外出务工": 1.0})
    assert snip.text == text
    marked = [snip.text[s:e] for s, e in snip.highlights]
    assert marked == ["留守儿童", "外出务工", "儿童"]  # the longer term wins where they overlap
    assert snip.marked == "第二条 本条例所称【留守儿童】，是指父母双方【外出务工】、不满十六周岁的【儿童】。"


def test_long_text_gets_a_window_around_the_best_matches():
    filler = "各相关部门要加强工作。" * 20
    text = filler + "对于监护状况一般的，每个月入户走访一次。" + filler
    snip = make_snippet(text, ["入户走访", "每个月"], width=60)
    assert snip.text.startswith("…") and snip.text.endswith("…")
    assert len(snip.text) <= 62
    assert "【每个月】【入户走访】" in snip.marked
    assert all(snip.text[s:e] in ("入户走访", "每个月") for s, e in snip.highlights)


def test_full_width_text_matches_half_width_terms():
    snip = make_snippet("ＡＢＣ１２３的孩子", ["abc123"])
    assert snip.highlights == ((0, 6),)


def test_no_match_gives_the_beginning():
    snip = make_snippet("甲乙丙" * 100, ["留守"], width=30)
    assert snip.highlights == () and snip.text.startswith("甲乙丙") and snip.text.endswith("…")


def test_markdown_is_flattened_for_snippets():
    md = "# 标题\n\n## 答复口径\n\n- 第一点（`jilin-action-plan-2024#二(一)`）\n- 第二点"
    assert display_text(md) == "第一点 第二点"
    assert find_matches("孩子", ["孩子", "孩"]) == [(0, 2, "孩子")]
