"""The ticket list's rows are built in Python (``TicketRows``): every field that reaches the page is escaped,
including the labels and names it escapes once and reuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from markupsafe import Markup

from hotline.web.templating import TicketRows

HOSTILE = '<b onmouseover="x">&'


def _row(**fields: object) -> SimpleNamespace:
    now = datetime.now(UTC).replace(tzinfo=None)
    base = dict(number="HL-1", status="dispatched", urgency="normal", needs_review=False, category="medical",
                prefecture="长春市", county="农安县", lead_unit_name="农安县民政局", text="来电人反映", extension_state=None,
                supervision_count=0, callback_due_at=None, sign_due_at=now + timedelta(days=1),
                first_feedback_due_at=now + timedelta(days=3), resolve_due_at=now + timedelta(days=15))
    return SimpleNamespace(**{**base, **fields})


def test_every_field_of_a_row_is_escaped():
    rows = TicketRows({"normal": Markup('<span class="badge">一般</span>')}, {"medical": HOSTILE}, {"dispatched": HOSTILE})
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in (_row(), _row(category="unknown" + HOSTILE, status="lost" + HOSTILE, prefecture=HOSTILE,
                             county=HOSTILE, lead_unit_name=HOSTILE, text=HOSTILE * 10)):
        html = str(rows.queue([row, row], now, "/console/tickets/"))
        assert "<b " not in html and "&lt;b onmouseover=&#34;x&#34;&gt;&amp;" in html
    assert "农安县民政局" in str(rows.queue([_row()], now, "/console/tickets/"))
