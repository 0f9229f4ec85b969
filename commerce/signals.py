"""Signals other apps may subscribe to (commerce itself never imports them back)."""

from django.dispatch import Signal

# Sent once per new SourceRecord version, after the transaction that stored it has
# committed. Arguments: sender=SourceRecord, record=<the SourceRecord>. Receivers
# must be quick and must not raise (they are called with send_robust, and failures
# are only logged).
record_stored = Signal()

# Sent once per committed store (a delivery's records, an ingest batch), after the
# record_stored signals of its records. Arguments: sender=SourceRecord,
# records=<list of the new SourceRecord versions>. The sync engine subscribes to plan
# them with one task per batch instead of one per record. Same rules as above.
records_stored = Signal()
