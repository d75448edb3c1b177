// Hostile stack configurations, grouped by issue 17's classes. Each names what `npm run check`
// must answer: exit 2 naming the key (a configuration refusal), or exit 1 with the named
// policy's mandatory violation. hostile.test.ts runs every case through runCheck, the code path
// `npm run check` itself runs.
import { stringify } from "yaml";

/** What `npm run check` must answer. */
export type Expectation =
    /** Exit 2, and the output names `key` (e.g. `pg-platform:postgres.databases.0.name`, or a file:line). */
    | { readonly exit: 2; readonly key: string; readonly says?: RegExp }
    /** Exit 1, with a mandatory violation of `policy`. */
    | { readonly exit: 1; readonly policy: string; readonly says?: RegExp };

/** One hostile configuration. */
export interface HostileCase {
    /** Issue 17's class (1 names, 2 parameters, 3 ranges, 4 target settings and limits, 5 crashes, 6 gate). */
    readonly class: 1 | 2 | 3 | 4 | 5 | 6;
    /** What it tries. */
    readonly name: string;
    /** Pulumi.<stack>.yaml as written. */
    readonly stackFile: string;
    /** policies/config/<stack>.json as written; absent: no policy file (the pack's defaults). */
    readonly policyFile?: string;
    /** The answer. */
    readonly expect: Expectation;
}

type Config = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Deep merge: objects merge key by key, anything else replaces. */
function merge(base: Config, over: Config): Config {
    const out: Config = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = isObject(value) && isObject(out[key]) ? merge(out[key] as Config, value) : value;
    return out;
}

/** A stack file from `pg-platform:` keys (and provider keys written with their namespace). */
export function stackFile(config: Config): string {
    const qualified = Object.fromEntries(Object.entries(config).map(([key, value]) => [key.includes(":") ? key : `pg-platform:${key}`, value]));
    return stringify({ config: qualified });
}

/** Bases per target, each accepted on its own (hostile.test.ts checks that first). */
export const BASES: Readonly<Record<"docker" | "primary" | "kubernetes" | "aws" | "gcp", Config>> = {
    docker: { target: "docker" },
    primary: { target: "docker", topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } },
    kubernetes: { target: "kubernetes", kubernetes: { namespace: "db" }, image: { push: true, repository: "registry.example.test/team/postgres" } },
    aws: {
        "aws:region": "eu-west-1",
        target: "aws",
        aws: { vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-01234567", "subnet-89abcdef"], allowedCidrs: ["10.20.0.0/16"] },
    },
    gcp: { target: "gcp", gcp: { project: "test-project-123", region: "europe-west1", network: "projects/test-project-123/global/networks/main" } },
};

const cases: HostileCase[] = [];
type Base = keyof typeof BASES;

/** A case on a base with overrides, expecting exit 2 naming `key` (`pg-platform:` added). */
function refuse(klass: HostileCase["class"], name: string, base: Base, over: Config, key: string, says?: RegExp, policyFile?: string): void {
    cases.push({
        class: klass,
        name,
        stackFile: stackFile(merge(BASES[base], over)),
        policyFile,
        expect: { exit: 2, key: key.includes(":") ? key : `pg-platform:${key}`, says },
    });
}

/** A policy file the gate refuses, naming `key` in it. */
function refusePolicy(name: string, base: Base, over: Config, policyFile: string, key: string, says: RegExp): void {
    cases.push({ class: 6, name, stackFile: stackFile(merge(BASES[base], over)), policyFile, expect: { exit: 2, key: `hostile.json: ${key}:`, says } });
}

/** A case expecting exit 1 with a mandatory violation of `policy`. */
function violate(klass: HostileCase["class"], name: string, base: Base, over: Config, policy: string, says?: RegExp, policyFile?: string): void {
    cases.push({ class: klass, name, stackFile: stackFile(merge(BASES[base], over)), policyFile, expect: { exit: 1, policy, says } });
}

/** A raw stack file expecting exit 2 naming `key`. */
function refuseFile(klass: HostileCase["class"], name: string, file: string, key: string, says?: RegExp, policyFile?: string): void {
    cases.push({ class: klass, name, stackFile: file, policyFile, expect: { exit: 2, key, says } });
}

const db = (name: string) => ({ postgres: { databases: [{ name }] } });
const role = (name: string, extra: Config = {}) => ({ postgres: { roles: [{ name, database: "app", access: "readonly", ...extra }] } });
const param = (name: string, value: unknown, postgres: Config = {}) => ({ postgres: { ...postgres, parameters: { [name]: value } } });
const DIGEST = `sha256:${"a".repeat(64)}`;

// ---- 1. Names the server or the pool reserves or parses ------------------------------------
for (const name of ["postgres", "template0", "template1", "pgbouncer"])
    refuse(1, `database ${name}`, "docker", db(name), "postgres.databases.0.name", /is reserved/);
for (const name of ["pg_catalog", "pg_toast", "pg_app", "pg_"])
    refuse(1, `database ${name}`, "docker", db(name), "postgres.databases.0.name", /reserved by PostgreSQL/);
