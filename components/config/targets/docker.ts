import { z } from "zod";

/** Settings of the `docker` target (`pg-platform:docker`). */
export const dockerSettings = z.strictObject({
    /** Name of the private network the services share. Default: `<stack>-pg`. */
    networkName: z.string().min(1).optional(),
    /** Docker restart policy of every container. Default: `unless-stopped`. */
    restartPolicy: z.enum(["no", "on-failure", "always", "unless-stopped"]).default("unless-stopped"),
});

/** Parsed `docker` settings. */
export type DockerSettings = z.output<typeof dockerSettings>;
