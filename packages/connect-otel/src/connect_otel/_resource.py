"""The resource every signal carries: the service's name, version and environment.

The OTLP encoders group a batch by resource, hashing it once per span and log record, and the
SDK's `Resource.__hash__` serialises every attribute to JSON each time (about 4 µs). A resource
never changes once made, so Connect's computes that same hash once.
"""

from __future__ import annotations

from opentelemetry.sdk.resources import Attributes, Resource

from connect_otel.settings import Settings


class HashedOnceResource(Resource):
    """A `Resource` whose hash (the SDK's own, unchanged) is computed when it is made."""

    def __init__(self, attributes: Attributes, schema_url: str | None = None) -> None:
        super().__init__(attributes, schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other)

    def merge(self, other: Resource) -> Resource:
        # Providers merge a fresh service.instance.id into their resource in a forked child.
        merged = super().merge(other)
        return HashedOnceResource(merged.attributes, merged.schema_url)


def service_resource(settings: Settings) -> HashedOnceResource:
    attributes: dict[str, str] = {}
    if settings.service_name:
        attributes["service.name"] = settings.service_name
    if settings.service_version:
        attributes["service.version"] = settings.service_version
    if settings.environment:
        attributes["deployment.environment.name"] = settings.environment
    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES and the SDK's own attributes, among them a
    # `service.instance.id` that every provider renews in a forked worker.
    created = Resource.create(attributes)
    return HashedOnceResource(created.attributes, created.schema_url)
