-- The extent routing finds a community by: its boundary's bounding box, or its point when it has
-- no boundary (routing then takes the nearest point within 3 km). A report is routed among the
-- communities whose extent meets the 3 km square around it, however far a large village's
-- boundary reaches from its point.
ALTER TABLE grid_communities
    ADD COLUMN min_lat DOUBLE PRECISION,
    ADD COLUMN max_lat DOUBLE PRECISION,
    ADD COLUMN min_lng DOUBLE PRECISION,
    ADD COLUMN max_lng DOUBLE PRECISION;

UPDATE grid_communities SET min_lat = lat, max_lat = lat, min_lng = lng, max_lng = lng
WHERE boundary IS NULL;

UPDATE grid_communities g SET min_lng = e.min_lng, max_lng = e.max_lng, min_lat = e.min_lat, max_lat = e.max_lat
FROM (
    SELECT c.region_code,
        MIN((p ->> 0)::DOUBLE PRECISION) AS min_lng, MAX((p ->> 0)::DOUBLE PRECISION) AS max_lng,
        MIN((p ->> 1)::DOUBLE PRECISION) AS min_lat, MAX((p ->> 1)::DOUBLE PRECISION) AS max_lat
    FROM grid_communities c, jsonb_array_elements(c.boundary::jsonb) p
    WHERE c.boundary IS NOT NULL
    GROUP BY c.region_code
) e
WHERE e.region_code = g.region_code;

CREATE INDEX grid_communities_extent ON grid_communities (min_lat, max_lat);
