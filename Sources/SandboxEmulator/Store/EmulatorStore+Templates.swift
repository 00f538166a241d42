import SandboxAPI

/// The engine's `sandboxEnvironmentTemplates`: create, get, list, patch (v1beta1) and delete. A
/// template is stored and listed as sent; the emulator cannot run what it describes except a plain
/// code-execution sandbox (custom images and Google's shell or computer-use containers answer
/// UNIMPLEMENTED at sandbox create), keeps the network closed whatever `egressControlConfig` says, and
/// serves every sandbox from its own warm pool whatever `warmPoolConfig` says (docs/emulator-fidelity.md).
extension EmulatorStore {
    func createTemplate(engine: String, body: JSONValue, beta: Bool) throws(GoogleError) -> LongRunningOperation {
        guard engines[engine] != nil else { throw Self.engineNotFound(engine) }
        var template = try SandboxEnvironmentTemplate(json: body, strict: true, beta: beta)
        if template.customContainerEnvironment != nil, (template.imageURI ?? "").isEmpty {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at "
                    + "'sandbox_environment_template.custom_container_environment.custom_container_spec.image_uri': "
                    + "an image URI is required for a custom container.")
        }
        guard templateBook.records.count < TemplateBook.maxTemplates else {
            throw GoogleError(
                .resourceExhausted,
                "Quota exceeded: at most \(TemplateBook.maxTemplates) sandbox environment templates "
                    + "may exist at once in this emulator.")
        }
        let time = ProtoTimestamp.format(now())
        template.name = "\(engine)/sandboxEnvironmentTemplates/\(newID())"
        template.state = .active
        template.createTime = time
        template.updateTime = time
        seq += 1
        templateBook[template.name] = TemplateBook.Record(resource: template, engine: engine, seq: seq)
        return finishedTemplateOperation(template, time: time)
    }

    func template(_ name: String) throws(GoogleError) -> SandboxEnvironmentTemplate {
        guard let record = templateBook[name] else { throw Self.templateNotFound(name) }
        return record.resource
    }

    func listTemplates(engine: String, pageSize: Int, pageToken: String?, filter: String?) throws(GoogleError) -> JSONValue {
        guard engines[engine] != nil else { throw Self.engineNotFound(engine) }
        let predicate = try ResourceFilter(filter ?? "", fields: ["displayName", "state"])
        let all = templateBook.templates(of: engine).filter { predicate.matches($0.resource.json) }
        let (page, next) = try Self.paginate(all, seq: \.seq, pageSize: pageSize, pageToken: pageToken)
        var o: [String: JSONValue] = ["sandboxEnvironmentTemplates": .array(page.map(\.resource.json))]
        if let next { o["nextPageToken"] = .string(next) }
        return .object(o)
    }

    /// `PATCH {template}?updateMask=`: "Only the container image and the warm pool size can be updated."
    func patchTemplate(_ name: String, body: JSONValue, updateMask: String?) throws(GoogleError) -> LongRunningOperation {
        let paths = try SandboxEnvironmentTemplate.updateMask(updateMask)
        let patch = try SandboxEnvironmentTemplate(json: body, strict: true, beta: true)
        guard var record = templateBook[name] else { throw Self.templateNotFound(name) }
        var template = record.resource
        for path in paths {
            switch path {
            case "custom_container_environment.custom_container_spec.image_uri":
                guard let image = patch.imageURI, !image.isEmpty else {
                    throw GoogleError(
                        .invalidArgument,
                        "Invalid value at "
                            + "'sandbox_environment_template.custom_container_environment.custom_container_spec.image_uri': "
                            + "the update mask names it, so the body must give a non-empty image URI.")
                }
                guard template.defaultContainerEnvironment == nil else {
                    throw GoogleError(
                        .invalidArgument,
                        "The template \(name) uses a default container; only a custom container's image "
                            + "can be updated.")
                }
                var custom = template.customContainerEnvironment?.objectValue ?? [:]
                var spec = custom["customContainerSpec"]?.objectValue ?? [:]
                spec["imageUri"] = .string(image)
                custom["customContainerSpec"] = .object(spec)
                template.customContainerEnvironment = .object(custom)
            case "warm_pool_config.target_instance_count":
                template.hasWarmPoolConfig = true
                template.warmPoolTargetInstanceCount = patch.warmPoolTargetInstanceCount ?? 0
            default:
                template.hasWarmPoolConfig = true
                template.warmPoolUpdateStrategy = patch.warmPoolUpdateStrategy
            }
        }
        let time = ProtoTimestamp.format(now())
        template.updateTime = time
        record.resource = template
        templateBook[name] = record
        return finishedTemplateOperation(template, time: time)
    }

    /// Deletes a template. Sandboxes created from it keep running (the documents do not say otherwise).
    func deleteTemplate(_ name: String) throws(GoogleError) -> LongRunningOperation {
        guard templateBook[name] != nil else { throw Self.templateNotFound(name) }
        templateBook.remove(name)
        let time = ProtoTimestamp.format(now())
        let op = LongRunningOperation(
            name: "\(name)/operations/\(newID())", done: true, metadata: metadata(time),
            response: ["@type": .string(TypeURL.empty)])
        keep(op)
        return op
    }

    /// Whether a sandbox can be created from `name` here: the template must exist under `engine`
    /// and describe nothing but what the emulator runs (a code-execution sandbox).
    func checkTemplateRunsHere(_ name: String, engine: String) throws(GoogleError) {
        guard let parsed = ResourceName(name), parsed.templatePath == name else {
            throw GoogleError(
                .invalidArgument,
                "Invalid value at 'sandbox_environment.sandbox_environment_template', "
                    + "\"\(name.prefix(200))\": expected "
                    + "projects/{project}/locations/{location}/reasoningEngines/{engine}/"
                    + "sandboxEnvironmentTemplates/{id}.")
        }
        guard parsed.enginePath == engine else {
            throw GoogleError(
                .invalidArgument,
                "The template \(name) belongs to another reasoning engine than \(engine); a template is "
                    + "specified in the parent Agent Engine resource.")
        }
        guard let template = templateBook[name]?.resource else { throw Self.templateNotFound(name) }
        if let image = template.imageURI {
            throw GoogleError(
                .unimplemented,
                "The template \(name) runs the custom container image \(image.prefix(200)); this emulator "
                    + "cannot run container images, only code-execution sandboxes (docs/emulator-fidelity.md).")
        }
        switch template.defaultContainerCategory {
        case .computerUse?, .shellSandbox?:
            let category = template.defaultContainerCategory?.rawValue ?? ""
            throw GoogleError(
                .unimplemented,
                "The template \(name) names the default container \(category); this emulator runs "
                    + "code-execution sandboxes only, not shell or computer-use environments "
                    + "(docs/emulator-fidelity.md).")
        default:
            break
        }
    }

    private func finishedTemplateOperation(_ template: SandboxEnvironmentTemplate, time: String) -> LongRunningOperation {
        var response = template.json.objectValue ?? [:]
        response["@type"] = .string(TypeURL.sandboxEnvironmentTemplate)
        let op = LongRunningOperation(
            name: "\(template.name)/operations/\(newID())", done: true, metadata: metadata(time),
            response: .object(response))
        keep(op)
        return op
    }

    static func templateNotFound(_ name: String) -> GoogleError {
        GoogleError(.notFound, "SandboxEnvironmentTemplate \(name) not found.")
    }
}
