"""Crawl one source in this process and store it in the raw archive.

    python -m spiders.crawl --archive DIR --crawl-id ID --source-json JSON [--setting KEY=VALUE ...]

One process per crawl: Twisted's reactor cannot be restarted. Pages go to
``spiders.writer.source_writer(DIR, ID, source.id)``; fetch.json says how it went. Log lines go to
stderr, prefixed with the source id; the last line on stdout is a JSON summary
``{"source_id", "status", "pages", "errors"}``.

Exit codes: 0 fetch ok, 3 fetch failed (fetch.json written), 2 unusable arguments (nothing written).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from pipeline.config import SourceConfig
from pipeline.raw import FetchInfo
from spiders.writer import source_writer
from spiders import spider_class
from spiders.settings import build_settings, parse_setting_pairs

EXIT_OK, EXIT_USAGE, EXIT_FAILED = 0, 2, 3

logger = logging.getLogger("spiders.crawl")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m spiders.crawl", description=__doc__.split("\n\n")[0])
    p.add_argument("--archive", required=True, type=Path, help="raw archive root")
    p.add_argument("--crawl-id", required=True)
    p.add_argument("--source-json", required=True, help="the SourceConfig as JSON")
    p.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE", help="Scrapy setting override (repeatable)")
    return p


def _summary(info: FetchInfo) -> str:
    return json.dumps({"source_id": info.source_id, "status": info.status, "pages": info.pages, "errors": info.errors})


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        source = SourceConfig.model_validate_json(args.source_json)
        overrides = parse_setting_pairs(args.setting)
    except (ValidationError, ValueError) as e:
        print(f"spiders.crawl: bad arguments: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        writer = source_writer(args.archive, args.crawl_id, source.id)
    except FileExistsError as e:
        print(f"spiders.crawl: [{source.id}] {e}", file=sys.stderr)
        return EXIT_USAGE

    # Scrapy is imported only here, after the arguments were found usable.
    from scrapy.crawler import CrawlerProcess

    from spiders.archive import ArchiveRecorder

    recorder = ArchiveRecorder(writer, list(source.start_urls))
    try:
        spidercls = spider_class(source.spider)
    except KeyError as e:
        print(f"spiders.crawl: [{source.id}] {e.args[0]}", file=sys.stderr)
        writer.error(f"{source.id}: {e.args[0]}")
        info = writer.finish("failed")
        print(_summary(info))
        return EXIT_FAILED

    settings = build_settings(overrides, source_id=source.id)
    try:
        process = CrawlerProcess(settings)
        logger.info(
            "crawl %s: source %s (spider %s), %d start URL(s), archive %s",
            args.crawl_id, source.id, source.spider, len(source.start_urls), Path(args.archive).resolve(),
        )
        process.crawl(spidercls, source=source, recorder=recorder)
        process.start()
    except Exception as e:  # the crawl machinery itself broke: keep what was stored, say why
        logger.exception("crawl of %s crashed", source.id)
        writer.error(f"{source.id}: crawl crashed: {type(e).__name__}: {e}")
        recorder.close_reason = recorder.close_reason or "crashed"
    info = recorder.finish()
    logger.info(
        "fetch %s: %d page(s) stored, %d error(s)%s",
        info.status, info.pages, len(info.errors), "".join(f"\n  - {e}" for e in info.errors),
    )
    print(_summary(info), flush=True)
    return EXIT_OK if info.status == "ok" else EXIT_FAILED


if __name__ == "__main__":
    code = main()
    # Everything is on disk by now (bodies and pages.jsonl closed, fetch.json replaced
    # atomically): skip the interpreter's teardown of Scrapy and Twisted, ~0.3 s per crawl.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
