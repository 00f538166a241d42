/// State of a sandbox template. The values carry **no** `STATE_` prefix (the VX SDK checks them as a `Literal`).
package enum TemplateState: String, Sendable, CaseIterable {
    case unspecified = "UNSPECIFIED"
    case provisioning = "PROVISIONING"
    case active = "ACTIVE"
    case deprovisioning = "DEPROVISIONING"
    case deleted = "DELETED"
    case failed = "FAILED"
}

/// The Google-provided containers a template can name.
package enum DefaultContainerCategory: String, Sendable, CaseIterable {
    case unspecified = "DEFAULT_CONTAINER_CATEGORY_UNSPECIFIED"
    case computerUse = "DEFAULT_CONTAINER_CATEGORY_COMPUTER_USE"
    case shellSandbox = "DEFAULT_CONTAINER_CATEGORY_SHELL_SANDBOX"
}

/// How a warm pool takes a template change.
package enum WarmPoolUpdateStrategy: String, Sendable, CaseIterable {
    case unspecified = "UPDATE_STRATEGY_UNSPECIFIED"
    case onReplenish = "ON_REPLENISH"
    case recreate = "RECREATE"
}

/// A sandbox template (`SandboxEnvironmentTemplate`), a child of the agent engine.
///
/// Nested objects are read in either key spelling (the SDKs send snake_case below the top level)
/// and written in lowerCamelCase. Parts the emulator only stores (ports, resources, egress, ingress,
/// disk) are kept as canonical JSON after validation.
package struct SandboxEnvironmentTemplate: Sendable, Hashable {
    package var name: String
    package var displayName: String?
    /// `customContainerEnvironment`, canonicalised; its image is `customContainerEnvironment.customContainerSpec.imageUri`.
    package var customContainerEnvironment: JSONValue?
    /// `defaultContainerEnvironment.defaultContainerCategory`, when that variant is set.
    package var defaultContainerCategory: DefaultContainerCategory?
    /// `defaultContainerEnvironment`, canonicalised.
    package var defaultContainerEnvironment: JSONValue?
    package var egressControlConfig: JSONValue?
    package var ingressControlConfig: JSONValue?
    package var warmPoolTargetInstanceCount: Int?
    package var warmPoolUpdateStrategy: WarmPoolUpdateStrategy?
    /// Whether `warmPoolConfig` was given at all.
    package var hasWarmPoolConfig: Bool
    package var persistentDiskConfig: JSONValue?
    package var useGkeTd: Bool?
    package var state: TemplateState
    package var createTime: String?
    package var updateTime: String?

    /// The custom container's image, if the template has one.
    package var imageURI: String? { customContainerEnvironment?["customContainerSpec"]?["imageUri"]?.stringValue }

    /// Reads a template. `strict` is for request bodies; `beta` says whether the v1beta1-only fields
    /// (`warmPoolConfig`, `persistentDiskConfig`, `useGkeTd`) exist in the API version called.
    package init(json: JSONValue, strict: Bool, beta: Bool = true) throws(GoogleError) {
        let at = "sandbox_environment_template"
        var f = try FieldReader(json, at: at, strict: strict)
        name = try f.string("name") ?? ""
        displayName = try f.string("displayName", maxCharacters: Limits.displayName)
        state = try f.enumValue("state", TemplateState.self) ?? .unspecified
        createTime = try f.string("createTime")
        updateTime = try f.string("updateTime")
        customContainerEnvironment = try f.object("customContainerEnvironment").map { r throws(GoogleError) in try Self.customContainer(r) }
        defaultContainerCategory = nil
        defaultContainerEnvironment = nil
        if var d = try f.object("defaultContainerEnvironment") {
            let category = try d.enumValue("defaultContainerCategory", DefaultContainerCategory.self) ?? .unspecified
            var o: [String: JSONValue] = ["defaultContainerCategory": .string(category.rawValue)]
            if let r = try d.object("resources") { o["resources"] = try Self.resources(r) }
            try d.finish()
            defaultContainerCategory = category
            defaultContainerEnvironment = .object(o)
        }
        if strict, customContainerEnvironment != nil, defaultContainerEnvironment != nil {
            throw GoogleError.invalid(
                "Invalid value at '\(at)': custom_container_environment and default_container_environment are one "
                    + "field (oneof 'sandbox_environment_category'); give one of them.")
        }
        egressControlConfig = try f.object("egressControlConfig").map { r throws(GoogleError) in try Self.egress(r) }
        ingressControlConfig = try f.object("ingressControlConfig").map { r throws(GoogleError) in try Self.ingress(r) }
        hasWarmPoolConfig = false
        if beta || !strict {
            if var w = try f.object("warmPoolConfig") {
                hasWarmPoolConfig = true
                warmPoolTargetInstanceCount = try w.int("targetInstanceCount")
                warmPoolUpdateStrategy = try w.enumValue("updateStrategy", WarmPoolUpdateStrategy.self)
                try w.finish()
                if strict, let n = warmPoolTargetInstanceCount, !(0...Int(Int32.max)).contains(n) {
                    throw GoogleError.invalid(
                        "Invalid value at '\(at).warm_pool_config.target_instance_count': \(n) is not a "
                            + "non-negative int32.")
                }
            }
            persistentDiskConfig = try f.object("persistentDiskConfig").map { r throws(GoogleError) in try Self.disk(r) }
            useGkeTd = try f.bool("useGkeTd")
        }
        try f.finish()
    }

    /// The lowerCamelCase proto-JSON form.
    package var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name), "state": .string(state.rawValue)]
        if let displayName { o["displayName"] = .string(displayName) }
        if let customContainerEnvironment { o["customContainerEnvironment"] = customContainerEnvironment }
        if let defaultContainerEnvironment { o["defaultContainerEnvironment"] = defaultContainerEnvironment }
        if let egressControlConfig { o["egressControlConfig"] = egressControlConfig }
        if let ingressControlConfig { o["ingressControlConfig"] = ingressControlConfig }
        if hasWarmPoolConfig {
            var w: [String: JSONValue] = [:]
            if let n = warmPoolTargetInstanceCount { w["targetInstanceCount"] = .number(Double(n)) }
            if let s = warmPoolUpdateStrategy { w["updateStrategy"] = .string(s.rawValue) }
            o["warmPoolConfig"] = .object(w)
        }
        if let persistentDiskConfig { o["persistentDiskConfig"] = persistentDiskConfig }
        if let useGkeTd { o["useGkeTd"] = .bool(useGkeTd) }
        if let createTime { o["createTime"] = .string(createTime) }
        if let updateTime { o["updateTime"] = .string(updateTime) }
        return .object(o)
    }

    /// The update-mask paths `patch` accepts ("Only these paths are supported"), in snake_case.
    package static let patchablePaths: Set<String> = [
        "custom_container_environment.custom_container_spec.image_uri",
        "warm_pool_config.target_instance_count",
        "warm_pool_config.update_strategy"
    ]

    /// Parses an `updateMask` (comma-separated paths, either spelling) into snake_case paths;
    /// INVALID_ARGUMENT for an empty mask or a path `patch` does not support.
    package static func updateMask(_ text: String?) throws(GoogleError) -> [String] {
        let paths = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !paths.isEmpty else {
            throw GoogleError.invalid(
                "Invalid update_mask: it is required and must name at least one of "
                    + "\(patchablePaths.sorted().joined(separator: ", ")).")
        }
        var result: [String] = []
        for path in paths {
            let snake = path.split(separator: ".", omittingEmptySubsequences: false)
                .map { FieldName.snake(String($0)) }.joined(separator: ".")
            guard patchablePaths.contains(snake) else {
                throw GoogleError.invalid(
                    "Invalid update_mask path \"\(path.prefix(200))\": only the container image and the warm pool "
                        + "size can be updated; supported paths are \(patchablePaths.sorted().joined(separator: ", ")).")
            }
            if !result.contains(snake) { result.append(snake) }
        }
        return result
    }

    // MARK: Validation and canonical form of the stored parts

    private static func customContainer(_ r: FieldReader) throws(GoogleError) -> JSONValue {
        var r = r
        var o: [String: JSONValue] = [:]
        if var spec = try r.object("customContainerSpec") {
            var s: [String: JSONValue] = [:]
            if let image = try spec.string("imageUri", maxCharacters: 1024) { s["imageUri"] = .string(image) }
            try spec.finish()
            o["customContainerSpec"] = .object(s)
        }
        if let ports = try r.array("ports") {
            guard ports.count <= 1000 else { throw GoogleError.invalid("Invalid value at '\(r.path(of: "ports"))': at most 1000 ports.") }
            var list: [JSONValue] = []
            for (i, item) in ports.enumerated() {
                var p = try FieldReader(item, at: r.path(of: "ports[\(i)]"), strict: true)
                let port = try p.int("port")
                guard let port, (1...65_535).contains(port) else {
                    throw GoogleError.invalid(
                        "Invalid value at '\(r.path(of: "ports[\(i)]")).port': "
                            + "\(port.map(String.init) ?? "nothing"); this must be a valid port number, between 1 and "
                            + "65535.")
                }
                let proto = try p.string("protocol") ?? "TCP"
                guard ["PROTOCOL_UNSPECIFIED", "TCP", "UDP"].contains(proto) else {
                    throw GoogleError.invalid(
                        "Invalid value at '\(r.path(of: "ports[\(i)]")).protocol', \"\(proto.prefix(64))\": "
                            + "expected TCP or UDP.")
                }
                try p.finish()
                list.append(["port": .number(Double(port)), "protocol": .string(proto == "PROTOCOL_UNSPECIFIED" ? "TCP" : proto)])
            }
            o["ports"] = .array(list)
        }
        if let res = try r.object("resources") { o["resources"] = try resources(res) }
        try r.finish()
        return .object(o)
    }

    private static func resources(_ r: FieldReader) throws(GoogleError) -> JSONValue {
        var r = r
        var o: [String: JSONValue] = [:]
        for key in ["requests", "limits"] {
            guard let value = r.take(key) else { continue }
            // A map<string,string>: its keys are Kubernetes resource names, not field names.
            guard case .object(let map) = value, map.count <= 64,
                map.allSatisfy({ $0.key.utf8.count <= 253 && ($0.value.stringValue?.utf8.count ?? 65) <= 64 })
            else {
                throw GoogleError.invalid(
                    "Invalid value at '\(r.path(of: key))': expected a map of resource names to quantities such "
                        + "as {\"cpu\": \"500m\", \"memory\": \"1Gi\"}.")
            }
            o[key] = value
        }
        try r.finish()
        return .object(o)
    }

    private static func egress(_ r: FieldReader) throws(GoogleError) -> JSONValue {
        var r = r
        var o: [String: JSONValue] = [:]
        if let internet = try r.bool("internetAccess") { o["internetAccess"] = .bool(internet) }
        if let attachment = try r.string("networkAttachment", maxCharacters: 1024) { o["networkAttachment"] = .string(attachment) }
        if let peers = try r.array("dnsPeeringConfigs") {
            guard peers.count <= 1000 else {
                throw GoogleError.invalid("Invalid value at '\(r.path(of: "dns_peering_configs"))': at most 1000 DNS peering configs.")
            }
            var list: [JSONValue] = []
            for (i, item) in peers.enumerated() {
                let at = r.path(of: "dns_peering_configs[\(i)]")
                var p = try FieldReader(item, at: at, strict: true)
                var c: [String: JSONValue] = [:]
                let domain = try p.string("domain", maxCharacters: 253) ?? ""
                guard domain.hasSuffix(".") else {
                    throw GoogleError.invalid("Invalid value at '\(at).domain', \"\(domain)\": the domain must end with a dot.")
                }
                c["domain"] = .string(domain)
                if let project = try p.string("targetProject", maxCharacters: 128) { c["targetProject"] = .string(project) }
                if let network = try p.string("targetNetwork", maxCharacters: 1024) { c["targetNetwork"] = .string(network) }
                try p.finish()
                list.append(.object(c))
            }
            o["dnsPeeringConfigs"] = .array(list)
        }
        try r.finish()
        return .object(o)
    }

    private static func ingress(_ r: FieldReader) throws(GoogleError) -> JSONValue {
        var r = r
        var o: [String: JSONValue] = [:]
        if let enabled = try r.bool("enablePrivateServiceConnect") { o["enablePrivateServiceConnect"] = .bool(enabled) }
        if let projects = try r.array("projectAllowlist") {
            guard projects.count <= 1000, projects.allSatisfy({ ($0.stringValue?.utf8.count ?? 129) <= 128 }) else {
                throw GoogleError.invalid("Invalid value at '\(r.path(of: "project_allowlist"))': expected a list of project IDs.")
            }
            o["projectAllowlist"] = .array(projects)
        }
        // "The nested psc_interface_config (PSC-I / egress) is not used for sandbox ingress": accepted, not kept.
        _ = r.take("pscInterfaceConfig")
        try r.finish()
        return .object(o)
    }

    /// Directories a persistent disk may not shadow.
    static let systemDirectories = [
        "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys",
        "/usr", "/var"
    ]

    private static func disk(_ r: FieldReader) throws(GoogleError) -> JSONValue {
        var r = r
        var o: [String: JSONValue] = [:]
        let enabled = try r.bool("enabled") ?? false
        o["enabled"] = .bool(enabled)
        if let mount = try r.string("mountPath", maxCharacters: 4096) {
            let parts = mount.split(separator: "/", omittingEmptySubsequences: true)
            guard mount.hasPrefix("/"), !parts.contains(where: { $0 == "." || $0 == ".." }) else {
                throw GoogleError.invalid(
                    "Invalid value at '\(r.path(of: "mount_path"))', \"\(mount.prefix(200))\": expected an "
                        + "absolute path.")
            }
            let normalised = "/" + parts.joined(separator: "/")
            if systemDirectories.contains(where: { normalised == $0 || ($0 != "/" && normalised.hasPrefix($0 + "/")) }) {
                throw GoogleError.invalid(
                    "Invalid value at '\(r.path(of: "mount_path"))', \"\(mount.prefix(200))\": it would shadow "
                        + "the container's system directories.")
            }
            o["mountPath"] = .string(normalised)
        }
        if let size = try r.int("sizeGb") {
            guard size >= 0 else {
                throw GoogleError.invalid(
                    "Invalid value at '\(r.path(of: "size_gb"))': \(size); it must be "
                        + "non-negative.")
            }
            o["sizeGb"] = .string(String(size))
        }
        try r.finish()
        return .object(o)
    }
}
