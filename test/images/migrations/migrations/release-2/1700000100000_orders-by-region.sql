-- Up Migration
-- Fails on purpose: sales.orders has no column region.
CREATE INDEX orders_by_region ON sales.orders (region);
-- Down Migration
DROP INDEX sales.orders_by_region;
