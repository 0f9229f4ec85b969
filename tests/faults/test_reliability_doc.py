"""docs/RELIABILITY.md names a test for every row of the fault matrix: each name must
be a test function this suite defines (and a parametrized one, an id it uses), so a
renamed or deleted test cannot leave a row claiming what nothing proves."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "RELIABILITY.md"
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)(?:\[([\w-]+)\])?`")


def matrix_rows():
    """The table's body rows (lines starting with "| **")."""
    return [line for line in DOC.read_text().splitlines() if line.startswith("| **")]


def test_every_row_of_the_fault_matrix_names_a_test():
    rows = matrix_rows()
    assert len(rows) >= 10
    for row in rows:
        assert NAMED.search(row), f"no test named for: {row[:60]}"


def test_every_named_test_exists():
    for path, name, param in NAMED.findall(DOC.read_text()):
        source = (ROOT / path).read_text()
        defined = {
            node.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.FunctionDef)
        }
        assert name in defined, f"{path}::{name} is not defined"
        if param:
            assert f'id="{param}"' in source, f"{path} has no parameter id {param}"
