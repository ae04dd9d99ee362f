"""Knowledge-base pages in the console: search, article, edit with history, review list."""

from sqlalchemy import select

from hotline.knowledge.models import KbArticle


def test_search_page_finds_and_highlights(login):
    page = login("operator").get("/kb?q=父母一方坐牢孩子算困境儿童吗").get_data(as_text=True)
    assert "监护困境儿童" in page and "<mark>" in page


def test_search_escapes_and_suggests(login):
    browser = login("operator")
    page = browser.get("/kb?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    typo = browser.get("/kb?q=留示儿童 认定").get_data(as_text=True)
    assert "已按“留守儿童" in typo


def test_article_page_and_versions(login):
    page = login("agency_staff", "civil_affairs:长春市").get("/kb/articles/jilin-action-plan-2024").get_data(as_text=True)
    assert "监护困境儿童" in page and "版本历史" in page
    assert "编辑</a>" not in page  # only admins edit


def test_admin_edits_and_restores(login, state):
    admin = login("admin")
    with state.db.transaction(readonly=True) as s:
        article = s.get(KbArticle, "script-038")
        title, body, version = article.title, article.body, article.version
    resp = admin.post("/kb/articles/script-038/edit", {"title": title, "categories": ["welfare_institution"],
                                                       "tags": "儿童主任, 走访", "review_by": "2027-06-30",
                                                       "body": body + "\n（测试补充：蜻蜓热线）", "note": "补充"})
    assert resp.status_code == 302
    assert "script-038" in admin.get("/kb?q=蜻蜓").get_data(as_text=True)
    old = admin.get(f"/kb/articles/script-038/versions/{version}").get_data(as_text=True)
    assert "恢复此版本" in old
    admin.post(f"/kb/articles/script-038/versions/{version}/restore")
    with state.db.transaction(readonly=True) as s:
        restored = s.get(KbArticle, "script-038")
        assert restored.body == body and restored.version == version + 2


def test_bad_edit_is_refused(login, state):
    admin = login("admin")
    resp = admin.post("/kb/articles/script-038/edit", {"title": "x", "body": "y", "review_by": "明年"})
    assert resp.status_code == 422 and "YYYY-MM-DD" in resp.get_data(as_text=True)
    resp = admin.post("/kb/articles/script-038/edit", {"title": "x", "body": "y", "categories": "weather"})
    assert resp.status_code == 422 and "unknown_code" in resp.get_data(as_text=True)
    with state.db.transaction(readonly=True) as s:
        law = s.scalar(select(KbArticle).where(KbArticle.type == "law"))
    resp = admin.post(f"/kb/articles/{law.id}/edit", {"title": law.title, "body": "改写"})
    assert resp.status_code == 302  # body of an official text is ignored, metadata saved


def test_non_admins_cannot_edit(login):
    assert login("operator").get("/kb/articles/script-038/edit").status_code == 403
    assert login("dispatcher").post("/kb/articles/script-038/versions/1/restore").status_code == 403


def test_review_list(login):
    page = login("supervisor").get("/kb/review").get_data(as_text=True)
    assert "待复审" in page


def test_live_triage_shows_knowledge_and_eligibility(login):
    data = login("operator").post_json("/console/triage", {"text": "孩子他爸在监狱服刑，妈妈联系不上，能申请什么补贴"}).get_json()
    assert data["kb"] and all({"id", "title", "snippet", "text", "article_id"} <= set(h) for h in data["kb"])
    assert any("监狱" in e["benefit"] or "情暖高墙" in e["benefit"] for e in data["eligibility"])
