"""The data model; importing this package registers every table on the metadata."""
from engage.models.consultation import (
    SCALE_LABELS,
    AccessCode,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    QuestionOption,
    SegmentField,
    SegmentOption,
)
from engage.models.analysis import AnalysisRun, CommentAnalysis, MachineTheme, RunStatus
from engage.models.audit import AuditEvent
from engage.models.channels import EngagementSession, ImportBatch, ImportedRow
from engage.models.coding import (
    Code,
    CodingSample,
    CodingSampleItem,
    CommentFlag,
    Finding,
    QuestionRevision,
    SampleCoding,
    Suggestion,
    Theme,
)
from engage.models.report import (
    COMMITMENT_STATUS_LABELS,
    COMMITMENT_STATUS_VALUES,
    REPORT_STATUS_VALUES,
    Commitment,
    CommitmentStatus,
    CommitmentTheme,
    QuoteStatus,
    Report,
    ReportQuote,
    ReportRevision,
    ReportSection,
    ReportStatus,
    ReportVersion,
)
from engage.models.review import (
    RECOMMENDATION_STATUS_VALUES,
    REVIEW_STATUS_VALUES,
    DraftComment,
    Recommendation,
    RecommendationChange,
    RecommendationFinding,
    RecommendationStatus,
    RecommendationTheme,
    Review,
    ReviewAccess,
    ReviewFinding,
    ReviewStatus,
    ReviewTheme,
)
from engage.models.response import CHANNEL_LABELS, CHANNEL_VALUES, Answer, Channel, Receipt, Response, SegmentAnswer
from engage.models.user import ROLE_VALUES, ConsultationAccess, Invitation, Role, StaffSession, User, UserRole

__all__ = [
    "SCALE_LABELS", "CHANNEL_LABELS", "AccessCode", "Consultation", "ConsultationStatus", "Question", "QuestionKind",
    "QuestionOption", "SegmentField", "SegmentOption", "CHANNEL_VALUES", "Answer", "Channel", "Receipt",
    "Response", "SegmentAnswer", "AuditEvent", "ROLE_VALUES", "ConsultationAccess", "Invitation", "Role",
    "StaffSession", "User", "UserRole", "AnalysisRun", "CommentAnalysis", "MachineTheme", "RunStatus",
    "Code", "CodingSample", "CodingSampleItem", "CommentFlag", "Finding", "QuestionRevision", "SampleCoding",
    "Suggestion", "Theme", "EngagementSession", "ImportBatch", "ImportedRow", "COMMITMENT_STATUS_LABELS",
    "COMMITMENT_STATUS_VALUES", "REPORT_STATUS_VALUES", "Commitment", "CommitmentStatus", "CommitmentTheme",
    "QuoteStatus", "Report", "ReportQuote", "ReportRevision", "ReportSection", "ReportStatus", "ReportVersion",
    "RECOMMENDATION_STATUS_VALUES", "REVIEW_STATUS_VALUES", "DraftComment", "Recommendation",
    "RecommendationChange", "RecommendationFinding", "RecommendationStatus", "RecommendationTheme", "Review",
    "ReviewAccess", "ReviewFinding", "ReviewStatus", "ReviewTheme",
]
