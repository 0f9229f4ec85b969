"""The field-catalog provider the mappings admin validates target fields with.

Registered in ``SyncConfig.ready()`` (``mappings`` may not import ``sync``). Target
fields come from the client's typed records (``sync.payloads.target_fields``);
``custom_fields.X`` names are checked against the Intacct object's field catalog, read
through the client for a connection that uses the mapping set and cached per
connection.
"""

import logging

from django.core.cache import cache

from mappings.catalog import register_provider

from .clients import client_for
from .intacct import IntacctError
from .intacct.objects import registry
from .payloads import RECORD_OF_ACTION, target_fields

log = logging.getLogger(__name__)

CACHE_SECONDS = 3600
#: The client's write action per hub action, where the names differ.
CLIENT_ACTION = {"post_gl_summary": "post_journal_entry"}

#: Tests point this at the sandbox (``httpx.WSGITransport``); None = real HTTP.
http_transport = None


def field_catalog_names(connection, intacct_object):
    """Field names of ``intacct_object`` in ``connection``'s Intacct, or None."""
    key = f"intacct-catalog:{connection.pk}:{intacct_object}"
    names = cache.get(key)
    if names is not None:
        return set(names)
    try:
        with client_for(connection, http_transport=http_transport) as client:
            fields = client.read_field_catalog(intacct_object)
    except (IntacctError, OSError) as exc:
        log.warning("field catalog of %s unavailable for %s: %s", intacct_object,
                    connection, exc)  # fmt: skip
        return None
    names = set()
    for field in fields:
        names.add(field.name)
        names.add(field.name.rsplit(".", 1)[-1].removesuffix("[]"))
    cache.set(key, sorted(names), CACHE_SECONDS)
    return names


class IntacctFieldCatalog:
    """What ``mappings.catalog`` asks: target fields and custom field names."""

    def target_fields(self, action):
        if action not in RECORD_OF_ACTION:
            return None
        return target_fields(action)

    def custom_field_names(self, action, mapping_set):
        module = registry.ACTIONS.get(CLIENT_ACTION.get(action, action))
        if module is None or mapping_set is None or not mapping_set.pk:
            return None
        for connection in mapping_set.connections.filter(active=True):
            names = field_catalog_names(connection, module.SPEC.xml_object)
            if names is not None:
                return names
        return None


provider = IntacctFieldCatalog()


def register():
    """Make the mappings admin validate target fields with this provider."""
    register_provider(provider)
