// What a validated spec runs, asked of one place so every target and renderer agrees.
import type { PlatformSpec } from "./schema";

/** Whether the stack runs connection pools (primary topology with `pooler.enabled`). */
export const hasPooler = (spec: PlatformSpec): boolean => spec.topology === "primary" && spec.pooler.enabled;

/** Whether the stack runs postgres_exporter (primary topology with `exporter.enabled`). */
export const hasExporter = (spec: PlatformSpec): boolean => spec.topology === "primary" && spec.exporter.enabled;
