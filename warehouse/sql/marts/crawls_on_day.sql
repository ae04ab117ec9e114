-- Marts: crawls on day (used by pipeline/report.py).
SELECT crawl_id FROM crawls WHERE CAST(started_at AS DATE) = $day ORDER BY started_at, crawl_id
