import type { EnforcementLevel } from "@pulumi/policy";

/** The pack's name, as `pulumi preview --policy-pack` reports it. */
export const PACK_NAME = "pg-platform-guardrails";

/** The level of a rule that neither its own definition nor the stack's policy config sets. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";
