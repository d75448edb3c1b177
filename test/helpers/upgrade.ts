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

/**
 * A shell command (run as root in a container with PostgreSQL 17 and 18 side by side) that
 * installs a tiny extension `only17` whose library exists for 17 only (a copy of tablefunc under
 * another name): 18's `pg_upgrade --check` refuses a cluster that uses it, which is how the tests
 * make a check fail for a reason users meet (an extension not built for the new major).
 */
export const ONLY_17_EXTENSION_SCRIPT = [
    "cp /usr/lib/postgresql/17/lib/tablefunc.so /usr/lib/postgresql/17/lib/only17.so",
    "printf \"default_version = '1.0'\\nmodule_pathname = '\\$libdir/only17'\\nrelocatable = true\\n\" >/usr/share/postgresql/17/extension/only17.control",
    "printf \"CREATE FUNCTION only17_normal_rand(int, float8, float8) RETURNS SETOF float8 AS 'MODULE_PATHNAME', 'normal_rand' LANGUAGE C STRICT;\\n\" >/usr/share/postgresql/17/extension/only17--1.0.sql",
].join(" && ");
