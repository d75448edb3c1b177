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
        resource("kubernetes:apps/v1:StatefulSet", "primary", {
            spec: { template: { spec: { containers: [{ name: "postgres", image: PINNED.postgres }], ...podSpec } } },
        });
    const withPorts = (ports: Record<string, unknown>[]) => statefulSet({ containers: [{ name: "postgres", image: PINNED.postgres, ports }] });

    it("passes container ports without hostPort, and a hostPort bound to node loopback", async () => {
        expect(await messages(RULE, withPorts([{ containerPort: 5432 }]))).toEqual([]);
        expect(await messages(RULE, withPorts([{ containerPort: 5432, hostPort: 5432, hostIP: "127.0.0.1" }]))).toEqual([]);
    });

    it("rejects hostNetwork, and a hostPort on every node address or a public one", async () => {
        expect(await messages(RULE, statefulSet({ hostNetwork: true }))).toEqual([
            `primary runs its pods with hostNetwork, which exposes every port they listen on to the node's interfaces; remove hostNetwork${EXCEPTION("primary")}`,
        ]);
        expect(
            await messages(
                RULE,
                withPorts([
                    { containerPort: 5432, hostPort: 5432 },
                    { containerPort: 9187, hostPort: 9187, hostIP: "0.0.0.0" },
                ]),
            ),
        ).toEqual([
            `container postgres port 5432 has hostPort 5432 on every node address; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("primary")}`,
            `container postgres port 9187 has hostPort 9187 on 0.0.0.0; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("primary")}`,
        ]);
    });

    it("reads a CronJob's pod template and init containers too", async () => {
        const cronJob = resource("kubernetes:batch/v1:CronJob", "backup", {
            spec: {
                jobTemplate: {
                    spec: {
                        template: {
                            spec: { containers: [], initContainers: [{ name: "wait", image: PINNED.postgres, ports: [{ containerPort: 1, hostPort: 1 }] }] },
                        },
                    },
                },
            },
        });
        expect(await messages(RULE, cronJob)).toEqual([
            `container wait port 1 has hostPort 1 on every node address; remove hostPort and reach it through a ClusterIP Service${EXCEPTION("backup")}`,
        ]);
    });
});

describe("localhost-binding on RDS", () => {
    const instance = (publiclyAccessible?: boolean) =>
        resource("aws:rds/instance:Instance", "prod-primary", { engine: "postgres", instanceClass: "db.r6g.large", publiclyAccessible });

    it("passes a private instance and rejects a publicly accessible one", async () => {
        expect(await messages(RULE, [instance(false), instance(undefined)])).toEqual([]);
        expect(await messages(RULE, instance(true))).toEqual([
            `publiclyAccessible is true; RDS instances stay private (publiclyAccessible: false)${EXCEPTION("prod-primary")}`,
        ]);
    });
});

describe("localhost-binding on Cloud SQL", () => {
    const instance = (ipConfiguration: Record<string, unknown>) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", {
            databaseVersion: "POSTGRES_17",
            settings: { tier: "db-custom-2-7680", ipConfiguration },
        });

    it("passes private IP only, or public IPv4 limited to known networks", async () => {
        expect(await messages(RULE, instance({ ipv4Enabled: false, privateNetwork: "projects/p/global/networks/vpc" }))).toEqual([]);
        expect(await messages(RULE, instance({ ipv4Enabled: true, authorizedNetworks: [{ value: "198.51.100.0/24" }] }))).toEqual([]);
    });

    it("rejects public IPv4 open to 0.0.0.0/0, also when ipv4Enabled is left to its default (on)", async () => {
        const expected = [
            `public IPv4 admits 0.0.0.0/0, every public IPv4 address; set ipv4Enabled: false, or authorize only known networks${EXCEPTION("gcp-primary")}`,
        ];
        expect(await messages(RULE, instance({ ipv4Enabled: true, authorizedNetworks: [{ name: "anyone", value: "0.0.0.0/0" }] }))).toEqual(expected);
        expect(await messages(RULE, instance({ authorizedNetworks: [{ value: "0.0.0.0/0" }] }))).toEqual(expected);
    });
});

