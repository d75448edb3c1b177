// The ClusterIP Service of each self-hosted service.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectName, podLabels, selectorLabels, servicePort } from "./plan";
import { type Placement } from "./pods";

/** The ClusterIP Service named as the renderer names the host (`primary`, `pooler-session`…). */
export function clusterService(parent: pulumi.Resource, name: string, placement: Placement): k8s.core.v1.Service {
    const port = servicePort(placement.service);
    return new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: { name: objectName(placement.service), namespace: placement.namespace, labels: podLabels(placement.service) },
            spec: {
                type: "ClusterIP",
                selector: selectorLabels(placement.service),
                ports: [{ name: port.name, port: port.port, targetPort: port.name, protocol: "TCP" }],
            },
        },
        { parent },
    );
}
