"""Test code run in threads side by side, each on its own database connection."""

import threading

from django.db import connections


def side_by_side(target, count):
    """Run ``target()`` in ``count`` threads at once; return what they raised (a
    thread cannot fail the test by itself)."""
    errors = []

    def run():
        try:
            target()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
