import { describe, expect, it } from "vitest";
import { rdsPlan } from "../../../../components/targets/aws/plan";
import { parseSpec, refusals } from "../../../../components/config";

const AWS = { vpcId: "vpc-0a1b2c3d", subnetIds: ["subnet-0a1b2c3d", "subnet-0e1f2a3b"], allowedCidrs: ["10.0.0.0/16"] };

/** The problems a raw aws config is refused with (by validation or by the target's plan). */
const problems = (raw: Record<string, unknown>) => refusals(() => rdsPlan(parseSpec({ target: "aws", ...raw })));

describe("rdsPlan: bad input", () => {
    it("accepts a minimal stack", () => {
        expect(problems({ aws: AWS })).toEqual([]);
    });

    it("refuses an engine version RDS does not run, listing the supported ones", () => {
        expect(problems({ aws: AWS, postgres: { version: 14 } })).toEqual([
            expect.stringMatching(/^pg-platform:postgres\.version: must be one of 15, 16, 17, 18/),
        ]);
    });

    it.each(["r6g.large", "db.r6g", "db.r6g.huge", "db-custom-2-7680"])("refuses the instance class %s with the naming scheme", (instanceClass) => {
        expect(problems({ aws: { ...AWS, instanceClass } })).toEqual([
            expect.stringMatching(/^pg-platform:aws\.instanceClass: must be an RDS instance class "db\.<family>\.<size>" such as/),
        ]);
    });

    it.each(["db.t4g.micro", "db.r6g.large", "db.m7i.2xlarge", "db.r6gd.16xlarge", "db.x2iedn.metal"])("accepts the instance class %s", (instanceClass) => {
        expect(problems({ aws: { ...AWS, instanceClass } })).toEqual([]);
    });

    it("names each missing network setting", () => {
        expect(problems({ aws: { allowedCidrs: ["10.0.0.0/16"] } })).toEqual([
            expect.stringMatching(/^pg-platform:aws\.vpcId: is required: the VPC id/),
            expect.stringMatching(/^pg-platform:aws\.subnetIds: is required: private subnet ids in at least two availability zones/),
        ]);
        expect(problems({ aws: { ...AWS, subnetIds: ["subnet-0a1b2c3d"] } })).toEqual([
            expect.stringMatching(/^pg-platform:aws\.subnetIds: needs at least two subnets/),
        ]);
        expect(problems({ target: "aws" })).toEqual([expect.stringMatching(/^pg-platform:aws: target "aws" needs its own settings/)]);
    });

    it("refuses parameters that would turn TLS or SCRAM-only logins off in the parameter group", () => {
        const parameters = { "rds.force_ssl": 0, "rds.accepted_password_auth_method": "md5+scram" };
        expect(problems({ aws: AWS, postgres: { parameters } })).toEqual([
            "pg-platform:postgres.parameters.rds.force_ssl: is fixed by the platform: RDS always requires TLS (rds.force_ssl = 1) (got 0)",
            'pg-platform:postgres.parameters.rds.accepted_password_auth_method: is fixed by the platform: always scram: the platform is SCRAM-only (got "md5+scram")',
        ]);
    });

    it("refuses a security group that admits nobody", () => {
        expect(problems({ aws: { ...AWS, allowedCidrs: [] } })).toEqual([expect.stringMatching(/^pg-platform:aws\.allowedCidrs: admits nobody/)]);
    });

    it("refuses self-hosted settings RDS cannot honour instead of ignoring them", () => {
        expect(problems({ aws: AWS, topology: "primary" })).toEqual([
            expect.stringMatching(/^pg-platform:exporter\.enabled: the aws target runs no postgres_exporter; metrics come from CloudWatch/),
        ]);
        expect(problems({ aws: AWS, image: { extensions: ["pgvector"] } })).toEqual([expect.stringMatching(/^pg-platform:image: /)]);
        expect(problems({ aws: AWS, postgres: { memory: "4GiB" } })).toEqual([expect.stringMatching(/^pg-platform:postgres\.memory: .*aws\.instanceClass/)]);
        expect(
            problems({ aws: AWS, postgres: { hba: [{ type: "hostssl", database: "all", user: "all", address: "10.0.0.0/8", method: "scram-sha-256" }] } }),
        ).toEqual([expect.stringMatching(/^pg-platform:postgres\.hba: .*aws\.allowedCidrs/)]);
        expect(problems({ aws: AWS, topology: "primary", replicas: 1, exporter: { enabled: false }, backup: { enabled: false } })).toEqual([
            expect.stringMatching(/^pg-platform:backup\.enabled: read replicas are built from the primary's automated backups/),
        ]);
    });

    it("needs manageDatabases for what only SQL can create", () => {
        expect(problems({ aws: AWS, postgres: { databases: [{ name: "app" }, { name: "reports" }] } })).toEqual([
            expect.stringMatching(/^pg-platform:postgres\.databases\.1\.name: "reports" cannot be created by the aws API.*aws\.manageDatabases: true/),
        ]);
        expect(problems({ aws: { ...AWS, manageDatabases: true }, postgres: { databases: [{ name: "app" }, { name: "reports" }] } })).toEqual([]);
    });
});

describe("rdsPlan: production defaults", () => {
    it("takes protection, snapshots and 30-day retention from production unless set", () => {
        const prod = rdsPlan(parseSpec({ target: "aws", production: true, aws: AWS }));
        expect(prod).toMatchObject({ deletionProtection: true, finalSnapshot: true, backupRetentionDays: 30 });
        const dev = rdsPlan(parseSpec({ target: "aws", aws: AWS }));
        expect(dev).toMatchObject({ deletionProtection: false, finalSnapshot: false, backupRetentionDays: 7 });
        const custom = rdsPlan(parseSpec({ target: "aws", production: true, aws: { ...AWS, backupRetentionDays: 14, finalSnapshot: false } }));
        expect(custom).toMatchObject({ deletionProtection: true, finalSnapshot: false, backupRetentionDays: 14 });
        expect(rdsPlan(parseSpec({ target: "aws", backup: { enabled: false }, aws: AWS })).backupRetentionDays).toBe(0);
    });
});
