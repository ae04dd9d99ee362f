"""Everything about one child on one page: linked tickets and leads, visits and visit tasks, match reviews,
versions, and the benefits the eligibility rules suggest from the record (政策找人)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.children import rules
from hotline.children.models import Child, ChildLink, ChildVersion, MatchReview, Visit, VisitTask
from hotline.knowledge.eligibility import Hint, eligibility_hints
from hotline.sentiment.models import Lead
from hotline.tickets.models import Ticket


@dataclass(frozen=True)
class ChildHistory:
    tickets: list[Ticket]
    leads: list[Lead]
    visits: list[Visit]
    open_task: VisitTask | None
    reviews: list[MatchReview]
    versions: list[ChildVersion]


def child_history(session: Session, child: Child) -> ChildHistory:
    links = select(ChildLink).where(ChildLink.child_id == child.id)
    tickets = select(Ticket).where(Ticket.id.in_(links.with_only_columns(ChildLink.ticket_id)))
    leads = select(Lead).where(Lead.id.in_(links.with_only_columns(ChildLink.lead_id)))
    return ChildHistory(
        tickets=list(session.scalars(tickets.order_by(Ticket.id.desc()))),
        leads=list(session.scalars(leads.order_by(Lead.id.desc()))),
        visits=list(session.scalars(select(Visit).where(Visit.child_id == child.id)
                                    .order_by(Visit.visited_on.desc(), Visit.id.desc()))),
        open_task=session.scalar(select(VisitTask).where(VisitTask.child_id == child.id,
                                                         VisitTask.status == "open")),
        reviews=list(session.scalars(select(MatchReview).where(MatchReview.child_id == child.id)
                                     .order_by(MatchReview.id.desc()))),
        versions=list(session.scalars(select(ChildVersion).where(ChildVersion.child_id == child.id)
                                      .order_by(ChildVersion.version.desc()))),
    )


#: how a guardian's situation is said, for the eligibility rules (which read callers' words)
_SITUATION = {
    "away": "外出务工", "imprisoned": "服刑", "drug_rehab": "强制隔离戒毒", "deceased": "去世", "missing": "失踪",
    "seriously_ill": "重病", "disabled": "重残",
}
_RELATION = {"father": "父亲", "mother": "母亲"}
_CONCERN_WORDS = {"seriously_ill": "孩子重病", "disabled": "孩子残疾", "out_of_school": "孩子辍学",
                  "poor_family": "家里困难"}


def benefits(child: Child) -> list[Hint]:
    """The benefits the record suggests, each citing the passage that defines it: the register's facts are
    written as a sentence the eligibility rules read (a prompt for the 儿童主任, not a decision)."""
    # the child's own facts first: a rule reading "父亲 … 重病" must not reach a child's illness after it
    facts = [_CONCERN_WORDS[c] for c in child.concerns or [] if c in _CONCERN_WORDS]
    facts += [f"{_RELATION.get(g.relation, rules.RELATION_NAMES.get(g.relation, ''))}{_SITUATION[g.status]}"
              for g in child.guardians if g.status in _SITUATION]
    if child.category == "left_behind" and not any(g.status == "away" for g in child.guardians):
        facts.append("父母外出务工")
    return eligibility_hints("。".join(facts)) if facts else []
