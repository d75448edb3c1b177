/**
 * A stack CA and CA-signed certificates made with openssl as the self-hosted targets make
 * them (ECDSA P-256; the names the Docker target gives each service), installed at a layout's
 * rendered paths with the targets' modes, for tests that run real servers with TLS.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { dockerCertificateNames } from "../../components/targets/docker/certificates";
import type { TlsServiceName } from "../../components/self-hosted/tls/certificates";
import type { TlsPaths } from "../../components/render";
import { run, scratchDir, writeServiceFile } from "../../cli/local/processes";
import { testSpec } from "../../cli/local/stack";

/** A CA: its certificate and key files. */
export interface TestCa {
    readonly cert: string;
    readonly key: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function openssl(dir: string, args: string[]): Promise<void> {
    const result = await run("openssl", args, { unprivileged: false, cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A self-signed CA (CA:TRUE, signing only), valid one day. */
export async function makeCa(name: string): Promise<TestCa> {
    const dir = scratchDir(`ca-${name}`);
    const cert = path.join(dir, `${name}.crt`);
    const key = path.join(dir, `${name}.key`);
    await openssl(dir, [
        "req",
        "-x509",
        ...EC_KEY,
        "-days",
        "1",
        "-subj",
        `/O=pg-platform/CN=${name}`,
        "-keyout",
        key,
        "-out",
        cert,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
    return { cert, key };
}

/** The names a server certificate is for. */
export interface CertificateNames {
    readonly commonName: string;
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
}

/** A server certificate (ECDSA P-256, serverAuth) for `names`, signed by `ca`, valid one day: its PEM and its key's. */
export async function signCertificate(ca: TestCa, names: CertificateNames, label: string): Promise<{ readonly cert: string; readonly key: string }> {
    const dir = scratchDir(`cert-${label}`);
    const base = path.join(dir, label);
    const san = [...names.dnsNames.map((n) => `DNS:${n}`), ...names.ipAddresses.map((ip) => `IP:${ip}`)].join(",");
    fs.writeFileSync(`${base}.ext`, `subjectAltName=${san}\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
    await openssl(dir, ["req", "-new", ...EC_KEY, "-subj", `/O=pg-platform/CN=${names.commonName}`, "-keyout", `${base}.key`, "-out", `${base}.csr`]);
    await openssl(dir, [
        "x509",
        "-req",
        "-in",
        `${base}.csr`,
        "-CA",
        ca.cert,
        "-CAkey",
        ca.key,
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        `${base}.ext`,
        "-out",
        `${base}.crt`,
    ]);
    return { cert: fs.readFileSync(`${base}.crt`, "utf8"), key: fs.readFileSync(`${base}.key`, "utf8") };
}

/**
 * A certificate for `service`, signed by `ca`, for the names the Docker target gives it
 * (127.0.0.1 and localhost among them), installed at `files` with the CA certificate
 * (`verifyWith`, default `ca`): certificate and CA 0644, key 0600, owned by the service user.
 */
export async function installCertificate(ca: TestCa, service: TlsServiceName, files: TlsPaths, verifyWith: TestCa = ca): Promise<void> {
    const signed = await signCertificate(ca, dockerCertificateNames(testSpec(15), service, "test-pg"), service);
    fs.mkdirSync(path.dirname(files.cert), { recursive: true });
    writeServiceFile(files.cert, signed.cert, 0o644);
    writeServiceFile(files.ca, fs.readFileSync(verifyWith.cert, "utf8"), 0o644);
    writeServiceFile(files.key, signed.key, 0o600);
}
