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


def _window_by_search(matches, weights, width):  # noqa: ANN001, ANN202 - the plain search the two pointers replace
    best_start, best_score = 0, -1.0
    for s, _e, _t in matches or [(0, 0, "")]:
        start = max(0, s - 12)
        seen = {t: weights.get(t, 1.0) for ms, me, t in matches if ms >= start and me <= start + width}
        if sum(seen.values()) > best_score + 1e-9:
            best_start, best_score = start, sum(seen.values())
    return best_start


def test_the_window_is_the_one_a_search_of_every_window_finds():
    """Random texts over a small alphabet (many overlapping candidates, repeated terms, narrow windows) and
    random weights: the two-pointer window equals the plain search's, start for start."""
    import random

    from knowledge_base.snippets import _best_window

    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice("甲乙丙丁戊。") for _ in range(rng.randint(0, 160)))
        terms = {"".join(rng.choice("甲乙丙丁戊") for _ in range(rng.randint(1, 4))): rng.choice([1.0, 0.5, 2.25])
                 for _ in range(rng.randint(1, 6))}
        width = rng.choice([8, 20, 96])
        matches = find_matches(text, terms)
        assert _best_window(matches, terms, width) == _window_by_search(matches, terms, width), (text, terms)
