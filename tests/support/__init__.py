"""Helpers shared by the tests: CloudEvents, signed webhooks, polling, fixture files."""
