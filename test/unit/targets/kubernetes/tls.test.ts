import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ReplicaStack } from "../../../../components/targets/kubernetes";
import { ConfigError, parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { isSecretOutput, named, ofType, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";
import { redactSecrets } from "../../../../cli/offline/secrets";
import { PUSHED_IMAGE, deployed as deployKubernetes } from "./deploy";

const T = {
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    deployment: "kubernetes:apps/v1:Deployment",
    key: "tls:index/privateKey:PrivateKey",
    ca: "tls:index/selfSignedCert:SelfSignedCert",
    csr: "tls:index/certRequest:CertRequest",
    cert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;

interface PodSpec {
    metadata: { annotations: Record<string, string> };
    spec: {
        securityContext: { fsGroup: number; runAsUser: number };
        volumes: { name: string; secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string; mode: number }[] } }[];
        containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[] }[];
    };
}
const pod = (r: MockedResource) => (r.inputs.spec as { template: PodSpec }).template;
const workloads = (resources: readonly MockedResource[]) => [...ofType(resources, T.statefulSet), ...ofType(resources, T.deployment)];
const tlsResources = (resources: readonly MockedResource[]) => resources.filter((r) => r.type.startsWith("tls:"));
const BASE = { target: "kubernetes", image: PUSHED_IMAGE, kubernetes: { namespace: "pg" } } as const;

const deployed = (config: Partial<PlatformConfigInput>) => deployKubernetes({ kubernetes: BASE.kubernetes, ...config });

