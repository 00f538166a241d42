/// The language a code-execution sandbox runs.
public enum CodeLanguage: String, Sendable, CaseIterable {
    case unspecified = "LANGUAGE_UNSPECIFIED"
    case python = "LANGUAGE_PYTHON"
    case javascript = "LANGUAGE_JAVASCRIPT"
}

/// The machine shape of a sandbox (the default is 2 vCPU / 1.5 GiB).
public enum MachineConfig: String, Sendable, CaseIterable {
    case unspecified = "MACHINE_CONFIG_UNSPECIFIED"
    case vcpu4Ram4GiB = "MACHINE_CONFIG_VCPU4_RAM4GIB"

    /// Memory the sandbox may use, in bytes.
    package var memoryLimitBytes: Int {
        switch self {
        case .unspecified: 1536 << 20
        case .vcpu4Ram4GiB: 4096 << 20
        }
    }
}

/// Lifecycle state of a sandbox environment.
public enum SandboxState: String, Sendable, CaseIterable {
    case unspecified = "STATE_UNSPECIFIED"
    case provisioning = "STATE_PROVISIONING"
    case running = "STATE_RUNNING"
    case deprovisioning = "STATE_DEPROVISIONING"
    case terminated = "STATE_TERMINATED"
    case deleted = "STATE_DELETED"
    case paused = "STATE_PAUSED"
    case pausing = "STATE_PAUSING"
    case resuming = "STATE_RESUMING"
    case stopping = "STATE_STOPPING"
}

/// `spec.codeExecutionEnvironment`.
package struct CodeExecutionEnvironment: Sendable, Hashable {
    /// The interpreter; unspecified means Python.
    package var codeLanguage: CodeLanguage
    /// The machine shape.
    package var machineConfig: MachineConfig

    package init(codeLanguage: CodeLanguage = .unspecified, machineConfig: MachineConfig = .unspecified) {
        self.codeLanguage = codeLanguage
        self.machineConfig = machineConfig
    }

    /// The language that actually runs (`LANGUAGE_UNSPECIFIED` runs Python).
    package var effectiveLanguage: CodeLanguage { codeLanguage == .javascript ? .javascript : .python }
}

