/**
 * Debian trixie's PostgreSQL 17.12 stores `pg_attver=<n>` in every column's attoptions; 18's
 * pg_dump carries it over and 18 refuses it, so pg_upgrade fails after its --check passed. This
 * is the README's statement removing them with the server running (run in each database),
 * before the consumers' last catch-up (upgrade-cluster.sh refuses to do it itself when logical
 * slots exist).
 */
export const COLUMN_OPTIONS_SQL = `UPDATE pg_attribute a
SET attoptions = (SELECT array_agg(o) FROM unnest(a.attoptions) AS o WHERE split_part(o, '=', 1) IN ('n_distinct', 'n_distinct_inherited'))
FROM pg_class c
WHERE c.oid = a.attrelid AND c.oid >= 16384 AND c.relkind IN ('r', 'p', 'm', 'f') AND a.attnum > 0
  AND EXISTS (SELECT 1 FROM unnest(a.attoptions) AS o WHERE split_part(o, '=', 1) NOT IN ('n_distinct', 'n_distinct_inherited'));`;
