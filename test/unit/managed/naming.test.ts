// Physical names built from the stack name must be names the clouds accept. Table-driven over
// stack names a user may pick; each run builds the whole aws or gcp stack under mocks and checks
// every name the providers will generate from a logical name or a namePrefix against the
// provider's documented rules.
import { describe, expect, it } from "vitest";
import { MAX_STACK_PART, managedBaseName } from "../../../components/managed/naming";
import { ofType, type MockedResource } from "../../../cli/offline/harness";
import { runStack } from "./stack";

const AWS = {
    region: "eu-west-1",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    allowedCidrs: ["10.0.0.0/16"],
};
const GCP = { project: "a".repeat(30), region: "europe-west1", network: "projects/acme-prod-db/global/networks/main" };

/** Pulumi's autonaming: the logical name, a hyphen and 7 random characters. */
const autoname = (logical: string) => `${logical}-a1b2c3d`;
/** The AWS provider's unique suffix after a namePrefix (a timestamp and a counter, 26 characters). */
const prefixed = (prefix: string) => `${prefix}${"2".repeat(26)}`;

interface Rule {
    readonly max: number;
    readonly pattern: RegExp;
}
/** Lower-case letters, digits, single hyphens; first a letter, last not a hyphen (RDS, RDS Proxy, Cloud SQL). */
const DNS_LIKE = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const RULES = {
    rdsInstance: { max: 63, pattern: DNS_LIKE },
    rdsProxy: { max: 60, pattern: DNS_LIKE },
    rdsSnapshot: { max: 255, pattern: DNS_LIKE },
    rdsParameterGroup: { max: 255, pattern: DNS_LIKE },
    rdsSubnetGroup: { max: 255, pattern: /^[a-z0-9 ._-]+$/ },
    iamRole: { max: 64, pattern: /^[\w+=,.@-]+$/ },
    secret: { max: 512, pattern: /^[\w/+=.@-]+$/ },
    // The project ID and the instance ID together.
    cloudSqlInstance: { max: 98, pattern: /^[a-z0-9-]{6,30}:[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/ },
} satisfies Record<string, Rule>;

/** Every physical name the stack's resources will get, with the rule it must meet. */
function physicalNames(resources: readonly MockedResource[]): [string, Rule, string][] {
    const names: [string, Rule, string][] = [];
    const add = (name: string, rule: Rule, what: string) => names.push([name, rule, what]);
    for (const r of ofType(resources, "aws:rds/instance:Instance")) {
        add(autoname(r.name), RULES.rdsInstance, "RDS instance identifier");
        if (typeof r.inputs.finalSnapshotIdentifier === "string") add(r.inputs.finalSnapshotIdentifier, RULES.rdsSnapshot, "final snapshot");
    }
    for (const r of ofType(resources, "aws:rds/proxy:Proxy")) add(autoname(r.name), RULES.rdsProxy, "RDS Proxy name");
    for (const r of ofType(resources, "aws:iam/role:Role")) add(autoname(r.name), RULES.iamRole, "IAM role name");
    for (const r of ofType(resources, "aws:rds/parameterGroup:ParameterGroup"))
        add(prefixed(String(r.inputs.namePrefix)), RULES.rdsParameterGroup, "parameter group");
    for (const r of ofType(resources, "aws:rds/subnetGroup:SubnetGroup")) add(prefixed(String(r.inputs.namePrefix)), RULES.rdsSubnetGroup, "subnet group");
    for (const r of ofType(resources, "aws:secretsmanager/secret:Secret")) add(prefixed(String(r.inputs.namePrefix)), RULES.secret, "secret");
    for (const r of ofType(resources, "gcp:sql/databaseInstance:DatabaseInstance"))
        add(`${String(r.inputs.project)}:${autoname(r.name)}`, RULES.cloudSqlInstance, "Cloud SQL instance");
    return names;
}

const STACKS = [
    "dev",
    "prod",
    "gcp-prod",
    "Prod",
    "prod_eu",
    "PROD.EU-1",
    "team--a",
    "-edge-",
    "___",
    "9lives",
    "x".repeat(32),
    "eu-" + "a".repeat(67),
    "Production_Europe_West_Frankfurt_Blue",
];

describe("managed resource names derived from the stack name", () => {
    it.each(STACKS)("aws, stack %j: every RDS, RDS Proxy, IAM and Secrets Manager name is valid", async (stack) => {
        const run = await runStack(
            { target: "aws", production: true, topology: "primary", replicas: 15, exporter: { enabled: false }, aws: { ...AWS, manageDatabases: true } },
            stack,
        );
        const names = physicalNames(run.resources);
        expect(names.length).toBeGreaterThan(20);
        for (const [name, rule, what] of names) {
            expect(name.length, `${what} ${name}`).toBeLessThanOrEqual(rule.max);
            expect(name, what).toMatch(rule.pattern);
        }
    });

    it.each(STACKS)("gcp, stack %j: every Cloud SQL instance ID is valid with a 30-character project", async (stack) => {
        const run = await runStack(
            { target: "gcp", topology: "primary", replicas: 15, pooler: { enabled: false }, exporter: { enabled: false }, gcp: GCP },
            stack,
        );
        const names = physicalNames(run.resources);
        expect(names.length).toBe(16);
        for (const [name, rule, what] of names) {
            expect(name.length, `${what} ${name}`).toBeLessThanOrEqual(rule.max);
            expect(name, what).toMatch(rule.pattern);
        }
    });

    it("keeps a valid stack name as it is, so the committed stacks' URNs do not move", () => {
        for (const stack of ["dev", "k8s", "prod", "gcp-prod", "x".repeat(MAX_STACK_PART)]) expect(managedBaseName(stack)).toBe(`pg-platform-${stack}`);
    });

    it("lower-cases and hyphenates other names, and cuts long ones with a hash that keeps them apart", () => {
        expect(managedBaseName("Prod")).toBe("pg-platform-prod");
        expect(managedBaseName("prod_eu")).toBe("pg-platform-prod-eu");
        expect(managedBaseName("team--a")).toBe("pg-platform-team-a");
        const long = (suffix: string) => managedBaseName(`${"a".repeat(40)}${suffix}`);
        expect(long("1")).not.toBe(long("2"));
        expect(long("1")).toMatch(/^pg-platform-a{25}-[0-9a-f]{6}$/);
        expect(managedBaseName("___")).toMatch(/^pg-platform-[0-9a-f]{6}$/);
    });
});
