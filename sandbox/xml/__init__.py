"""The XML Web Services gateway (dtdversion 3.0) of the sandbox."""
