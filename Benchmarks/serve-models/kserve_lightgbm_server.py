"""KServe's LightGBM model server, as KServe's lgbserver runs it (lgbserver is not on PyPI): a kserve.Model that loads
model.bst with lightgbm.Booster(nthread=1), turns the payload into a matrix with kserve's get_predict_input, predicts
and answers with get_predict_response, under kserve.ModelServer(workers=1) — lgbserver's defaults.

usage: kserve_lightgbm_server.py MODEL_DIR MODEL_NAME HTTP_PORT GRPC_PORT
"""
import os
import sys

import kserve
from kserve.utils.utils import get_predict_input, get_predict_response
from lightgbm import Booster


class LightGBMModel(kserve.Model):
    def __init__(self, name, model_dir):
        super().__init__(name)
        self.model_dir = model_dir

    def load(self):
        self.booster = Booster(params={"nthread": 1}, model_file=os.path.join(self.model_dir, "model.bst"))
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        instances = get_predict_input(payload, columns=self.booster.feature_name())
        return get_predict_response(payload, self.booster.predict(instances), self.name)


if __name__ == "__main__":
    model_dir, name, http_port, grpc_port = sys.argv[1:5]
    model = LightGBMModel(name, model_dir)
    model.load()
    kserve.ModelServer(http_port=int(http_port), grpc_port=int(grpc_port), workers=1, enable_latency_logging=False).start([model])
