import logging

import collections_log
from plain.http import JsonResponse
from plain.runtime import settings
from plain.urls import Router, include, path
from plain.views import View

log = logging.getLogger("app")
collections_log.install()


class ItemView(View):
    def get(self) -> JsonResponse:
        log.info("item %d requested", self.url_kwargs["item_id"])
        return JsonResponse({"id": self.url_kwargs["item_id"], "name": "towel"})


class AppRouter(Router):
    namespace = ""
    urls = (path("items/<int:item_id>", ItemView),)
    if "plain.assets" in settings.INSTALLED_PACKAGES:  # plain.connect's tag links its script
        from plain.assets.urls import AssetsRouter

        urls += (include("assets/", AssetsRouter),)
