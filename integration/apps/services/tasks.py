"""The background jobs of the whole-app example: a Celery app on Redis. Connect is configured
where the Celery app is defined, so the web app that sends tasks and the worker that runs them
(any pool) both export. `celery -A tasks worker`."""

from __future__ import annotations

import logging
import os

from celery import Celery, Task

import connect_otel

connect_otel.configure()

app = Celery("tasks", broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])
app.conf.update(broker_connection_retry_on_startup=True, task_acks_late=False)
log = logging.getLogger("tasks")


@app.task
def add(x: int, y: int) -> int:
    log.info("adding %s and %s", x, y)
    return x + y


@app.task(bind=True, max_retries=1, default_retry_delay=0)
def flaky(self: Task) -> None:
    # Retried once, then it fails for good: both are recorded on the task's spans.
    if self.request.retries == 0:
        raise self.retry(exc=ConnectionError("the payment API timed out"))
    raise RuntimeError("the job failed")
