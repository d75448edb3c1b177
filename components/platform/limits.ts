/**
 * Limits the programs under the platform enforce (the image's auto-tuning, Docker, Kubernetes,
 * the registries' reference grammar), named once so the config layer refuses a value with the
 * limit that would refuse it later, and says which.
 */

/** The image's auto-tuning takes POSTGRES_MEMORY as whole MB from 1 to this (1 TiB); more is fatal at start. */
export const MAX_MEMORY_MB = 1048576;

/** Docker refuses `--cpus` below this. */
export const DOCKER_MIN_CPUS = 0.01;

/** Kubernetes resolves CPU quantities to millicores: a finer value cannot be expressed. */
export const CPU_RESOLUTION = 0.001;

/** Networks every Docker engine predefines; a stack's network may not be named like one (`host` would mean host networking). */
export const RESERVED_DOCKER_NETWORKS: readonly string[] = ["bridge", "host", "none"];

/** Docker's name grammar (networks, containers, volumes): a letter or digit, then letters, digits, `_`, `.` or `-`. */
export const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A DNS-1123 label (namespaces, Secret names used as labels): at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Longest DNS-1123 label. */
export const DNS_LABEL_MAX = 63;

/** A DNS-1123 subdomain (StorageClass names): labels joined by dots, at most 253 characters. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Longest DNS-1123 subdomain. */
export const DNS_SUBDOMAIN_MAX = 253;

/** The largest volume size Kubernetes and CSI drivers carry: an int64 count of bytes. */
export const MAX_VOLUME_BYTES = 2n ** 63n - 1n;

/** Binary suffixes of Kubernetes quantities the platform accepts for volumes, in bytes. */
export const QUANTITY_BYTES: Readonly<Record<string, bigint>> = { Mi: 2n ** 20n, Gi: 2n ** 30n, Ti: 2n ** 40n };

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

/** A repository name as registries and Docker parse it (distribution/reference): `[host[:port]/]path`. */
export const REPOSITORY_NAME = new RegExp(`^${NAME}$`);

/** An image reference: a repository with an optional `:tag` (at most 128 characters) and `@sha256:` digest. */
export const IMAGE_REFERENCE = new RegExp(`^${NAME}(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`);

/** Longest repository name Docker accepts. */
export const REPOSITORY_NAME_MAX = 255;
