"""Every model, imported here so the metadata (and Alembic) sees the whole schema."""

from store.models.actions import Action, ActionExtension
from store.models.alerts import Alert, AlertAckLink, AlertAttempt, AlertRecipient
from store.models.audit import AuditEntry
from store.models.bulletins import Bulletin
from store.models.contacts import StaffContact
from store.models.forms import FormSession, ServerSecret
from store.models.hub import HubSession, HubSignInFlow, HubSignInLink
from store.models.ideas import Idea, IdeaSubmitter, IdeaSupport
from store.models.inbound import InboundRequest
from store.models.lease import Heartbeat, Lease
from store.models.lessons import Lesson, LessonOrgUnit, LessonSubmitter, Trend, TrendLesson
from store.models.outbox import OutboxMessage
from store.models.refs import RefCounter
from store.models.reminders import ReminderSent, RuleWatermark
from store.models.staff import Staff, StaffRole
from store.models.teams import DirectorySync, TeamsConversation

__all__ = [
    "Action",
    "ActionExtension",
    "Alert",
    "AlertAckLink",
    "AlertAttempt",
    "AlertRecipient",
    "AuditEntry",
    "Bulletin",
    "DirectorySync",
    "FormSession",
    "Heartbeat",
    "HubSession",
    "HubSignInFlow",
    "HubSignInLink",
    "Idea",
    "IdeaSubmitter",
    "IdeaSupport",
    "InboundRequest",
    "Lease",
    "Lesson",
    "LessonOrgUnit",
    "LessonSubmitter",
    "OutboxMessage",
    "RefCounter",
    "ReminderSent",
    "RuleWatermark",
    "ServerSecret",
    "Staff",
    "StaffContact",
    "StaffRole",
    "TeamsConversation",
    "Trend",
    "TrendLesson",
]
