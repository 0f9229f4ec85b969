"""Paging generators hold one page at a time: memory is flat from 1k to 10k rows.

The sandbox runs in a child process (the `loopback_url` fixture) so that
tracemalloc measures only the client's memory, not the emulator's.
"""

import time
import tracemalloc

import httpx
import pytest

from sync.intacct import Credentials, IntacctClient
from tests.client.conftest import LOOPBACK_ROWS as ROWS


def peak_while_reading(client, protocol: str, limit: int) -> tuple[int, int]:
    if protocol == "xml":
        rows = client.xml.read_by_query("CUSTOMER", "", fields="RECORDNO,CUSTOMERID")
    elif protocol == "xml-query":
        rows = client.xml.query("CUSTOMER", ["RECORDNO", "CUSTOMERID"])
    else:
        rows = client.rest.query("accounts-receivable/customer", ["key", "id"])
    tracemalloc.start()
    tracemalloc.reset_peak()
    count = 0
    for _ in rows:
        count += 1
        if count >= limit:
            break
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, peak


@pytest.mark.parametrize("protocol", ["xml", "xml-query", "rest"])
def test_paging_10k_rows_in_constant_memory(loopback_url, protocol):
    from sandbox import demo_credentials

    creds = Credentials.from_dict(demo_credentials(), base_url=loopback_url)
    with IntacctClient(creds, timeout=httpx.Timeout(60.0)) as client:
        client.find("CUSTOMER", ["warm-up"])  # session / token outside the measure
        started = time.monotonic()
        small_count, small_peak = peak_while_reading(client, protocol, 1_000)
        big_count, big_peak = peak_while_reading(client, protocol, ROWS + 10)
        assert small_count == 1_000
        assert big_count >= ROWS
        # Ten times the rows, about the same peak: one page is held, not the set.
        assert big_peak < small_peak * 1.5 + 256 * 1024, (small_peak, big_peak)
        assert time.monotonic() - started < 60
