import { describe, expect, it } from "vitest";
import { parseSpec } from "../../components/config";
import { renderPgbackrestConf } from "../../components/render/pgbackrest";
import { CONTAINER_LAYOUT } from "../../components/render/layout";
import { postgresCommand } from "../../components/self-hosted/server";
import { deploy as kubernetesDeploy } from "../../components/targets/kubernetes";
import { PINNED, containerWithFiles, deployed, messages } from "./gate";

const RULE = "self-hosted-backups";
const PROD = { [RULE]: "mandatory" } as const;

/** A Docker writer as the target ships it, for a stack config. */
function writer(raw: Record<string, unknown>, extraFiles: Record<string, string> = {}) {
    const spec = parseSpec({ production: true, ...raw });
    const files: Record<string, string> = { "postgresql.conf": "listen_addresses = '*'\n", ...extraFiles };
    if (spec.backup.enabled) files["pgbackrest.conf"] = renderPgbackrestConf(spec, CONTAINER_LAYOUT);
    return containerWithFiles("prod-primary", files, { command: postgresCommand(spec, "writer") });
}

const S3 = { type: "s3", bucket: "pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" };

describe("self-hosted-backups on Docker writers", () => {
    it("passes a writer archiving through pgBackRest into S3, and a replica (its writer archives)", async () => {
        expect(await messages(RULE, writer({ backup: { repository: S3 } }), PROD)).toEqual([]);
        const replica = containerWithFiles("prod-replica-1", { "postgresql.conf": "primary_conninfo = 'host=primary'\n" }, { command: ["postgres"] });
        expect(await messages(RULE, replica, PROD)).toEqual([]);
    });

    it("refuses a production writer with backups off", async () => {
        expect(await messages(RULE, writer({ backup: { enabled: false } }), PROD)).toEqual([
            "prod-primary archives no WAL through pgBackRest and takes no backups: backups are off; set pg-platform:backup.enabled: true with an off-host repository",
        ]);
    });

    it("refuses a production writer whose repository is only a volume of its host", async () => {
        expect(await messages(RULE, writer({}), PROD)).toEqual([
            "prod-primary keeps its pgBackRest repository only on a volume of its own host: a lost host loses the data and the backups; set pg-platform:backup.repository to { type: s3, … }",
        ]);
    });

    it("refuses a production writer whose repository is not encrypted, off the host or not", async () => {
        const unencrypted =
            "prod-primary keeps its pgBackRest repository unencrypted: whoever reads the bucket reads the database; set pg-platform:backup.encrypted: true (the production default)";
        expect(await messages(RULE, writer({ backup: { repository: S3, encrypted: false } }), PROD)).toEqual([unencrypted]);
        const both = await messages(RULE, writer({ backup: { encrypted: false } }), PROD);
        expect(both).toHaveLength(2);
        expect(both).toContain(unencrypted);
    });
});

describe("self-hosted-backups on Kubernetes writers (the target's own objects, under mocks)", () => {
    const KUBERNETES = {
        target: "kubernetes",
        production: true,
        topology: "primary",
        replicas: 1,
        image: { prebuilt: PINNED.postgres },
        kubernetes: { namespace: "pg" },
    } as const;
    // An S3 repository's keys are secret config keys, as `pulumi config set --secret` gives them.
    const S3_KEYS = { "pg-platform:backupS3AccessKeyId": "AKIAEXAMPLE", "pg-platform:backupS3SecretAccessKey": "example-secret" };
    const findings = async (backup: Record<string, unknown>) =>
        messages(RULE, await deployed(kubernetesDeploy, { ...KUBERNETES, backup }, "prod", S3_KEYS), PROD);

    it("passes a writer archiving into an encrypted S3 repository; the replica's and the pools' files are not a writer's", async () => {
        expect(await findings({ repository: S3 })).toEqual([]);
    });

    it("refuses a production writer with backups off, or with its repository on a volume of its own node", async () => {
        expect(await findings({ enabled: false })).toEqual([
            "pg-primary-config archives no WAL through pgBackRest and takes no backups: backups are off; set pg-platform:backup.enabled: true with an off-host repository",
        ]);
        expect(await findings({})).toEqual([
            "pg-primary-config keeps its pgBackRest repository only on a volume of its own host: a lost host loses the data and the backups; set pg-platform:backup.repository to { type: s3, … }",
        ]);
    });

    it("refuses a production writer whose S3 repository is not encrypted", async () => {
        expect(await findings({ repository: S3, encrypted: false })).toEqual([
            "pg-primary-config keeps its pgBackRest repository unencrypted: whoever reads the bucket reads the database; set pg-platform:backup.encrypted: true (the production default)",
        ]);
    });
});