for (const name of ["Postgres", "App", "a-b", "", "1app", "app db", "app;drop", 'app"x', "é", "a".repeat(64)]) {
    refuse(1, `database ${JSON.stringify(name)}`, "docker", db(name), "postgres.databases.0.name", /must be a lower-case identifier/);
}
for (const name of ["__proto__", "constructor"]) refuse(1, `database ${name}`, "docker", db(name), "postgres.databases.0.name", /JavaScript object property/);
refuse(1, "database whose roles pass 63 bytes", "docker", db("d".repeat(60)), "postgres.databases.0.name", /role .* would pass 63/);
refuse(1, "database listed twice", "docker", { postgres: { databases: [{ name: "app" }, { name: "app" }] } }, "postgres.databases.1.name", /listed twice/);
for (const name of [
    "postgres",
    "public",
    "none",
    "current_user",
    "current_role",
    "session_user",
    "pgbouncer",
    "replicator",
    "postgres_exporter",
    "pgbouncer_auth",
]) {
    refuse(1, `role ${name}`, "docker", role(name), "postgres.roles.0.name", /is reserved/);
}
for (const name of ["pg_monitor", "pg_read_all_data", "pg_signal_backend"])
    refuse(1, `role ${name}`, "docker", role(name), "postgres.roles.0.name", /reserved by PostgreSQL/);
for (const name of ["Admin", "bad-role", "x y", "__proto__", "constructor"])
    refuse(1, `role ${JSON.stringify(name)}`, "docker", role(name), "postgres.roles.0.name");
refuse(1, "role named like a per-database role", "docker", role("app_migrate"), "postgres.roles.0.name", /already a platform or per-database role/);
refuse(1, "role for an undeclared database", "docker", role("reporter", { database: "billing" }), "postgres.roles.0.database", /not one of postgres.databases/);
refuse(
    1,
    "role declared twice",
    "docker",
    {
        postgres: {
            roles: [
                { name: "r1", database: "app", access: "readonly" },
                { name: "r1", database: "app", access: "readwrite" },
            ],
        },
    },
    "postgres.roles.1.name",
);
refuse(1, "role with an unknown access", "docker", role("r2", { access: "superuser" }), "postgres.roles.0.access");
for (const limit of [-2, 1.5, 3_000_000_000])
    refuse(1, `role connectionLimit ${limit}`, "docker", role("r3", { connectionLimit: limit }), "postgres.roles.0.connectionLimit");
const hba = (rule: Config) => ({
    postgres: { hba: [{ type: "host", database: "app", user: "app_app", address: "10.0.0.0/8", method: "scram-sha-256", ...rule }] },
});
refuse(1, "hba rule for an undeclared database", "docker", hba({ database: "billing" }), "postgres.hba.0.database", /never match/);
refuse(
    1,
    "hba rule for the keyword replication (quoted, a database nobody has)",
    "docker",
    hba({ database: "replication" }),
    "postgres.hba.0.database",
    /never match/,
);
refuse(1, "hba rule for an undeclared role", "docker", hba({ user: "nobody" }), "postgres.hba.0.user", /never match/);
refuse(1, "hba rule for sameuser (quoted, a role nobody has)", "docker", hba({ user: "sameuser" }), "postgres.hba.0.user", /never match/);
refuse(1, "hba rule for the superuser", "docker", hba({ user: "postgres" }), "postgres.hba.0.user", /superuser never logs in over the network/);
refuse(1, "hba rule with a group reference", "docker", hba({ user: "+app_app" }), "postgres.hba.0.user", /must be all or a role name/);
refuse(1, "hba rule with a list of databases", "docker", hba({ database: "app,postgres" }), "postgres.hba.0.database", /must be all or a database name/);
refuse(1, "hba rule with an include", "docker", hba({ database: "@include" }), "postgres.hba.0.database");
for (const method of ["trust", "password", "cert", "ident", "peer", "gss", "ldap"])
    refuse(1, `hba method ${method}`, "docker", hba({ method }), "postgres.hba.0.method");
refuse(1, "hba type local", "docker", hba({ type: "local" }), "postgres.hba.0.type");
refuse(1, "an extension the platform does not know", "docker", { postgres: { extensions: ["plpython3u"] } }, "postgres.extensions.0");
refuse(
    1,
    "a database extension not in postgres.extensions",
    "docker",
    { postgres: { extensions: ["pg_stat_statements"], databases: [{ name: "app", extensions: ["pg_trgm"] }] } },
    "postgres.databases.0.extensions",
);

// ---- 2. Server parameters against the server's own catalogue -----------------------------
for (const [name, hint] of [
    ["shared_bufers", "shared_buffers"],
    ["work_men", "work_mem"],
    ["max_conections", "max_connections"],
    ["wal_levl", "wal_level"],
    ["log_min_duration", "log_min_duration_sample"],
    ["effective_cache", undefined],
    ["random_page_costs", "random_page_cost"],
] as const) {
    refuse(
        2,
        `typo ${name}`,
        "docker",
        param(name, "1"),
        `postgres.parameters.${name}`,
        hint ? new RegExp(`did you mean ${hint}\\?`) : /is not a parameter of PostgreSQL 18/,
    );
}
for (const name of ["include", "include_dir", "include_if_exists"])
    refuse(2, `directive ${name}`, "docker", param(name, "/etc/passwd"), `postgres.parameters.${name}`, /configuration-file directive/);
