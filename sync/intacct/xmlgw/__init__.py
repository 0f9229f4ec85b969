"""Sage Intacct XML Web Services gateway: request builder, parser, sessions."""
