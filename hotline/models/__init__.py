"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from hotline.models.agency import AgencyUnit, Region, RegionLevel
from hotline.models.base import Base, utcnow
from hotline.models.ticket import CHANNELS, IdempotencyKey, Ticket, TicketCounter, TicketEvent
from hotline.models.user import ApiToken, Role, User

__all__ = [
    "CHANNELS",
    "AgencyUnit",
    "ApiToken",
    "Base",
    "IdempotencyKey",
    "Region",
    "RegionLevel",
    "Role",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "User",
    "utcnow",
]
