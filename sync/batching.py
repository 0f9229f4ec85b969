"""Work in batches: ``batches(iterable, size)`` yields lists of up to ``size``."""


def batches(iterable, size):
    """Lists of up to ``size`` items, in order (itertools.batched, Python 3.12)."""
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
