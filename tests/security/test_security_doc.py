"""docs/SECURITY.md names tests for every threat: each must be a test function the
suite defines, so a renamed or deleted test cannot leave a row claiming what nothing
proves."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "SECURITY.md"
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
THREATS = (
    "Secrets at rest",
    "Secrets in transit",
    "Webhook forgery",
    "token theft or brute force",
    "flooding",
    "Authorization by role",
    "CSRF",
    "Hostile XML",
    "SQL injection",
    "Unaccountable changes",
    "deployment settings",
)


def rows():
    return [line for line in DOC.read_text().splitlines() if line.startswith("| **")]


def defined_tests(path):
    tree = ast.parse((ROOT / path).read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_threat_has_a_row_that_names_tests():
    table = rows()
    for threat in THREATS:
        (row,) = [r for r in table if threat.lower() in r.split("|")[1].lower()]
        assert NAMED.search(row.split("|")[3]), f"no test named for {threat}"
    assert len(table) == len(THREATS)


def test_every_named_test_exists():
    named = NAMED.findall(DOC.read_text())
    assert len(named) >= 40
    for path, name in named:
        assert (ROOT / path).is_file(), f"{path} does not exist"
        assert name in defined_tests(path), f"{path}::{name} is not defined"
