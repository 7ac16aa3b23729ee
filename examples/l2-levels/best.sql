WITH lv AS (
  -- Best bid and ask after each update u (README, Ingest: "Worked examples"): the book after
  -- u is the last snapshot at or before u with every level's latest size since; 0 removes one.
  SELECT position AS u, type, stream AS side, seq,
         CAST(data->>0 AS DECIMAL(18, 2)) AS price, CAST(data->>1 AS DECIMAL(18, 3)) AS size
  FROM events
), ups AS (
  SELECT u, (SELECT max(s.u) FROM lv s WHERE s.type = 'snapshot' AND s.u <= x.u) AS since
  FROM (SELECT DISTINCT u FROM lv) x
), book AS (
  SELECT ups.u, lv.side, lv.price, arg_max(lv.size, lv.seq) AS size
  FROM ups JOIN lv ON lv.u BETWEEN ups.since AND ups.u
  GROUP BY ALL
)
SELECT u,
       max(price) FILTER (side = 'b' AND size > 0) AS best_bid,
       min(price) FILTER (side = 'a' AND size > 0) AS best_ask
FROM book GROUP BY u ORDER BY u
