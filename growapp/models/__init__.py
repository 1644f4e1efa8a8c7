"""Typed SQLAlchemy models for the whole domain (SPEC.md §3)."""

from .activity import AuditLog, Event
from .base import Base, utcnow
from .environment import (
    EnvironmentAlert,
    Reading,
    ReadingBatch,
    ReadingHour,
    SensorMapping,
    TentRange,
    TentSensorSettings,
)
from .experiments import STATUSES, Experiment
from .feeding import FeedingLog
from .idempotency import IdempotencyRecord
from .jobs import JOB_KINDS, JOB_STATUSES, Job
from .labels import LabelTemplate
from .layout import Slot, Tent, Tray, TrayPlant, tent_allowed_species
from .notifications import (
    AlertChannel,
    AlertDelivery,
    DigestDay,
    DigestSubscription,
)
from .plants import AdverseEvent, Note, Photo, Plant, PlantMetric
from .recipes import Lot, Recipe
from .rotation import RotationLog
from .schedules import (
    ACTION_TYPES,
    TIMEFRAMES,
    ScheduleAction,
    ScheduleRule,
    ScheduleScope,
    TaskCompletion,
)
from .species import MetricTemplate, Species
from .users import (
    ROLE_RANK,
    ROLES,
    ApiToken,
    Invite,
    LoginFailure,
    LoginThrottle,
    PasswordReset,
    User,
    UserSession,
)

__all__ = [
    "ACTION_TYPES", "JOB_KINDS", "JOB_STATUSES", "ROLES", "ROLE_RANK", "STATUSES", "TIMEFRAMES",
    "AdverseEvent", "AlertChannel", "AlertDelivery", "ApiToken", "AuditLog", "Base",
    "DigestDay", "DigestSubscription", "EnvironmentAlert", "Event", "Experiment",
    "FeedingLog", "IdempotencyRecord", "Invite", "Job", "LabelTemplate", "LoginFailure",
    "LoginThrottle", "Lot", "MetricTemplate", "Note", "PasswordReset", "Photo", "Plant",
    "PlantMetric", "Reading", "ReadingBatch", "ReadingHour", "Recipe", "RotationLog",
    "ScheduleAction", "ScheduleRule", "ScheduleScope", "SensorMapping", "Slot", "Species",
    "TaskCompletion", "Tent", "TentRange", "TentSensorSettings", "Tray", "TrayPlant", "User",
    "UserSession", "tent_allowed_species", "utcnow",
]
