import { createHash } from "node:crypto";

/** What the mocked provider adds to a resource's inputs, as the real provider would. */
type StateFn = (name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

function fakeHex(seed: string, length = 64): string {
    return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/**
 * Computed outputs of the provider resources the platform creates, so components can
 * build URLs and references from them under mocks. Values are deterministic per name.
 */
const COMPUTED: Readonly<Record<string, StateFn>> = {
    "random:index/randomPassword:RandomPassword": (name) => ({ result: `pw-${fakeHex(name, 24)}` }),
    "random:index/randomId:RandomId": (name) => ({ hex: fakeHex(name, 8) }),
    "docker-build:index:Image": (name, inputs) => ({
        digest: `sha256:${fakeHex(name)}`,
        ref: `${String((inputs.tags as string[] | undefined)?.[0] ?? name).split(":")[0]}@sha256:${fakeHex(name)}`,
    }),
    "docker:index/remoteImage:RemoteImage": (name, inputs) => ({ repoDigest: String(inputs.name), imageId: `sha256:${fakeHex(name)}` }),
    "docker:index/network:Network": (name) => ({ id: `net-${fakeHex(name, 12)}` }),
    // PEM-shaped fakes, distinct per resource so a test can tell which key or certificate went where.
    "tls:index/privateKey:PrivateKey": (name) => ({
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\nkey-${fakeHex(name, 32)}\n-----END PRIVATE KEY-----\n`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\npub-${fakeHex(name, 32)}\n-----END PUBLIC KEY-----\n`,
    }),
    "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ certPem: `-----BEGIN CERTIFICATE-----\nca-${fakeHex(name, 32)}\n-----END CERTIFICATE-----\n` }),
    "tls:index/certRequest:CertRequest": (name) => ({
        certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\ncsr-${fakeHex(name, 32)}\n-----END CERTIFICATE REQUEST-----\n`,
    }),
    "tls:index/locallySignedCert:LocallySignedCert": (name) => ({
        certPem: `-----BEGIN CERTIFICATE-----\ncert-${fakeHex(name, 32)}\n-----END CERTIFICATE-----\n`,
    }),
    "aws:rds/instance:Instance": (name, inputs) => ({
        identifier: inputs.identifier ?? name,
        address: `${name}.abc123.eu-west-1.rds.amazonaws.com`,
        endpoint: `${name}.abc123.eu-west-1.rds.amazonaws.com:5432`,
        port: 5432,
        arn: `arn:aws:rds:eu-west-1:123456789012:db:${name}`,
        masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!${name}`, secretStatus: "active", kmsKeyId: "" }],
    }),
    "aws:rds/parameterGroup:ParameterGroup": (name, inputs) => ({ name: inputs.name ?? `${String(inputs.namePrefix ?? name)}${fakeHex(name, 8)}` }),
    "aws:rds/subnetGroup:SubnetGroup": (name, inputs) => ({ name: inputs.name ?? `${String(inputs.namePrefix ?? name)}${fakeHex(name, 8)}` }),
    "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup": () => ({ name: "default" }),
    "aws:rds/proxy:Proxy": (name, inputs) => ({
        name: inputs.name ?? name,
        endpoint: `${name}.proxy-abc123.eu-west-1.rds.amazonaws.com`,
        arn: `arn:aws:rds:eu-west-1:123456789012:db-proxy:${name}`,
    }),
    "aws:rds/proxyEndpoint:ProxyEndpoint": (name) => ({ endpoint: `${name}.endpoint.proxy-abc123.eu-west-1.rds.amazonaws.com` }),
    "aws:ec2/securityGroup:SecurityGroup": (name) => ({ id: `sg-${fakeHex(name, 17)}`, arn: `arn:aws:ec2:eu-west-1:123456789012:security-group/${name}` }),
    "aws:iam/role:Role": (name) => ({ arn: `arn:aws:iam::123456789012:role/${name}` }),
    "aws:secretsmanager/secret:Secret": (name) => ({ arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}` }),
    "gcp:sql/databaseInstance:DatabaseInstance": (name, inputs) => ({
        name: inputs.name ?? name,
        privateIpAddress: "10.20.0.5",
        connectionName: `project:region:${name}`,
        selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/project/instances/${name}`,
    }),
};

/** Results of the provider functions (invokes) the platform calls, by token. */
const CALLS: Readonly<Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>> = {
    // The secret RDS manages for the master user: JSON with username and password.
    "aws:secretsmanager/getSecretVersion:getSecretVersion": (inputs) => ({
        arn: inputs.secretId,
        secretString: JSON.stringify({ username: "platform_admin", password: `pw-${fakeHex(String(inputs.secretId), 24)}` }),
    }),
};

/** What the mock returns for a provider function call: its inputs plus the known results. */
export function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    return { ...inputs, ...(CALLS[token]?.(inputs) ?? {}) };
}

/** The state the mock returns for a new resource: its inputs plus the computed outputs. */
export function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    return { ...inputs, ...(COMPUTED[type]?.(name, inputs) ?? {}) };
}
