"""Coalesced wake-ups: at most one queued, not yet started task of a kind per
connection.

Every stored record wakes its connection's executor, and the dispatcher wakes it
again every minute while work is due. A burst of webhooks used to queue one
``execute_connection`` per record, almost all of which found nothing left to claim;
behind a slow worker (or a database outage) the backlog outgrew the workers. A
wake now records itself (TaskWake) before queuing, and the task forgets it as it
starts, so a wake that arrives while the task runs still queues the next one: none
is lost, and parallel tasks still run whenever wakes keep coming.

A task the broker lost leaves its wake behind; after django-q2's ``retry`` (when the
broker redelivers a claimed task anyway) the wake counts as stale and the next one
queues again.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from .models import TaskWake

#: The wake-up tasks (django-q2 function paths).
EXECUTE = "sync.tasks.execute_connection"
PLAN = "sync.tasks.plan_connection"


def wake(task, connection_id):
    """Queue ``task(connection_id)`` unless one is queued and not started yet;
    returns whether it queued."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_CLUSTER["retry"])
    renewed = TaskWake.objects.filter(
        connection_id=connection_id, task=task, queued_at__lt=stale
    ).update(queued_at=now)
    if not renewed:
        try:
            with transaction.atomic():
                TaskWake.objects.create(
                    connection_id=connection_id, task=task, queued_at=now
                )
        except IntegrityError:
            return False  # one is waiting for a worker already
    async_task(task, connection_id)
    return True


def woken(task, connection_id):
    """Called first by the task itself: from now on, a wake queues a new one."""
    TaskWake.objects.filter(connection_id=connection_id, task=task).delete()
