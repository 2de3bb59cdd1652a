/// The OpenAPI 3 description of the server, served at `GET /openapi.json`. A copy lives at `deploy/openapi.json`
/// (a test keeps the two identical) for clients, code generators and schemathesis.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "tunekit suggestion service",
    "version": "0.1.0",
    "description": "Katib's Suggestion and EarlyStopping APIs (api.v1.beta1) over the Connect protocol's unary form: POST the request message as JSON in the protobuf JSON mapping (Content-Type: application/json; lowerCamelCase field names, snake_case accepted; enums as names, numbers accepted) or as binary protobuf (Content-Type: application/proto, described by Sources/KatibWire/Protos/katib_suggestion.proto); the reply comes in the same encoding. Errors are Connect's JSON error body with Connect's HTTP status for each code. Stateless: each request carries the experiment and its trials. The schemas give the shape; the server also checks what a schema cannot (min below max, a step that fits, known settings) and answers 400 invalid_argument with Katib's message."
  },
  "paths": {
    "/api.v1.beta1.Suggestion/GetSuggestions": {
      "post": {
        "operationId": "GetSuggestions",
        "summary": "Suggest currentRequestNumber new parameter assignments.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GetSuggestionsRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GetSuggestionsReply"
                }
              }
            }
          },
          "400": {
            "description": "invalid_argument: malformed JSON, a bad experiment or search space, unknown algorithm or invalid settings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is neither application/json nor application/proto (Connect's rule: the Accept-Post header lists both).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "429": {
            "description": "resource_exhausted: the body (once inflated, when gzip) is larger than the server's limit (default 8 MiB).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "500": {
            "description": "internal: an unexpected failure; the message names the request id to look up in the logs.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/api.v1.beta1.Suggestion/ValidateAlgorithmSettings": {
      "post": {
        "operationId": "ValidateAlgorithmSettings",
        "summary": "Check the experiment's algorithm name and settings as Katib does before it starts.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ValidateAlgorithmSettingsRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ValidateAlgorithmSettingsReply"
                }
              }
            }
          },
          "400": {
            "description": "invalid_argument: malformed JSON, a bad experiment or search space, unknown algorithm or invalid settings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is neither application/json nor application/proto (Connect's rule: the Accept-Post header lists both).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "429": {
            "description": "resource_exhausted: the body (once inflated, when gzip) is larger than the server's limit (default 8 MiB).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "500": {
            "description": "internal: an unexpected failure; the message names the request id to look up in the logs.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/api.v1.beta1.EarlyStopping/GetEarlyStoppingRules": {
      "post": {
        "operationId": "GetEarlyStoppingRules",
        "summary": "Early-stopping rules (medianstop, asha) from the succeeded trials' objective reports (trials[].observationLog).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GetEarlyStoppingRulesRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GetEarlyStoppingRulesReply"
                }
              }
            }
          },
          "400": {
            "description": "invalid_argument: malformed JSON, an unknown early-stopping algorithm or invalid settings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is neither application/json nor application/proto (Connect's rule: the Accept-Post header lists both).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "429": {
            "description": "resource_exhausted: the body (once inflated, when gzip) is larger than the server's limit (default 8 MiB).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/api.v1.beta1.EarlyStopping/ValidateEarlyStoppingSettings": {
      "post": {
        "operationId": "ValidateEarlyStoppingSettings",
        "summary": "Check an early-stopping algorithm's name and settings as Katib does.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ValidateEarlyStoppingSettingsRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/EmptyReply"
                }
              }
            }
          },
          "400": {
            "description": "invalid_argument: malformed JSON, an unknown early-stopping algorithm or invalid settings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is neither application/json nor application/proto (Connect's rule: the Accept-Post header lists both).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "429": {
            "description": "resource_exhausted: the body (once inflated, when gzip) is larger than the server's limit (default 8 MiB).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/api.v1.beta1.EarlyStopping/SetTrialStatus": {
      "post": {
        "operationId": "SetTrialStatus",
        "summary": "Always unimplemented (501): marking a Katib Trial EarlyStopped needs the Kubernetes API, which tunekit does not call.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SetTrialStatusRequest"
              }
            }
          }
        },
        "responses": {
          "501": {
            "description": "unimplemented: the request is valid; tunekit cannot mark the Trial (run Katib's medianstop service for that).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "400": {
            "description": "invalid_argument: malformed JSON, an unknown early-stopping algorithm or invalid settings.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is neither application/json nor application/proto (Connect's rule: the Accept-Post header lists both).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          },
          "429": {
            "description": "resource_exhausted: the body (once inflated, when gzip) is larger than the server's limit (default 8 MiB).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Status"
                }
              }
            }
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "operationId": "healthz",
        "summary": "Liveness: the process answers.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "operationId": "readyz",
        "summary": "Readiness: the server accepts suggestion requests.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus metrics: requests, latency histograms per algorithm, errors.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Status": {
        "type": "object",
        "required": [
          "code",
          "message"
        ],
        "properties": {
          "code": {
            "type": "string",
            "description": "Connect error code (gRPC's code name in snake_case), e.g. invalid_argument."
          },
          "message": {
            "type": "string",
            "description": "What is wrong and where."
          }
        }
      },
      "ParameterAssignment": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "value": {
            "type": "string"
          }
        }
      },
      "FeasibleSpace": {
        "type": "object",
        "properties": {
          "max": {
            "type": "string"
          },
          "min": {
            "type": "string"
          },
          "list": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "step": {
            "type": "string"
          },
          "distribution": {
            "oneOf": [
              {
                "type": "string",
                "enum": [
                  "DISTRIBUTION_UNSPECIFIED",
                  "UNIFORM",
                  "LOG_UNIFORM",
                  "NORMAL",
                  "LOG_NORMAL"
                ]
              },
              {
                "type": "integer",
                "format": "int32"
              }
            ]
          }
        }
      },
      "ParameterSpec": {
        "type": "object",
        "required": [
          "name",
          "parameterType",
          "feasibleSpace"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "parameterType": {
            "oneOf": [
              {
                "type": "string",
                "enum": [
                  "UNKNOWN_TYPE",
                  "DOUBLE",
                  "INT",
                  "DISCRETE",
                  "CATEGORICAL"
                ]
              },
              {
                "type": "integer",
                "format": "int32"
              }
            ]
          },
          "feasibleSpace": {
            "$ref": "#/components/schemas/FeasibleSpace"
          }
        }
      },
      "ObjectiveSpec": {
        "type": "object",
        "required": [
          "type",
          "objectiveMetricName"
        ],
        "properties": {
          "type": {
            "oneOf": [
              {
                "type": "string",
                "enum": [
                  "UNKNOWN",
                  "MINIMIZE",
                  "MAXIMIZE"
                ]
              },
              {
                "type": "integer",
                "format": "int32"
              }
            ]
          },
          "goal": {
            "type": "number"
          },
          "objectiveMetricName": {
            "type": "string"
          },
          "additionalMetricNames": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        }
      },
      "AlgorithmSetting": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "value": {
            "type": "string"
          }
        }
      },
      "AlgorithmSpec": {
        "type": "object",
        "required": [
          "algorithmName"
        ],
        "properties": {
          "algorithmName": {
            "type": "string",
            "enum": [
              "random",
              "grid",
              "tpe",
              "multivariate-tpe",
              "bayesianoptimization",
              "cmaes",
              "sobol",
              "hyperband",
              "bohb"
            ]
          },
          "algorithmSettings": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/AlgorithmSetting"
            }
          }
        }
      },
      "ExperimentSpec": {
        "type": "object",
        "required": [
          "parameterSpecs",
          "objective",
          "algorithm"
        ],
        "properties": {
          "parameterSpecs": {
            "type": "object",
            "required": [
              "parameters"
            ],
            "properties": {
              "parameters": {
                "type": "array",
                "minItems": 1,
                "items": {
                  "$ref": "#/components/schemas/ParameterSpec"
                }
              }
            }
          },
          "objective": {
            "$ref": "#/components/schemas/ObjectiveSpec"
          },
          "algorithm": {
            "$ref": "#/components/schemas/AlgorithmSpec"
          },
          "parallelTrialCount": {
            "type": "integer",
            "format": "int32"
          },
          "maxTrialCount": {
            "type": "integer",
            "format": "int32"
          }
        }
      },
      "Experiment": {
        "type": "object",
        "required": [
          "spec"
        ],
        "properties": {
          "name": {
            "type": "string"
          },
          "spec": {
            "$ref": "#/components/schemas/ExperimentSpec"
          }
        }
      },
      "Metric": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "value": {
            "type": "string"
          }
        }
      },
      "Trial": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "spec": {
            "type": "object",
            "properties": {
              "objective": {
                "$ref": "#/components/schemas/ObjectiveSpec"
              },
              "parameterAssignments": {
                "type": "object",
                "properties": {
                  "assignments": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/ParameterAssignment"
                    }
                  }
                }
              }
            }
          },
          "status": {
            "type": "object",
            "properties": {
              "condition": {
                "oneOf": [
                  {
                    "type": "string",
                    "enum": [
                      "CREATED",
                      "RUNNING",
                      "SUCCEEDED",
                      "KILLED",
                      "FAILED",
                      "METRICSUNAVAILABLE",
                      "EARLYSTOPPED",
                      "UNKNOWN"
                    ]
                  },
                  {
                    "type": "integer",
                    "format": "int32"
                  }
                ]
              },
              "observation": {
                "type": "object",
                "properties": {
                  "metrics": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Metric"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "GetSuggestionsRequest": {
        "type": "object",
        "required": [
          "experiment",
          "currentRequestNumber"
        ],
        "properties": {
          "experiment": {
            "$ref": "#/components/schemas/Experiment"
          },
          "trials": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Trial"
            }
          },
          "currentRequestNumber": {
            "type": "integer",
            "format": "int32",
            "minimum": 1,
            "description": "How many assignment sets to return."
          },
          "totalRequestNumber": {
            "type": "integer",
            "format": "int32",
            "description": "Assignment sets issued so far, this request's included."
          }
        }
      },
      "GetSuggestionsReply": {
        "type": "object",
        "required": [
          "parameterAssignments"
        ],
        "properties": {
          "parameterAssignments": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "assignments"
              ],
              "properties": {
                "assignments": {
                  "type": "array",
                  "items": {
                    "$ref": "#/components/schemas/ParameterAssignment"
                  }
                },
                "trialName": {
                  "type": "string"
                },
                "labels": {
                  "type": "object",
                  "additionalProperties": {
                    "type": "string"
                  }
                }
              }
            }
          },
          "algorithm": {
            "$ref": "#/components/schemas/AlgorithmSpec"
          }
        }
      },
      "ValidateAlgorithmSettingsRequest": {
        "type": "object",
        "required": [
          "experiment"
        ],
        "properties": {
          "experiment": {
            "$ref": "#/components/schemas/Experiment"
          }
        }
      },
      "ValidateAlgorithmSettingsReply": {
        "type": "object",
        "description": "Empty: the settings are valid."
      },
      "GetEarlyStoppingRulesRequest": {
        "type": "object",
        "description": "experiment (with spec.earlyStopping and spec.objective), trials (each may carry observationLog.metricLogs[].metric {name, value}, a tunekit extension), dbManagerAddress (unused)."
      },
      "GetEarlyStoppingRulesReply": {
        "type": "object",
        "description": "earlyStoppingRules: [{name, value, comparison LESS|GREATER, startStep}]; empty until enough trials succeeded."
      },
      "ValidateEarlyStoppingSettingsRequest": {
        "type": "object",
        "description": "earlyStopping: {algorithmName: medianstop|asha, algorithmSettings: [{name, value}]}."
      },
      "SetTrialStatusRequest": {
        "type": "object",
        "description": "trialName."
      },
      "EmptyReply": {
        "type": "object",
        "description": "Empty."
      }
    }
  }
}
"""#
}
