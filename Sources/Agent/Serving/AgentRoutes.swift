import BitProbe
import Exposition
import FoundationEssentials
import HTTPServer
import Synchronization

/// The agent's HTTP surface. Called on libmicrohttpd's threads: reads published snapshots, renders
/// outside any lock, never blocks on probes.
final class AgentRoutes: Sendable {
    let telemetryPath: String
    private let state: AgentState
    private let processMetrics = ProcessMetrics()
    private let requestCounts = Mutex<[String: [Int: Double]]>([:])
    /// The server's own counters (logins refused before a handler runs); set once the server exists.
    private let serverStatistics = Mutex<(@Sendable () -> HTTPServerStatistics)?>(nil)

    init(telemetryPath: String, state: AgentState) {
        self.telemetryPath = telemetryPath
        self.state = state
    }

    func attach(serverStatistics statistics: @escaping @Sendable () -> HTTPServerStatistics) {
        serverStatistics.withLock { $0 = statistics }
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let (handler, response): (String, HTTPResponse)
        switch request.path {
        case telemetryPath: (handler, response) = ("metrics", metrics(request))
        case "/": (handler, response) = ("landing", landingPage())
        case "/-/healthy":
            (handler, response) = (
                "healthy",
                HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("Healthy\n".utf8), compressible: false)
            )
        case "/-/ready": (handler, response) = ("ready", readiness())
        case "/api/v1/probes": (handler, response) = ("probes", probesJSON())
        case "/api/v1/memory": (handler, response) = ("memory", memoryJSON(request))
        case "/api/v1/alerts": (handler, response) = ("alerts", alertsJSON())
        case "/debug/profile": (handler, response) = ("profile", profile(request))
        case "/report": (handler, response) = ("report", report(request))
        default:
            (handler, response) = (
                "other",
                HTTPResponse(
                    status: 404, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("404 page not found\n".utf8), compressible: false)
            )
        }
        requestCounts.withLock { $0[handler, default: [:]][response.status, default: 0] += 1 }
        return response
    }

    private func metrics(_ request: HTTPRequest) -> HTTPResponse {
        let format = ExpositionFormat.negotiate(accept: request.headers["accept"])
        let snapshot = state.current()
        var dynamic = processMetrics.families() + AgentFamilies.reload(state.reload())
        if let notifier = state.alertmanager { dynamic.append(AgentFamilies.alertmanager(notifier.counters)) }
        if let exporter = state.tracing { dynamic += AgentFamilies.tracing(exporter.statistics) }
        let counts = requestCounts.withLock { counts in
            counts.flatMap { handler, codes in codes.map { (handler: handler, code: $0.key, count: $0.value) } }
        }
        dynamic.append(AgentFamilies.httpRequests(counts.sorted { ($0.handler, $0.code) < ($1.handler, $1.code) }))
        if let statistics = serverStatistics.withLock({ $0 })?() { dynamic.append(AgentFamilies.authenticationFailures(statistics)) }
        let body = ExpositionRenderer.render(dynamic, merging: snapshot.rendered, as: format)
        return HTTPResponse(status: 200, headers: [("Content-Type", format.contentType)], body: body, compressible: true)
    }

    private func readiness() -> HTTPResponse {
        if state.isReady {
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("Ready\n".utf8), compressible: false)
        }
        let snapshot = state.current()
        let reason = snapshot.cycle == 0 ? "the first probe cycle has not finished" : "no backend is up"
        return HTTPResponse(
            status: 503, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("Not ready: \(reason)\n".utf8), compressible: false)
    }

    /// Latest results, shaped like Prometheus's API envelope; samples are left out (statistics stay).
    private func probesJSON() -> HTTPResponse {
        let snapshot = state.current()
        struct Payload: Encodable {
            var status = "success"
            var data: Data
            struct Data: Encodable {
                var cycle: Int
                var completedAt: Double
                var probes: [ProbeResult]
            }
        }
        let probes = snapshot.results.map { result -> ProbeResult in
            var trimmed = result
            trimmed.samples = []
            return trimmed
        }
        return jsonResponse(Payload(data: .init(cycle: snapshot.cycle, completedAt: snapshot.completedAt, probes: probes)))
    }

    /// Host signals and pressure as the latest cycle read them, tracked probe memory, leaks and recommendations;
    /// `?events=N` adds the tracker's last N events.
    private func memoryJSON(_ request: HTTPRequest) -> HTTPResponse {
        var events: Int?
        if let text = request.query["events"] {
            guard let count = Int(text), count >= 1 else {
                return HTTPResponse(
                    status: 400, headers: [("Content-Type", "text/plain; charset=utf-8")],
                    body: Array("events must be a positive integer (got '\(text)')\n".utf8), compressible: false)
            }
            events = count
        }
        let report = state.current().memoryReport(tracker: state.memory, recentEvents: events)
        struct Payload: Encodable {
            var status = "success"
            var data: MemoryReport
        }
        return jsonResponse(Payload(data: report))
    }

    /// The profile of the latest cycles: `?view=hotspots` (default), `tree`, `folded` or `flamegraph` (SVG).
    private func profile(_ request: HTTPRequest) -> HTTPResponse {
        let view: ProfileView
        switch ProfileView.parse(request.query["view"] ?? "hotspots") {
        case .success(let parsed): view = parsed
        case .failure(let error):
            return HTTPResponse(
                status: 400, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array((error.description + "\n").utf8), compressible: false)
        }
        let traces = state.recentProfiles()
        let rendered = view.render(ProfileAnalysis(traces: traces), title: "bitprobe agent: the latest \(traces.count) cycle\(traces.count == 1 ? "" : "s")")
        return HTTPResponse(status: 200, headers: [("Content-Type", rendered.contentType)], body: Array(rendered.body.utf8), compressible: true)
    }

    /// The HTML report of the agent's latest state; `?format=json` or `markdown` for the same data.
    private func report(_ request: HTTPRequest) -> HTTPResponse {
        let format = request.query["format"] ?? "html"
        guard ["html", "json", "markdown"].contains(format) else {
            return HTTPResponse(
                status: 400, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array("unknown format '\(format)'; expected one of: html, json, markdown\n".utf8), compressible: false)
        }
        let report = AgentReport.build(state)
        switch format {
        case "json":
            return jsonResponse(report, encoder: ProjectJSON.encoder(pretty: false))
        case "markdown":
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "text/markdown; charset=utf-8")], body: Array(MarkdownReport.render(report).utf8), compressible: true)
        default:
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(HTMLReport.render(report).utf8), compressible: true)
        }
    }

    /// Shaped like Prometheus's /api/v1/alerts, so the same tooling reads both.
    private func alertsJSON() -> HTTPResponse {
        struct Payload: Encodable {
            var status = "success"
            var data: Data
            struct Data: Encodable { var alerts: [Alert] }
            struct Alert: Encodable {
                var labels: [String: String]
                var annotations: [String: String]
                var state: String
                var activeAt: String
                var value: String
            }
        }
        let alerts = state.current().alerts.map { alert in
            Payload.Alert(
                labels: alert.labels, annotations: alert.annotations, state: alert.state.rawValue,
                activeAt: RFC3339.format(unixSeconds: alert.activeAt), value: String(alert.value))
        }
        // Prometheus's camelCase keys ("activeAt"), not the project's snake_case.
        let prometheusStyle = JSONEncoder()
        prometheusStyle.outputFormatting = [.sortedKeys]
        return jsonResponse(Payload(data: .init(alerts: alerts)), encoder: prometheusStyle)
    }

    private func jsonResponse(_ payload: some Encodable, encoder: JSONEncoder = ProjectJSON.encoder(pretty: false)) -> HTTPResponse {
        let body = (try? encoder.encode(payload)).map(Array.init) ?? Array("{\"status\":\"error\"}".utf8)
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body, compressible: true)
    }

    private func landingPage() -> HTTPResponse {
        let html = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>bitprobe</title></head>
            <body>
            <h1>bitprobe \(BitProbeVersion.version)</h1>
            <p>Verified performance probes for low-bit inference machines.</p>
            <ul>
            <li><a href="\(telemetryPath)">\(telemetryPath)</a>: metrics (Prometheus text 0.0.4 or OpenMetrics 1.0)</li>
            <li><a href="/api/v1/probes">/api/v1/probes</a>: latest probe results (JSON)</li>
            <li><a href="/api/v1/alerts">/api/v1/alerts</a>: pending and firing alerts of the in-process rules (JSON, as Prometheus)</li>
            <li><a href="/report">/report</a>: the performance report of the latest cycle: summary, charts, alerts, recent cycles, memory, flame graph, recommendations (?format=json, markdown)</li>
            <li><a href="/debug/profile">/debug/profile</a>: where the latest \(AgentState.profilesKept) cycles spent their time (?view=hotspots, tree, folded, flamegraph)</li>
            <li><a href="/api/v1/memory">/api/v1/memory</a>: memory pressure, tracked probe memory, recommendations (JSON; ?events=N adds the last N events)</li>
            <li><a href="/-/healthy">/-/healthy</a>, <a href="/-/ready">/-/ready</a></li>
            </ul>
            </body></html>

            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8), compressible: true)
    }
}
