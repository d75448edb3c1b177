import { ALLOWED_HBA_METHODS, PASSWORD_ENCRYPTION, RDS_ACCEPTED_PASSWORD_AUTH_METHOD, RDS_PROXY_CLIENT_AUTH } from "../shared/vocabulary";
import { parseHba, parseIni, parsePostgresConf, readableFiles, RENDERED_FILES } from "./rendered";
import {
    KUBERNETES_POD_OWNERS,
    TYPES,
    cloudSqlFlags,
    isPostgresFamily,
    kubernetesContainers,
    rdsParameters,
    type DockerContainerProps,
    type InspectedResource,
    type KubernetesContainer,
} from "./resources";
import { forTypes, resourceRule } from "./rule";
import { UNKNOWN, isSet, known, knownItems, notKnownYet } from "./unknowns";

const allowed = ALLOWED_HBA_METHODS.join(", ");

/** Findings in the postgresql.conf, pg_hba.conf and pgbouncer.ini a resource ships. */
function renderedFileFindings(resource: InspectedResource): string[] {
    const conf = readableFiles(resource, RENDERED_FILES.postgresql);
    const hba = readableFiles(resource, RENDERED_FILES.hba);
    const pooler = readableFiles(resource, RENDERED_FILES.pgbouncer);
    const findings: string[] = [...conf.unreadable, ...hba.unreadable, ...pooler.unreadable];
    for (const content of conf.contents) {
        const value = parsePostgresConf(content).get("password_encryption");
        if (value !== undefined && value !== PASSWORD_ENCRYPTION) {
            findings.push(`postgresql.conf sets password_encryption = ${value}; it must be ${PASSWORD_ENCRYPTION}`);
        }
    }
    for (const content of hba.contents) {
        for (const rule of parseHba(content)) {
            if (!(ALLOWED_HBA_METHODS as readonly string[]).includes(rule.method)) {
                findings.push(`pg_hba.conf line ${rule.line} (${rule.text}) uses method ${rule.method}; allowed methods: ${allowed}`);
            }
        }
    }
    for (const content of pooler.contents) {
        const authType = parseIni(content).get("pgbouncer")?.get("auth_type");
        if (authType === undefined) {
            findings.push(`pgbouncer.ini does not set auth_type, and PgBouncer then defaults to md5; set auth_type = ${PASSWORD_ENCRYPTION}`);
        } else if (authType !== PASSWORD_ENCRYPTION) {
            findings.push(`pgbouncer.ini sets auth_type = ${authType}; it must be ${PASSWORD_ENCRYPTION}`);
        }
    }
    return findings;
}

/**
 * The official postgres image's entrypoint appends `host all all all <method>` to pg_hba.conf
 * from this variable, so `trust` or `md5` here defeats a rendered pg_hba.conf.
 */
const HOST_AUTH_ENV = "POSTGRES_HOST_AUTH_METHOD";

function hostAuthFinding(where: string, value: string | undefined): string[] {
    if (value === undefined || (ALLOWED_HBA_METHODS as readonly string[]).includes(value)) return [];
    return [`${where} sets ${HOST_AUTH_ENV}=${value}, which makes the postgres image accept ${value} from every host; remove it or use ${PASSWORD_ENCRYPTION}`];
}

/** The unresolved-input finding for an environment the gate cannot read in a preview. */
const unreadableEnv = (what: string) => `${notKnownYet(what)}, and it could set ${HOST_AUTH_ENV}; build it from known values`;

/**
 * A container the provider runs to its end before the update goes on, never restarted: a job
 * such as the migration job, no server clients reach. Its environment may hold a value the
 * engine computes while deploying (the job's connection URL, with a generated password).
 */
function isOneShot(container: DockerContainerProps): boolean {
    return known(() => container.attach) === true && known(() => container.restart) === "no";
}

/**
 * A Docker container's `NAME=value` entries: the host-auth one checked, an unresolved one
 * failing closed, except in a one-shot job (no server of it outlives the update).
 */
function dockerEnvFindings(where: string, container: DockerContainerProps): string[] {
    const envs = knownItems(() => container.envs);
    if (envs === UNKNOWN) return [unreadableEnv(`the environment of ${where}`)];
    return envs.flatMap((env, i) => {
        if (env === UNKNOWN) return isOneShot(container) ? [] : [unreadableEnv(`envs[${i}] of ${where}`)];
        return env.startsWith(`${HOST_AUTH_ENV}=`) ? hostAuthFinding(where, env.slice(HOST_AUTH_ENV.length + 1)) : [];
    });
}

