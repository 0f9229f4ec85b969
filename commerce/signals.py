"""Signals other apps may subscribe to (commerce itself never imports them back)."""

from django.dispatch import Signal

# Sent once per new SourceRecord version, after the transaction that stored it has
# committed. Arguments: sender=SourceRecord, record=<the SourceRecord>. The sync
# engine (issue 7) subscribes to wake its planner; receivers must be quick and must
# not raise (they are called with send_robust, and failures are only logged).
record_stored = Signal()
