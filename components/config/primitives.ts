import { z } from "zod";
import { parseMemoryMb } from "./memory";

/** A PostgreSQL identifier the platform will quote nowhere: lower case, at most 63 bytes. */
export const identifier = z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
        message: "must be a lower-case identifier: a letter or _, then letters, digits or _ (at most 63)",
    })
    .refine((name) => !name.startsWith("pg_"), { message: "names starting with pg_ are reserved by PostgreSQL" });

/** A TCP port a service is published on. */
export const port = z.number().int().min(1).max(65535);

/** A memory size such as "512MB" or "2GiB", kept as text and checked to parse. */
export const memorySize = z.string().refine((text) => parseMemoryMb(text) !== undefined, {
    message: 'must be a memory size such as "512MB", "2GiB" or "1.5G" (units MB, MiB, GB, GiB, TB, TiB)',
});

/** An IPv4 or IPv6 CIDR block. */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], { message: "must be a CIDR block such as 10.0.0.0/16" });
