"""The children register: places below the county, children and their guardians (with every change
versioned), links to tickets and leads, home-visit tasks and visits, other agencies' lists and the
county's review queue of what matching them found (数据找人).

ID numbers and phones are sealed (:mod:`hotline.crypto`): ``*_sealed`` holds the ciphertext, ``*_digest``
the keyed hash for exact lookups and ``*_masked`` what lists show (2201**********123X, 138****1234).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.directory.models import AgencyUnit, Region
from hotline.orm import Base, UTCDateTime
from hotline.timeutil import utcnow

if TYPE_CHECKING:
    from hotline.accounts.models import User


class PlaceLevel(StrEnum):
    TOWNSHIP = "township"  # 乡镇（街道）
    VILLAGE = "village"  # 村（社区）


class Place(Base):
    """A township or a village of one county, as the admin's CSV lists them."""

    __tablename__ = "places"
    __table_args__ = (UniqueConstraint("county_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 统计用区划代码 (12 digits) when the CSV has one
    code: Mapped[str | None] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    #: the township of a village; None for a township
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)

    county: Mapped[Region] = relationship(lazy="joined")
    parent: Mapped[Place | None] = relationship(remote_side=[id], lazy="joined")

    @property
    def township_id(self) -> int:
        return self.parent_id if self.level == PlaceLevel.VILLAGE and self.parent_id else self.id

    @property
    def label(self) -> str:
        """长春市/农安县 合隆镇 陈家店村"""
        parts = [self.county.path.replace("/", ""), self.parent.name if self.parent else None, self.name]
        return " ".join(p for p in parts if p)


#: the villages (儿童主任) or the township (儿童督导员) a user looks after
user_places = Table(
    "user_places",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)


class Category(StrEnum):
    LEFT_BEHIND = "left_behind"  # 留守儿童
    FAMILY_HARDSHIP = "family_hardship"  # 家庭困境儿童
    SELF_HARDSHIP = "self_hardship"  # 自身困境儿童
    GUARDIANSHIP_HARDSHIP = "guardianship_hardship"  # 监护困境儿童


class Assessment(StrEnum):
    """监护状况评估 (plan item 8); it sets how often the child is visited."""

    GOOD = "good"  # 较好: every three months
    FAIR = "fair"  # 一般: every month
    CONCERN = "concern"  # 重点关注: every two weeks


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the public reference, e.g. "ET-220122-000042" (儿童档案号)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(32), index=True)
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    birth_date: Mapped[date | None] = mapped_column(Date)
    #: "male" | "female"
    gender: Mapped[str | None] = mapped_column(String(8))
    #: 户籍地 and 居住地: a village (or township) of the register, plus the street address
    household_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    household_address: Mapped[str | None] = mapped_column(String(200))
    residence_place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    residence_address: Mapped[str | None] = mapped_column(String(200))
    #: the village whose 儿童主任 looks after the child (the residence unless the two counties agreed
    #: otherwise), with its township and county copied for the scopes' indexes
    village_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    assessment: Mapped[str] = mapped_column(String(16))
    #: the plan's special-concern situations that apply (keys of ``rules.CONCERNS``)
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    director_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: "active" | "exited" (no longer qualifies, 退出)
    status: Mapped[str] = mapped_column(String(16), default="active")
    notes: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    guardians: Mapped[list[Guardian]] = relationship(back_populates="child", cascade="all, delete-orphan",
                                                     order_by="Guardian.id", lazy="selectin")
    village: Mapped[Place] = relationship(foreign_keys=[village_id], lazy="joined")
    residence_place: Mapped[Place] = relationship(foreign_keys=[residence_place_id])
    household_place: Mapped[Place | None] = relationship(foreign_keys=[household_place_id])
    county: Mapped[Region] = relationship()
    director: Mapped[User | None] = relationship("User")


class GuardianStatus(StrEnum):
    """What the plan's definitions turn on (无监护能力 and 困境 situations)."""

    NORMAL = "normal"  # 正常履责
    AWAY = "away"  # 外出务工
    IMPRISONED = "imprisoned"  # 服刑在押
    DRUG_REHAB = "drug_rehab"  # 强制隔离戒毒
    DECEASED = "deceased"  # 死亡
    MISSING = "missing"  # 失踪、失联
    SERIOUSLY_ILL = "seriously_ill"  # 重病
    DISABLED = "disabled"  # 重残
    OTHER = "other"


class Guardian(Base):
    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    #: father | mother | grandparent | relative | other
    relation: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(32), index=True)
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=GuardianStatus.NORMAL.value)

    child: Mapped[Child] = relationship(back_populates="guardians")


