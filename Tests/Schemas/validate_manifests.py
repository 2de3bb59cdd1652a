"""Validates Kubernetes manifests against the object schemas of the real projects, as their Python clients from PyPI
encode them (generated from their OpenAPI specs): Kubernetes (`kubernetes`), KServe (`kserve`) and Katib
(`kubeflow-katib`), and Katib's KatibConfig as katib_config_schema.py writes out its Go type. Every field must be one the schema declares, with the declared type, recursively; required
fields must be present (except in patches, --partial). Kinds without a schema here (kustomize files, Argo CD) are
listed as skipped.

usage: validate_manifests.py [--partial] FILE...   (multi-document YAML files)
Prints one line per document; exits 1 when any document has errors.
"""
import datetime
import importlib
import pathlib
import re
import sys
import types

import yaml
from kubernetes import client as k8s


def katib_models():
    # kubeflow/katib/__init__.py imports the training operator's SDK; only the models are needed.
    import kubeflow
    package = types.ModuleType("kubeflow.katib")
    package.__path__ = [str(pathlib.Path(kubeflow.__path__[0]) / "katib")]
    sys.modules.setdefault("kubeflow.katib", package)
    return importlib.import_module("kubeflow.katib.models")


import kserve  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import katib_config_schema  # noqa: E402

MODULES = [k8s, kserve, katib_models(), katib_config_schema]
KINDS = {
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "CronJob"): "V1CronJob",
    ("batch/v1", "Job"): "V1Job",
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "V1alpha1ServingRuntime",
    ("kubeflow.org/v1beta1", "Experiment"): "V1beta1Experiment",
    ("config.kubeflow.org/v1beta1", "KatibConfig"): "KatibConfig",
}


def model_class(name):
    for module in MODULES:
        if hasattr(module, name):
            return getattr(module, name)
    raise KeyError(f"no model class {name}")


def required_fields(cls):
    """The attributes whose setter refuses None under client-side validation (the schema's required list)."""
    if hasattr(cls, "required"):
        return cls.required
    required = set()
    for attribute in cls.openapi_types:
        instance = cls.__new__(cls)
        configuration = k8s.Configuration()
        configuration.client_side_validation = True
        instance.local_vars_configuration = configuration
        try:
            setattr(instance, attribute, None)
        except ValueError:
            required.add(attribute)
        except Exception:
            pass
    return required


def check(value, type_name, path, errors, partial):
    if value is None:
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, found {type(value).__name__}")
            return
        for index, item in enumerate(value):
            check(item, type_name[5:-1], f"{path}[{index}]", errors, partial)
    elif type_name.startswith("dict("):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, found {type(value).__name__}")
            return
        inner = re.match(r"dict\(str, (.*)\)$", type_name).group(1)
        for key, item in value.items():
            check(item, inner, f"{path}.{key}", errors, partial)
    elif type_name == "str":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, found {type(value).__name__} {value!r}")
    elif type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, found {type(value).__name__} {value!r}")
    elif type_name == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected a number, found {value!r}")
    elif type_name == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true or false, found {value!r}")
    elif type_name == "datetime":
        if not isinstance(value, (str, datetime.datetime)):
            errors.append(f"{path}: expected a timestamp, found {value!r}")
    elif type_name == "object":
        return
    else:
        cls = model_class(type_name)
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object ({type_name}), found {type(value).__name__}")
            return
        by_key = {key: attribute for attribute, key in cls.attribute_map.items()}
        for key, item in value.items():
            if key not in by_key:
                errors.append(f"{path}.{key}: unknown field (not in {type_name})")
            else:
                check(item, cls.openapi_types[by_key[key]], f"{path}.{key}", errors, partial)
        if not partial:
            for attribute in sorted(required_fields(cls)):
                if cls.attribute_map[attribute] not in value:
                    errors.append(f"{path}: required field {cls.attribute_map[attribute]} is missing")


def main(arguments):
    partial = "--partial" in arguments
    failed = False
    for file in [a for a in arguments if a != "--partial"]:
        with open(file) as handle:
            documents = [d for d in yaml.safe_load_all(handle) if d]
        for document in documents:
            kind = (document.get("apiVersion"), document.get("kind"))
            name = (document.get("metadata") or {}).get("name", "?")
            if kind not in KINDS:
                print(f"skipped {file}: {kind[1]} {name} ({kind[0]}: no schema here)")
                continue
            errors = []
            check(document, KINDS[kind], kind[1], errors, partial)
            if errors:
                failed = True
                print(f"INVALID {file}: {kind[1]} {name}")
                for error in errors:
                    print(f"  {error}")
            else:
                print(f"valid {file}: {kind[1]} {name} against {KINDS[kind]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
