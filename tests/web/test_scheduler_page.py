"""The admin's scheduler page shows every job, its timing and how its last run went; others get 403."""

from datetime import datetime

from hotline.scheduling import deadline_sweep
from hotline.scheduling.runner import run_due
from hotline.timeutil import SHANGHAI


def test_admin_sees_each_job_and_its_last_run(login, state, monkeypatch):
    run_due(state, datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI), only=("deadlines",))

    def boom(ctx):  # noqa: ANN001
        raise RuntimeError("连接被重置")

    monkeypatch.setattr(deadline_sweep, "sweep_deadlines", boom)
    run_due(state, datetime(2026, 12, 1, 9, 5, tzinfo=SHANGHAI), only=("deadlines",))
    page = login("admin").get("/console/scheduler").get_data(as_text=True)
    assert "时限巡检" in page and "每 1 分钟" in page and "每天 02:30" in page and "每月 1 日 06:00" in page
    assert "失败：RuntimeError: 连接被重置" in page and "2026-12-01 09:00" in page  # the last good moment stays
    assert login("dispatcher").get("/console/scheduler").status_code == 403
