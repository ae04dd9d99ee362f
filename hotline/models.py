"""Every table of every domain on one ``Base.metadata``: Alembic and the tests import this module.

Domain code imports its models from its own package (``hotline.tickets.models`` …), not from here.
"""

from hotline.accounts.models import ApiToken, AuditEntry, Role, User
from hotline.children.models import (
    AgencyList,
    AgencyRecord,
    AgencySource,
    Child,
    ChildLink,
    ChildVersion,
    ExportRequest,
    Guardian,
    MatchReview,
    Place,
    Visit,
    VisitTask,
)
from hotline.directory.models import AgencyUnit, Region, RegionLevel
from hotline.knowledge.models import KbArticle, KbArticleVersion, KbMeta, KbPassage
from hotline.notifications.models import Notification, NotificationRead, ReadMark, Webhook, WebhookDelivery
from hotline.orm import Base
from hotline.ratelimit.models import RateCounter
from hotline.reports.models import PublishedReport
from hotline.scheduling.models import JobState
from hotline.sentiment.models import Feed, Lead, LeadCounter, LeadEvent, SentimentEvent, SentimentItem, StoryKey
from hotline.tickets.models import (
    CHANNELS,
    IdempotencyKey,
    LabelCorrection,
    SavedView,
    Ticket,
    TicketCounter,
    TicketEvent,
)

__all__ = [
    "AgencyList",
    "AgencyRecord",
    "AgencySource",
    "Child",
    "ChildLink",
    "ChildVersion",
    "ExportRequest",
    "Guardian",
    "MatchReview",
    "Place",
    "Visit",
    "VisitTask",
    "CHANNELS",
    "AgencyUnit",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Feed",
    "IdempotencyKey",
    "JobState",
    "KbArticle",
    "KbArticleVersion",
    "KbMeta",
    "KbPassage",
    "LabelCorrection",
    "Lead",
    "LeadCounter",
    "LeadEvent",
    "Notification",
    "NotificationRead",
    "PublishedReport",
    "RateCounter",
    "ReadMark",
    "Region",
    "RegionLevel",
    "Role",
    "SavedView",
    "SentimentEvent",
    "SentimentItem",
    "StoryKey",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "User",
    "Webhook",
    "WebhookDelivery",
]
