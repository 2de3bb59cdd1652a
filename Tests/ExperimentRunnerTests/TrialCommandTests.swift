@testable import ExperimentRunner
import Testing

@Suite struct TrialCommandTests {
    /// Kubernetes' $(NAME) expansion in trial commands: known names replaced, unknown ones kept, $$ a literal $.
    @Test func containerVariablesExpandAsKubernetesDoes() {
        let variables = ["DATA": "/data/bike.csv", "EMPTY": ""]
        #expect(TrialCommand.expandVariables("--data=$(DATA)", from: variables) == "--data=/data/bike.csv")
        #expect(TrialCommand.expandVariables("$(UNKNOWN) $(DATA", from: variables) == "$(UNKNOWN) $(DATA")
        #expect(TrialCommand.expandVariables("$$(DATA) costs $5 $(EMPTY)x", from: variables) == "$(DATA) costs $5 x")
    }
}
