"""The local Cloud Tasks emulator and what the stack needs to run it.

``schedule`` and ``wire`` are stdlib-only (both venvs); ``resources``, ``state``, ``servicer`` and
``emulator`` run in ``.venv-tasks``; ``queues`` is the main venv's side (command line, queues).
Nothing is imported here: each venv imports only what it can.
"""
