"""A reload that reaches every worker of the service, not only the one that answered it.

``bentoml serve`` runs several worker processes behind one port, and ``POST /v1/admin/reload``
lands on one of them. That worker, once its own reload succeeded, announces it on a Redis pub/sub
channel; every other worker listening on it reloads in turn. Used where the live state is in
Redis (the production profile), the store the workers already share.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable

import redis

from settings.redis_retry import fail_fast_retry

logger = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0


class ReloadBroadcast:
    """Announces this worker's reloads on ``channel`` and calls ``reload`` on every other worker's."""

    def __init__(self, redis_url: str, channel: str, reload: Callable[[], None]) -> None:
        self.channel = channel
        self._client = redis.Redis.from_url(redis_url, client_name=f"{channel}:listener", retry=fail_fast_retry())
        self._origin = uuid.uuid4().hex
        self._reload = reload
        self._thread = threading.Thread(target=self._listen, name="reload-broadcast", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def announce(self) -> int:
        """Tell the other workers to reload; returns how many listeners got the message (this
        worker's own included). Raises ``redis.RedisError`` when Redis does not answer."""
        return int(self._client.publish(self.channel, json.dumps({"origin": self._origin})))

    def _listen(self) -> None:
        """For the worker's life (a daemon thread): subscribe, reload on each announcement of
        another worker, and subscribe again after a lost connection."""
        while True:
            try:
                with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(self.channel)
                    for message in pubsub.listen():
                        if self._from_another_worker(message["data"]):
                            self._reload()
            except redis.RedisError as exc:
                logger.warning("reload broadcast: %r; listening again in %g s", exc, RECONNECT_SECONDS)
                time.sleep(RECONNECT_SECONDS)

    def _from_another_worker(self, data: bytes) -> bool:
        try:
            return json.loads(data)["origin"] != self._origin
        except (ValueError, KeyError, TypeError):
            logger.warning("reload broadcast: ignored a message that is not an announcement: %r", data[:200])
            return False
