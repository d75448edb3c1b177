import { LOOPBACK_ADDRESSES } from "../platform";
import { parseHba, parseIni, readableFiles, RENDERED_FILES, type HbaRule } from "./rendered";
import { TYPES, isPostgresFamily, rdsParameters, type InspectedResource } from "./resources";
import { forTypes, resourceRule } from "./rule";

/** PgBouncer client_tls_sslmode values that refuse clients without TLS. */
const POOLER_TLS_MODES = ["require", "verify-ca", "verify-full"];

/** Cloud SQL sslMode values that refuse unencrypted connections. */
const CLOUD_SQL_TLS_MODES = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

/** RDS for PostgreSQL turns rds.force_ssl on by default from this major version. */
const RDS_FORCE_SSL_DEFAULT_FROM = 15;

type Family = "ipv4" | "ipv6";

/** Which address families an hba address can match (host names and keywords: both). */
function families(address: string): Family[] {
    if (/^\d{1,3}(\.\d{1,3}){3}(\/\d+)?$/.test(address)) return ["ipv4"];
    if (address.includes(":")) return ["ipv6"];
    return ["ipv4", "ipv6"];
}

/** Loopback traffic never leaves the machine, so it may stay unencrypted. */
function isLoopback(address: string): boolean {
    const host = address.replace(/\/(32|128)$/, "");
    return (LOOPBACK_ADDRESSES as readonly string[]).includes(host) || /^127\.0\.0\.0\/8$/.test(address);
}

/** The address families a `hostnossl all all <everything> reject` rule closes to plain TCP. */
function closedFamilies(rule: HbaRule): Family[] {
    if (rule.type !== "hostnossl" || rule.method !== "reject" || rule.database !== "all" || rule.user !== "all") return [];
    const address = rule.address ?? "";
    if (address === "all") return ["ipv4", "ipv6"];
    if (address === "0.0.0.0/0") return ["ipv4"];
    if (address === "::/0") return ["ipv6"];
    return [];
}

/**
 * Rules that admit a non-loopback client without TLS. pg_hba.conf is first match, so a
 * `host`/`hostnossl` rule is harmless once an earlier catch-all `hostnossl … reject` has
 * closed its address family to plain connections.
 */
function plainTextRules(rules: readonly HbaRule[]): HbaRule[] {
    const closed = new Set<Family>();
    const found: HbaRule[] = [];
    for (const rule of rules) {
        closedFamilies(rule).forEach((family) => closed.add(family));
        if ((rule.type !== "host" && rule.type !== "hostnossl") || rule.method === "reject" || rule.address === undefined) continue;
        if (isLoopback(rule.address) || families(rule.address).every((family) => closed.has(family))) continue;
        found.push(rule);
    }
    return found;
}

function renderedFileFindings(resource: InspectedResource): string[] {
    const hbaFiles = readableFiles(resource, RENDERED_FILES.hba);
    const poolerFiles = readableFiles(resource, RENDERED_FILES.pgbouncer);
    const hba = hbaFiles.contents.flatMap((content) =>
        plainTextRules(parseHba(content)).map(
            (rule) => `pg_hba.conf line ${rule.line} (${rule.text}) admits connections without TLS; use hostssl, or put "hostnossl all all all reject" before it`,
        ),
    );
    const pooler = poolerFiles.contents.flatMap((content) => {
        const mode = parseIni(content).get("pgbouncer")?.get("client_tls_sslmode") ?? "disable";
        return POOLER_TLS_MODES.includes(mode) ? [] : [`pgbouncer.ini client_tls_sslmode is ${mode}; set it to require (or verify-ca / verify-full)`];
    });
    return [...hbaFiles.unreadable, ...poolerFiles.unreadable, ...hba, ...pooler];
}

/** tls-required: clients reach PostgreSQL, PgBouncer, RDS, RDS Proxy and Cloud SQL only over TLS. */
export const tlsRequired = resourceRule(
    {
        name: "tls-required",
        description: "Connections from beyond the host are encrypted: hostssl (or hostnossl reject) in pg_hba.conf, PgBouncer client TLS, rds.force_ssl, RDS Proxy requireTls, Cloud SQL ENCRYPTED_ONLY.",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: [
            "Self-hosted: set postgres.tls.enabled: true so the platform renders hostssl rules and PgBouncer client TLS.",
            `AWS: keep rds.force_ssl at 1 (the default from PostgreSQL ${RDS_FORCE_SSL_DEFAULT_FROM}) and requireTls on the proxy.`,
            "GCP: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY.",
        ].join(" "),
    },
    {
        ...forTypes([TYPES.dockerContainer, TYPES.kubernetesConfigMap, TYPES.kubernetesSecret], ({ resource }) => renderedFileFindings(resource)),
        [TYPES.rdsParameterGroup]: (group) => {
            if (!isPostgresFamily(group.family)) return [];
            const forceSsl = rdsParameters(group).get("rds.force_ssl");
            const major = Number(/(\d+)$/.exec(group.family)?.[1]);
            if (forceSsl === undefined) {
                return major >= RDS_FORCE_SSL_DEFAULT_FROM ? [] : [`parameter rds.force_ssl is not set and family ${group.family} defaults it to 0; set it to 1`];
            }
            return forceSsl === "1" ? [] : [`parameter rds.force_ssl is ${forceSsl}; set it to 1`];
        },
        [TYPES.rdsProxy]: (proxy) => (proxy.requireTls === true ? [] : [`requireTls is ${proxy.requireTls ?? "not set"}; set it to true`]),
        [TYPES.cloudSqlInstance]: (instance) => {
            const mode = instance.settings?.ipConfiguration?.sslMode;
            return mode !== undefined && CLOUD_SQL_TLS_MODES.includes(mode)
                ? []
                : [`settings.ipConfiguration.sslMode is ${mode ?? "not set (Cloud SQL then accepts unencrypted connections)"}; set it to ENCRYPTED_ONLY`];
        },
    },
);
