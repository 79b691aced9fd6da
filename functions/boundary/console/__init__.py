"""The console's HTTP side: a Flask app (routes, sign-in, CSRF, headers) and its templates.

``functions/console.py`` hands each request to ``serve``; page data comes from
``shared.flows.console``, rendering (Jinja2 templates, server-drawn SVG, CSV) happens here.
"""