for (const name of ["block_size", "server_version", "data_checksums", "wal_segment_size", "max_identifier_length"]) {
    refuse(2, `internal ${name}`, "docker", param(name, "1"), `postgres.parameters.${name}`, /cannot be set in postgresql.conf/);
}
for (const name of [
    "password_encryption",
    "listen_addresses",
    "port",
    "ssl",
    "hba_file",
    "shared_preload_libraries",
    "wal_level",
    "data_directory",
    "config_file",
    "primary_conninfo",
    "ssl_key_file",
]) {
    refuse(2, `fixed ${name}`, "docker", param(name, "x"), `postgres.parameters.${name}`, /is fixed by the platform/);
}
for (const [name, value, says] of [
    ["shared_buffers", "1gb", /invalid unit "gb"/],
    ["shared_buffers", "9 TB", /outside the valid range 16 \.\. 1073741823 8kB/],
    ["shared_buffers", "16TB", /exceeds the integer range/],
    ["shared_buffers", "-1", /outside the valid range/],
    ["shared_buffers", "128MB;", /invalid unit/],
    ["work_mem", "0", /outside the valid range 64/],
    ["work_mem", "08", /invalid unit|not a number/],
    ["log_min_duration_statement", 3_000_000_000, /exceeds the integer range/],
    ["statement_timeout", "1y", /invalid unit "y"/],
    ["statement_timeout", "10 minutes", /invalid unit/],
    ["statement_timeout", "-5", /outside the valid range/],
    ["random_page_cost", "-1", /outside the valid range/],
    ["random_page_cost", "NaN", /not a number/],
    ["random_page_cost", "1e400", /not a number the server can read/],
    ["random_page_cost", "cheap", /not a number/],
    ["jit", "o", /not a boolean/],
    ["jit", "maybe", /not a boolean/],
    ["jit", "", /not a boolean/],
    ["synchronous_commit", "sometimes", /is not one of/],
    ["wal_compression", "gzip", /is not one of/],
    ["max_connections", 0, /outside the valid range/],
    ["max_connections", 1_000_000, /outside the valid range/],
    ["checkpoint_timeout", "2d", /outside the valid range/],
    ["default_statistics_target", 1.5e10, /exceeds the integer range/],
    ["application_name", "line\nbreak", /single line/],
    ["log_line_prefix", "a\rb", /single line/],
] as const)
    refuse(2, `${name} = ${JSON.stringify(value)}`, "docker", param(name, value), `postgres.parameters.${name}`, says);
