"""A connection wired to a fresh in-process sandbox (the sync tests' fixtures)."""

from tests.sync.conftest import connection, sandbox, transport  # noqa: F401
