import Foundation
import HarnessCore

/// sandbench's request rate and CPU per request against one server, beside wrk's and Locust's
/// against the same server in the same run, one tool after another.
struct RequestRateBench {
    let harness: LoadGeneratorBench
    /// Python with Locust, or nil to leave Locust out.
    let locustPython: String?

    /// Measures the three tools against `baseURL` + `/healthz` and prints figures, ratios and goals.
    func run(server: String, baseURL: String) async {
        let (connections, seconds, output) = (harness.connections, harness.seconds, harness.output)
        output.heading("\(server): GET /healthz, \(connections) connections, \(seconds) s per tool, one tool after another")

        // sandbench: closed model, one raw `request` step per session, as `sandbench load --vus N`.
        let plan = LoadPlan(model: .closed(vus: connections, iterations: nil, duration: .seconds(seconds), pacing: nil))
        let cpuBefore = ProcessCPU.ofSelf()
        let (ours, secs) = await harness.load(baseURL, plan: plan)
        let cpuAfter = ProcessCPU.ofSelf()
        let requests = ours.counters.steps
        var cpu: Double?
        if let cpuBefore, let cpuAfter { cpu = ToolFigure.perRequest(cpuSeconds: cpuAfter - cpuBefore, requests: requests) }
        let sandbench = ToolFigure(rate: Double(requests) / max(secs, 1e-9), cpuPerRequest: cpu)
        let errors = ours.counters.stepErrors + ours.counters.stepFailures
        output.figure("sandbench load --vus \(connections), request step", String(format: "%.0f req/s (%d errors)", sandbench.rate, errors))
        if let cpu {
            output.figure(
                "  sandbench CPU per request (/proc/self/stat)", String(format: "%.1f µs", cpu),
                goal: "≤ 25 µs", met: cpu <= 25)
        }

        if let wrk = ExternalTools.wrk(url: baseURL + "/healthz", connections: connections, seconds: seconds) {
            output.figure("wrk -t1 -c\(connections)", String(format: "%.0f req/s, ", wrk.rate) + wrk.cpuText)
            output.figure(
                "  ratio sandbench / wrk", String(format: "%.2f×", sandbench.rate / wrk.rate), goal: "≥ 0.8×",
                met: sandbench.rate / wrk.rate >= 0.8)
        } else {
            output.figure("wrk", "not installed (apt-get install wrk)")
        }
        if let locustPython,
            let locust = ExternalTools.locust(python: locustPython, base: baseURL, path: "/healthz", users: connections, seconds: seconds)
        {
            output.figure(
                "Locust FastHttpUser, \(connections) users, 1 process",
                String(format: "%.0f req/s, ", locust.rate) + locust.cpuText)
            output.figure(
                "  ratio sandbench / Locust", String(format: "%.1f×", sandbench.rate / locust.rate), goal: "≥ 10×",
                met: sandbench.rate / locust.rate >= 10)
        } else {
            output.figure("Locust", "did not run (the bench installs it with pip into \(ExternalTools.benchVenv))")
        }
    }
}
