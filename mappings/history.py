"""The audit trail of rule changes: signal handlers that record every save and delete
of a mapping set's rows, and bump the set's version so postings can name it."""

import json
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save

from .models import (
    FieldMapping,
    MappingChange,
    MappingSet,
    OwnershipRule,
    PostingPolicy,
    ValueMap,
    ValueMapEntry,
)

TRACKED = (FieldMapping, ValueMap, ValueMapEntry, OwnershipRule, PostingPolicy)

_actor = ContextVar("mapping_change_actor", default=None)


@contextmanager
def changes_by(user):
    """Attribute rule changes made inside the block to ``user``."""
    token = _actor.set(user if user and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


class ChangeAuthorMiddleware:
    """Every change made while serving a request is attributed to its user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with changes_by(getattr(request, "user", None)):
            return self.get_response(request)


def snapshot(instance):
    """The row's concrete fields as JSON-ready data."""
    data = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def mapping_set_id_of(instance):
    if isinstance(instance, ValueMapEntry):
        return (
            ValueMap.objects.filter(pk=instance.value_map_id)
            .values_list("mapping_set_id", flat=True)
            .first()
        )
    return instance.mapping_set_id


def remember_before(sender, instance, **kwargs):
    if instance.pk:
        old = sender.objects.filter(pk=instance.pk).first()
        instance._history_before = snapshot(old) if old else None


def record(instance, *, kind, before, after):
    set_id = mapping_set_id_of(instance)
    if set_id is None:
        return
    with transaction.atomic():
        MappingSet.objects.filter(pk=set_id).update(version=F("version") + 1)
        version = MappingSet.objects.values_list("version", flat=True).get(pk=set_id)
        MappingChange.objects.create(
            mapping_set_id=set_id,
            version=version,
            model=instance._meta.label,
            object_id=str(instance.pk),
            object_repr=str(instance)[:200],
            kind=kind,
            before=before,
            after=after,
            changed_by=_actor.get(),
        )


def record_save(sender, instance, created, raw=False, **kwargs):
    if raw:  # loaddata: not a rule change anybody made
        return
    before = None if created else getattr(instance, "_history_before", None)
    after = snapshot(instance)
    if before == after:
        return
    kind = MappingChange.Kind.ADDED if created else MappingChange.Kind.CHANGED
    record(instance, kind=kind, before=before, after=after)


def record_delete(sender, instance, origin=None, **kwargs):
    # Deleting a whole set takes its history with it; nothing to record then.
    origin_model = getattr(origin, "model", type(origin))
    if origin_model is MappingSet:
        return
    # A value map deleted with its entries records each entry too: the map's own
    # snapshot does not say which translations went with it.
    if MappingSet.objects.filter(pk=mapping_set_id_of(instance) or 0).exists():
        record(
            instance,
            kind=MappingChange.Kind.DELETED,
            before=snapshot(instance),
            after=None,
        )


def connect():
    for model in TRACKED:
        uid = f"history-{model._meta.label}"
        pre_save.connect(remember_before, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(record_save, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"{uid}-delete")
