import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { checkStack, exitCode } from "../../../../cli/check";
import { PROJECT_DIR } from "../../../../cli/stack-config";
import { PGBOUNCER_IMAGE, ReplicaStack, deploy } from "../../../../components/targets/docker";
import { POSTGRES_OWNER } from "../../../../components/self-hosted/files";
import type { PlatformOutputs } from "../../../../components/targets/outputs";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { named, ofType, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";
import { redactSecrets } from "../../../../cli/offline/secrets";
import { primaryFromOtherStack } from "../../../helpers/self-hosted";

const CONTAINER = "docker:index/container:Container";
const TLS = {
    key: "tls:index/privateKey:PrivateKey",
    ca: "tls:index/selfSignedCert:SelfSignedCert",
    csr: "tls:index/certRequest:CertRequest",
    cert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

interface Upload {
    file: string;
    content: string;
    permissions: string;
    owner: string;
    group: string;
}

const deployed = (config: PlatformConfigInput) => {
    const spec = parseSpec(config as Record<string, unknown>);
    return runUnderMocks(() => deploy(spec, { stack: "dev" }) as PlatformOutputs, { stack: "dev" });
};
const tlsResources = (resources: readonly MockedResource[]) => resources.filter((r) => r.type.startsWith("tls:"));
const uploadsOf = (resources: readonly MockedResource[], container: string) => named(resources, CONTAINER, container).inputs.uploads as Upload[];
/** Files of a container whose upload content was sent as a secret. */
const secretFiles = (resources: readonly MockedResource[], container: string) => {
    const resource = named(resources, CONTAINER, container);
    return resource.secretInputs
        .filter((p) => /^uploads\[\d+\]\.content$/.test(p))
        .map((p) => (resource.inputs.uploads as Upload[])[Number(/\[(\d+)\]/.exec(p)?.[1])].file);
};

describe("a primary stack with postgres.tls.enabled", async () => {
    const run = await deployed({ topology: "primary", replicas: 1, network: { bindAddress: "127.0.0.1" }, postgres: { tls: { enabled: true } } });
    const key = (name: string) => named(run.resources, TLS.key, name).inputs;
    const caPem = named(run.resources, TLS.ca, "pg-ca").inputs;
    const caCert = run.outputs.caCertificate as string;

    it("creates one CA and a key, request and CA-signed certificate per server and pool, with unique URNs under the stack's components", () => {
        expect(ofType(run.resources, TLS.ca).map((r) => r.name)).toEqual(["pg-ca"]);
        expect(
            ofType(run.resources, TLS.cert)
                .map((r) => r.name)
                .sort(),
        ).toEqual(["pg-pooler-session-tls", "pg-pooler-transaction-tls", "pg-primary-tls", "pg-replica-1-server-tls"]);
        expect(caPem).toMatchObject({ isCaCertificate: true, allowedUses: ["certSigning", "crlSigning", "digitalSignature"] });
        for (const cert of ofType(run.resources, TLS.cert)) {
            expect(cert.inputs).toMatchObject({ caCertPem: caCert, allowedUses: ["digitalSignature", "serverAuth"] });
            expect(cert.secretInputs).toContain("caPrivateKeyPem");
        }
        expect(run.duplicateUrns).toEqual([]);
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const resource of tlsResources(run.resources))
            expect(byUrn.get(resource.parent ?? "")?.type, resource.name).toMatch(/^pg-platform:docker:(PrimaryStack|ReplicaStack)$/);
        expect(key("pg-ca-key")).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    });

    it("issues each certificate for the names its clients dial", () => {
        const names = (csr: string) => {
            const inputs = named(run.resources, TLS.csr, csr).inputs;
            return { dns: inputs.dnsNames, ip: inputs.ipAddresses };
        };
        expect(names("pg-primary-tls-csr")).toEqual({ dns: ["primary", "dev-pg-primary", "localhost"], ip: ["127.0.0.1", "::1"] });
        expect(names("pg-replica-1-server-tls-csr").dns).toEqual(["replica-1", "dev-pg-replica-1", "localhost"]);
        expect(names("pg-pooler-transaction-tls-csr").dns).toEqual(["pooler-transaction", "dev-pg-pooler-transaction", "localhost"]);
    });

    it("uploads certificate and CA in clear and the key as a secret of mode 0600 owned by the service's user, at the paths the rendered files name", () => {
        const cases = [
            {
                container: "pg-primary",
                dir: "/etc/postgresql/tls",
                owner: POSTGRES_OWNER,
                conf: "/etc/postgresql/postgresql.conf",
                ref: "ssl_key_file = '/etc/postgresql/tls/server.key'",
            },
            {
                container: "pg-replica-1-server",
                dir: "/etc/postgresql/tls",
                owner: POSTGRES_OWNER,
                conf: "/etc/postgresql/postgresql.conf",
                ref: "sslrootcert=/etc/postgresql/tls/ca.crt",
            },
            {
                container: "pg-pooler-transaction",
                dir: "/etc/pgbouncer/tls",
                owner: PGBOUNCER_IMAGE,
                conf: "/etc/pgbouncer/pgbouncer.ini",
                ref: "client_tls_key_file = /etc/pgbouncer/tls/server.key",
            },
            {
                container: "pg-pooler-session",
                dir: "/etc/pgbouncer/tls",
                owner: PGBOUNCER_IMAGE,
                conf: "/etc/pgbouncer/pgbouncer.ini",
                ref: "server_tls_ca_file = /etc/pgbouncer/tls/ca.crt",
            },
        ];
        for (const c of cases) {
            const uploads = uploadsOf(run.resources, c.container);
            const at = (file: string) => uploads.find((u) => u.file === `${c.dir}/${file}`);
            const owner = { owner: String(c.owner.uid), group: String(c.owner.gid) };
            expect(at("server.crt"), c.container).toMatchObject({ permissions: "0644", ...owner, content: expect.stringContaining("cert-") });
            expect(at("ca.crt"), c.container).toMatchObject({ permissions: "0644", ...owner, content: caCert });
            expect(at("server.key"), c.container).toMatchObject({
                permissions: "0600",
                ...owner,
                content: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
            });
            expect(secretFiles(run.resources, c.container), c.container).toContain(`${c.dir}/server.key`);
            expect(secretFiles(run.resources, c.container), c.container).not.toContain(`${c.dir}/server.crt`);
            expect(uploads.find((u) => u.file === c.conf)?.content, c.container).toContain(c.ref);
        }
        const primaryKey = uploadsOf(run.resources, "pg-primary").find((u) => u.file.endsWith("server.key"))?.content;
        const poolKey = uploadsOf(run.resources, "pg-pooler-session").find((u) => u.file.endsWith("server.key"))?.content;
        expect(primaryKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        expect(primaryKey).not.toBe(poolKey);
        expect(
            uploadsOf(run.resources, "pg-exporter")
                .map((u) => u.file)
                .filter((f) => f.includes("tls")),
        ).toEqual([]);
    });

    it("never shows a private key in clear in any resource's inputs", () => {
        const keys = ofType(run.resources, CONTAINER).flatMap((c) =>
            (c.inputs.uploads as Upload[]).filter((u) => u.file.endsWith(".key")).map((u) => u.content),
        );
        expect(keys).toHaveLength(4);
        for (const resource of run.resources) {
            const visible = JSON.stringify(redactSecrets(resource.rawInputs));
            for (const pem of keys) expect(visible, resource.name).not.toContain(pem.split("\n")[1]);
        }
    });

    it("makes the replica's bootstrap and WAL receiver verify the primary against the CA", () => {
        expect(named(run.resources, CONTAINER, "pg-replica-1-server").inputs.envs).toEqual(
            expect.arrayContaining(["PRIMARY_SSLMODE=verify-full", "PGSSLROOTCERT=/etc/postgresql/tls/ca.crt"]),
        );
    });

    it("outputs the CA certificate and URLs that insist on TLS", () => {
        expect(caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
        for (const key of ["primaryUrl", "transactionPoolUrl", "sessionPoolUrl", "readOnlyUrl"] as const)
            expect(run.outputs[key], key).toMatch(/\?sslmode=verify-full&sslrootcert=ca\.crt$/);
    });
});

describe("without TLS", async () => {
    const run = await deployed({ topology: "primary", replicas: 1 });

    it("creates no TLS resource, uploads no certificate, outputs no CA, and URLs carry no sslmode", () => {
        expect(tlsResources(run.resources)).toEqual([]);
        for (const container of ofType(run.resources, CONTAINER))
            expect(
                (container.inputs.uploads as Upload[]).filter((u) => u.file.includes("/tls/")),
                container.name,
            ).toEqual([]);
        expect(run.outputs.caCertificate).toBeUndefined();
        expect(run.outputs.primaryUrl).not.toContain("sslmode");
    });
});

describe("a single node with TLS", async () => {
    const run = await deployed({ postgres: { tls: { enabled: true } } });

    it("gets the stack's CA and its own certificate", () => {
        expect(ofType(run.resources, TLS.cert).map((r) => r.name)).toEqual(["pg-single-tls"]);
        expect(uploadsOf(run.resources, "pg-single").map((u) => u.file)).toEqual(
            expect.arrayContaining(["/etc/postgresql/tls/server.crt", "/etc/postgresql/tls/server.key", "/etc/postgresql/tls/ca.crt"]),
        );
        expect(run.outputs.caCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });
});

describe("a ReplicaStack in another stack with TLS", () => {
    const spec = parseSpec({ topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } });
    const primary = primaryFromOtherStack();

    it("refuses to start without the primary stack's CA, naming the setting", () => {
        expect(() => new ReplicaStack("dr", { spec, replica: 1, image: "x", primary })).toThrow(ConfigError);
        expect(() => new ReplicaStack("dr", { spec, replica: 1, image: "x", primary })).toThrow(
            /postgres\.tls\.enabled: replica 1 needs the primary stack's CA/,
        );
    });

    it("signs its certificate with that CA and keeps the CA key secret", async () => {
        const ca = { certificate: pulumi.output("-----BEGIN CERTIFICATE-----\nother\n"), privateKey: pulumi.secret("other-ca-key") };
        const run = await runUnderMocks(() => new ReplicaStack("dr", { spec, replica: 1, image: "pg@sha256:" + "a".repeat(64), primary: { ...primary, ca } }));
        const cert = named(run.resources, TLS.cert, "dr-server-tls");
        expect(cert.inputs).toMatchObject({ caCertPem: "-----BEGIN CERTIFICATE-----\nother\n", caPrivateKeyPem: "other-ca-key" });
        expect(cert.secretInputs).toContain("caPrivateKeyPem");
        expect(named(run.resources, TLS.csr, "dr-server-tls-csr").inputs.dnsNames).toEqual(["replica-1", "prod-pg-replica-1", "localhost"]);
    });
});

describe("npm run check on the committed dev stack (TLS on)", async () => {
    // tls-required at the level the prod-like stacks hold it.
    const policyDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-tls-policy-"));
    afterAll(() => fs.rmSync(policyDir, { recursive: true, force: true }));
    const devPolicy = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "policies/config/dev.json"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(policyDir, "dev.json"), JSON.stringify({ ...devPolicy, "tls-required": "mandatory" }));
    const result = await checkStack("dev", { policyConfigDir: policyDir });

    it("has TLS on every server and pool, so tls-required (mandatory) finds nothing and the check passes", () => {
        expect(
            ofType(result.resources, TLS.cert)
                .map((r) => r.name)
                .sort(),
        ).toEqual(["pg-pooler-session-tls", "pg-pooler-transaction-tls", "pg-primary-tls", "pg-replica-1-server-tls"]);
        expect(result.violations.filter((v) => v.policy === "tls-required")).toEqual([]);
        expect(exitCode(result)).toBe(0);
    });
});
