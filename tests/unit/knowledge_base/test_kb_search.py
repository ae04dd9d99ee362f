"""The real content: acceptance queries, typos and suggestions, related knowledge."""

from knowledge_base.search import is_eligibility_question


def test_acceptance_parent_in_prison_counts_as_guardianship_difficulty(kb):
    hits = kb.search("父母一方坐牢孩子算困境儿童吗", limit=5)
    assert hits[0].id == "jilin-action-plan-2024#二(二)3"
    assert "script-001" in [h.id for h in hits]
    top = hits[0]
    assert "【服刑在押】" in top.snippet and top.text.startswith("3.监护困境儿童")
    assert "吉民发〔2024〕2号" in top.source


def test_acceptance_typo_still_finds_left_behind_children(kb):
    result = kb.query("留示儿童 认定", limit=3)
    assert result.corrected_query == "留守儿童 认定"
    assert "留守儿童" in result.suggestions
    assert result.hits[0].id == "jilin-action-plan-2024#二(一)"
    assert kb.suggest("留示儿童 认定")[0] == "留守儿童"
    assert [h.id for h in kb.search("留示儿童 认定", 3)] == [h.id for h in result.hits]


def test_more_typos_are_corrected(kb):
    assert kb.suggest("强至报告")[0] == "强制报告"
    assert kb.suggest("人身安全保户令")[0] == "人身安全保护令"
    assert kb.suggest("困镜儿童")[0] == "困境儿童"


def test_correct_queries_are_not_rewritten(kb):
    for q in ("父母一方坐牢孩子算困境儿童吗", "孩子他爹进去了娘跑了谁管", "娃没户口能上学不", "孩子在网上被人要裸照咋整", "村里管孩子的那个干部多久来一次"):
        assert kb.query(q).corrected_query is None, q


def test_nothing_found_gives_no_hits_and_no_crash(kb):
    result = kb.query("xyzzy")
    assert result.hits == [] and result.suggestions == []


def test_current_law_before_superseded_law(kb):
    ids = [h.id for h in kb.search("未成年人保护工作协调机制 民政部门", 20)]
    old = [i for i in ids if i.startswith("minors-protection-law-2020")]
    new = [i for i in ids if i.startswith("minors-protection-law-2024")]
    assert new and (not old or ids.index(new[0]) < ids.index(old[0]))


def test_brief_examples(kb):
    def top3(q):
        return [h.id for h in kb.search(q, 3)]

    assert "script-111" in top3("娃没户口能上学不")
    assert "script-038" in top3("村里管孩子的那个干部多久来一次")
    assert "script-015" in top3("孤儿一个月给多少钱")
    assert "script-067" in top3("孩子在网上被人要裸照咋整")


def test_related_for_a_ticket_prefers_scripts_of_the_category(kb):
    ticket = "来电人反映，孩子父亲因盗窃被判刑在监狱服刑，母亲联系不上，孩子由奶奶照顾，生活困难，想咨询能否申请补贴。"
    hits = kb.related(ticket, category="basic_living", limit=5)
    assert hits[0].id == "script-018"
    assert len(hits) == 5


def test_eligibility_question_detection():
    for q in ("孩子算不算困境儿童", "这算家暴吗", "事实无人抚养是啥意思", "留守儿童怎么认定", "家暴的法律定义"):
        assert is_eligibility_question(q), q
    for q in ("孤儿一个月给多少钱", "孩子不见了怎么办", "去哪里申请低保"):
        assert not is_eligibility_question(q), q
