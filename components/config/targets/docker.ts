import { z } from "zod";
import { DOCKER_NAME, RESERVED_DOCKER_NETWORKS } from "../../platform/limits";

/** Settings of the `docker` target (`pg-platform:docker`). */
export const dockerSettings = z.strictObject({
    /** Name of the private network the services share. Default: `<stack>-pg`. */
    networkName: z
        .string()
        .regex(DOCKER_NAME, { message: "must be a Docker name: a letter or digit, then letters, digits, _, . or - (no / or spaces)" })
        .refine((name) => !RESERVED_DOCKER_NETWORKS.includes(name), {
            message: `names one of the engine's predefined networks (${RESERVED_DOCKER_NETWORKS.join(", ")}); "host" would put every container on the host's network`,
        })
        .optional(),
    /** Docker restart policy of every container. Default: `unless-stopped`. */
    restartPolicy: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
});

/** Parsed `docker` settings. */
export type DockerSettings = z.output<typeof dockerSettings>;