describe("a primary stack with postgres.tls.enabled on Kubernetes", async () => {
    const run = await deployed({ topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } });
    const caCert = run.outputs.caCertificate as string;
    const services = [
        {
            name: "primary",
            resource: "pg-primary",
            workload: "pg-primary-statefulset",
            dir: "/etc/postgresql/tls",
            conf: "pg-primary-config",
            file: "postgresql.conf",
            ref: "ssl_key_file = '/etc/postgresql/tls/server.key'",
        },
        {
            name: "replica-1",
            resource: "pg-replica-1-server",
            workload: "pg-replica-1-server-statefulset",
            dir: "/etc/postgresql/tls",
            conf: "pg-replica-1-server-config",
            file: "postgresql.conf",
            ref: "sslrootcert=/etc/postgresql/tls/ca.crt",
        },
        {
            name: "pooler-transaction",
            resource: "pg-pooler-transaction",
            workload: "pg-pooler-transaction-deployment",
            dir: "/etc/pgbouncer/tls",
            conf: "pg-pooler-transaction-config",
            file: "pgbouncer.ini",
            ref: "client_tls_key_file = /etc/pgbouncer/tls/server.key",
        },
        {
            name: "pooler-session",
            resource: "pg-pooler-session",
            workload: "pg-pooler-session-deployment",
            dir: "/etc/pgbouncer/tls",
            conf: "pg-pooler-session-config",
            file: "pgbouncer.ini",
            ref: "server_tls_ca_file = /etc/pgbouncer/tls/ca.crt",
        },
    ];

    it("creates one CA named after the namespace and a CA-signed certificate per server and pool, under the stack's components, with unique URNs", () => {
        expect(ofType(run.resources, T.ca).map((r) => r.name)).toEqual(["pg-ca"]);
        expect(named(run.resources, T.ca, "pg-ca").inputs).toMatchObject({ isCaCertificate: true, subject: { commonName: "pg CA" } });
        expect(
            ofType(run.resources, T.cert)
                .map((r) => r.name)
                .sort(),
        ).toEqual(services.map((s) => `${s.resource}-tls`).sort());
        for (const cert of ofType(run.resources, T.cert)) {
            expect(cert.inputs, cert.name).toMatchObject({ caCertPem: caCert, allowedUses: ["digitalSignature", "serverAuth"] });
            expect(cert.secretInputs, cert.name).toContain("caPrivateKeyPem");
        }
        expect(run.duplicateUrns).toEqual([]);
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const resource of [...tlsResources(run.resources), ...ofType(run.resources, T.secret)]) {
            expect(byUrn.get(resource.parent ?? "")?.type, resource.name).toMatch(/^pg-platform:kubernetes:(PrimaryStack|ReplicaStack)$/);
        }
    });

    it("issues each certificate for the Service name, its namespace-qualified forms and loopback", () => {
        for (const s of services) {
            const csr = named(run.resources, T.csr, `${s.resource}-tls-csr`).inputs;
            expect(csr.subject, s.name).toMatchObject({ commonName: s.name });
            expect(csr.dnsNames, s.name).toEqual([s.name, `${s.name}.pg.svc`, `${s.name}.pg.svc.cluster.local`, "localhost"]);
            expect(csr.ipAddresses, s.name).toEqual(["127.0.0.1", "::1"]);
        }
    });

    it("stores certificate, key and CA in a kubernetes.io/tls Secret per service, sent as a Pulumi secret, never in a ConfigMap", () => {
        for (const s of services) {
            const secret = named(run.resources, T.secret, `${s.resource}-tls-secret`);
            expect(secret.inputs.metadata, s.name).toMatchObject({ name: `${s.name}-tls`, namespace: "pg" });
            expect(secret.inputs.type, s.name).toBe("kubernetes.io/tls");
            const data = secret.inputs.stringData as Record<string, string>;
            expect(data, s.name).toEqual({
                "tls.crt": expect.stringContaining("cert-"),
                "tls.key": expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
                "ca.crt": caCert,
            });
            expect(secret.secretInputs, s.name).toContain("stringData");
        }
        const keys = ofType(run.resources, T.secret).flatMap((r) =>
            Object.entries(r.inputs.stringData as Record<string, string>)
                .filter(([k]) => k === "tls.key")
                .map(([, v]) => v),
        );
        expect(new Set(keys).size).toBe(services.length);
        for (const resource of run.resources) {
            const visible = JSON.stringify(redactSecrets(resource.rawInputs));
            for (const pem of keys) expect(visible, resource.name).not.toContain(pem.split("\n")[1]);
        }
    });

    it("mounts the Secret at the folder the rendered files name: certificate and CA 0644, key 0600, read-only, under the service's fsGroup", () => {
        for (const s of services) {
            const template = pod(named(run.resources, s.workload.endsWith("statefulset") ? T.statefulSet : T.deployment, s.workload));
            const volume = template.spec.volumes.find((v) => v.name === "tls");
            expect(volume?.secret, s.name).toEqual({
                secretName: `${s.name}-tls`,
                items: [
                    { key: "tls.crt", path: "server.crt", mode: 0o644 },
                    { key: "ca.crt", path: "ca.crt", mode: 0o644 },
                    { key: "tls.key", path: "server.key", mode: 0o600 },
                ],
            });
            expect(template.spec.containers[0].volumeMounts, s.name).toContainEqual({ name: "tls", mountPath: s.dir, readOnly: true });
            expect(template.spec.securityContext.fsGroup, s.name).toBeGreaterThan(0);
            const rendered = (named(run.resources, T.configMap, s.conf).inputs.data as Record<string, string>)[s.file];
            expect(rendered, s.name).toContain(s.ref);
        }
        const exporter = pod(named(run.resources, T.deployment, "pg-exporter-deployment"));
        expect(exporter.spec.volumes.map((v) => v.name)).not.toContain("tls");
    });

    it("rolls a pod when its certificate is re-issued: the certificate's hash is a pod annotation", () => {
        const hashes = services.map(
            (s) =>
                pod(named(run.resources, s.workload.endsWith("statefulset") ? T.statefulSet : T.deployment, s.workload)).metadata.annotations[
                    "pg-platform.io/certificate-hash"
                ],
        );
        for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{16}$/);
        expect(new Set(hashes).size).toBe(services.length);
    });

    it("makes the replica's bootstrap and WAL receiver verify the primary against the CA", () => {
        const env = pod(named(run.resources, T.statefulSet, "pg-replica-1-server-statefulset")).spec.containers[0].env;
        expect(env).toEqual(
            expect.arrayContaining([
                { name: "PRIMARY_SSLMODE", value: "verify-full" },
                { name: "PGSSLROOTCERT", value: "/etc/postgresql/tls/ca.crt" },
            ]),
        );
    });

    it("outputs the CA certificate in clear and secret URLs that insist on TLS", async () => {
        expect(caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
        expect(await isSecretOutput(run.raw.caCertificate as pulumi.Output<string>)).toBe(false);
        for (const key of ["primaryUrl", "transactionPoolUrl", "sessionPoolUrl", "readOnlyUrl"] as const) {
            expect(run.outputs[key], key).toMatch(/\.pg\.svc\.cluster\.local:\d+\/app\?sslmode=verify-full&sslrootcert=ca\.crt$/);
            expect(await isSecretOutput(run.raw[key] as pulumi.Output<string>), key).toBe(true);
        }
    });
});

