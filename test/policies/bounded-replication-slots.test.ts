import { describe, expect, it } from "vitest";
import { containerWithFiles, messages, resource } from "./gate";

const RULE = "bounded-replication-slots";
const WHY = "an inactive slot then keeps WAL until the disk fills; set it (postgres.maxSlotWalKeepSize, default 10GB)";

describe("bounded-replication-slots on rendered postgresql.conf (Docker, Kubernetes)", () => {
    const conf = (text: string) => containerWithFiles("dev-primary", { "postgresql.conf": text });

    it("passes a bounded server, and one with replication turned off", async () => {
        expect(await messages(RULE, conf("wal_level = logical\nmax_slot_wal_keep_size = '10GB'\n"))).toEqual([]);
        expect(await messages(RULE, conf("wal_level = minimal\nmax_wal_senders = 0\n"))).toEqual([]);
        expect(await messages(RULE, conf("max_replication_slots = 0\n"))).toEqual([]);
    });

    it("rejects a server that leaves slots unbounded (unset, or -1)", async () => {
        expect(await messages(RULE, conf("wal_level = replica\n"))).toEqual([
            `postgresql.conf does not set max_slot_wal_keep_size although replication slots are enabled: ${WHY}`,
        ]);
        expect(await messages(RULE, conf("max_slot_wal_keep_size = -1\n"))).toEqual([
            `postgresql.conf sets max_slot_wal_keep_size = -1 although replication slots are enabled: ${WHY}`,
        ]);
    });

    it("checks a Kubernetes ConfigMap's postgresql.conf", async () => {
        const configMap = (text: string) => resource("kubernetes:core/v1:ConfigMap", "db-config", { data: { "postgresql.conf": text } });
        expect(await messages(RULE, configMap("max_slot_wal_keep_size = 4GB\n"))).toEqual([]);
        expect(await messages(RULE, configMap("shared_buffers = 256MB\n"))).toEqual([
            `postgresql.conf does not set max_slot_wal_keep_size although replication slots are enabled: ${WHY}`,
        ]);
    });
});

describe("bounded-replication-slots on managed targets with logical decoding", () => {
    it("RDS: bounded when rds.logical_replication is on, ignored when off", async () => {
        const group = (parameters: { name: string; value: string }[]) =>
            resource("aws:rds/parameterGroup:ParameterGroup", "prod-params", { family: "postgres17", parameters });
        const logical = { name: "rds.logical_replication", value: "1" };
        expect(await messages(RULE, [group([]), group([logical, { name: "max_slot_wal_keep_size", value: "10240" }])])).toEqual([]);
        expect(await messages(RULE, group([logical]))).toEqual([
            `the parameter group does not set max_slot_wal_keep_size although logical decoding (CDC) is on: ${WHY}`,
        ]);
    });

    it("Cloud SQL: bounded when cloudsql.logical_decoding is on, ignored when off", async () => {
        const instance = (databaseFlags: { name: string; value: string }[]) =>
            resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", { settings: { tier: "db-custom-2-7680", databaseFlags } });
        const logical = { name: "cloudsql.logical_decoding", value: "on" };
        expect(await messages(RULE, [instance([]), instance([logical, { name: "max_slot_wal_keep_size", value: "10240" }])])).toEqual([]);
        expect(await messages(RULE, instance([logical, { name: "max_slot_wal_keep_size", value: "-1" }]))).toEqual([
            `the instance sets max_slot_wal_keep_size = -1 although logical decoding (CDC) is on: ${WHY}`,
        ]);
    });
});

describe("bounded-replication-slots reads the value as PostgreSQL does", () => {
    const conf = (value: string) => containerWithFiles("dev-primary", { "postgresql.conf": `max_slot_wal_keep_size = '${value}'\n` });
    const unlimited = (value: string) => `postgresql.conf sets max_slot_wal_keep_size = ${value} although replication slots are enabled: ${WHY}`;

    // -1 MB however it is spelt: units round to whole MB, octal and hex read as C's strtol does.
    it.each(["-1", "-1MB", "-1024kB", "-1048576B", "-0001", "-0x1", " -1 ", "-1.4", "-0.6"])("%s is unlimited", async (value) => {
        expect(await messages(RULE, conf(value))).toEqual([unlimited(value)]);
    });

    // Spelt like -1 but bounded: -1kB and -1B round to 0 MB.
    it.each(["-1kB", "-1B", "0", "10GB", "1.5GB", "10240"])("%s is bounded", async (value) => {
        expect(await messages(RULE, conf(value))).toEqual([]);
    });

    // The server refuses these at start: a wrong-case unit, below -1, past int32, no number.
    it.each(["-1mb", "-2", "-1GB", "3000000GB", "unlimited", ""])("%s is refused as the server would", async (value) => {
        expect(await messages(RULE, conf(value))).toEqual([
            expect.stringMatching(new RegExp(`^postgresql\\.conf sets max_slot_wal_keep_size = .*, which PostgreSQL refuses \\(`)),
        ]);
    });
});
