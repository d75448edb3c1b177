import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { deploy as deployDocker } from "../../../components/targets/docker";
import { PGBACKREST_RESTORE_SECRETS_CONFIG_PATH, PGBACKREST_SECRETS_CONFIG_PATH, pgbackrestSecretsFile } from "../../../components/render/pgbackrest";
import { SECRET_DIR } from "../../../components/self-hosted/server";
import { ofType, runUnderMocks, type MockedResource } from "../../../cli/offline/harness";

// The writer's pgBackRest secret file on the Docker target (the Kubernetes target passes the same
// list to its Secret): S3 keys from secret config keys, the cipher pass generated per stack.

const S3 = { type: "s3", bucket: "pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" };
const KEYS = { "pg-platform:backupS3AccessKeyId": "AKIAEXAMPLEKEY", "pg-platform:backupS3SecretAccessKey": "wJalrEXAMPLESECRET" };
const OWN = pgbackrestSecretsFile(PGBACKREST_SECRETS_CONFIG_PATH);

const cipherPasses = (resources: readonly MockedResource[]) =>
    ofType(resources, "random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith("-backup-cipher-pass"));

interface Upload {
    readonly file: string;
    readonly content: string;
    readonly permissions: string;
}

async function writerUploads(raw: Record<string, unknown>, config: Record<string, string> = {}) {
    const spec = parseSpec(raw);
    const run = await runUnderMocks(() => deployDocker(spec, { stack: "test" }), { config, secretKeys: Object.keys(config) });
    const writer = ofType(run.resources, "docker:index/container:Container").find((r) => r.name.endsWith("-single") || r.name.endsWith("-primary"));
    expect(writer).toBeDefined();
    const resource = writer as MockedResource;
    const uploads = resource.inputs.uploads as Upload[];
    const secretPaths = resource.secretInputs.filter((p) => p.startsWith("uploads[")).map((p) => uploads[Number(/\[(\d+)\]/.exec(p)?.[1])].file);
    return { run, uploads, secretPaths };
}

describe("pgBackRest secret files", () => {
    it("live under the targets' secret folder, one name per repository", () => {
        expect(OWN.startsWith(`${SECRET_DIR}/`)).toBe(true);
        expect(pgbackrestSecretsFile(PGBACKREST_RESTORE_SECRETS_CONFIG_PATH).split("/").pop()).not.toBe(OWN.split("/").pop());
    });

    it("a dev stack on a volume, unencrypted, gets none", async () => {
        const { uploads } = await writerUploads({});
        expect(uploads.map((u) => u.file)).not.toContain(OWN);
    });

    it("an encrypted S3 repository: the keys from config and a generated cipher pass, as a secret 0600 upload", async () => {
        const { run, uploads, secretPaths } = await writerUploads({ production: false, backup: { repository: S3, encrypted: true } }, KEYS);
        const file = uploads.find((u) => u.file === OWN);
        expect(file?.permissions).toBe("0600");
        expect(secretPaths).toContain(OWN);
        expect(file?.content).toContain("repo1-s3-key=AKIAEXAMPLEKEY\n");
        expect(file?.content).toContain("repo1-s3-key-secret=wJalrEXAMPLESECRET\n");
        expect(file?.content).toMatch(/repo1-cipher-pass=\S+/);
        expect(cipherPasses(run.resources).map((r) => r.inputs)).toEqual([{ length: 64, special: false }]);
    });

    it("production encrypts by default", async () => {
        const { run, uploads } = await writerUploads({ production: true, backup: { repository: S3 } }, KEYS);
        expect(uploads.find((u) => u.file === OWN)?.content).toMatch(/repo1-cipher-pass=/);
        expect(cipherPasses(run.resources)).toHaveLength(1);
    });
});
