"""What a subclass of a contrib instrumentor needs to stand beside the contrib's own.

A contrib instrumentor is a singleton held in a class attribute, which a subclass would
inherit: once the contrib's instance exists, the subclass's constructor returns it, and the
extension is silently lost. A subclass keeps its own instance here, and counts as instrumented
when the app has already turned on the contrib's, so the library is never wrapped twice. A unit
test fails if the contrib changes where it keeps either.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ExtendsContrib:
    """Mixed in before the contrib instrumentor a subclass extends, named in `extends`."""

    _instance: ClassVar[Any] = None
    _is_instrumented_by_opentelemetry: bool
    extends: ClassVar[type[Any]]

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        theirs = vars(self.extends).get("_instance")
        return self._is_instrumented_by_opentelemetry or bool(
            theirs is not None and theirs.is_instrumented_by_opentelemetry
        )