refuse(2, "ssl_min_protocol_version TLSv1", "docker", param("ssl_min_protocol_version", "TLSv1"), "postgres.parameters.ssl_min_protocol_version", /TLS floor/);
refuse(
    2,
    "ssl_min_protocol_version TLSv1.1",
    "docker",
    param("ssl_min_protocol_version", "tlsv1.1"),
    "postgres.parameters.ssl_min_protocol_version",
    /TLS floor/,
);
refuse(
    2,
    "ssl_max_protocol_version TLSv1.1",
    "docker",
    param("ssl_max_protocol_version", "TLSv1.1"),
    "postgres.parameters.ssl_max_protocol_version",
    /below the platform's floor/,
);
refuse(
    2,
    "ssl_min_protocol_version SSLv3",
    "docker",
    param("ssl_min_protocol_version", "SSLv3"),
    "postgres.parameters.ssl_min_protocol_version",
    /is not one of/,
);
refuse(
    2,
    "pgaudit.log with an unknown class (pgAudit would turn auditing off)",
    "docker",
    param("pgaudit.log", "ddl,foo"),
    "postgres.parameters.pgaudit.log",
    /unknown pgAudit class "foo"/,
);
refuse(
    2,
    "pgaudit.log with an unknown negated class",
    "docker",
    param("pgaudit.log", "all,-bogus"),
    "postgres.parameters.pgaudit.log",
    /unknown pgAudit class/,
);
refuse(
    2,
    "pgaudit setting without pgaudit",
    "docker",
    param("pgaudit.log", "ddl", { extensions: ["pg_stat_statements"] }),
    "postgres.parameters.pgaudit.log",
    /not in postgres.extensions/,
);
refuse(
    2,
    "cron setting without pg_cron",
    "docker",
    param("cron.max_running_jobs", 5, { extensions: ["pg_stat_statements"] }),
    "postgres.parameters.cron.max_running_jobs",
    /not in postgres.extensions/,
);
refuse(
    2,
    "pg_stat_statements.max past int32",
    "docker",
    param("pg_stat_statements.max", 99_999_999_999),
    "postgres.parameters.pg_stat_statements.max",
    /exceeds the integer range/,
);
refuse(
    2,
    "auto_explain setting with a bad unit",
    "docker",
    param("auto_explain.log_min_duration", "1 week"),
    "postgres.parameters.auto_explain.log_min_duration",
    /invalid unit/,
);
refuse(2, "a custom placeholder setting", "docker", param("myapp.tenant", "x"), "postgres.parameters.myapp.tenant", /is not a parameter/);
refuse(
    2,
    "an RDS parameter on docker",
    "docker",
    param("rds.log_retention_period", 60),
    "postgres.parameters.rds.log_retention_period",
    /an RDS parameter; it means nothing on the docker target/,
);
refuse(2, "a Cloud SQL flag on aws", "aws", param("cloudsql.iam_authentication", "on"), "postgres.parameters.cloudsql.iam_authentication", /a Cloud SQL flag/);
refuse(
    2,
    "io_method on PostgreSQL 15",
    "docker",
    param("io_method", "worker", { version: 15 }),
    "postgres.parameters.io_method",
    /exists only from PostgreSQL 18/,
);
refuse(
    2,
    "old_snapshot_threshold on PostgreSQL 17",
    "docker",
    param("old_snapshot_threshold", "1h", { version: 17 }),
    "postgres.parameters.old_snapshot_threshold",
    /exists only up to PostgreSQL 16/,
);
refuse(2, "ssl_ecdh_curve on PostgreSQL 18", "docker", param("ssl_ecdh_curve", "prime256v1"), "postgres.parameters.ssl_ecdh_curve", /is named ssl_groups/);
refuseFile(
    2,
    "__proto__ as a parameter name",
    "config:\n  pg-platform:postgres:\n    parameters:\n      __proto__: x\n",
    "Pulumi.hostile.yaml:4",
    /key "__proto__" is refused/,
);
refuseFile(
    2,
    "constructor as a parameter name",
    "config:\n  pg-platform:postgres:\n    parameters:\n      constructor: x\n",
    "Pulumi.hostile.yaml:4",
    /key "constructor" is refused/,
);
refuse(2, "hasOwnProperty as a parameter name", "docker", param("hasownproperty", "x"), "postgres.parameters.hasownproperty", /is not a parameter/);
refuse(2, "an upper-case parameter name", "docker", param("Shared_Buffers", "1GB"), "postgres.parameters.Shared_Buffers", /lower case/);
refuse(2, "a parameter value that is a list", "docker", param("work_mem", ["4MB"]), "postgres.parameters.work_mem");
refuse(
    2,
    "maxSlotWalKeepSize of 99999999TB",
    "docker",
    { postgres: { maxSlotWalKeepSize: "99999999TB" } },
    "postgres.maxSlotWalKeepSize",
    /exceeds the integer range/,
);
refuse(2, "maxSlotWalKeepSize of zero", "docker", { postgres: { maxSlotWalKeepSize: "0MB" } }, "postgres.maxSlotWalKeepSize");
refuse(2, "maxSlotWalKeepSize with a number", "docker", { postgres: { maxSlotWalKeepSize: 10 } }, "postgres.maxSlotWalKeepSize");
refuse(2, "slowQueryMs past int32", "docker", { postgres: { slowQueryMs: 3_000_000_000 } }, "postgres.slowQueryMs", /exceeds the integer range/);
refuse(
    2,
    "slowQueryMs whose auto_explain threshold passes int32",
    "docker",
    { postgres: { slowQueryMs: 600_000_000 } },
    "postgres.slowQueryMs",
    /auto_explain.log_min_duration/,
);
refuse(2, "slowQueryMs below -1", "docker", { postgres: { slowQueryMs: -2 } }, "postgres.slowQueryMs");
refuse(2, "auditLog with an unknown class", "docker", { postgres: { auditLog: "ddl,foo" } }, "postgres.auditLog", /unknown pgAudit class/);
refuse(2, "auditLog in upper case", "docker", { postgres: { auditLog: "DDL" } }, "postgres.auditLog");
for (const version of [14, 19, "18", 18.5]) refuse(2, `postgres.version ${JSON.stringify(version)}`, "docker", { postgres: { version } }, "postgres.version");

