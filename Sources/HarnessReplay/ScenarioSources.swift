package import HarnessCore
package import HarnessScenarios

/// Scenario files and cassettes read alike, so that every command taking scenarios takes
/// recordings: a file whose first lines say `format: sandbench-cassette/…` is a cassette and is
/// converted to a one-scenario file (``ReplayPlan``); any other file is a scenario file.
///
/// ```swift
/// let file = try ScenarioSources.load(path: "scenarios/recorded/quickstart.yaml", options: ReplayOptions(listCounts: false))
/// ```
package enum ScenarioSources {
    /// Whether the file at `path` is a cassette.
    package static func isCassette(_ path: String) -> Bool { ScenarioLoader.isCassette(path) }

    /// One file: a scenario file as it is, or a cassette as the scenario replaying it.
    /// - Throws: ``ScenarioErrors`` naming `file:line:column` of each problem.
    package static func load(path: String, options: ReplayOptions = ReplayOptions()) throws(ScenarioErrors) -> ScenarioFile {
        guard isCassette(path) else { return try ScenarioLoader.load(path: path) }
        do {
            return try ReplayPlan.load(path: path, options: options).scenarioFile
        } catch {
            throw ScenarioErrors([ScenarioError(error.location, error.message)])
        }
    }

    /// Files and directories as `run` and `validate` take them: a directory is searched for
    /// scenario files and the cassettes in it are left alone (recordings kept beside scenarios);
    /// a cassette named on its own is replayed.
    package static func load(paths: [String], options: ReplayOptions = ReplayOptions()) throws(ScenarioErrors) -> [ScenarioFile] {
        var errors: [ScenarioError] = []
        var files: [ScenarioFile] = []
        for path in ScenarioLoader.discover(paths, errors: &errors) {
            do { files.append(try load(path: path, options: options)) } catch { errors += error.errors }
        }
        if !errors.isEmpty { throw ScenarioErrors(errors) }
        return files
    }

    /// Cassettes as `replay` takes them: files, or directories searched for cassettes, each converted.
    /// - Throws: ``ScenarioErrors`` for paths that do not exist, files that are not cassettes, and
    ///   cassettes that cannot be replayed.
    package static func cassettes(_ paths: [String], options: ReplayOptions = ReplayOptions()) throws(ScenarioErrors) -> [ReplayPlan] {
        var errors: [ScenarioError] = []
        var plans: [ReplayPlan] = []
        for path in ScenarioLoader.discover(paths, errors: &errors, cassettes: true) {
            guard isCassette(path) else {
                errors.append(
                    ScenarioError(
                        SourceLocation(file: path, line: 0, column: 0),
                        "not a cassette (its first lines do not say format: sandbench-cassette/1); "
                            + "scenario files are run with sandbench run"))
                continue
            }
            do { plans.append(try ReplayPlan.load(path: path, options: options)) } catch {
                errors.append(ScenarioError(error.location, error.message))
            }
        }
        if !errors.isEmpty { throw ScenarioErrors(errors) }
        return plans
    }
}
