import logging

from plain.jobs import Job, register_job

log = logging.getLogger("app")


@register_job
class GreetJob(Job):
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self) -> None:
        log.info("greeting %s from a job", self.name)
