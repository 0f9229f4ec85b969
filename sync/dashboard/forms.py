"""Dashboard forms: the queue's filters, the resolutions, and a resync's scope."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from mappings import strict_json
from mappings.models import Action

from ..models import Connection, Failure
from .selectors import AGES


def assignable_users():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=["finance", "ops"]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class QueueFilterForm(forms.Form):
    connection = forms.ModelChoiceField(
        Connection.objects.order_by("name"), required=False, empty_label="All"
    )
    category = forms.ChoiceField(
        choices=[("", "All")] + Failure.Category.choices, required=False
    )
    action = forms.ChoiceField(choices=[("", "All")] + Action.choices, required=False)
    age = forms.ChoiceField(
        choices=[("", "Any")] + [(k, v[0]) for k, v in AGES.items()], required=False
    )
    assignee = forms.CharField(required=False)
    state = forms.ChoiceField(
        choices=[("open", "Open"), ("resolved", "Resolved"), ("all", "All")],
        required=False,
    )

    def filters(self):
        data = self.cleaned_data if self.is_valid() else {}
        conn = data.get("connection")
        return {
            "connection_id": conn.pk if conn else None,
            "category": data.get("category") or "",
            "action": data.get("action") or "",
            "age": data.get("age") or "",
            "assignee": data.get("assignee") or "",
            "state": data.get("state") or "open",
        }


class PayloadForm(forms.Form):
    payload = forms.CharField(widget=forms.Textarea(attrs={"rows": 16, "cols": 80}))

    def clean_payload(self):
        # Strict: NaN, deep nesting, NUL and text XML cannot carry are refused here,
        # not by the database (a 500) or by the XML builder (a failed batch).
        try:
            value = strict_json.loads(self.cleaned_data["payload"])
        except strict_json.JSONTextError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("the payload must be a JSON object")
        return value


class LinkForm(forms.Form):
    reference = forms.CharField(
        max_length=255,
        help_text="The Intacct record's reference: customer ID, item ID or document "
        "number. It is read from Intacct before anything is linked.",
    )


class IgnoreForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.TextInput(attrs={"size": 60}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="(nobody)"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


#: The largest primary key a database row can have (BigAutoField).
MAX_PK = 2**63 - 1


class BulkForm(forms.Form):
    ACTIONS = [("retry", "Retry"), ("ignore", "Ignore"), ("assign", "Assign")]
    action = forms.ChoiceField(choices=ACTIONS)
    ids = forms.CharField()
    reason = forms.CharField(max_length=500, required=False)
    assignee = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()

    def clean_ids(self):
        try:
            ids = [int(x) for x in self.cleaned_data["ids"].split(",") if x.strip()]
        except ValueError as exc:
            raise forms.ValidationError("bad selection") from exc
        if any(not 0 < pk <= MAX_PK for pk in ids):
            raise forms.ValidationError("bad selection")
        if not ids:
            raise forms.ValidationError("select at least one failure")
        return ids[:500]

    def clean(self):
        data = super().clean()
        if data.get("action") == "ignore" and not (data.get("reason") or "").strip():
            self.add_error("reason", "say why these failures are ignored")
        return data


class ResyncForm(forms.Form):
    connection = forms.ModelChoiceField(Connection.objects.order_by("name"))
    kind = forms.ChoiceField(
        choices=[
            ("record", "One source record"),
            ("run", "One sync run"),
            ("category", "A failure category"),
            ("dates", "Records received in a date range"),
        ]
    )
    record = forms.IntegerField(required=False, min_value=1, max_value=MAX_PK)
    # A run is chosen by id (from a link): listing every run would not scale.
    run = forms.IntegerField(required=False, min_value=1, max_value=MAX_PK)
    category = forms.ChoiceField(
        choices=[("", "—")] + Failure.Category.choices, required=False
    )
    date_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def scope(self):
        from ..services.resync import ResyncScope

        d = self.cleaned_data
        return ResyncScope(
            kind=d["kind"],
            record_id=d.get("record"),
            run_id=d.get("run"),
            category=d.get("category") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
        )
