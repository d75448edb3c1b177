import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/**
 * Every rule of the pack. The pack (`../index.ts`), the offline `check` command and the
 * tests all read this list; nothing else constructs or lists rules.
 */
export const rules: (ResourceValidationPolicy | StackValidationPolicy)[] = [];
