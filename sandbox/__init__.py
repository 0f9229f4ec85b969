"""Intacct sandbox: a faithful Sage Intacct stand-in (XML gateway + REST v1).

Pure Python (stdlib + lxml), no Django. Public names:

    Sandbox            the running stand-in: store, companies, controls
    make_app(sandbox)  WSGI callable (XML at /ia/xml/xmlgw.phtml, REST at /ia/api/v1/)
    demo_credentials() the fixed DEMO company credentials

See sandbox/README.md (usage) and sandbox/CONTRACT.md (for code built on top).
"""

from sandbox.app import make_app
from sandbox.company import DEMO_COMPANY, demo_credentials
from sandbox.controls import Config, Sandbox

__all__ = ["DEMO_COMPANY", "Config", "Sandbox", "demo_credentials", "make_app"]
