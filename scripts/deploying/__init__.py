"""The deployment behind ``scripts/deploy.py``, one concern per module, standard library only.

- ``config``: the env file and the ``Config`` it makes (what to deploy where, with which
  environment and secrets); refuses what cannot make a deployment.
- ``plan``: the pure plan, a list of ``Step`` computed from a ``Config``, the target registry
  (``functions/registry.py``) and the queues (``shared/platform/queues.py``); no I/O.
- ``execute``: running a plan with ``gcloud`` and ``firebase``, retries, the URL checks.
"""