/// A sandbox environment resource (`SandboxEnvironment`).
package struct SandboxEnvironment: Sendable, Hashable {
    package var name: String
    package var displayName: String?
    /// nil when the request carried no `codeExecutionEnvironment`.
    package var codeExecution: CodeExecutionEnvironment?
    package var state: SandboxState
    package var createTime: String?
    package var updateTime: String?
    package var expireTime: String?
    /// Input only: time to live in seconds.
    package var ttlSeconds: Double?
    /// The owner a snapshot restore must match.
    package var owner: String?
    /// The template the sandbox was created from (`{engine}/sandboxEnvironmentTemplates/{id}`).
    package var sandboxEnvironmentTemplate: String?
    /// The snapshot the sandbox was restored from (`{engine}/sandboxEnvironmentSnapshots/{id}`).
    package var sandboxEnvironmentSnapshot: String?
    /// Output only: the latest snapshot taken of this sandbox.
    package var latestSandboxEnvironmentSnapshot: String?

    /// The `expireTime` of a sandbox created with neither `ttl` nor `expireTime`: "If not set, the
    /// SandboxEnvironment will not be automatically deleted", yet expireTime "is *always* provided
    /// on output". The latest time a `google.protobuf.Timestamp` can hold says both.
    package static let neverExpires = "9999-12-31T23:59:59Z"

    package init(
        name: String = "", displayName: String? = nil, codeExecution: CodeExecutionEnvironment? = CodeExecutionEnvironment(),
        state: SandboxState = .unspecified, createTime: String? = nil, updateTime: String? = nil,
        expireTime: String? = nil, ttlSeconds: Double? = nil
    ) {
        self.name = name
        self.displayName = displayName
        self.codeExecution = codeExecution
        self.state = state
        self.createTime = createTime
        self.updateTime = updateTime
        self.expireTime = expireTime
        self.ttlSeconds = ttlSeconds
    }

    /// Reads a sandbox from a request (strict) or a response (tolerant).
    package init(json: JSONValue, strict: Bool) throws(GoogleError) {
        var f = try FieldReader(json, at: "sandbox_environment", strict: strict)
        name = try f.string("name") ?? ""
        displayName = try f.string("displayName", maxCharacters: Limits.displayName)
        // the SDK sends it; the resource has no such field, so it is dropped
        _ = try f.string("description", maxCharacters: Limits.description)
        state = try f.enumValue("state", SandboxState.self) ?? .unspecified
        createTime = try f.string("createTime")
        updateTime = try f.string("updateTime")
        expireTime = try f.string("expireTime")
        if let ttl = try f.string("ttl") {
            guard let seconds = ProtoDuration.parse(ttl) else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment.ttl' (google.protobuf.Duration), \"\(ttl)\": "
                        + "expected a duration such as \"3600s\"."
                )
            }
            ttlSeconds = seconds
        }
        if strict, let expireTime {
            guard ttlSeconds == nil else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment': ttl and expire_time are one field (oneof 'expiration'); give one of them.")
            }
            guard ProtoTimestamp.parse(expireTime) != nil else {
                throw GoogleError.invalid(
                    "Invalid value at 'sandbox_environment.expire_time' (google.protobuf.Timestamp), \"\(expireTime.prefix(64))\": "
                        + "expected an RFC 3339 time such as \"2026-12-01T10:00:00Z\" between years 1 and 9999."
                )
            }
        }
        codeExecution = nil
        if var spec = try f.object("spec") {
            if var env = try spec.object("codeExecutionEnvironment") {
                codeExecution = CodeExecutionEnvironment(
                    codeLanguage: try env.enumValue("codeLanguage", CodeLanguage.self) ?? .unspecified,
                    machineConfig: try env.enumValue("machineConfig", MachineConfig.self) ?? .unspecified)
                try env.finish()
            }
            for other in ["computerUseEnvironment", "shellEnvironment", "useGkeTd"] { _ = spec.take(other) }
            try spec.finish()
        }
        owner = try f.string("owner", maxCharacters: Limits.displayName)
        sandboxEnvironmentTemplate = try f.string("sandboxEnvironmentTemplate", maxCharacters: Limits.resourceName)
        sandboxEnvironmentSnapshot = try f.string("sandboxEnvironmentSnapshot", maxCharacters: Limits.resourceName)
        latestSandboxEnvironmentSnapshot = try f.string("latestSandboxEnvironmentSnapshot")
        _ = f.take("connectionInfo")
        try f.finish()
    }

    /// The lowerCamelCase proto-JSON form.
    package var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name), "state": .string(state.rawValue)]
        if let displayName { o["displayName"] = .string(displayName) }
        var spec: [String: JSONValue] = [:]
        if let env = codeExecution {
            var e: [String: JSONValue] = [:]
            if env.codeLanguage != .unspecified { e["codeLanguage"] = .string(env.codeLanguage.rawValue) }
            if env.machineConfig != .unspecified { e["machineConfig"] = .string(env.machineConfig.rawValue) }
            spec["codeExecutionEnvironment"] = .object(e)
        }
        o["spec"] = .object(spec)
        if let createTime { o["createTime"] = .string(createTime) }
        if let updateTime { o["updateTime"] = .string(updateTime) }
        if let expireTime { o["expireTime"] = .string(expireTime) }
        if let ttlSeconds { o["ttl"] = .string(ProtoDuration.format(ttlSeconds)) }
        if let owner { o["owner"] = .string(owner) }
        if let sandboxEnvironmentTemplate { o["sandboxEnvironmentTemplate"] = .string(sandboxEnvironmentTemplate) }
        if let sandboxEnvironmentSnapshot { o["sandboxEnvironmentSnapshot"] = .string(sandboxEnvironmentSnapshot) }
        if let latestSandboxEnvironmentSnapshot { o["latestSandboxEnvironmentSnapshot"] = .string(latestSandboxEnvironmentSnapshot) }
        return .object(o)
    }
}

