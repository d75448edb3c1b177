import { LOOPBACK_RANGES, WHOLE_SPACE, isWithin, parseAddressRange, type AddressRange } from "../shared/address-ranges";
import { parseHba, parseIni, parsePostgresConf, readableFiles, RENDERED_FILES, type HbaRule } from "./rendered";
import { clientUrls, unverifiedUrlFinding } from "./client-urls";
import { TYPES, isPostgresFamily, rdsParameters, type InspectedResource } from "./resources";
import { forTypes, resourceRule } from "./rule";

/** PgBouncer client_tls_sslmode values that refuse clients without TLS. */
const POOLER_TLS_MODES = ["require", "verify-ca", "verify-full"];

/** Cloud SQL sslMode values that refuse unencrypted connections. */
const CLOUD_SQL_TLS_MODES = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"];

/** RDS for PostgreSQL turns rds.force_ssl on by default from this major version. */
const RDS_FORCE_SSL_DEFAULT_FROM = 15;

/** Every address of both families: what `all`, a host name, samehost or samenet can match. */
const EVERY_ADDRESS: readonly AddressRange[] = [WHOLE_SPACE[4], WHOLE_SPACE[6]];

/** A netmask written as its own field (`10.0.0.0 255.0.0.0`, `::1 ffff:…`), as a prefix length. */
function netmaskPrefix(mask: string): number | undefined {
    const range = parseAddressRange(mask);
    if (!range) return undefined;
    const bits = range.start.toString(2).padStart(range.family === 4 ? 32 : 128, "0");
    return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? bits.length : bits.indexOf("0")) : undefined;
}

/**
 * The addresses an hba rule's address field can match, as ranges: a CIDR block, an address
 * with a netmask field, or, for `all`, host names and samehost/samenet (which can be any
 * address), every address of both families.
 */
function ruleRanges(rule: HbaRule): readonly AddressRange[] {
    const address = rule.address ?? "";
    if (!address.includes("/")) {
        const mask = rule.text.split(/\s+/)[4];
        const prefix = mask !== undefined ? netmaskPrefix(mask) : undefined;
        const withMask = prefix !== undefined ? parseAddressRange(`${address}/${prefix}`) : undefined;
        if (withMask) return [withMask];
    }
    const range = parseAddressRange(address);
    return range ? [range] : EVERY_ADDRESS;
}

/** The addresses a `hostnossl all all <range> reject` rule closes to plain TCP. */
function closedRanges(rule: HbaRule): readonly AddressRange[] {
    if (rule.type !== "hostnossl" || rule.method !== "reject" || rule.database !== "all" || rule.user !== "all") return [];
    // A host name or samehost/samenet closes an address only once resolved: count on none.
    const address = rule.address ?? "";
    return address === "all" || parseAddressRange(address) ? ruleRanges(rule) : [];
}

/**
 * Rules that admit a non-loopback client without TLS. pg_hba.conf is first match, so a
 * `host`/`hostnossl` rule is harmless for the addresses earlier `hostnossl all all … reject`
 * rules have closed to plain connections, judged as the union of their ranges (two /1 blocks
 * close IPv4 as well as 0.0.0.0/0 does); loopback (127.0.0.0/8, ::1) never leaves the machine.
 */
function plainTextRules(rules: readonly HbaRule[]): HbaRule[] {
    const closed: AddressRange[] = [...LOOPBACK_RANGES];
    const found: HbaRule[] = [];
    for (const rule of rules) {
        closed.push(...closedRanges(rule));
        if ((rule.type !== "host" && rule.type !== "hostnossl") || rule.method === "reject" || rule.address === undefined) continue;
        if (isWithin(ruleRanges(rule), closed)) continue;
        found.push(rule);
    }
    return found;
}

/** TLS protocol versions in order; nothing below the floor may be negotiated. */
const TLS_VERSIONS = ["tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"];

/** The platform's TLS floor (ssl_min_protocol_version), as the config layer enforces it too. */
export const TLS_FLOOR = "TLSv1.2";

const belowFloor = (version: string) => {
    const index = TLS_VERSIONS.indexOf(version.trim().toLowerCase());
    return index >= 0 && index < TLS_VERSIONS.indexOf(TLS_FLOOR.toLowerCase());
};

/**
 * The TLS floor in a server's settings: ssl_min_protocol_version (PostgreSQL's default is
 * TLSv1.2, so unset passes) may not be lower, nor ssl_max_protocol_version cap below it.
 */
function tlsFloorFindings(where: string, settings: ReadonlyMap<string, string>): string[] {
    const min = settings.get("ssl_min_protocol_version");
    const max = settings.get("ssl_max_protocol_version");
    return [
        ...(min !== undefined && belowFloor(min) ? [`${where} ssl_min_protocol_version is ${min}; the floor is ${TLS_FLOOR} (TLSv1.2 or TLSv1.3)`] : []),
        ...(max !== undefined && max !== "" && belowFloor(max)
            ? [`${where} ssl_max_protocol_version is ${max}, below the ${TLS_FLOOR} floor; leave it unset`]
            : []),
    ];
}

