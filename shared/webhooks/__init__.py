"""Inbound webhooks: Twilio and Meta signatures, delivery statuses, inbound messages, consent.

Layers, outside in: ``http`` (request -> response, the error table), ``signatures`` (checks on
the raw request, before anything is parsed), ``payloads`` (provider bodies -> typed records),
``statuses`` and ``inbound`` (what the records change in Firestore), ``keywords`` and
``replies`` (pure decisions and texts).
"""
