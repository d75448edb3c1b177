// How a rotated password reaches a running pool on Kubernetes: the auth file's Secret is mounted
// as a folder (kubelet swaps in new content; a subPath mount never changes) and the pod's
// configuration hash leaves secrets out, so a new password rolls no pod; the rendered supervisor
// reloads PgBouncer. Another set of roles changes the hash and rolls the pool.
import { describe, expect, it } from "vitest";
import { deploy } from "../../../../components/targets/kubernetes";
import { parseSpec, type PlatformConfigInput } from "../../../../components/config";
import { named, runUnderMocks, type MockedResource } from "../../../../cli/offline/harness";
import { PUSHED_IMAGE } from "./deploy";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

interface PodTemplate {
    metadata: { annotations: Record<string, string> };
    spec: {
        containers: { command: string[]; args: string[]; volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[] }[];
        volumes: {
            name: string;
            secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
            configMap?: { name: string };
        }[];
    };
}
const template = (r: MockedResource) => (r.inputs as { spec: { template: PodTemplate } }).spec.template;

/** Deploys under mocks; `rotated` gives those roles another generated password. */
async function deployed(config: PlatformConfigInput, rotated: readonly string[] = []) {
    const spec = parseSpec({ target: "kubernetes", kubernetes: { namespace: "pg" }, image: PUSHED_IMAGE, topology: "primary", ...config } as Record<
        string,
        unknown
    >);
    return runUnderMocks(() => deploy(spec, { stack: "test" }), {
        computed: (type, name) =>
            type === RANDOM_PASSWORD && rotated.some((role) => name.endsWith(`-${role}-password`)) ? { result: `rotated-${name}` } : undefined,
    });
}

describe("a pool on Kubernetes", async () => {
    const before = await deployed({});
    const rotated = await deployed({}, ["app_app"]);
    const withRole = await deployed({ postgres: { roles: [{ name: "reporting", database: "app", access: "readonly" }] } });
    const pool = (run: typeof before, mode = "transaction") => named(run.resources, DEPLOYMENT, `pg-pooler-${mode}-deployment`);
    const files = (run: typeof before, mode = "transaction") =>
        named(run.resources, SECRET, `pg-pooler-${mode}-files`).inputs as { metadata: { name: string }; stringData: Record<string, string> };

    it("mounts the auth file's folder from the pool's Secret, without subPath, and runs PgBouncer under the supervisor", () => {
        const pod = template(pool(before));
        const live = pod.spec.volumes.find((v) => v.name === "live-secrets");
        expect(live?.secret).toEqual({ secretName: files(before).metadata.name, defaultMode: 0o400, items: [{ key: "userlist.txt", path: "userlist.txt" }] });
        const mounts = pod.spec.containers[0].volumeMounts;
        expect(mounts.find((m) => m.name === "live-secrets")).toEqual({ name: "live-secrets", mountPath: "/etc/pgbouncer/auth", readOnly: true });
        expect(mounts.filter((m) => m.mountPath.startsWith("/etc/pgbouncer/auth/"))).toEqual([]);
        expect(pod.spec.containers[0].command).toEqual(["/bin/sh"]);
        expect(pod.spec.containers[0].args[0]).toBe("/etc/pgbouncer/run-pgbouncer.sh");
    });

    it("keeps the auth file in the Secret: verifiers for the platform's roles, the auth role in clear", () => {
        const userlist = files(before).stringData["userlist.txt"];
        expect(userlist).toMatch(/^"pgbouncer_auth" "[^"]+"\n"app_migrate" "SCRAM-SHA-256\$4096:/);
    });

    it("changes the Secret but not the pod template when a password changes: kubelet refreshes the folder, the supervisor reloads", () => {
        for (const mode of ["transaction", "session"]) {
            expect(template(pool(rotated, mode))).toEqual(template(pool(before, mode)));
            expect(files(rotated, mode).stringData["userlist.txt"]).not.toBe(files(before, mode).stringData["userlist.txt"]);
        }
    });

    it("rolls the pool when the auth file lists other roles (the config hash covers the password-free render)", () => {
        const hash = (run: typeof before) => template(pool(run)).metadata.annotations["pg-platform.io/config-hash"];
        expect(hash(withRole)).not.toBe(hash(before));
        expect(hash(rotated)).toBe(hash(before));
    });
});

describe("the server side of a rotation on Kubernetes", async () => {
    const before = await deployed({ replicas: 1 });
    const rotated = await deployed({ replicas: 1 }, ["app_app"]);
    const replicaRotated = await deployed({ replicas: 1 }, ["replicator"]);
    const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
    const annotations = (run: typeof before, name: string) => template(named(run.resources, STATEFUL_SET, name)).metadata.annotations;

    it("rolls the primary when a password changes (its init SQL, mounted by subPath, carries the new verifier), without touching the config hash", () => {
        const [a, b] = [annotations(before, "pg-primary-statefulset"), annotations(rotated, "pg-primary-statefulset")];
        expect(b["pg-platform.io/config-hash"]).toBe(a["pg-platform.io/config-hash"]);
        expect(a["pg-platform.io/secret-hash"]).toMatch(/^[0-9a-f]{16}$/);
        expect(b["pg-platform.io/secret-hash"]).not.toBe(a["pg-platform.io/secret-hash"]);
        // The replica holds no app role's secret: it stays.
        expect(annotations(rotated, "pg-replica-1-server-statefulset")).toEqual(annotations(before, "pg-replica-1-server-statefulset"));
        expect(annotations(replicaRotated, "pg-replica-1-server-statefulset")["pg-platform.io/secret-hash"]).not.toBe(
            annotations(before, "pg-replica-1-server-statefulset")["pg-platform.io/secret-hash"],
        );
    });

    it("marks the annotation secret: no password-derived value in clear in the template", () => {
        const primary = named(before.resources, STATEFUL_SET, "pg-primary-statefulset");
        expect(primary.secretInputs.some((p) => p.includes("secret-hash") || p === "spec" || p.startsWith("spec."))).toBe(true);
    });
});
