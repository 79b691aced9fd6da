"""In-process fake providers for the adapter tests: no emulator, no function process.

Load as a plugin (``pytest_plugins = ["tests.integration.fakes_fixture"]`` in a test module or
the root conftest); helpers are in ``fakes_support``.

- ``provider_fakes``: one ``FakeProviders`` per session, reset before each test (recordings,
  faults, auto-callbacks off, no Meta webhook URL).
- ``callback_receiver``: a small HTTP server recording the status callbacks the fakes post.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.fakes import FakeProviders
from tests.integration.fakes_support import META_PHONE_NUMBER_ID, PROJECT, CallbackReceiver


@pytest.fixture(scope="session")
def provider_fakes_session() -> Iterator[FakeProviders]:
    with FakeProviders(meta_phone_number_id=META_PHONE_NUMBER_ID, fcm_project=PROJECT) as fakes:
        yield fakes


@pytest.fixture
def provider_fakes(provider_fakes_session: FakeProviders) -> FakeProviders:
    fakes = provider_fakes_session
    fakes.reset()
    fakes.set_auto_callbacks(False)
    fakes.set_meta_webhook_url(None)
    return fakes


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.stop()