function kubernetesEnvFindings(containers: readonly KubernetesContainer[]): string[] {
    return containers.flatMap((container) => {
        const where = `container ${container.name ?? "(unnamed)"}`;
        const entries = knownItems(() => container.env);
        if (entries === UNKNOWN) return [unreadableEnv(`the env of ${where}`)];
        return entries.flatMap((entry, i) => {
            const name = entry === UNKNOWN ? UNKNOWN : known(() => entry.name);
            if (name === UNKNOWN) return [unreadableEnv(`env[${i}] of ${where}`)];
            if (name !== HOST_AUTH_ENV) return [];
            const value = known(() => (entry as { value?: string }).value);
            if (value === UNKNOWN) return [unreadableEnv(`the value of ${HOST_AUTH_ENV} in ${where}`)];
            // Taken from a ConfigMap or Secret (valueFrom): the gate cannot read it, so it cannot pass.
            if (value === undefined) {
                return [
                    `${where} takes ${HOST_AUTH_ENV} from a ConfigMap or Secret, which the gate cannot check; remove it or set it inline to ${PASSWORD_ENCRYPTION}`,
                ];
            }
            return hostAuthFinding(where, value);
        });
    });
}

/** scram-only-auth: every password PostgreSQL, PgBouncer, RDS or Cloud SQL accepts is checked with SCRAM-SHA-256. */
export const scramOnlyAuth = resourceRule(
    {
        name: "scram-only-auth",
        description: `Passwords are hashed and checked with ${PASSWORD_ENCRYPTION} only: no md5, password or trust in pg_hba.conf, PgBouncer, RDS or Cloud SQL.`,
        severity: "critical",
        enforcementLevel: "mandatory",
        remediationSteps: [
            "Remove md5/password/trust rules from postgres.hba (the platform's own rules are SCRAM-only).",
            `Do not override password_encryption (fixed to ${PASSWORD_ENCRYPTION}) or PgBouncer's auth_type.`,
            `On RDS use a parameter group with rds.accepted_password_auth_method = ${RDS_ACCEPTED_PASSWORD_AUTH_METHOD} and proxy client auth ${RDS_PROXY_CLIENT_AUTH}.`,
            "There are no exceptions: rotate any md5-hashed password to SCRAM instead.",
        ].join(" "),
    },
    {
        ...forTypes([TYPES.kubernetesConfigMap, TYPES.kubernetesSecret], ({ resource }) => renderedFileFindings(resource)),
        [TYPES.dockerContainer]: (container, { resource }) => [
            ...renderedFileFindings(resource),
            ...dockerEnvFindings(`container ${resource.name}`, container),
        ],
        ...forTypes(KUBERNETES_POD_OWNERS, ({ resource }) => kubernetesEnvFindings(kubernetesContainers(resource))),
        [TYPES.rdsParameterGroup]: (group) => {
            if (!isPostgresFamily(group.family)) return [];
            const parameters = rdsParameters(group);
            const findings: string[] = [];
            const encryption = parameters.get("password_encryption");
            if (encryption !== undefined && encryption !== PASSWORD_ENCRYPTION) {
                findings.push(`parameter password_encryption is ${encryption}; it must be ${PASSWORD_ENCRYPTION}`);
            }
            const accepted = parameters.get("rds.accepted_password_auth_method");
            if (accepted !== RDS_ACCEPTED_PASSWORD_AUTH_METHOD) {
                findings.push(
                    `parameter rds.accepted_password_auth_method is ${accepted ?? "not set (RDS default md5+scram)"}, so md5 logins are accepted; set it to ${RDS_ACCEPTED_PASSWORD_AUTH_METHOD}`,
                );
            }
            return findings;
        },
        // A group name made from a namePrefix is unknown in a preview, but set: the group itself is checked above.
        [TYPES.rdsInstance]: (instance) =>
            (instance.engine === undefined || instance.engine === "postgres") && !isSet(() => instance.parameterGroupName)
                ? [
                      `no parameterGroupName: the engine's default parameter group accepts md5 logins; use a group with rds.accepted_password_auth_method = ${RDS_ACCEPTED_PASSWORD_AUTH_METHOD}`,
                  ]
                : [],
        [TYPES.rdsProxy]: (proxy) =>
            proxy.engineFamily !== "POSTGRESQL"
                ? []
                : (proxy.auths ?? []).flatMap((auth, i) =>
                      auth.clientPasswordAuthType === RDS_PROXY_CLIENT_AUTH
                          ? []
                          : [`auths[${i}] clientPasswordAuthType is ${auth.clientPasswordAuthType ?? "not set"}; set it to ${RDS_PROXY_CLIENT_AUTH}`],
                  ),
        [TYPES.cloudSqlInstance]: (instance) => {
            const value = cloudSqlFlags(instance).get("password_encryption");
            return value !== undefined && value !== PASSWORD_ENCRYPTION
                ? [`database flag password_encryption is ${value}; it must be ${PASSWORD_ENCRYPTION}`]
                : [];
        },
    },
);
