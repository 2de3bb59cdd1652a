/// Experiments written in the shape of Katib's own v1beta1 examples (random, grid, tpe, bayesian optimisation):
/// quoted string bounds, a batch Job trial spec, trialParameters indirection, StdOut or File collectors.
enum Fixtures {
    static func experiment(
        name: String = "random-example", algorithm: String = "random", settings: String = "", parameters: String? = nil,
        extraSpec: String = ""
    ) -> String {
        """
        apiVersion: kubeflow.org/v1beta1
        kind: Experiment
        metadata:
          namespace: kubeflow
          name: \(name)
        spec:
          objective:
            type: maximize
            goal: 0.99
            objectiveMetricName: Validation-accuracy
            additionalMetricNames:
              - Train-accuracy
          algorithm:
            algorithmName: \(algorithm)
        \(settings)
          parallelTrialCount: 3
          maxTrialCount: 12
          maxFailedTrialCount: 3
        \(extraSpec)
          parameters:
        \(parameters ?? defaultParameters)
          trialTemplate:
            primaryContainerName: training-container
            trialParameters:
              - name: learningRate
                description: Learning rate for the training model
                reference: lr
              - name: numberLayers
                description: Number of training model layers
                reference: num-layers
              - name: optimizer
                description: Training model optimizer (sdg, adam or ftrl)
                reference: optimizer
            trialSpec:
              apiVersion: batch/v1
              kind: Job
              spec:
                template:
                  spec:
                    containers:
                      - name: training-container
                        image: docker.io/example/mxnet-mnist:latest
                        command:
                          - "python3"
                          - "/opt/mxnet-mnist/mnist.py"
                          - "--batch-size=64"
                          - "--lr=${trialParameters.learningRate}"
                          - "--num-layers=${trialParameters.numberLayers}"
                          - "--optimizer=${trialParameters.optimizer}"
                    restartPolicy: Never
        """
    }

    static let defaultParameters = """
            - name: lr
              parameterType: double
              feasibleSpace:
                min: "0.01"
                max: "0.03"
            - name: num-layers
              parameterType: int
              feasibleSpace:
                min: "2"
                max: "5"
            - name: optimizer
              parameterType: categorical
              feasibleSpace:
                list:
                  - sgd
                  - adam
                  - ftrl
        """
}
