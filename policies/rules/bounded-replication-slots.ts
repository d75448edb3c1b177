import { parsePostgresConf, readableFiles, RENDERED_FILES } from "./rendered";
import { TYPES, cloudSqlFlags, isPostgresFamily, rdsParameters, type InspectedResource } from "./resources";
import { forTypes, resourceRule } from "./rule";
import { parseSettingValue, type SettingDescriptor } from "../shared/setting-values";

const SETTING = "max_slot_wal_keep_size";

/** max_slot_wal_keep_size as pg_settings describes it (15–18): integer MB, -1 means unlimited. */
const DESCRIPTOR: SettingDescriptor = { type: "integer", unit: "MB", min: -1, max: 2147483647 };

/**
 * Findings for a max_slot_wal_keep_size value, read as the server reads it (units, octal,
 * rounding: `-1kB` is 0 MB, bounded; `-1024kB` and `-0001` are -1, unlimited), not by its
 * spelling. A value the server would refuse is a finding too: the server would not start.
 */
function unbounded(where: string, value: string | undefined, why: string): string[] {
    const fix = "an inactive slot then keeps WAL until the disk fills; set it (postgres.maxSlotWalKeepSize, default 10GB)";
    if (value === undefined) return [`${where} does not set ${SETTING} although ${why}: ${fix}`];
    const parsed = parseSettingValue(value, DESCRIPTOR);
    if (!parsed.ok) return [`${where} sets ${SETTING} = ${value}, which PostgreSQL refuses (${parsed.reason}): set a size such as 10GB`];
    return parsed.value === -1 ? [`${where} sets ${SETTING} = ${value} although ${why}: ${fix}`] : [];
}

/**
 * A rendered server can hold slots unless it turns replication off (wal_level minimal or
 * max_replication_slots 0): PostgreSQL's defaults allow ten, created by any replica or CDC client.
 */
function renderedFileFindings(resource: InspectedResource): string[] {
    const files = readableFiles(resource, RENDERED_FILES.postgresql);
    return [
        ...files.unreadable,
        ...files.contents.flatMap((content) => {
            const settings = parsePostgresConf(content);
            if (settings.get("wal_level") === "minimal" || settings.get("max_replication_slots") === "0") return [];
            return unbounded("postgresql.conf", settings.get(SETTING), "replication slots are enabled");
        }),
    ];
}

const LOGICAL = "logical decoding (CDC) is on";

/** bounded-replication-slots: WAL kept for replication slots is capped wherever slots can exist. */
export const boundedReplicationSlots = resourceRule(
    {
        name: "bounded-replication-slots",
        description: `${SETTING} is set (not -1) wherever replication slots can exist: rendered postgresql.conf, and RDS / Cloud SQL with logical decoding.`,
        severity: "medium",
        enforcementLevel: "advisory",
        remediationSteps: `Leave postgres.maxSlotWalKeepSize at its default (10GB) or set a size your disk can hold; on RDS and Cloud SQL set the ${SETTING} parameter/flag when CDC is on.`,
    },
    {
        ...forTypes([TYPES.dockerContainer, TYPES.kubernetesConfigMap, TYPES.kubernetesSecret], ({ resource }) => renderedFileFindings(resource)),
        [TYPES.rdsParameterGroup]: (group) => {
            const parameters = rdsParameters(group);
            if (!isPostgresFamily(group.family) || parameters.get("rds.logical_replication") !== "1") return [];
            return unbounded("the parameter group", parameters.get(SETTING), LOGICAL);
        },
        [TYPES.cloudSqlInstance]: (instance) => {
            const flags = cloudSqlFlags(instance);
            if (flags.get("cloudsql.logical_decoding") !== "on") return [];
            return unbounded("the instance", flags.get(SETTING), LOGICAL);
        },
    },
);
