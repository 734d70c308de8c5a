"""Exceptions a planner must act on, found in the live state and the models' outputs, and their
notices: the kinds declared as data (``alerts.kinds``), pure detection over frames
(``alerts.detection``), the store with its life cycle and deduplication (``alerts.store``) and
signed webhook deliveries with retries and a dead-letter list (``alerts.webhooks``,
``alerts.delivery``)."""
