"""Fake provider endpoints for the local stack and the tests: Twilio, Meta, FCM, SMTP.

``FakeProviders`` runs them in-process; ``python -m devstack.fakes`` runs them as a process;
``FakeProvidersClient`` drives a running one through its ``/_fake/`` control API.
"""

from devstack.fakes.client import FakeProvidersClient
from devstack.fakes.server import FakeProviders
from devstack.fakes.signing import meta_signature, twilio_signature

__all__ = ["FakeProviders", "FakeProvidersClient", "meta_signature", "twilio_signature"]
