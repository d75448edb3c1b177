import { beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../components/targets/aws";
import { runPolicies, loadPolicyConfig, type GateResource } from "../../policies/offline";
import { deployed, edited, messages, one } from "./gate";

const AWS = {
    region: "eu-west-1",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    allowedCidrs: ["10.0.0.0/16"],
};
const PRODUCTION = { target: "aws", production: true, topology: "primary", replicas: 1, exporter: { enabled: false }, aws: AWS };

type Props = Record<string, unknown>;
type Parameter = { name: string; value: string };

const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
const INSTANCE = "aws:rds/instance:Instance";
const PROXY = "aws:rds/proxy:Proxy";

const setParameter = (name: string, value: string | undefined) => (props: Props) => ({
    ...props,
    parameters: [...(props.parameters as Parameter[]).filter((p) => p.name !== name), ...(value === undefined ? [] : [{ name, value }])],
});

describe("the pack on the aws target's real output", () => {
    let production: GateResource[];
    beforeAll(async () => {
        production = await deployed(deploy, PRODUCTION, "prod");
    });

    it("a production RDS stack (primary, replica, proxy) passes every rule at prod's levels", async () => {
        expect(production.map((r) => r.type)).toEqual(expect.arrayContaining([PARAMS, INSTANCE, PROXY]));
        expect(await runPolicies(production, loadPolicyConfig("prod"))).toEqual([]);
    });

    it("scram-only-auth: the parameter group one edit away from accepting md5, and the proxy one edit away from MD5 clients", async () => {
        const params = edited(one(production, PARAMS), setParameter("rds.accepted_password_auth_method", "md5+scram"));
        const proxy = edited(one(production, PROXY), (props) => ({
            ...props,
            auths: (props.auths as Props[]).map((a) => ({ ...a, clientPasswordAuthType: "POSTGRES_MD5" })),
        }));
        expect(await messages("scram-only-auth", [params, proxy])).toEqual([
            "parameter rds.accepted_password_auth_method is md5+scram, so md5 logins are accepted; set it to scram",
            "auths[0] clientPasswordAuthType is POSTGRES_MD5; set it to POSTGRES_SCRAM_SHA_256",
        ]);
    });

    it("localhost-binding: the primary made publicly accessible", async () => {
        const primary = edited(one(production, INSTANCE, "-primary"), (props) => ({ ...props, publiclyAccessible: true }));
        expect(await messages("localhost-binding", primary)).toEqual([
            `publiclyAccessible is true; RDS instances stay private (publiclyAccessible: false) (or add "${primary.name}" to localhost-binding.exceptions in the stack's policy config)`,
        ]);
    });

    it("tls-required: rds.force_ssl turned off, proxy TLS dropped", async () => {
        const params = edited(one(production, PARAMS), setParameter("rds.force_ssl", "0"));
        const proxy = edited(one(production, PROXY), (props) => ({ ...props, requireTls: false }));
        expect(await messages("tls-required", [params, proxy])).toEqual(["parameter rds.force_ssl is 0; set it to 1", "requireTls is false; set it to true"]);
    });

    it("encrypted-and-protected: a non-production stack without Multi-AZ fails it at prod's level", async () => {
        const resources = await deployed(deploy, { target: "aws", exporter: { enabled: false }, aws: { ...AWS, multiAz: false } }, "staging");
        const found = (await runPolicies(resources, loadPolicyConfig("prod"))).map((v) => `${v.level} ${v.policy}: ${v.message}`);
        expect(found).toEqual([
            "mandatory encrypted-and-protected: deletionProtection is not true; turn it on",
            "mandatory encrypted-and-protected: multiAz is not true; run a standby in a second availability zone",
        ]);
    });

    it("bounded-replication-slots: CDC on RDS is bounded; the bound removed is reported", async () => {
        const cdc = await deployed(deploy, { ...PRODUCTION, postgres: { cdc: { enabled: true } } }, "prod");
        const params = one(cdc, PARAMS);
        expect(await messages("bounded-replication-slots", params)).toEqual([]);
        expect(await messages("bounded-replication-slots", edited(params, setParameter("max_slot_wal_keep_size", undefined)))).toEqual([
            "the parameter group does not set max_slot_wal_keep_size although logical decoding (CDC) is on: an inactive slot then keeps WAL until the disk fills; set it (postgres.maxSlotWalKeepSize, default 10GB)",
        ]);
    });
});