/** PgBouncer's *_tls_protocols: `secure` (1.2 and 1.3) and named versions at or above the floor. */
function poolerProtocolFindings(sections: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
    return ["client_tls_protocols", "server_tls_protocols"].flatMap((key) => {
        const value = sections.get("pgbouncer")?.get(key);
        if (value === undefined) return [];
        const words = value
            .toLowerCase()
            .split(/[\s,]+/)
            .filter(Boolean);
        const weak = words.filter((word) => word === "all" || word === "legacy" || belowFloor(word));
        return weak.length > 0 ? [`pgbouncer.ini ${key} = ${value} allows TLS below ${TLS_FLOOR}; set it to secure`] : [];
    });
}

function renderedFileFindings(resource: InspectedResource): string[] {
    const hbaFiles = readableFiles(resource, RENDERED_FILES.hba);
    const poolerFiles = readableFiles(resource, RENDERED_FILES.pgbouncer);
    const confFiles = readableFiles(resource, RENDERED_FILES.postgresql);
    const floor = confFiles.contents.flatMap((content) => tlsFloorFindings("postgresql.conf", parsePostgresConf(content)));
    const hba = hbaFiles.contents.flatMap((content) =>
        plainTextRules(parseHba(content)).map(
            (rule) =>
                `pg_hba.conf line ${rule.line} (${rule.text}) admits connections without TLS; use hostssl, or put "hostnossl all all all reject" before it`,
        ),
    );
    const pooler = poolerFiles.contents.flatMap((content) => {
        const sections = parseIni(content);
        const mode = sections.get("pgbouncer")?.get("client_tls_sslmode") ?? "disable";
        return [
            ...(POOLER_TLS_MODES.includes(mode) ? [] : [`pgbouncer.ini client_tls_sslmode is ${mode}; set it to require (or verify-ca / verify-full)`]),
            ...poolerProtocolFindings(sections),
        ];
    });
    return [...hbaFiles.unreadable, ...poolerFiles.unreadable, ...confFiles.unreadable, ...hba, ...pooler, ...floor];
}

/** tls-required: clients reach PostgreSQL, PgBouncer, RDS, RDS Proxy and Cloud SQL only over TLS. */
export const tlsRequired = resourceRule(
    {
        name: "tls-required",
        description:
            "Connections from beyond the host are encrypted, with TLS 1.2 or later: hostssl (or hostnossl reject) in pg_hba.conf, PgBouncer client TLS, rds.force_ssl, RDS Proxy requireTls, Cloud SQL ENCRYPTED_ONLY; ssl_min_protocol_version and PgBouncer's tls_protocols never below TLSv1.2; the platform's own clients (the migration job's DATABASE_URL) verify the server (sslmode=verify-full or verify-ca).",
        severity: "high",
        enforcementLevel: "advisory",
        remediationSteps: [
            "Self-hosted: set postgres.tls.enabled: true so the platform renders hostssl rules and PgBouncer client TLS.",
            `AWS: keep rds.force_ssl at 1 (the default from PostgreSQL ${RDS_FORCE_SSL_DEFAULT_FROM}) and requireTls on the proxy.`,
            "GCP: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY.",
        ].join(" "),
    },
    {
        ...forTypes([TYPES.dockerContainer, TYPES.kubernetesConfigMap, TYPES.kubernetesSecret], ({ resource }) => [
            ...renderedFileFindings(resource),
            // The clients the platform runs itself (the migration job) verify the server, too.
            ...clientUrls(resource).flatMap((url) =>
                unverifiedUrlFinding(`${resource.type === TYPES.kubernetesSecret ? "Secret" : "container"} ${resource.name}`, url),
            ),
        ]),
        [TYPES.rdsParameterGroup]: (group) => {
            if (!isPostgresFamily(group.family)) return [];
            const parameters = rdsParameters(group);
            const forceSsl = parameters.get("rds.force_ssl");
            const major = Number(/(\d+)$/.exec(group.family)?.[1]);
            const floor = tlsFloorFindings("parameter", parameters);
            if (forceSsl === undefined) {
                return [
                    ...(major >= RDS_FORCE_SSL_DEFAULT_FROM
                        ? []
                        : [`parameter rds.force_ssl is not set and family ${group.family} defaults it to 0; set it to 1`]),
                    ...floor,
                ];
            }
            return [...(forceSsl === "1" ? [] : [`parameter rds.force_ssl is ${forceSsl}; set it to 1`]), ...floor];
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
