import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { boundedReplicationSlots } from "./bounded-replication-slots";
import { encryptedAndProtected } from "./encrypted-and-protected";
import { knownAtPreview } from "./known-at-preview";
import { localhostBinding } from "./localhost-binding";
import { pinnedImages } from "./pinned-images";
import { scramOnlyAuth } from "./scram-only-auth";
import { selfHostedBackups } from "./self-hosted-backups";
import { tlsRequired } from "./tls-required";

/**
 * Every rule of the pack. The pack (`../index.ts`), the offline `check` command and the
 * tests all read this list; nothing else constructs or lists rules.
 */
export const rules: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    scramOnlyAuth,
    localhostBinding,
    pinnedImages,
    tlsRequired,
    encryptedAndProtected,
    boundedReplicationSlots,
    knownAtPreview,
    selfHostedBackups,
];
