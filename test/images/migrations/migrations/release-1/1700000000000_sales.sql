-- Up Migration
CREATE SCHEMA sales;
CREATE TABLE sales.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer text NOT NULL,
    placed_at timestamptz NOT NULL DEFAULT now()
);
-- Down Migration
DROP SCHEMA sales CASCADE;
