"""The store's tables. Importing this package registers every table on the shared metadata."""

from review_model.tables.audit import AuditEvent
from review_model.tables.base import metadata, table_of
from review_model.tables.consensus import AssessmentEndorsement, DisputedItemComment, JointAssessment, ReviewVersion
from review_model.tables.findings import Finding, PublishedReport, Recommendation, Reply
from review_model.tables.follow_ups import FollowUpReport
from review_model.tables.outbox import OutboxMessage
from review_model.tables.people import ConflictDeclaration, Organisation, Participant, ReviewPreference
from review_model.tables.questions import ReviewQuestion
from review_model.tables.reviews import Review, ReviewAssignment
from review_model.tables.rounds import Enrolment, Round
from review_model.tables.staff import LoginAttempt, RoundStaff, StaffAccount, StaffPasswordLink, StaffSession
from review_model.tables.submissions import Submission, SubmissionVersion
from review_model.tables.tokens import AccessToken, StoreKey

__all__ = [
    "AccessToken",
    "AssessmentEndorsement",
    "AuditEvent",
    "ConflictDeclaration",
    "DisputedItemComment",
    "Enrolment",
    "Finding",
    "FollowUpReport",
    "JointAssessment",
    "LoginAttempt",
    "Organisation",
    "OutboxMessage",
    "Participant",
    "PublishedReport",
    "Recommendation",
    "Reply",
    "Review",
    "ReviewAssignment",
    "ReviewPreference",
    "ReviewQuestion",
    "ReviewVersion",
    "Round",
    "RoundStaff",
    "StaffAccount",
    "StaffPasswordLink",
    "StaffSession",
    "StoreKey",
    "Submission",
    "SubmissionVersion",
    "metadata",
    "table_of",
]
