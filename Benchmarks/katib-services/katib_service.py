"""Starts one of Katib's own Python suggestion services (from kubeflow/katib's source tree) on a chosen port: what
cmd/suggestion/<name>/v1beta1/main.py does, with the port as an argument (main.py always binds 6789).

Usage: python katib_service.py KATIB_SRC hyperopt|optuna PORT
Run with the venv holding cmd/suggestion/<name>/v1beta1/requirements.txt.
"""
import os
import sys
import time
from concurrent import futures

source, name, port = sys.argv[1], sys.argv[2], sys.argv[3]
# The PYTHONPATH of Katib's suggestion images.
sys.path[:0] = [source, os.path.join(source, "pkg/apis/manager/v1beta1/python"),
                os.path.join(source, "pkg/apis/manager/health/python")]
import grpc  # noqa: E402
from pkg.apis.manager.health.python import health_pb2_grpc  # noqa: E402
from pkg.apis.manager.v1beta1.python import api_pb2_grpc  # noqa: E402

if name == "hyperopt":
    from pkg.suggestion.v1beta1.hyperopt.service import HyperoptService as Service  # noqa: E402
else:
    from pkg.suggestion.v1beta1.optuna.service import OptunaService as Service  # noqa: E402

server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))  # main.py's pool
service = Service()
api_pb2_grpc.add_SuggestionServicer_to_server(service, server)
health_pb2_grpc.add_HealthServicer_to_server(service, server)
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
print("listening", flush=True)
while True:
    time.sleep(3600)
