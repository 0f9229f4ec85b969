"""Plan and post until nothing is due, in this process (scripts, demos, tests)."""

from django.core.management.base import BaseCommand, CommandError

from sync.models import Connection
from sync.services.summary import ledger_sync


class Command(BaseCommand):
    help = "Plan new records and post due postings until nothing is due."

    def add_arguments(self, parser):
        parser.add_argument("--connection", help="slug or name (default: all active)")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="executors sending side by side, as worker processes would (each "
            "connection's concurrency cap still applies)",
        )

    def handle(self, *args, connection=None, workers=1, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        connections = Connection.objects.filter(active=True, mapping_set__isnull=False)
        if connection:
            connections = connections.filter(slug=connection) | connections.filter(
                name=connection
            )
            if not connections.exists():
                raise CommandError(f"no active connection {connection!r} with mappings")
        for conn in connections:
            # Detail postings and due summaries.
            run = ledger_sync(connection=conn, workers=workers)
            conn.refresh_from_db()
            state = f" (paused: {conn.pause_reason})" if conn.paused_at else ""
            self.stdout.write(
                f"{conn.slug}: planned {run.planned}, posted {run.posted}, "
                f"failed {run.failed}{state}"
            )
