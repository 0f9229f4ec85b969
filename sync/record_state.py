"""GET /api/v1/sources/<slug>/records/<kind>/<external_id>/ — one record's sync state.

Lives in sync (not commerce) because it reads postings, bindings and failures, and
commerce may not import sync. Authenticated with the source's bearer token.
"""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from commerce.auth import source_authenticate
from commerce.http import HttpProblem
from commerce.models import SourceRecord
from sync.models import ExternalRef, Failure, Posting


@require_GET
def record_state(request, slug, kind, external_id):
    """Latest version, postings with status, Intacct keys and open failures."""
    try:
        source = source_authenticate(request, slug)
        versions = SourceRecord.objects.filter(
            source=source, kind=kind, external_id=external_id
        )
        latest = versions.order_by("-version").first()
        if latest is None:
            raise HttpProblem(404, "not_found", "no such record for this source")
    except HttpProblem as problem:
        return problem.response()
    return JsonResponse(state_of(source, latest, versions.count()))


def state_of(source, latest, version_count):
    postings = list(
        Posting.objects.filter(
            source_record__source=source,
            source_record__kind=latest.kind,
            source_record__external_id=latest.external_id,
        )
        .select_related("connection", "source_record")
        .order_by("-created_at", "-id")
    )
    refs = ExternalRef.objects.filter(
        source=source, source_kind=latest.kind, external_id=latest.external_id
    ).select_related("connection")
    failures = Failure.objects.filter(
        posting__in=postings, resolved_at__isnull=True
    ).order_by("-created_at")
    return {
        "source": source.slug,
        "kind": latest.kind,
        "external_id": latest.external_id,
        "latest_version": latest.version,
        "versions": version_count,
        "is_tombstone": latest.is_tombstone,
        "received_at": latest.received_at.isoformat(),
        "postings": [
            {
                "id": p.pk,
                "version": p.source_record.version,
                "connection": p.connection.slug,
                "action": p.action,
                "status": p.status,
                "intacct_key": p.result_key,
                "skip_reason": p.skip_reason,
                "updated_at": p.updated_at.isoformat(),
            }
            for p in postings
        ],
        "intacct": [
            {
                "connection": r.connection.slug,
                "object": r.intacct_object,
                "key": r.intacct_key,
                "id": r.intacct_id,
                "linked": r.linked,
            }
            for r in refs
        ],
        "open_failures": [
            {
                "posting": f.posting_id,
                "category": f.category,
                "message": f.message,
                "created_at": f.created_at.isoformat(),
            }
            for f in failures
        ],
    }
