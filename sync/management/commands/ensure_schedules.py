"""Create the django-q2 schedules the hub runs on, idempotently."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    ("sync: dispatch due postings", "sync.tasks.dispatch_due", Schedule.MINUTES, 1),
    (
        "ledger: build due summaries",
        "sync.tasks_ledger.summarize_all",
        Schedule.MINUTES,
        15,
    ),
    (
        "ledger: read back AR status",
        "sync.tasks_ledger.readback_all",
        Schedule.HOURLY,
        None,
    ),
    (
        "housekeeping: prune old task results",
        "sync.tasks.task_results_prune",
        Schedule.HOURLY,
        None,
    ),
    (
        "ledger: reconcile last week",
        "sync.tasks_ledger.reconcile_daily",
        Schedule.DAILY,
        None,
    ),
]


class Command(BaseCommand):
    help = "Create or update the hub's periodic tasks."

    def handle(self, *args, **options):
        for name, func, kind, minutes in SCHEDULES:
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": kind, "minutes": minutes},
            )
            self.stdout.write(f"{'created' if created else 'kept'}: {name}")