/// Lengths the emulator enforces on a request's free-text fields. Vertex documents 128 characters
/// for the display names of its resources; descriptions get a generous bound so that a
/// client cannot make every later list answer carry megabytes.
package enum Limits {
    package static let displayName = 128
    package static let description = 2048
    /// A resource name given in a request (a template or snapshot to start from).
    package static let resourceName = 1024
}

/// An agent engine (`ReasoningEngine`), the parent of sandboxes.
package struct ReasoningEngine: Sendable, Hashable {
    package var name: String
    package var displayName: String?
    package var description: String?
    package var createTime: String?
    package var updateTime: String?

    package init(
        name: String = "", displayName: String? = nil, description: String? = nil,
        createTime: String? = nil, updateTime: String? = nil
    ) {
        self.name = name
        self.displayName = displayName
        self.description = description
        self.createTime = createTime
        self.updateTime = updateTime
    }

    /// Reads an engine from a request (strict: only the fields a lightweight engine uses) or a response.
    package init(json: JSONValue, strict: Bool) throws(GoogleError) {
        var f = try FieldReader(json, at: "reasoning_engine", strict: strict)
        name = try f.string("name") ?? ""
        displayName = try f.string("displayName", maxCharacters: Limits.displayName)
        description = try f.string("description", maxCharacters: Limits.description)
        createTime = try f.string("createTime")
        updateTime = try f.string("updateTime")
        for tolerated in ["spec", "labels", "contextSpec", "encryptionSpec", "etag", "trafficConfig"] { _ = f.take(tolerated) }
        try f.finish()
    }

    package var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name)]
        if let displayName { o["displayName"] = .string(displayName) }
        if let description { o["description"] = .string(description) }
        if let createTime { o["createTime"] = .string(createTime) }
        if let updateTime { o["updateTime"] = .string(updateTime) }
        return .object(o)
    }
}

/// A long-running operation (`google.longrunning.LongRunningOperation`).
public struct LongRunningOperation: Sendable, Hashable {
    package var name: String
    package var done: Bool
    package var metadata: JSONValue?
    /// The finished resource (with `@type`), when done and successful.
    package var response: JSONValue?
    /// The failure, when done and failed.
    package var error: RPCStatus?

    package init(name: String, done: Bool, metadata: JSONValue? = nil, response: JSONValue? = nil, error: RPCStatus? = nil) {
        self.name = name
        self.done = done
        self.metadata = metadata
        self.response = response
        self.error = error
    }

    /// Reads an operation from a response body.
    package init(json: JSONValue) throws(GoogleError) {
        var f = try FieldReader(json, at: "operation", strict: false)
        name = try f.string("name") ?? ""
        done = try f.bool("done") ?? false
        metadata = f.take("metadata")
        response = f.take("response")
        error = f.take("error").map(RPCStatus.init(json:))
    }

    /// Proto-JSON form; `done` is omitted while running, as proto3 does for false.
    package var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name)]
        if done { o["done"] = true }
        if let metadata { o["metadata"] = metadata }
        if let response { o["response"] = response }
        if let error { o["error"] = error.json }
        return .object(o)
    }
}

/// `@type` URLs used in operation payloads.
package enum TypeURL {
    package static let sandboxEnvironment = "type.googleapis.com/google.cloud.aiplatform.v1beta1.SandboxEnvironment"
    package static let reasoningEngine = "type.googleapis.com/google.cloud.aiplatform.v1beta1.ReasoningEngine"
    package static let empty = "type.googleapis.com/google.protobuf.Empty"
    package static let genericMetadata = "type.googleapis.com/google.cloud.aiplatform.v1beta1.GenericOperationMetadata"
    package static let errorInfo = "type.googleapis.com/google.rpc.ErrorInfo"
    package static let badRequest = "type.googleapis.com/google.rpc.BadRequest"
}
