"""The ``openrouter`` spider: the models API, then the endpoints of the configured models.

The start URL is the models list (``/api/v1/models``). For each listed model whose id is in
``options.endpoints_for`` it follows the model's ``links.details`` (else
``/api/v1/models/<id>/endpoints``), joined to the response URL: a start URL on a mirror or a
local test server keeps the follow-ups there. A link that is not http(s) or points off the
source's hosts (``options.follow_hosts`` adds hosts) is refused and recorded, never fetched
(``ArchiveSpider.follow``). It reads ids and links only; the parser reads the facts from the
stored pages.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from spiders.archive import ArchiveSpider


class OpenRouterSpider(ArchiveSpider):
    name = "openrouter"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        if response.status >= 400:
            self.logger.warning("%s: HTTP %s, no endpoints followed", response.url, response.status)
            return
        wanted = [str(m) for m in self.source.options.get("endpoints_for", [])]
        try:
            data = json.loads(response.body)
        except ValueError as e:
            self.record_problem(response, f"models list is not valid JSON ({e}); no endpoints followed")
            return
        models = data.get("data") if isinstance(data, dict) else None
        if not isinstance(models, list):
            self.record_problem(response, "models list has no 'data' list; no endpoints followed")
            return
        found = set()
        for model in models:
            model_id = model.get("id") if isinstance(model, dict) else None
            if not isinstance(model_id, str) or model_id not in wanted or model_id in found:
                continue
            found.add(model_id)
            links = model.get("links")
            details = links.get("details") if isinstance(links, dict) else None
            path = details.strip() if isinstance(details, str) and details.strip() else f"/api/v1/models/{model_id}/endpoints"
            request = self.follow(response.urljoin(path), callback=self.parse_endpoints)
            if request is not None:
                yield request
        missing = [m for m in wanted if m not in found]
        self.logger.info("%d models listed; following endpoints of %d", len(models), len(found))
        if missing:
            self.logger.warning("configured in endpoints_for but not listed: %s", ", ".join(missing))

    def parse_endpoints(self, response: Response, **kwargs: Any) -> None:
        """Stored already; nothing to follow."""
        return None
