"""Katib's KatibConfig (the katib-config ConfigMap's katib-config.yaml) as model classes the manifest validator walks:
field names, JSON keys and types as kubeflow/katib declares them in pkg/apis/config/v1beta1/types.go (read at commit
33c8ff4, Katib v0.19). Katib publishes no Python model of this type, so it is written out here; the Kubernetes types
it embeds (Container, ResourceRequirements, PersistentVolume(Claim)Spec) are the kubernetes client's own.
A field Katib marks without `omitempty` is required.
"""
from kubernetes import client as k8s


class _Model:
    attribute_map = {}
    openapi_types = {}
    required = set()


def _model(name, fields, required=(), inline=None):
    """fields: {json key: type name}; inline: a kubernetes model whose fields are inlined (Go's `json:",inline"`)."""
    attribute_map = {key: key for key in fields}
    openapi_types = dict(fields)
    if inline is not None:
        for attribute, key in inline.attribute_map.items():
            attribute_map[key] = key
            openapi_types[key] = inline.openapi_types[attribute]
    return type(name, (_Model,), {"attribute_map": attribute_map, "openapi_types": openapi_types,
                                   "required": set(required)})


KatibConfig = _model("KatibConfig", {
    "apiVersion": "str", "kind": "str", "runtime": "KatibRuntimeConfig", "init": "KatibInitConfig"})
KatibRuntimeConfig = _model("KatibRuntimeConfig", {
    "suggestions": "list[KatibSuggestionConfig]", "earlyStoppings": "list[KatibEarlyStoppingConfig]",
    "metricsCollectors": "list[KatibMetricsCollectorConfig]"})
KatibInitConfig = _model("KatibInitConfig", {
    "controller": "KatibControllerConfig", "certGenerator": "KatibCertGeneratorConfig"})
KatibControllerConfig = _model("KatibControllerConfig", {
    "experimentSuggestionName": "str", "metricsAddr": "str", "healthzAddr": "str", "injectSecurityContext": "bool",
    "enableGRPCProbeInSuggestion": "bool", "trialResources": "list[str]", "webhookPort": "int",
    "enableLeaderElection": "bool", "leaderElectionID": "str"})
KatibCertGeneratorConfig = _model("KatibCertGeneratorConfig", {
    "enable": "bool", "webhookServiceName": "str", "webhookSecretName": "str"})
# SuggestionConfig inlines corev1.Container: its name is optional here (Katib names the container "suggestion").
KatibSuggestionConfig = _model("KatibSuggestionConfig", {
    "algorithmName": "str", "serviceAccountName": "str", "volumeMountPath": "str",
    "persistentVolumeClaimSpec": "V1PersistentVolumeClaimSpec", "persistentVolumeSpec": "V1PersistentVolumeSpec",
    "persistentVolumeLabels": "dict(str, str)"}, required=["algorithmName"], inline=k8s.V1Container)
KatibEarlyStoppingConfig = _model("KatibEarlyStoppingConfig", {
    "algorithmName": "str", "image": "str", "imagePullPolicy": "str", "resources": "V1ResourceRequirements"},
    required=["algorithmName", "image"])
KatibMetricsCollectorConfig = _model("KatibMetricsCollectorConfig", {
    "kind": "str", "image": "str", "imagePullPolicy": "str", "resources": "V1ResourceRequirements",
    "waitAllProcesses": "bool"}, required=["kind", "image"])
