import { describe, expect, it } from "vitest";
import { PINNED, messages, resource } from "./gate";

const RULE = "localhost-binding";
const EXCEPTION = (name: string) => ` (or add "${name}" to localhost-binding.exceptions in the stack's policy config)`;

const container = (name: string, props: Record<string, unknown>) => resource("docker:index/container:Container", name, { image: PINNED.postgres, ...props });

describe("localhost-binding on Docker containers", () => {
    it("passes ports published on 127.0.0.1 and ::1", async () => {
        const ports = [
            { internal: 5432, external: 5433, ip: "127.0.0.1" },
            { internal: 5432, external: 5433, ip: "::1" },
        ];
        expect(await messages(RULE, container("dev-primary", { ports }))).toEqual([]);
    });

    it("rejects a port without ip (Docker binds 0.0.0.0) and one bound to 0.0.0.0", async () => {
        const ports = [
            { internal: 5432, external: 5433 },
            { internal: 6432, external: 6432, ip: "0.0.0.0" },
        ];
        expect(await messages(RULE, container("dev-primary", { ports }))).toEqual([
            `container port 5432 (host 5433) has no ip, so Docker publishes it on every interface (0.0.0.0); set ip to 127.0.0.1 or ::1${EXCEPTION("dev-primary")}`,
            `container port 6432 (host 6432) is published on 0.0.0.0; bind 127.0.0.1 or ::1${EXCEPTION("dev-primary")}`,
        ]);
    });

    it("rejects host networking", async () => {
        expect(await messages(RULE, container("dev-primary", { networkMode: "host" }))).toEqual([
            `container dev-primary uses host networking, which exposes every port it listens on to the host's interfaces${EXCEPTION("dev-primary")}`,
        ]);
    });

    it("lets a resource named in the config's exceptions through, and only that one", async () => {
        const open = { ports: [{ internal: 5432, external: 5433, ip: "0.0.0.0" }] };
        const config = { [RULE]: { exceptions: ["dev-primary"] } };
        expect(await messages(RULE, [container("dev-primary", open), container("dev-replica-1", open)], config)).toEqual([
            `container port 5432 (host 5433) is published on 0.0.0.0; bind 127.0.0.1 or ::1${EXCEPTION("dev-replica-1")}`,
        ]);
    });
});

describe("localhost-binding on Kubernetes Services", () => {
    const service = (spec: Record<string, unknown>) => resource("kubernetes:core/v1:Service", "db", { spec: { ports: [{ port: 5432 }], ...spec } });

    it("passes ClusterIP, written or left to the API default", async () => {
        expect(await messages(RULE, [service({ type: "ClusterIP" }), service({})])).toEqual([]);
    });

    it("rejects LoadBalancer / NodePort types and external IPs", async () => {
        expect(await messages(RULE, service({ type: "LoadBalancer" }))).toEqual([
            `Service type LoadBalancer exposes the database outside the cluster; use ClusterIP${EXCEPTION("db")}`,
        ]);
        expect(await messages(RULE, service({ type: "ClusterIP", externalIPs: ["203.0.113.10"] }))).toEqual([
            `Service externalIPs 203.0.113.10 expose the database on node addresses; remove them${EXCEPTION("db")}`,
        ]);
    });
});

describe("localhost-binding on Kubernetes pods", () => {
    const statefulSet = (podSpec: Record<string, unknown>) =>
        resource("kubernetes:apps/v1:StatefulSet", "primary", { spec: { template: { spec: { containers: [{ name: "postgres", image: PINNED.postgres }], ...podSpec } } } });
    const withPorts = (ports: Record<string, unknown>[]) => statefulSet({ containers: [{ name: "postgres", image: PINNED.postgres, ports }] });

    it("passes container ports without hostPort, and a hostPort bound to node loopback", async () => {
        expect(await messages(RULE, withPorts([{ containerPort: 5432 }]))).toEqual([]);
        expect(await messages(RULE, withPorts([{ containerPort: 5432, hostPort: 5432, hostIP: "127.0.0.1" }]))).toEqual([]);
    });

    it("rejects hostNetwork, and a hostPort on every node address or a public one", async () => {
        expect(await messages(RULE, statefulSet({ hostNetwork: true }))).toEqual([
            `primary runs its pods with hostNetwork, which exposes every port they listen on to the node's interfaces; remove hostNetwork${EXCEPTION("primary")}`,
        ]);
        expect(await messages(RULE, withPorts([{ containerPort: 5432, hostPort: 5432 }, { containerPort: 9187, hostPort: 9187, hostIP: "0.0.0.0" }]))).toEqual([
            `container postgres port 5432 has hostPort 5432 on every node address; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("primary")}`,
            `container postgres port 9187 has hostPort 9187 on 0.0.0.0; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("primary")}`,
        ]);
    });

    it("reads a CronJob's pod template and init containers too", async () => {
        const cronJob = resource("kubernetes:batch/v1:CronJob", "backup", {
            spec: { jobTemplate: { spec: { template: { spec: { containers: [], initContainers: [{ name: "wait", image: PINNED.postgres, ports: [{ containerPort: 1, hostPort: 1 }] }] } } } } },
        });
        expect(await messages(RULE, cronJob)).toEqual([
            `container wait port 1 has hostPort 1 on every node address; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("backup")}`,
        ]);
    });
});

describe("localhost-binding on RDS", () => {
    const instance = (publiclyAccessible?: boolean) => resource("aws:rds/instance:Instance", "prod-primary", { engine: "postgres", instanceClass: "db.r6g.large", publiclyAccessible });

    it("passes a private instance and rejects a publicly accessible one", async () => {
        expect(await messages(RULE, [instance(false), instance(undefined)])).toEqual([]);
        expect(await messages(RULE, instance(true))).toEqual([`publiclyAccessible is true; RDS instances stay private (publiclyAccessible: false)${EXCEPTION("prod-primary")}`]);
    });
});

describe("localhost-binding on Cloud SQL", () => {
    const instance = (ipConfiguration: Record<string, unknown>) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", { databaseVersion: "POSTGRES_17", settings: { tier: "db-custom-2-7680", ipConfiguration } });

    it("passes private IP only, or public IPv4 limited to known networks", async () => {
        expect(await messages(RULE, instance({ ipv4Enabled: false, privateNetwork: "projects/p/global/networks/vpc" }))).toEqual([]);
        expect(await messages(RULE, instance({ ipv4Enabled: true, authorizedNetworks: [{ value: "198.51.100.0/24" }] }))).toEqual([]);
    });

    it("rejects public IPv4 open to 0.0.0.0/0, also when ipv4Enabled is left to its default (on)", async () => {
        const expected = [`public IPv4 admits 0.0.0.0/0; set ipv4Enabled: false, or authorize only known networks${EXCEPTION("gcp-primary")}`];
        expect(await messages(RULE, instance({ ipv4Enabled: true, authorizedNetworks: [{ name: "anyone", value: "0.0.0.0/0" }] }))).toEqual(expected);
        expect(await messages(RULE, instance({ authorizedNetworks: [{ value: "0.0.0.0/0" }] }))).toEqual(expected);
    });
});
