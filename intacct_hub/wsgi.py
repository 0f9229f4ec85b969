"""WSGI entry point. With SANDBOX_ENABLED the bundled Intacct sandbox answers under
/sandbox/ beside the hub, in its own store, outside the hub's database transactions."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intacct_hub.settings")

SANDBOX_PREFIX = "/sandbox"


class PrefixDispatcher:
    """Send requests under ``prefix`` to ``mounted``, everything else to ``default``."""

    def __init__(self, default, mounted, prefix=SANDBOX_PREFIX):
        self.default = default
        self.mounted = mounted
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
            return self.mounted(environ, start_response)
        return self.default(environ, start_response)


def build_application():
    from django.conf import settings

    hub = get_wsgi_application()
    if not settings.SANDBOX_ENABLED:
        return hub
    from sandbox import Sandbox, make_app

    # A file of its own: the sandbox's state never shares the hub's database.
    return PrefixDispatcher(hub, make_app(Sandbox(settings.SANDBOX_DB)))


application = build_application()
