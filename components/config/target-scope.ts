/**
 * Settings that mean nothing on the stack's target are refused there, not ignored: a stack that
 * sets `network.bindAddress` on Kubernetes, `docker` on AWS or `kubernetes` on Docker believes
 * something the deployment will not do. Judged on the stack's own keys (before the schema's
 * defaults; an empty mapping, as Pulumi.yaml's declared defaults give every stack, is unset). The managed targets' own refusals (image, postgres.memory/cpus,
 * postgres.hba, pooler/exporter switches) stay with them (components/managed/spec.ts).
 */
import { PROJECT } from "../platform/constants";

type Target = "docker" | "kubernetes" | "aws" | "gcp";

/** A key path, the targets it means something on, and what to do instead elsewhere. */
interface Scope {
    readonly path: readonly string[];
    readonly targets: readonly Target[];
    readonly instead: Readonly<Partial<Record<Target, string>>>;
}

const SCOPES: readonly Scope[] = [
    {
        path: ["network"],
        targets: ["docker"],
        instead: {
            kubernetes: "Services are ClusterIP inside the cluster; reach them with kubectl port-forward or from pods",
            aws: "RDS's address and port come from the provider; admit clients with aws.allowedCidrs / aws.allowedSecurityGroupIds",
            gcp: "Cloud SQL's address comes from the provider; admit clients with gcp.authorizedNetworks or the VPC",
        },
    },
    {
        path: ["backup", "restore"],
        targets: ["docker", "kubernetes"],
        instead: {
            aws: "restore an RDS instance with its point-in-time recovery (restoreToPointInTime) outside this stack",
            gcp: "restore a Cloud SQL instance with its point-in-time recovery (clone) outside this stack",
        },
    },
    { path: ["docker"], targets: ["docker"], instead: {} },
    { path: ["kubernetes"], targets: ["kubernetes"], instead: {} },
    { path: ["aws"], targets: ["aws"], instead: {} },
    { path: ["gcp"], targets: ["gcp"], instead: {} },
    {
        path: ["pooler", "transaction"],
        targets: ["docker", "kubernetes"],
        instead: { aws: "tune RDS Proxy with aws.proxy", gcp: "Cloud SQL has no pool the platform deploys" },
    },
    {
        path: ["pooler", "session"],
        targets: ["docker", "kubernetes"],
        instead: { aws: "RDS Proxy has one pool; tune it with aws.proxy", gcp: "Cloud SQL has no pool the platform deploys" },
    },
];

/**
 * Whether the stack sets `path`: present and not an empty mapping (Pulumi.yaml declares the
 * object keys with `default: {}`, so every stack carries those).
 */
function has(raw: unknown, path: readonly string[]): boolean {
    let node: unknown = raw;
    for (const key of path) {
        if (node === null || typeof node !== "object" || !Object.prototype.hasOwnProperty.call(node, key)) return false;
        node = (node as Record<string, unknown>)[key];
    }
    const emptyMapping = typeof node === "object" && node !== null && !Array.isArray(node) && Object.keys(node).length === 0;
    return node !== undefined && !emptyMapping;
}

/** One ConfigError line per key the stack sets that its target ignores. */
export function targetScopeProblems(raw: Readonly<Record<string, unknown>>): string[] {
    const target = (typeof raw.target === "string" ? raw.target : "docker") as Target;
    if (!["docker", "kubernetes", "aws", "gcp"].includes(target)) return [];
    return SCOPES.filter((scope) => !scope.targets.includes(target) && has(raw, scope.path)).map((scope) => {
        const key = scope.path.join(".");
        const instead = scope.instead[target];
        return `${PROJECT}:${key}: means nothing on the ${target} target (it applies to ${scope.targets.join(" and ")} only)${instead ? `: ${instead}` : ""}; remove it`;
    });
}