class ChildVersion(Base):
    """One change to a child's record: who, when, and which fields went from what to what (sealed
    fields are recorded as changed, never with their values)."""

    __tablename__ = "child_versions"
    __table_args__ = (UniqueConstraint("child_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(96))
    #: create | update | visit | match | link
    reason: Mapped[str] = mapped_column(String(32))
    #: {field: [old, new]}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChildLink(Base):
    """A ticket or a verification lead about a registered child, confirmed by a person."""

    __tablename__ = "child_links"
    __table_args__ = (
        CheckConstraint("(ticket_id IS NULL) <> (lead_id IS NULL)", name="one_target"),
        # NULLs are distinct: one constraint per target keeps a ticket (or a lead) linked to a child once
        UniqueConstraint("child_id", "ticket_id", name="uq_child_links_child_ticket"),
        UniqueConstraint("child_id", "lead_id", name="uq_child_links_child_lead"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("sentiment_leads.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(96))


class VisitTask(Base):
    """One home visit due (入户走访): generated from the assessment, swept like a ticket's deadline."""

    __tablename__ = "visit_tasks"
    __table_args__ = (Index("ix_visit_tasks_open_child", "child_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    #: the assessment the interval came from
    assessment: Mapped[str] = mapped_column(String(16))
    #: the visit is due by the end of this day (Beijing time) …
    due_date: Mapped[date] = mapped_column(Date)
    #: … which is this moment
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: "open" | "done" | "cancelled"
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the deadline sweep's bookkeeping, as on tickets and leads
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    alerts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: 0 none, 1 the township's 督导员, 2 the county's civil-affairs bureau
    escalation: Mapped[int] = mapped_column(Integer, default=0)

    child: Mapped[Child] = relationship(lazy="joined")


class Visit(Base):
    """A recorded home visit (走访记录): the archive the plan asks 儿童主任 to keep."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("visit_tasks.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(96))
    #: who was seen: the child, which guardians, others
    seen: Mapped[str] = mapped_column(String(200))
    findings: Mapped[str] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    assessment_before: Mapped[str] = mapped_column(String(16))
    assessment_after: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgencySource(Base):
    """A kind of list another agency sends periodically, with the column mapping saved for next time."""

    __tablename__ = "agency_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: prison_admission | prison_release | death | drug_rehab | disability | serious_illness | missing |
    #: dibao | tekun (keys of ``agency_lists.SOURCE_KINDS``)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: our field -> the list's column header: {"name": "姓名", "id_number": "公民身份号码", …}
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: imported records are purged this many days after their review is finished
    retention_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgencyList(Base):
    """One imported file of an agency source."""

    __tablename__ = "agency_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("agency_sources.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(96))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    #: set by the purge job once the records' personal data is gone
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[AgencySource] = relationship(lazy="joined")


class AgencyRecord(Base):
    """One row of an imported list, normalised; deleted by the purge job when no longer needed."""

    __tablename__ = "agency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("agency_lists.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(32))
    id_number_sealed: Mapped[str | None] = mapped_column(Text)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    gender: Mapped[str | None] = mapped_column(String(8))
    county: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    #: the event's date in the list (admission, death, decision …)
    date: Mapped[str | None] = mapped_column(String(10))


class ReviewKind(StrEnum):
    NEWLY_ELIGIBLE = "newly_eligible"  # 疑似新增符合条件
    CHANGED = "changed"  # 情况变化
    SHOULD_EXIT = "should_exit"  # 应退未退?


class MatchReview(Base):
    """An item of the county civil-affairs bureau's review queue: one record matched to one child."""

    __tablename__ = "match_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "BD-20261204-00001" (比对)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("agency_lists.id"), index=True)
    #: None once the record was purged (the review keeps its reasons, confidence and relation)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("agency_records.id", ondelete="SET NULL"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardians.id", ondelete="SET NULL"))
    #: "child" or the guardian's relation
    relation: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16))
    #: the county civil-affairs bureau that reviews it
    unit_id: Mapped[int] = mapped_column(ForeignKey("agency_units.id"), index=True)
    #: "open" | "confirmed" | "rejected"
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    alerts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: the deadline sweep's 督办: the unit a late review was escalated to, and how often
    escalated_unit_id: Mapped[int | None] = mapped_column(ForeignKey("agency_units.id"))
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    #: what was done: the action's key and the reviewer's note
    action: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(96))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    child: Mapped[Child] = relationship(lazy="joined")
    unit: Mapped[AgencyUnit] = relationship(lazy="joined", foreign_keys=[unit_id])
    escalated_unit: Mapped[AgencyUnit | None] = relationship(foreign_keys=[escalated_unit_id])
    source_list: Mapped[AgencyList] = relationship(lazy="joined")


class ExportRequest(Base):
    """A request to export (part of) the register; a supervisor approves it before anything is written."""

    __tablename__ = "register_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(96))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the scope and filters, as the export form sent them
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(200))
    #: "pending" | "approved" | "rejected" | "downloaded"
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(96))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: unmasked ID numbers and phones (otherwise masked like every list)
    unmasked: Mapped[bool] = mapped_column(Boolean, default=False)
