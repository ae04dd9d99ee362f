"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from hotline.models.agency import AgencyUnit, Region, RegionLevel
from hotline.models.audit import AuditEntry, SavedView
from hotline.models.base import Base, utcnow
from hotline.models.knowledge import KbArticle, KbArticleVersion, KbMeta, KbPassage, KbTerm
from hotline.models.ticket import CHANNELS, IdempotencyKey, LabelCorrection, Ticket, TicketCounter, TicketEvent
from hotline.models.user import ApiToken, Role, User

__all__ = [
    "CHANNELS",
    "AgencyUnit",
    "AuditEntry",
    "ApiToken",
    "Base",
    "IdempotencyKey",
    "KbArticle",
    "KbArticleVersion",
    "KbMeta",
    "KbPassage",
    "KbTerm",
    "LabelCorrection",
    "Region",
    "RegionLevel",
    "Role",
    "SavedView",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "User",
    "utcnow",
]
