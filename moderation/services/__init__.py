"""Moderation operations: claim, decide (with an undo window), undo, bulk actions, reversals,
removal, shortlist and publish the weekly feature, public reports (auto-hide, keep), appeals.

Each is one transaction with an explicit acting user; the permission check is part of it, so no
caller can forget it (outsiders get Http404). Each writes its activity record in that transaction.
Callers import from here; the modules below are split by sub-domain.
"""

from moderation.services.appeals import (
    APPEAL_TEXT_MAX,
    RESTORE_TO,
    AppealBasis,
    appeal_basis,
    appeal_decide,
    appeal_file,
)
from moderation.services.common import (
    BULK_MAX,
    CLAIM_LEASE,
    CLAIM_MAX,
    NOTE_MAX,
    SYSTEM_UNDO_WINDOW,
    SYSTEM_WEEKLY_FEATURE,
    undo_window,
)
from moderation.services.decisions import (
    BULK_ACTIONS,
    REVERSALS,
    BulkResult,
    bulk_undo,
    decision_apply,
    decision_undo,
    decisions_apply_due,
    decisions_bulk,
    entry_decide,
    entry_remove,
    entry_reverse,
    schedule_apply,
)
from moderation.services.features import (
    entry_shortlist,
    entry_unshortlist,
    feature_document_name,
    feature_document_write,
    feature_publish,
    features_publish_due,
    queue_feature_document,
)
from moderation.services.queue import queue_claim, queue_claim_next, queue_release, queue_renew
from moderation.services.reports import (
    DETAILS_MAX,
    REPORTS_PER_HOUR,
    entry_hide,
    entry_keep,
    report_create,
    reporter_key,
    reports_resolve,
)
from moderation.services.rules import (
    entry_rules_apply,
    rule_create,
    rule_delete,
    rule_refuses_fan,
    rule_update,
)

__all__ = [
    "APPEAL_TEXT_MAX",
    "BULK_ACTIONS",
    "BULK_MAX",
    "CLAIM_LEASE",
    "CLAIM_MAX",
    "DETAILS_MAX",
    "NOTE_MAX",
    "REPORTS_PER_HOUR",
    "RESTORE_TO",
    "REVERSALS",
    "SYSTEM_UNDO_WINDOW",
    "SYSTEM_WEEKLY_FEATURE",
    "AppealBasis",
    "BulkResult",
    "appeal_basis",
    "appeal_decide",
    "appeal_file",
    "bulk_undo",
    "decision_apply",
    "decision_undo",
    "decisions_apply_due",
    "decisions_bulk",
    "entry_decide",
    "entry_hide",
    "entry_keep",
    "entry_remove",
    "entry_reverse",
    "entry_rules_apply",
    "entry_shortlist",
    "entry_unshortlist",
    "feature_document_name",
    "feature_document_write",
    "feature_publish",
    "features_publish_due",
    "queue_claim",
    "queue_claim_next",
    "queue_feature_document",
    "queue_release",
    "queue_renew",
    "report_create",
    "reporter_key",
    "reports_resolve",
    "rule_create",
    "rule_delete",
    "rule_refuses_fan",
    "rule_update",
    "schedule_apply",
    "undo_window",
]
