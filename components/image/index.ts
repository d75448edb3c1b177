export { PostgresImage, IMAGE_CONTEXT_DIR, IMAGE_CONTEXT_LOCATION, type PostgresImageArgs } from "./postgres-image";
export { resolveImage, digestReference, LOCAL_REPOSITORY, type ImageSource, type ImageBuildPlan, type ImagePlatform } from "./plan";
export * from "./extensions";
export {
    AUTO_CONFIG_ENV,
    AUTO_TUNED_PARAMETERS,
    ENTRYPOINT_PATH,
    HEALTHCHECK_PATH,
    REPLICA_BOOTSTRAP_ENV,
    REPLICA_BOOTSTRAP_PATH,
    healthcheckArgs,
    type HealthRole,
} from "./runtime";
