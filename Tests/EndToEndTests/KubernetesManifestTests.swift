import Foundation
import TestServers
import Testing

/// deploy/kubernetes without a cluster: every manifest passes the Kubernetes API schema (strict:
/// no unknown field) with kubernetes-validate, pinned in Tests/requirements.txt, and the shards'
/// Job and the merge agree on N and on where results go.
@Suite struct KubernetesManifestTests {
    static let directory = "deploy/kubernetes"
    /// The oldest and the newest Kubernetes the manifests are checked against.
    static let versions = ["1.29.0", "1.37.0"]

    static func manifests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: CLI.root + "/" + directory).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { directory + "/" + $0 }
    }

    static func validate(_ files: [String], version: String) async throws -> (status: Int32, output: String) {
        try await ProjectVenv.run("kubernetes-validate", ["--strict", "--kubernetes-version", version] + files)
    }

    @Test(arguments: versions) func everyManifestPassesTheSchema(_ version: String) async throws {
        let files = try Self.manifests()
        #expect(files.count >= 4, "\(files)")
        let (status, output) = try await Self.validate(files, version: version)
        #expect(status == 0, "kubernetes-validate exited \(status):\n\(output)")
        for kind in ["job/sandbench-shards", "job/sandbench-merge", "deployment/sandbench-emulator", "service/sandbench-emulator"] {
            #expect(output.contains("passed for resource \(kind)"), "\(kind) was not checked:\n\(output)")
        }
    }

    /// The check is not a formality: a broken copy of the shards' Job fails it, naming the field.
    @Test(arguments: [
        ("completions: 4", "completions: four", "spec.completions: 'four' is not of type 'integer'"),
        ("completionMode: Indexed", "completionMode: Indexed\n  shardCount: 4", "'shardCount' was unexpected"),
        ("runAsUser: 65534", "runAsUser: nobody", "spec.template.spec.securityContext.runAsUser: 'nobody' is not of type 'integer'")
    ])
    func aBrokenManifestFailsTheCheck(_ original: String, _ broken: String, _ says: String) async throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let job = try String(contentsOfFile: CLI.root + "/\(Self.directory)/shards-job.yaml", encoding: .utf8)
        #expect(job.contains(original))
        try job.replacingOccurrences(of: original, with: broken).write(toFile: dir + "/job.yaml", atomically: true, encoding: .utf8)
        let (status, output) = try await Self.validate([dir + "/job.yaml"], version: "1.37.0")
        #expect(status != 0, "the broken copy passed:\n\(output)")
        #expect(output.contains(says), "\(output)")
    }

    /// What the schema cannot see: N is the same in completions, parallelism and `--shard`, and the
    /// merge reads the files the shards write.
    @Test func theShardsJobAndTheMergeAgree() throws {
        let job = try String(contentsOfFile: CLI.root + "/\(Self.directory)/shards-job.yaml", encoding: .utf8)
        let merge = try String(contentsOfFile: CLI.root + "/\(Self.directory)/merge-job.yaml", encoding: .utf8)
        func value(_ pattern: String, in text: String) -> String? {
            guard let range = text.range(of: pattern, options: .regularExpression) else { return nil }
            return text[range].split(whereSeparator: { $0 == " " || $0 == "\"" || $0 == ":" }).last.map(String.init)
        }
        #expect(job.contains("completionMode: Indexed"))
        let completions = value(#"\n  completions: [0-9]+"#, in: job)
        #expect(completions != nil)
        #expect(value(#"\n  parallelism: [0-9]+"#, in: job) == completions)
        #expect(value(#"name: SHARDS\n +value: "[0-9]+"#, in: job) == completions)
        #expect(job.contains(#"--shard "$JOB_COMPLETION_INDEX/$SHARDS""#))
        #expect(job.contains(#"--json "/results/shard-$JOB_COMPLETION_INDEX.json""#))
        #expect(merge.contains("sandbench merge /results/shard-*.json"))
        #expect(job.contains("claimName: sandbench-results") && merge.contains("claimName: sandbench-results"))
    }
}
