"""console at provincial scale: dashboard snapshots and the indexes the lists and figures use

- ``dashboard_snapshots``: the province-wide dashboard figures per period, refreshed by the scheduler.
- ``tickets (lead_unit_id, status)`` replaces ``tickets (lead_unit_id)``: a unit's inbox reads its open
  tickets only.
- ``tickets (dispatched_at)``: the per-unit figures of a period.
- ``ticket_co_units (unit_id)``: the tickets a unit co-handles (the primary key starts with the ticket).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hotline.orm import UTCDateTime

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("days", name=op.f("pk_dashboard_snapshots")),
    )
    op.drop_index("ix_tickets_lead_unit_id", table_name="tickets")
    op.create_index("ix_tickets_lead_unit_id_status", "tickets", ["lead_unit_id", "status"])
    op.create_index("ix_tickets_dispatched_at", "tickets", ["dispatched_at"])
    op.create_index("ix_ticket_co_units_unit_id", "ticket_co_units", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_co_units_unit_id", table_name="ticket_co_units")
    op.drop_index("ix_tickets_dispatched_at", table_name="tickets")
    op.drop_index("ix_tickets_lead_unit_id_status", table_name="tickets")
    op.create_index("ix_tickets_lead_unit_id", "tickets", ["lead_unit_id"])
    op.drop_table("dashboard_snapshots")
