"""Housekeeping: django-q2 keeps every task result (a positive save_limit made its
monitor re-read the whole result table per task and fall behind the workers), and an
hourly schedule prunes the old ones."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule, Task

from sync.tasks import task_results_prune

pytestmark = pytest.mark.django_db


def a_result(hours_ago):
    stopped = timezone.now() - timedelta(hours=hours_ago)
    return Task.objects.create(
        id=uuid.uuid4().hex,
        name=f"result-{hours_ago}",
        func="sync.tasks.dispatch_due",
        started=stopped,
        stopped=stopped,
        success=True,
    )


def test_old_task_results_are_pruned_and_recent_ones_kept(settings):
    settings.TASK_RESULTS_KEEP_HOURS = 48
    old, recent = a_result(hours_ago=49), a_result(hours_ago=47)

    assert task_results_prune() == 1

    assert not Task.objects.filter(pk=old.pk).exists()
    assert Task.objects.filter(pk=recent.pk).exists()


def test_ensure_schedules_creates_the_prune_schedule_once():
    call_command("ensure_schedules", verbosity=0)
    call_command("ensure_schedules", verbosity=0)

    [prune] = Schedule.objects.filter(func="sync.tasks.task_results_prune")
    assert prune.schedule_type == Schedule.HOURLY
    assert Schedule.objects.filter(func="sync.tasks.dispatch_due").count() == 1
