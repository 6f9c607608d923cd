-- The extent routing finds a community by: its boundary's bounding box, or its point when it has
-- no boundary (routing then takes the nearest point within 3 km). A report is routed among the
-- communities whose extent meets the 3 km square around it, however far a large village's
-- boundary reaches from its point.
ALTER TABLE grid_communities ADD COLUMN min_lat DOUBLE PRECISION;
ALTER TABLE grid_communities ADD COLUMN max_lat DOUBLE PRECISION;
ALTER TABLE grid_communities ADD COLUMN min_lng DOUBLE PRECISION;
ALTER TABLE grid_communities ADD COLUMN max_lng DOUBLE PRECISION;

UPDATE grid_communities SET min_lat = lat, max_lat = lat, min_lng = lng, max_lng = lng
WHERE boundary IS NULL;

UPDATE grid_communities SET
    min_lng = (SELECT MIN(CAST(json_extract(p.value, '$[0]') AS REAL)) FROM json_each(grid_communities.boundary) p),
    max_lng = (SELECT MAX(CAST(json_extract(p.value, '$[0]') AS REAL)) FROM json_each(grid_communities.boundary) p),
    min_lat = (SELECT MIN(CAST(json_extract(p.value, '$[1]') AS REAL)) FROM json_each(grid_communities.boundary) p),
    max_lat = (SELECT MAX(CAST(json_extract(p.value, '$[1]') AS REAL)) FROM json_each(grid_communities.boundary) p)
WHERE boundary IS NOT NULL;

CREATE INDEX grid_communities_extent ON grid_communities (min_lat, max_lat);