describe("without TLS on Kubernetes", async () => {
    const run = await deployed({ topology: "primary", replicas: 1 });

    it("creates no TLS resource or Secret, mounts no certificate, outputs no CA, and URLs carry no sslmode", () => {
        expect(tlsResources(run.resources)).toEqual([]);
        expect(ofType(run.resources, T.secret).filter((r) => r.inputs.type === "kubernetes.io/tls")).toEqual([]);
        for (const w of workloads(run.resources)) {
            expect(
                pod(w).spec.volumes.map((v) => v.name),
                w.name,
            ).not.toContain("tls");
            expect(pod(w).metadata.annotations["pg-platform.io/certificate-hash"], w.name).toBeUndefined();
        }
        expect(run.outputs.caCertificate).toBeUndefined();
        expect(run.outputs.primaryUrl).not.toContain("sslmode");
    });
});

describe("a single node with TLS on Kubernetes", async () => {
    const run = await deployed({ postgres: { tls: { enabled: true } } });

    it("gets the stack's CA and a certificate for the Service `primary` it is reached by", () => {
        expect(ofType(run.resources, T.cert).map((r) => r.name)).toEqual(["pg-single-tls"]);
        expect(named(run.resources, T.csr, "pg-single-tls-csr").inputs.dnsNames).toEqual([
            "primary",
            "primary.pg.svc",
            "primary.pg.svc.cluster.local",
            "localhost",
        ]);
        expect(pod(named(run.resources, T.statefulSet, "pg-single-statefulset")).spec.containers[0].volumeMounts).toContainEqual({
            name: "tls",
            mountPath: "/etc/postgresql/tls",
            readOnly: true,
        });
        expect(run.outputs.caCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });
});

describe("a Kubernetes ReplicaStack with TLS", () => {
    const spec = parseSpec({ ...BASE, topology: "primary", replicas: 1, postgres: { tls: { enabled: true } } });
    const args = { spec, replica: 1, image: `pg@sha256:${"a".repeat(64)}`, namespace: "pg", replicationPassword: pulumi.secret("from-the-primary") };

    it("refuses to start without the primary stack's CA, naming the setting, before registering anything", async () => {
        let thrown: unknown;
        const run = await runUnderMocks(() => {
            try {
                new ReplicaStack("dr", args);
            } catch (error) {
                thrown = error;
            }
        });
        expect(thrown).toBeInstanceOf(ConfigError);
        expect(String((thrown as ConfigError).problems)).toMatch(/postgres\.tls\.enabled: replica 1 needs the primary stack's CA/);
        expect(run.resources).toEqual([]);
    });

    it("signs its certificate with that CA and keeps the CA key secret", async () => {
        const ca = { certificate: pulumi.output("-----BEGIN CERTIFICATE-----\nother\n"), privateKey: pulumi.secret("other-ca-key") };
        const run = await runUnderMocks(() => new ReplicaStack("dr", { ...args, ca }));
        const cert = named(run.resources, T.cert, "dr-server-tls");
        expect(cert.inputs).toMatchObject({ caCertPem: "-----BEGIN CERTIFICATE-----\nother\n", caPrivateKeyPem: "other-ca-key" });
        expect(cert.secretInputs).toContain("caPrivateKeyPem");
        expect(
            tlsResources(run.resources)
                .map((r) => r.name)
                .sort(),
        ).toEqual(["dr-server-tls", "dr-server-tls-csr", "dr-server-tls-key"]);
    });
});
