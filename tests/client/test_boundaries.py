"""The client stays a Django-free library (DESIGN.md: stdlib, httpx, lxml only)."""

import subprocess
import sys
from pathlib import Path

ALLOWED = {
    "httpx",
    "lxml",
    "sync",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "idna",
    "certifi",
    "h2",
    "hpack",
    "hyperframe",
    "socksio",
    "brotli",
    "zstandard",
    # interpreter plumbing that comes with lxml (Cython) and setuptools
    "cython_runtime",
    "_distutils_hack",
}


def test_importing_the_client_pulls_in_no_django_and_no_hub_models():
    code = (
        "import sys, sync.intacct; "
        "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()
    third_party = {
        m
        for m in out
        if m not in sys.stdlib_module_names
        and m != "__main__"
        and not m.startswith("_cython")  # lxml's compiled runtime
    }
    assert "django" not in out
    assert third_party <= ALLOWED, third_party - ALLOWED
    assert not any(m.startswith("sync.models") for m in out)


def test_modules_stay_small():
    root = Path(__file__).resolve().parents[2] / "sync" / "intacct"
    sizes = {p.name: len(p.read_text().splitlines()) for p in root.rglob("*.py")}
    assert max(sizes.values()) < 500, sizes