describe("localhost-binding judges address ranges as ranges", () => {
    const cloudSql = (values: string[]) =>
        resource("gcp:sql/databaseInstance:DatabaseInstance", "gcp-primary", {
            settings: { tier: "db-custom-2-7680", ipConfiguration: { authorizedNetworks: values.map((value) => ({ value })) } },
        });

    it("refuses the whole space by pieces, IPv4 and IPv6 (also IPv4 written as mapped IPv6)", async () => {
        for (const pieces of [
            ["0.0.0.0/1", "128.0.0.0/1"],
            ["::/1", "8000::/1"],
            ["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],
        ]) {
            expect(await messages(RULE, cloudSql(pieces))).toEqual([expect.stringMatching(/every public IPv[46] address/)]);
        }
    });

    it("refuses public space beyond allowedPublicRanges, and passes private, documentation and allowed ranges", async () => {
        expect(await messages(RULE, cloudSql(["11.0.0.0/8"]))).toEqual([
            expect.stringContaining("includes public addresses 11.0.0.0/8 not in localhost-binding.allowedPublicRanges"),
        ]);
        expect(await messages(RULE, cloudSql(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8", "198.51.100.0/24"]))).toEqual([]);
        const config = { [RULE]: { allowedPublicRanges: ["203.0.113.0/24", "8.8.0.0/16"] } };
        expect(await messages(RULE, cloudSql(["8.8.8.0/24"]), config)).toEqual([]);
        expect(await messages(RULE, cloudSql(["8.8.0.0/15"]), config)).toEqual([expect.stringContaining("public addresses 8.9.0.0/16 not in")]);
    });

    it("refuses what is no range at all", async () => {
        expect(await messages(RULE, cloudSql(["127.1", "10.0.0.0/33"]))).toEqual([
            expect.stringContaining('lists "127.1", which is not an address range'),
            expect.stringContaining('lists "10.0.0.0/33", which is not an address range'),
        ]);
    });

    it("judges security group sources (each rule, and inline ingress as a union)", async () => {
        const ingress = (props: Record<string, unknown>) => resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "prod-in-x", props);
        expect(await messages(RULE, [ingress({ cidrIpv4: "10.0.0.0/16" }), ingress({ cidrIpv6: "fd00::/64" })])).toEqual([]);
        expect(await messages(RULE, ingress({ cidrIpv4: "0.0.0.0/1" }))).toEqual([expect.stringContaining("includes public addresses")]);
        const group = resource("aws:ec2/securityGroup:SecurityGroup", "prod-sg", { ingress: [{ cidrBlocks: ["0.0.0.0/1"] }, { cidrBlocks: ["128.0.0.0/1"] }] });
        expect(await messages(RULE, group)).toEqual([expect.stringContaining("every public IPv4 address")]);
        const rule = resource("aws:ec2/securityGroupRule:SecurityGroupRule", "prod-rule", { type: "egress", cidrBlocks: ["0.0.0.0/0"] });
        expect(await messages(RULE, rule)).toEqual([]);
    });

    it("judges NetworkPolicy ipBlocks minus their except", async () => {
        const policy = (ipBlock: Record<string, unknown>) =>
            resource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "k8s-np", { spec: { ingress: [{ from: [{ ipBlock }] }] } });
        expect(await messages(RULE, policy({ cidr: "10.0.0.0/8" }))).toEqual([]);
        expect(await messages(RULE, policy({ cidr: "0.0.0.0/0" }))).toEqual([expect.stringContaining("every public IPv4 address")]);
        // Everything public is cut out again by except: what is left is private.
        expect(await messages(RULE, policy({ cidr: "10.0.0.0/7", except: ["11.0.0.0/8"] }))).toEqual([]);
    });

    it("counts every loopback spelling as loopback for published ports", async () => {
        const ports = ["127.0.0.2", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1", "localhost"].map((ip, i) => ({ internal: 5432, external: 6000 + i, ip }));
        expect(await messages(RULE, container("dev-primary", { ports }))).toEqual([]);
        expect(await messages(RULE, container("dev-primary", { ports: [{ internal: 5432, external: 5433, ip: "::" }] }))).toEqual([
            `container port 5432 (host 5433) is published on ::; bind 127.0.0.1 or ::1${EXCEPTION("dev-primary")}`,
        ]);
    });
});
