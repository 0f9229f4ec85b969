"""One module per kind of source: how its payloads become normalized records."""
