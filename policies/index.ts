import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME } from "./pack";
import { rules } from "./rules";

// Constructed only here: `pulumi preview --policy-pack policies` loads this file.
new PolicyPack(PACK_NAME, { enforcementLevel: PACK_ENFORCEMENT_LEVEL, policies: rules });