// ---- 3. Address ranges judged as ranges ----------------------------------------------------
for (const blocks of [
    ["0.0.0.0/1", "128.0.0.0/1"],
    ["::/1", "8000::/1"],
    ["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],
    ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"],
    ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"],
]) {
    refuse(
        3,
        `aws.allowedCidrs ${blocks.join(" + ")}`,
        "aws",
        { aws: { allowedCidrs: blocks } },
        "aws.allowedCidrs",
        /together admit every public IPv[46] address/,
    );
}
for (const block of ["0.0.0.0/0", "::/0"])
    refuse(3, `aws.allowedCidrs ${block}`, "aws", { aws: { allowedCidrs: [block] } }, "aws.allowedCidrs.0", /admits every address/);
for (const block of ["10.0.0.0/33", "not-a-cidr", "10.0.0.1", "127.1/8", "fe80::1%eth0/64"])
    refuse(3, `aws.allowedCidrs ${block}`, "aws", { aws: { allowedCidrs: [block] } }, "aws.allowedCidrs.0", /CIDR/);
for (const blocks of [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["::/0"]]) {
    refuse(
        3,
        `gcp.authorizedNetworks ${blocks.join(" + ")}`,
        "gcp",
        { gcp: { publicIp: true, authorizedNetworks: blocks } },
        "gcp.authorizedNetworks",
        /together admit every public/,
    );
}
for (const blocks of [["0.0.0.0/1"], ["11.0.0.0/8"], ["8.8.8.8/32"], ["2001:4860::/32"], ["10.0.0.0/8", "100.0.0.0/6"]]) {
    violate(
        3,
        `gcp.authorizedNetworks ${blocks.join(" + ")} (public space nobody allowed)`,
        "gcp",
        { gcp: { publicIp: true, authorizedNetworks: blocks } },
        "localhost-binding",
        /public addresses .* not in localhost-binding.allowedPublicRanges/,
    );
}
violate(
    3,
    "gcp.authorizedNetworks public beyond the allowed range",
    "gcp",
    { gcp: { publicIp: true, authorizedNetworks: ["8.8.0.0/15"] } },
    "localhost-binding",
    /8\.9\.0\.0\/16 not in/,
    '{ "localhost-binding": { "allowedPublicRanges": ["8.8.0.0/16"] } }',
);
for (const address of ["0.0.0.0", "::", "192.168.1.5", "8.8.8.8", "::ffff:8.8.8.8"]) {
    violate(3, `network.bindAddress ${address}`, "docker", { network: { bindAddress: address } }, "localhost-binding", /bind 127\.0\.0\.1 or ::1/);
}
for (const address of ["localhost", "0.0.0.0/0", "127.1", "256.0.0.1", ""])
    refuse(3, `network.bindAddress ${JSON.stringify(address)}`, "docker", { network: { bindAddress: address } }, "network.bindAddress");
for (const address of ["0.0.0.0/33", "samenet", "all", "db.example.com", "::/129"])
    refuse(3, `hba address ${address}`, "docker", hba({ address }), "postgres.hba.0.address", /CIDR/);

// ---- 4. Settings meaningless on a target; values providers and kernels refuse --------------
for (const base of ["kubernetes", "aws", "gcp"] as const) {
    refuse(4, `network.bindAddress on ${base}`, base, { network: { bindAddress: "127.0.0.1" } }, "network", /means nothing on the/);
    refuse(4, `network.ports on ${base}`, base, { network: { ports: { postgres: 5433 } } }, "network", /means nothing on the/);
    refuse(4, `docker settings on ${base}`, base, { docker: { restartPolicy: "always" } }, "docker", /means nothing on the/);
}
for (const base of ["docker", "aws", "gcp"] as const)
    refuse(4, `kubernetes settings on ${base}`, base, { kubernetes: { namespace: "db" } }, "kubernetes", /means nothing on the/);
for (const base of ["docker", "kubernetes", "gcp"] as const)
    refuse(4, `aws settings on ${base}`, base, { aws: BASES.aws.aws as Config }, "aws", /means nothing on the/);
for (const base of ["docker", "kubernetes", "aws"] as const)
    refuse(4, `gcp settings on ${base}`, base, { gcp: BASES.gcp.gcp as Config }, "gcp", /means nothing on the/);
refuse(4, "pooler.transaction on aws", "aws", { pooler: { transaction: { defaultPoolSize: 50 } } }, "pooler.transaction", /means nothing on the aws target/);
refuse(4, "pooler.session on aws", "aws", { pooler: { session: { maxClientConn: 50 } } }, "pooler.session", /means nothing on the aws target/);
refuse(4, "pooler.transaction on gcp", "gcp", { pooler: { transaction: { defaultPoolSize: 50 } } }, "pooler.transaction", /means nothing on the gcp target/);
refuse(4, "image settings on aws", "aws", { image: { prebuilt: `registry.example.test/pg@${DIGEST}` } }, "image", /runs the provider's PostgreSQL build/);
refuse(4, "image settings on gcp", "gcp", { image: { extensions: ["pgvector"] } }, "image", /runs the provider's PostgreSQL build/);
refuse(4, "postgres.memory on aws", "aws", { postgres: { memory: "8GiB" } }, "postgres.memory", /sizes self-hosted servers/);
refuse(4, "postgres.hba on gcp", "gcp", hba({}), "postgres.hba", /no pg_hba.conf/);
for (const namespace of ["d".repeat(64), "Db", "db_1", "-db", "", "db.prod"])
    refuse(4, `kubernetes.namespace ${JSON.stringify(namespace)}`, "kubernetes", { kubernetes: { namespace } }, "kubernetes.namespace", /DNS-1123 label/);
for (const size of ["0Gi", "0Mi", "000Ti"])
    refuse(4, `kubernetes.storageSize ${size}`, "kubernetes", { kubernetes: { storageSize: size } }, "kubernetes.storageSize", /is zero/);
refuse(
    4,
    "kubernetes.storageSize past int64 bytes",
    "kubernetes",
    { kubernetes: { storageSize: "99999999999Ti" } },
    "kubernetes.storageSize",
    /int64 count of bytes/,
);
for (const size of ["5G", "5gi", "-5Gi", "5.5Gi", "5Ei"])
    refuse(4, `kubernetes.storageSize ${size}`, "kubernetes", { kubernetes: { storageSize: size } }, "kubernetes.storageSize", /quantity/);
refuse(4, "kubernetes.walArchiveSize 0Gi", "kubernetes", { kubernetes: { walArchiveSize: "0Gi" } }, "kubernetes.walArchiveSize", /is zero/);
refuse(4, "kubernetes.storageClass with a space", "kubernetes", { kubernetes: { storageClass: "Fast SSD" } }, "kubernetes.storageClass", /StorageClass name/);
refuse(
    4,
    "kubernetes.storageClass of 254 characters",
    "kubernetes",
    { kubernetes: { storageClass: `${"a".repeat(200)}.${"b".repeat(53)}` } },
    "kubernetes.storageClass",
    /at most 253/,
);
refuse(
    4,
    "kubernetes.imagePullSecrets of 64 characters",
    "kubernetes",
    { kubernetes: { imagePullSecrets: ["s".repeat(64)] } },
    "kubernetes.imagePullSecrets.0",
    /at most 63/,
);
refuse(
    4,
    "kubernetes.imagePullSecrets with an underscore",
    "kubernetes",
    { kubernetes: { imagePullSecrets: ["bad_name"] } },
    "kubernetes.imagePullSecrets.0",
    /DNS-1123 label/,
);
for (const cpus of [1e-9, 0, -1, 0.005]) refuse(4, `postgres.cpus ${cpus}`, "docker", { postgres: { cpus } }, "postgres.cpus", /at least 0\.01/);
for (const cpus of [0.0155, 1.0001]) refuse(4, `postgres.cpus ${cpus}`, "docker", { postgres: { cpus } }, "postgres.cpus", /multiple of 0\.001/);
for (const cpus of [2000, "2"]) refuse(4, `postgres.cpus ${JSON.stringify(cpus)}`, "docker", { postgres: { cpus } }, "postgres.cpus");
for (const memory of ["99999999TB", "2TiB", "1025GiB"])
    refuse(4, `postgres.memory ${memory}`, "docker", { postgres: { memory } }, "postgres.memory", /at most 1048576MB/);
for (const memory of ["1.5PB", "0GB", "1e3MB", "lots", "256MB", 1024])
    refuse(4, `postgres.memory ${JSON.stringify(memory)}`, "docker", { postgres: { memory } }, "postgres.memory");
for (const name of ["host", "bridge", "none"])
    refuse(4, `docker.networkName ${name}`, "docker", { docker: { networkName: name } }, "docker.networkName", /predefined networks/);
for (const name of ["a/b", "", " net", "net\nx", "-net", "net work"])
    refuse(4, `docker.networkName ${JSON.stringify(name)}`, "docker", { docker: { networkName: name } }, "docker.networkName", /Docker name/);
for (const ref of [
    `registry.example.test/pg@${DIGEST}\n`,
    `Registry.example.test/PG@${DIGEST}`,
    "repo:tag with space",
    "",
    `repo@sha256:${"a".repeat(63)}`,
    `repo:${"t".repeat(129)}`,
    "repo\u0000x",
]) {
    refuse(4, `image.prebuilt ${JSON.stringify(ref).slice(0, 40)}`, "docker", { image: { prebuilt: ref } }, "image.prebuilt", /image reference/);
}
refuse(4, "image.pgbouncer with a newline", "primary", { image: { pgbouncer: `edoburu/pgbouncer@${DIGEST}\nx` } }, "image.pgbouncer", /image reference/);
refuse(4, "image.exporter with spaces", "primary", { image: { exporter: "prom exporter" } }, "image.exporter", /image reference/);
refuse(4, "image.cacheRef with a space", "docker", { image: { cacheRef: "cache ref" } }, "image.cacheRef", /image reference/);
for (const repository of [
    "registry.example.test/team/postgres:18",
    `registry.example.test/team/postgres@${DIGEST}`,
    "registry.example.test/Team/postgres",
    "a".repeat(256),
]) {
    refuse(4, `image.repository ${repository.slice(0, 40)}`, "docker", { image: { repository, push: true } }, "image.repository");
}
for (const key of ["key\n", "not-a-key", "arn:aws:kms:eu-west-1:123:key/x"])
    refuse(4, `aws.kmsKeyId ${JSON.stringify(key)}`, "aws", { aws: { kmsKeyId: key } }, "aws.kmsKeyId", /KMS key/);
for (const gb of [0, 19, 70000]) refuse(4, `aws.allocatedStorageGb ${gb}`, "aws", { aws: { allocatedStorageGb: gb } }, "aws.allocatedStorageGb");
refuse(4, "gcp.diskSizeGb 0", "gcp", { gcp: { diskSizeGb: 0 } }, "gcp.diskSizeGb");
refuse(4, "aws.instanceClass that is no class", "aws", { aws: { instanceClass: "db.x.huge" } }, "aws.instanceClass");
for (const replicas of [16, -1, 1.5]) refuse(4, `replicas ${replicas}`, "primary", { replicas }, "replicas");
refuse(4, "replicas on a single server", "docker", { replicas: 2 }, "replicas", /topology "primary"/);
for (const port of [0, 70000, 1.5]) refuse(4, `network.ports.postgres ${port}`, "docker", { network: { ports: { postgres: port } } }, "network.ports.postgres");
refuse(
    4,
    "two services on one host port",
    "primary",
    { network: { ports: { transactionPool: 7000, sessionPool: 7000 } } },
    "network.ports.sessionPool",
    /already used/,
);
refuse(4, "replica ports past 65535", "primary", { replicas: 3, network: { ports: { replicaBase: 65534 } } }, "network.ports.replicaBase", /run past 65535/);
for (const size of [0, 100_001])
    refuse(4, `pooler.transaction.maxClientConn ${size}`, "primary", { pooler: { transaction: { maxClientConn: size } } }, "pooler.transaction.maxClientConn");

// ---- 5. Nothing crashes: files the tools must refuse with the file and line --------------
refuseFile(5, "a key given twice", "config:\n  pg-platform:target: docker\n  pg-platform:target: aws\n", "Pulumi.hostile.yaml:3", /Map keys must be unique/);
refuseFile(
    5,
    "a nested key given twice",
    "config:\n  pg-platform:postgres:\n    version: 18\n    version: 15\n",
    "Pulumi.hostile.yaml:4",
    /Map keys must be unique/,
);
refuseFile(5, "an unclosed flow sequence", "config:\n  pg-platform:postgres: [\n", "Pulumi.hostile.yaml:");
refuseFile(5, "an unclosed quote", 'config:\n  pg-platform:target: "docker\n', "Pulumi.hostile.yaml:");
refuseFile(5, "tabs as indentation", "config:\n\tpg-platform:target: docker\n", "Pulumi.hostile.yaml:2", /Tabs/);
refuseFile(5, "an alias", "config:\n  pg-platform:postgres: &p\n    version: 18\n  pg-platform:pooler: *p\n", "Pulumi.hostile.yaml:4", /alias \*p/);
refuseFile(5, "an anchor alone", "config:\n  pg-platform:postgres: &p\n    version: 18\n", "Pulumi.hostile.yaml:", /anchor &p/);
refuseFile(
    5,
    "a billion-laughs bomb",
    `config:\n  a: &a [x, x]\n  b: &b [*a, *a, *a]\n  c: &c [*b, *b, *b]\n  pg-platform:target: *c\n`,
    "Pulumi.hostile.yaml:",
    /alias/,
);
refuseFile(5, "a merge key", "config:\n  pg-platform:postgres:\n    <<: {version: 15}\n", "pg-platform:postgres.<<", /unknown key/);
refuseFile(5, "__proto__ at the top of config", "config:\n  __proto__:\n    target: aws\n", "Pulumi.hostile.yaml:2", /__proto__/);
refuseFile(5, "__proto__ inside postgres", "config:\n  pg-platform:postgres:\n    __proto__:\n      version: 3\n", "Pulumi.hostile.yaml:3", /__proto__/);
refuseFile(5, "constructor as a key", "config:\n  pg-platform:postgres:\n    constructor: 1\n", "Pulumi.hostile.yaml:3", /constructor/);
refuseFile(5, "prototype as a key", "config:\n  prototype: 1\n", "Pulumi.hostile.yaml:2", /key "prototype" is refused/);
refuseFile(5, "pg-platform:prototype as a key", "config:\n  pg-platform:prototype: 1\n", "pg-platform:prototype", /unknown key/);
refuseFile(5, "an unknown tag", "config:\n  pg-platform:replicas: !!js/function 'return 1'\n", "Pulumi.hostile.yaml:2", /tag/);
refuseFile(5, "a list as a key", "config:\n  ? [pg-platform:target]\n  : docker\n", "Pulumi.hostile.yaml:2", /used as a key/);
refuseFile(5, "config that is a number", "config: 5\n", "Pulumi.hostile.yaml:1", /config: must be a mapping/);
refuseFile(5, "config that is a list", "config:\n  - pg-platform:target\n", "Pulumi.hostile.yaml:1", /config: must be a mapping/);
refuseFile(5, "a file that is a list", "- config\n", "Pulumi.hostile.yaml:1", /must be a mapping/);
refuseFile(5, "a file that is a number", "42\n", "Pulumi.hostile.yaml:1", /must be a mapping/);
refuseFile(5, "binary garbage", "\u0000\u0001\u0002\u00ff", "Pulumi.hostile.yaml:");
refuseFile(5, "a 2000-deep nest", `config:\n  pg-platform:postgres: ${"[".repeat(2000)}${"]".repeat(2000)}\n`, "Pulumi.hostile.yaml:2");
refuseFile(5, "a 50-deep nest", `config:\n  pg-platform:postgres: ${"[".repeat(50)}${"]".repeat(50)}\n`, "pg-platform:postgres");
refuseFile(5, "postgres: null", "config:\n  pg-platform:postgres: null\n", "pg-platform:postgres");
refuseFile(5, "replicas: .nan", "config:\n  pg-platform:topology: primary\n  pg-platform:replicas: .nan\n", "pg-platform:replicas");
refuseFile(5, "replicas: .inf", "config:\n  pg-platform:topology: primary\n  pg-platform:replicas: .inf\n", "pg-platform:replicas");
refuseFile(5, "replicas: 1e400", "config:\n  pg-platform:topology: primary\n  pg-platform:replicas: 1e400\n", "pg-platform:replicas");
refuseFile(5, "a megabyte target", `config:\n  pg-platform:target: ${"x".repeat(1_000_000)}\n`, "pg-platform:target");
refuseFile(5, "an encrypted target", "config:\n  pg-platform:target:\n    secure: v1:abcdef\n", "pg-platform:target");
refuseFile(5, "an unknown top-level key", "config:\n  pg-platform:tagret: aws\n", "pg-platform:tagret", /unknown key/);
refuseFile(5, "a number as the target", "config:\n  pg-platform:target: 1\n", "pg-platform:target");
refuseFile(5, "a mapping as the target", "config:\n  pg-platform:target: {name: docker}\n", "pg-platform:target");
cases.push({
    class: 5,
    name: "a policy file that is not JSON",
    stackFile: stackFile(BASES.docker),
    policyFile: '{ "scram-only-auth": "mandatory", ',
    expect: { exit: 2, key: "hostile.json", says: /not valid JSON/ },
});
cases.push({
    class: 5,
    name: "a policy file with a key twice",
    stackFile: stackFile(BASES.docker),
    policyFile: '{ "tls-required": "mandatory",\n  "tls-required": "disabled" }',
    expect: { exit: 2, key: "hostile.json:2", says: /a key given twice/ },
});
cases.push({
    class: 5,
    name: "a policy file that is a list",
    stackFile: stackFile(BASES.docker),
    policyFile: "[]",
    expect: { exit: 2, key: "hostile.json", says: /must be an object/ },
});

// ---- 6. The gate cannot be configured off ---------------------------------------------------
const md5 = hba({ method: "md5" });
for (const policy of ['{ "scram-only-auth": "disabled" }', '{ "scram-only-auth": "advisory" }', '{ "scram-only-auth": { "enforcementLevel": "disabled" } }']) {
    refusePolicy(`policy file lowering scram-only-auth: ${policy}`, "docker", md5, policy, "scram-only-auth", /cannot be lowered or disabled/);
}
for (const policy of ['{ "all": "disabled" }', '{ "all": "advisory" }'])
    refusePolicy(`policy file lowering every rule: ${policy}`, "docker", md5, policy, "all", /sets scram-only-auth to/);
violate(6, "an md5 hba rule, no policy file", "docker", md5, "scram-only-auth", /uses method md5/);
violate(
    6,
    "an md5 hba rule, every other rule disabled",
    "docker",
    md5,
    "scram-only-auth",
    /uses method md5/,
    '{ "scram-only-auth": "mandatory", "all": "disabled" }',
);
const production = { production: true };
violate(6, "production without TLS, no policy file", "docker", production, "tls-required", /admits connections without TLS/);
violate(
    6,
    "production without TLS, tls-required advisory in its file",
    "docker",
    production,
    "tls-required",
    /admits connections without TLS/,
    '{ "tls-required": "advisory" }',
);
violate(
    6,
    "production without TLS, tls-required disabled in its file",
    "docker",
    production,
    "tls-required",
    /admits connections without TLS/,
    '{ "tls-required": "disabled" }',
);
violate(
    6,
    "production without TLS, all advisory",
    "docker",
    production,
    "tls-required",
    /admits connections without TLS/,
    '{ "all": "advisory", "scram-only-auth": "mandatory" }',
);
violate(
    6,
    "production on Kubernetes without TLS, tls-required disabled",
    "kubernetes",
    production,
    "tls-required",
    /admits connections without TLS/,
    '{ "tls-required": "disabled" }',
);
violate(
    6,
    "production with unbounded slots (-1), bounded-replication-slots disabled",
    "primary",
    { ...production, postgres: { parameters: { max_slot_wal_keep_size: -1 } } },
    "bounded-replication-slots",
    /= -1 although/,
    '{ "bounded-replication-slots": "disabled" }',
);
violate(
    6,
    "production with unbounded slots spelt -1024kB",
    "primary",
    { ...production, postgres: { parameters: { max_slot_wal_keep_size: "-1024kB" } } },
    "bounded-replication-slots",
    /= -1024kB although/,
);
violate(
    6,
    "production with unbounded slots spelt -0001",
    "primary",
    { ...production, postgres: { parameters: { max_slot_wal_keep_size: "-0001" } } },
    "bounded-replication-slots",
    /= -0001 although/,
);
violate(
    6,
    "a tag-only PgBouncer image, pinned-images advisory in a production stack",
    "primary",
    { ...production, image: { pgbouncer: "edoburu/pgbouncer:latest" } },
    "pinned-images",
    /pgbouncer/,
    '{ "pinned-images": "advisory" }',
);
violate(6, "a tag-only prebuilt image", "docker", { image: { prebuilt: "postgres:18" } }, "pinned-images", /postgres:18/);
violate(
    6,
    "port published on every interface, no exception",
    "docker",
    { network: { bindAddress: "0.0.0.0" } },
    "localhost-binding",
    /0\.0\.0\.0/,
    '{ "localhost-binding": { "exceptions": ["someone-else"] } }',
);
refusePolicy(
    "allowedPublicRanges covering everything by pieces",
    "gcp",
    { gcp: { publicIp: true, authorizedNetworks: ["11.0.0.0/8"] } },
    '{ "localhost-binding": { "allowedPublicRanges": ["0.0.0.0/1", "128.0.0.0/1"] } }',
    "localhost-binding.allowedPublicRanges",
    /would turn the rule off/,
);
refusePolicy(
    "allowedPublicRanges that are no ranges",
    "docker",
    {},
    '{ "localhost-binding": { "allowedPublicRanges": ["everyone"] } }',
    "localhost-binding.allowedPublicRanges",
    /not a CIDR block/,
);
refusePolicy("a policy file naming an unknown rule", "docker", {}, '{ "tls-requried": "mandatory" }', "tls-requried", /names no rule of the pack/);
refusePolicy("a policy file with an unknown level", "docker", {}, '{ "tls-required": "off" }', "tls-required", /enforcementLevel must be one of/);
refusePolicy(
    "minimumBackupRetentionDays of zero",
    "aws",
    {},
    '{ "encrypted-and-protected": { "minimumBackupRetentionDays": 0 } }',
    "encrypted-and-protected.minimumBackupRetentionDays",
    /at least 1/,
);
refusePolicy(
    "a policy file lowering scram-only-auth on a production stack",
    "aws",
    { production: true },
    '{ "scram-only-auth": "advisory" }',
    "scram-only-auth",
    /cannot be lowered/,
);
refuse(
    6,
    "a TLS floor lowered through postgres.parameters on production",
    "primary",
    { ...production, postgres: { parameters: { ssl_min_protocol_version: "TLSv1.1" } } },
    "postgres.parameters.ssl_min_protocol_version",
    /TLS floor/,
);

/** Every hostile case, in class order. */
export const HOSTILE_CASES: readonly HostileCase[] = cases;
