"""The failed-postings queue (finance): list, detail, resolutions, bulk, CSV."""

import csv
import json

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from mappings.engine import map_record
from mappings.selectors import mapping_rules

from ..clients import client_for
from ..intacct import IntacctError
from ..models import ExternalRef, Failure
from ..services.failures import (
    ResolutionError,
    failure_assign,
    failure_ignore,
    failure_link,
    failure_retry,
    failures_bulk,
)
from . import selectors, views
from .context import page_context
from .forms import (
    AssignForm,
    BulkForm,
    IgnoreForm,
    LinkForm,
    PayloadForm,
    QueueFilterForm,
)
from .links import fix_mapping_links, intacct_record_url, preview_url
from .permissions import RESOLVE, VIEW_FAILURES, require

PER_PAGE = 50
# Beyond this a page's offset no longer fits a database integer (a 500 on SQLite).
MAX_PAGE = 10**9
CSV_LIMIT = 100_000


def _queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.filters() if request.GET else QueueFilterForm().filters()
    return form, filters, selectors.failure_queue(user=request.user, **filters)


@require_GET
@require(VIEW_FAILURES)
def queue(request):
    form, filters, failures = _queue(request)
    try:
        page = min(max(int(request.GET.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page = 1
    rows = list(failures[(page - 1) * PER_PAGE : page * PER_PAGE + 1])
    count, capped = selectors.capped_count(failures)
    query = request.GET.copy()
    query.pop("page", None)
    context = page_context(
        request,
        "Failed postings",
        form=form,
        rows=rows[:PER_PAGE],
        page=page,
        has_next=len(rows) > PER_PAGE,
        count=count,
        capped=capped,
        query=query.urlencode(),
        bulk_actions=BulkForm.ACTIONS,
    )
    return TemplateResponse(request, "dashboard/failures.html", context)


class Echo:
    def write(self, value):
        return value


@require_GET
@require(VIEW_FAILURES)
def queue_csv(request):
    """The filtered queue as CSV, streamed in chunks (at most CSV_LIMIT rows)."""
    _, _, failures = _queue(request)
    writer = csv.writer(Echo())
    header = [
        "failure_id",
        "created_at",
        "connection",
        "action",
        "category",
        "errorno",
        "message",
        "correction",
        "support_id",
        "record",
        "assigned_to",
        "resolution",
        "resolved_at",
    ]

    def rows():
        yield writer.writerow(header)
        for f in failures[:CSV_LIMIT].iterator(chunk_size=2000):
            record = f.posting.source_record
            yield writer.writerow(
                [
                    f.pk,
                    f.created_at.isoformat(),
                    f.posting.connection.slug,
                    f.posting.action,
                    f.category,
                    f.errorno,
                    f.message,
                    f.correction,
                    f.support_id,
                    f"{record.kind}/{record.external_id}" if record else "",
                    f.assigned_to.get_username() if f.assigned_to else "",
                    f.resolution,
                    f.resolved_at.isoformat() if f.resolved_at else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="failed-postings.csv"'
    return response


def _failure(pk):
    try:
        return selectors.failure_for_detail(pk)
    except Failure.DoesNotExist:
        raise Http404("no such failure") from None


def remap(posting):
    """The posting's record mapped with today's rules (None when there is none)."""
    record = posting.source_record
    mapping_set = posting.connection.mapping_set
    if record is None or mapping_set is None:
        return None
    return map_record(record.payload, mapping_rules(mapping_set), action=posting.action)


def retry_payload(posting, mapped):
    """Retry sends the re-mapped payload when today's mapping gives a different,
    complete one (the mapping was fixed); otherwise the stored payload as it is."""
    if mapped is not None and mapped.ok and mapped.body() != posting.payload:
        return mapped.body()
    return None


@require_GET
@require(VIEW_FAILURES)
def detail(request, pk):
    failure = _failure(pk)
    posting = failure.posting
    attempts, events = selectors.failure_history(failure)
    mapped = remap(posting)
    problems = selectors.mapping_problems(failure)
    record = posting.source_record
    binding = None
    if record is not None:
        binding = ExternalRef.objects.filter(
            connection_id=posting.connection_id,
            source_id=record.source_id,
            source_kind=record.kind,
            external_id=record.external_id,
            intacct_object=posting.intacct_object,
        ).first()
    key = posting.result_key or (binding.intacct_key if binding else "")
    context = page_context(
        request,
        f"Failure #{failure.pk}: {failure.get_category_display()}",
        failure=failure,
        posting=posting,
        record=record,
        record_json=json.dumps(record.payload, indent=2) if record else "",
        payload_json=json.dumps(posting.payload, indent=2, default=str),
        mapped=mapped,
        remapped_differs=retry_payload(posting, mapped) is not None,
        attempts=attempts,
        events=events,
        fix_links=fix_mapping_links(failure, problems),
        preview_url=preview_url(posting),
        binding=binding,
        intacct_url=intacct_record_url(posting.connection, posting.intacct_object, key),
        intacct_key=key,
        payload_form=PayloadForm(
            initial={"payload": json.dumps(posting.payload, indent=2, default=str)}
        ),
        link_form=LinkForm(),
        ignore_form=IgnoreForm(),
        assign_form=AssignForm(initial={"assignee": failure.assigned_to_id}),
    )
    return TemplateResponse(request, "dashboard/failure_detail.html", context)


@require_POST
@require(RESOLVE)
def act(request, pk, action):
    failure = _failure(pk)
    posting = failure.posting
    back = redirect("dashboard:failure", pk=pk)
    try:
        if action == "retry":
            payload = retry_payload(posting, remap(posting))
            failure_retry(failure=failure, user=request.user, payload=payload)
            note = " with the re-mapped payload" if payload is not None else ""
            messages.success(request, f"Queued for another attempt{note}.")
        elif action == "edit":
            form = PayloadForm(request.POST)
            if not form.is_valid():
                messages.error(request, form.errors["payload"][0])
                return back
            failure_retry(
                failure=failure, user=request.user, payload=form.cleaned_data["payload"]
            )
            messages.success(request, "Queued with the edited payload.")
        elif action == "link":
            form = LinkForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the Intacct record's reference.")
                return back
            _link(request, failure, form.cleaned_data["reference"].strip())
        elif action == "ignore":
            form = IgnoreForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            failure_ignore(failure=failure, user=request.user, reason=reason)
            messages.success(request, "Ignored; the posting is skipped.")
        elif action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Choose someone to assign it to.")
                return back
            assignee = form.cleaned_data["assignee"]
            failure_assign(failure=failure, user=request.user, assignee=assignee)
            messages.success(request, f"Assigned to {assignee or 'nobody'}.")
        else:
            raise Http404("no such action")
    except ResolutionError as exc:
        messages.error(request, str(exc))
    return back


def _link(request, failure, reference):
    """Find the record in Intacct by its reference, then bind the posting to it."""
    posting = failure.posting
    try:
        with client_for(posting.connection, **views.CLIENT_OPTIONS) as client:
            found = client.find(posting.intacct_object, [reference]).get(reference)
    except (IntacctError, ValueError) as exc:
        messages.error(request, f"Could not read Intacct: {exc}")
        return
    if found is None:
        messages.error(
            request, f"Intacct has no {posting.intacct_object} {reference!r}."
        )
        return

    def verified(posting, key):
        return found.id

    try:
        failure_link(
            failure=failure,
            user=request.user,
            intacct_key=found.key,
            intacct_id=found.id,
            verify=verified,
        )
    except IntegrityError:
        messages.error(
            request,
            f"{posting.intacct_object} {found.id} is already bound to another "
            "source record; the hub never binds one Intacct record twice.",
        )
        return
    messages.success(
        request, f"Linked to {posting.intacct_object} {found.id} (key {found.key})."
    )


@require_POST
@require(RESOLVE)
def bulk(request):
    """Step 1 shows what will happen (confirmation page); step 2 does it."""
    form = BulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect(reverse("dashboard:failures") + "?" + request.GET.urlencode())
    data = form.cleaned_data
    failures = list(
        Failure.objects.filter(pk__in=data["ids"])
        .select_related("posting", "posting__connection", "posting__source_record")
        .defer("posting__payload", "posting__source_record__payload")
        .order_by("-created_at")
    )
    if request.POST.get("confirm") != "yes":
        context = page_context(
            request,
            f"Confirm: {dict(BulkForm.ACTIONS)[data['action']].lower()} "
            f"{len(failures)} failure(s)",
            form=form,
            failures=failures,
            action=data["action"],
            ids=",".join(str(f.pk) for f in failures),
        )
        return TemplateResponse(request, "dashboard/failures_bulk.html", context)
    kwargs = {}
    if data["action"] == "ignore":
        kwargs["reason"] = data["reason"]
    elif data["action"] == "assign":
        kwargs["assignee"] = data["assignee"]
    done, refused = failures_bulk(
        failures=failures, user=request.user, action=data["action"], **kwargs
    )
    messages.success(request, f"{data['action'].title()}: {done} done.")
    for pk, reason in list(refused.items())[:10]:
        messages.warning(request, f"Failure #{pk}: {reason}")
    return redirect("dashboard:failures")
