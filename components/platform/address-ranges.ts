// One implementation, shipped inside the policy pack (which is published alone and may import
// nothing outside policies/); the configuration layer reads the very same code from here.
export * from "../../policies/shared/address-ranges";
