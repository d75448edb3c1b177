import { beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../components/targets/gcp";
import { loadPolicyConfig, runPolicies, type GateResource } from "../../policies/offline";
import { deployed, edited, messages, one } from "./gate";

const GCP = { project: "acme-staging", region: "europe-west1", network: "projects/acme-staging/global/networks/main" };
const BASE = { target: "gcp", pooler: { enabled: false }, exporter: { enabled: false }, gcp: GCP };
const PRODUCTION = { ...BASE, production: true, topology: "primary", replicas: 1 };
const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";

type Props = Record<string, unknown>;
type Settings = { databaseFlags: { name: string; value: string }[]; ipConfiguration: Props } & Props;

const editSettings = (change: (settings: Settings) => Settings) => (props: Props) => ({ ...props, settings: change(props.settings as Settings) });
const setFlag = (name: string, value: string | undefined) =>
    editSettings((s) => ({ ...s, databaseFlags: [...s.databaseFlags.filter((f) => f.name !== name), ...(value === undefined ? [] : [{ name, value }])] }));

describe("the pack on the gcp target's real output", () => {
    let production: GateResource[];
    beforeAll(async () => {
        production = await deployed(deploy, PRODUCTION, "gcp-prod");
    });

    it("a production Cloud SQL stack (regional primary, replica) passes every rule at prod's levels", async () => {
        expect(production.filter((r) => r.type === INSTANCE)).toHaveLength(2);
        expect(await runPolicies(production, loadPolicyConfig("gcp-prod"))).toEqual([]);
    });

    it("scram-only-auth: the password_encryption flag one edit away from md5", async () => {
        const primary = edited(one(production, INSTANCE, "-primary"), setFlag("password_encryption", "md5"));
        expect(await messages("scram-only-auth", primary)).toEqual(["database flag password_encryption is md5; it must be scram-sha-256"]);
    });

    it("localhost-binding: public IPv4 authorizing public space in stack config fails, unless the instance is an exception", async () => {
        // 0.0.0.0/0 (or pieces covering every public address) is refused by the config layer
        // already; half the internet passes config and is the gate's to refuse.
        const open = await deployed(deploy, { ...BASE, gcp: { ...GCP, publicIp: true, authorizedNetworks: ["0.0.0.0/1"] } }, "staging");
        const primary = one(open, INSTANCE, "-primary");
        expect(await messages("localhost-binding", open)).toEqual([
            expect.stringMatching(
                new RegExp(
                    `^public IPv4 admits 0\\.0\\.0\\.0/1, which includes public addresses 1\\.0\\.0\\.0/8, .* not in localhost-binding\\.allowedPublicRanges; set ipv4Enabled: false, or authorize only known networks \\(or add "${primary.name}" to localhost-binding\\.exceptions`,
                ),
            ),
        ]);
        expect(await messages("localhost-binding", open, { "localhost-binding": { exceptions: [primary.name] } })).toEqual([]);
    });

    it("tls-required: sslMode one edit away from allowing unencrypted connections", async () => {
        const primary = edited(
            one(production, INSTANCE, "-primary"),
            editSettings((s) => ({ ...s, ipConfiguration: { ...s.ipConfiguration, sslMode: "ALLOW_UNENCRYPTED_AND_ENCRYPTED" } })),
        );
        expect(await messages("tls-required", primary)).toEqual([
            "settings.ipConfiguration.sslMode is ALLOW_UNENCRYPTED_AND_ENCRYPTED; set it to ENCRYPTED_ONLY",
        ]);
    });

    it("encrypted-and-protected: a non-production stack (zonal, unprotected) fails it at prod's level", async () => {
        const staging = await deployed(deploy, BASE, "staging");
        const found = (await runPolicies(staging, loadPolicyConfig("gcp-prod"))).map((v) => `${v.level} ${v.policy}: ${v.message}`);
        expect(found).toEqual([
            "mandatory encrypted-and-protected: deletion protection is off; set settings.deletionProtectionEnabled: true and leave deletionProtection on",
            "mandatory encrypted-and-protected: availabilityType is ZONAL; set it to REGIONAL",
        ]);
    });

    it("bounded-replication-slots: CDC on Cloud SQL is bounded; the bound removed is reported", async () => {
        const cdc = one(await deployed(deploy, { ...PRODUCTION, postgres: { cdc: { enabled: true } } }, "gcp-prod"), INSTANCE, "-primary");
        expect(await messages("bounded-replication-slots", cdc)).toEqual([]);
        expect(await messages("bounded-replication-slots", edited(cdc, setFlag("max_slot_wal_keep_size", undefined)))).toEqual([
            "the instance does not set max_slot_wal_keep_size although logical decoding (CDC) is on: an inactive slot then keeps WAL until the disk fills; set it (postgres.maxSlotWalKeepSize, default 10GB)",
        ]);
    });
});
