import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unwrapSecrets } from "../../cli/offline/secrets";

/**
 * What the `tls` provider computes, for real: keys and certificates made with openssl from the
 * same inputs the program gives the provider (algorithm, subject, names, CA flag, signer). A
 * test that starts the Docker target's containers needs working certificates, and the tls
 * provider plugin cannot be built on these machines (its module is not served), so the
 * program runs under mocks with these values standing in for the plugin's.
 */

interface Subject {
    readonly commonName?: string;
    readonly organization?: string;
}

function withTemp<T>(work: (dir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-tls-"));
    try {
        return work(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function openssl(args: readonly string[], dir: string): string {
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function subjectArg(subject: Subject | undefined): string {
    const parts = [subject?.organization ? `/O=${subject.organization}` : "", subject?.commonName ? `/CN=${subject.commonName}` : ""].join("");
    return parts === "" ? "/" : parts;
}

function privateKey(inputs: Record<string, unknown>): Record<string, unknown> {
    return withTemp((dir) => {
        const algorithm = String(inputs.algorithm ?? "RSA");
        const keyArgs =
            algorithm === "ECDSA"
                ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${String(inputs.ecdsaCurve ?? "P256").replace("P", "P-")}`]
                : ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${Number(inputs.rsaBits ?? 2048)}`];
        openssl(["genpkey", ...keyArgs, "-out", "key.pem"], dir);
        return { privateKeyPem: fs.readFileSync(path.join(dir, "key.pem"), "utf8"), publicKeyPem: openssl(["pkey", "-in", "key.pem", "-pubout"], dir) };
    });
}

/** The X.509 v3 extensions the provider sets from `allowedUses`, `isCaCertificate` and the names. */
function extensions(inputs: Record<string, unknown>, names: { dns: readonly string[]; ip: readonly string[] }): string {
    const uses = (inputs.allowedUses as string[] | undefined) ?? [];
    const keyUsage = uses
        .filter((use) => ["digital_signature", "key_encipherment", "cert_signing", "crl_signing"].includes(use))
        .map(
            (use) => ({ digital_signature: "digitalSignature", key_encipherment: "keyEncipherment", cert_signing: "keyCertSign", crl_signing: "cRLSign" })[use],
        );
    const extended = uses.filter((use) => ["server_auth", "client_auth"].includes(use)).map((use) => (use === "server_auth" ? "serverAuth" : "clientAuth"));
    const lines = [`basicConstraints = critical, CA:${inputs.isCaCertificate ? "TRUE" : "FALSE"}`, "subjectKeyIdentifier = hash"];
    if (keyUsage.length > 0) lines.push(`keyUsage = critical, ${keyUsage.join(", ")}`);
    if (extended.length > 0) lines.push(`extendedKeyUsage = ${extended.join(", ")}`);
    const alt = [...names.dns.map((name) => `DNS:${name}`), ...names.ip.map((ip) => `IP:${ip}`)];
    if (alt.length > 0) lines.push(`subjectAltName = ${alt.join(", ")}`);
    return `${lines.join("\n")}\n`;
}

function days(inputs: Record<string, unknown>): string {
    return String(Math.max(1, Math.ceil(Number(inputs.validityPeriodHours ?? 24) / 24)));
}

/** An openssl config for `req`: an empty DN section (the subject comes from -subj) and the extensions. */
function requestConfig(extensionLines: string): string {
    return `[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n[dn]\n[v3]\n${extensionLines}`;
}

function selfSigned(inputs: Record<string, unknown>): Record<string, unknown> {
    return withTemp((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), String(inputs.privateKeyPem));
        fs.writeFileSync(
            path.join(dir, "req.cnf"),
            requestConfig(extensions(inputs, { dns: (inputs.dnsNames as string[]) ?? [], ip: (inputs.ipAddresses as string[]) ?? [] })),
        );
        const certPem = openssl(
            ["req", "-new", "-x509", "-key", "key.pem", "-subj", subjectArg(inputs.subject as Subject), "-days", days(inputs), "-config", "req.cnf"],
            dir,
        );
        return { certPem };
    });
}

/** The CSR carries the names; the provider copies them into the certificate it signs. */
const requests = new Map<string, { dns: string[]; ip: string[] }>();

function certRequest(inputs: Record<string, unknown>): Record<string, unknown> {
    return withTemp((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), String(inputs.privateKeyPem));
        fs.writeFileSync(path.join(dir, "req.cnf"), requestConfig(""));
        const certRequestPem = openssl(["req", "-new", "-key", "key.pem", "-subj", subjectArg(inputs.subject as Subject), "-config", "req.cnf"], dir);
        requests.set(certRequestPem, { dns: (inputs.dnsNames as string[]) ?? [], ip: (inputs.ipAddresses as string[]) ?? [] });
        return { certRequestPem };
    });
}

function locallySigned(inputs: Record<string, unknown>): Record<string, unknown> {
    return withTemp((dir) => {
        const csr = String(inputs.certRequestPem);
        const names = requests.get(csr) ?? { dns: [], ip: [] };
        fs.writeFileSync(path.join(dir, "req.pem"), csr);
        fs.writeFileSync(path.join(dir, "ca.pem"), String(inputs.caCertPem));
        fs.writeFileSync(path.join(dir, "ca-key.pem"), String(inputs.caPrivateKeyPem));
        fs.writeFileSync(path.join(dir, "ext.cnf"), extensions(inputs, names));
        const certPem = openssl(
            ["x509", "-req", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", days(inputs), "-extfile", "ext.cnf"],
            dir,
        );
        return { certPem };
    });
}

const REAL: Readonly<Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>> = {
    "tls:index/privateKey:PrivateKey": privateKey,
    "tls:index/selfSignedCert:SelfSignedCert": selfSigned,
    "tls:index/certRequest:CertRequest": certRequest,
    "tls:index/locallySignedCert:LocallySignedCert": locallySigned,
};

/** What was made per resource and inputs: a second run of the program keeps them, as Pulumi's state does. */
const made = new Map<string, Record<string, unknown>>();

/**
 * For `runUnderMocks({ computed })`: real keys and certificates for the tls resources, nothing
 * for others. A resource with the same name and inputs as in an earlier run of this process gets
 * the same values, as an unchanged resource keeps its state in an update.
 */
export function realTlsState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    const make = REAL[type];
    if (!make) return undefined;
    // Keys arrive as secrets in the wire format; the provider sees their plain values.
    const plain = unwrapSecrets(inputs) as Record<string, unknown>;
    const key = `${type}\0${name}\0${JSON.stringify(plain)}`;
    const state = made.get(key) ?? make(plain);
    made.set(key, state);
    return state;
}
