"""Campaigns (issue 19): a marketing message to a segment, paced, consented, measured.

- ``trigger``: ``on_campaign_written``: a campaign scheduled (or resumed) starts its steps;
- ``plan``: one page of the audience becomes history records and tasks on the ``campaigns``
  queue, then the next page is enqueued;
- ``resume``: the waiting messages of a resumed (or cancelled) campaign enqueued again;
- ``monitor``: results recomputed, the health checked (auto-pause), completion noticed;
- ``gate``: what delivery asks about a campaign's message at send time;
- ``attribution``: an order placed by a recipient within the window counts for the campaign;
- ``control``: what the console and ``scripts/campaign.py`` do (create, count, schedule, pause,
  resume, cancel, results).
"""
