export { PostgresImage, IMAGE_CONTEXT_DIR, IMAGE_CONTEXT_LOCATION, type PostgresImageArgs } from "./postgres-image";
export { resolveImage, digestReference, LOCAL_REPOSITORY, type ImageSource, type ImageBuildPlan, type ImagePlatform } from "./plan";
export {
    EXTENSION_PINS,
    POSTGRES_BASE_IMAGE,
    POSTGRES_IMAGE_MAJOR,
    POSTGRES_IMAGE_VERSION,
    buildArgs,
    builtExtensions,
    extensionManifest,
    type ExtensionPin,
    type ManifestEntry,
} from "./extensions";
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
