"""The OMS-facing service: a BentoML service that scores order lines with the champion models.

At start-up it loads the ``champion`` risk, demand and lead-time models from the MLflow registry
and connects to the Feast online store; per request it assembles request-time and online
features, predicts, asks ``decisions`` for the action and promise date, and logs every scored
line for monitoring. ``serving`` may import ``features``, ``training``, ``decisions`` and
``contracts``; nothing but ``pipelines`` imports it.
"""
