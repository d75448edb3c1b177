// The pack declares the provider inputs it reads (policies/rules/resources.ts) instead of
// importing the provider SDKs, so it ships without them. Here each SDK's own args, as a rule
// receives them (Unwrap: no Outputs), must fit the pack's declaration: a field the provider
// renamed or retyped fails `tsc --noEmit -p .` (which type-checks this file) before any stack.
import type { InstanceArgs } from "@pulumi/aws/rds/instance";
import type { ParameterGroupArgs } from "@pulumi/aws/rds/parameterGroup";
import type { ProxyArgs } from "@pulumi/aws/rds/proxy";
import type { ContainerArgs } from "@pulumi/docker/container";
import type { RemoteImageArgs } from "@pulumi/docker/remoteImage";
import type { ImageArgs } from "@pulumi/docker-build/image";
import type { DatabaseInstanceArgs } from "@pulumi/gcp/sql/databaseInstance";
import type { SecurityGroupArgs } from "@pulumi/aws/ec2/securityGroup";
import type { SecurityGroupRuleArgs } from "@pulumi/aws/ec2/securityGroupRule";
import type { SecurityGroupIngressRuleArgs } from "@pulumi/aws/vpc/securityGroupIngressRule";
import type * as k8s from "@pulumi/kubernetes";
import type { Unwrap } from "@pulumi/pulumi";
import { describe, expectTypeOf, it } from "vitest";
import type {
    CloudSqlInstanceProps,
    DockerBuildImageProps,
    DockerContainerProps,
    DockerRemoteImageProps,
    KubernetesFiles,
    KubernetesNetworkPolicy,
    KubernetesWorkload,
    RdsInstanceProps,
    RdsParameterGroupProps,
    RdsProxyProps,
    SecurityGroupIngressRuleProps,
    SecurityGroupProps,
    SecurityGroupRuleProps,
} from "../../policies/rules/resources";

describe("the pack's declared inputs are the providers' own", () => {
    it("docker and docker-build", () => {
        expectTypeOf<Unwrap<ContainerArgs>>().toExtend<DockerContainerProps>();
        expectTypeOf<Unwrap<RemoteImageArgs>>().toExtend<DockerRemoteImageProps>();
        expectTypeOf<Unwrap<ImageArgs>>().toExtend<DockerBuildImageProps>();
    });

    it("aws (RDS)", () => {
        expectTypeOf<Unwrap<InstanceArgs>>().toExtend<RdsInstanceProps>();
        expectTypeOf<Unwrap<ParameterGroupArgs>>().toExtend<RdsParameterGroupProps>();
        expectTypeOf<Unwrap<ProxyArgs>>().toExtend<RdsProxyProps>();
    });

    it("aws (security groups)", () => {
        expectTypeOf<Unwrap<SecurityGroupArgs>>().toExtend<SecurityGroupProps>();
        expectTypeOf<Unwrap<SecurityGroupRuleArgs>>().toExtend<SecurityGroupRuleProps>();
        expectTypeOf<Unwrap<SecurityGroupIngressRuleArgs>>().toExtend<SecurityGroupIngressRuleProps>();
    });

    it("gcp (Cloud SQL)", () => {
        expectTypeOf<Unwrap<DatabaseInstanceArgs>>().toExtend<CloudSqlInstanceProps>();
    });

    it("kubernetes", () => {
        expectTypeOf<Unwrap<k8s.apps.v1.StatefulSetArgs>>().toExtend<KubernetesWorkload>();
        expectTypeOf<Unwrap<k8s.core.v1.SecretArgs>>().toExtend<KubernetesFiles>();
        expectTypeOf<Unwrap<k8s.core.v1.ConfigMapArgs>>().toExtend<KubernetesFiles>();
        expectTypeOf<Unwrap<k8s.networking.v1.NetworkPolicyArgs>>().toExtend<KubernetesNetworkPolicy>();
    });
});
