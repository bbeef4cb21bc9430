/// Call-tree and hotspot views of finished traces, and folded stacks for flame graphs.
///
/// Nodes are keyed by the path of span names from the root, so repeated cycles merge: the tree of
/// 100 cycles has one `cycle` node with 100 calls. Self time is a span's time minus its children's.
public struct ProfileAnalysis: Sendable {
    public struct Node: Codable, Sendable, Equatable {
        public var path: [String]
        public var calls: Int
        public var totalNanos: UInt64
        public var selfNanos: UInt64
        /// totalNanos / the sum of the roots' time.
        public var shareOfTotal: Double
    }

    /// Call-tree nodes in depth-first order (children in first-seen order).
    public let nodes: [Node]
    public let rootNanos: UInt64

    public init(traces: [ProfileSpan]) {
        var totals: [[String]: (calls: Int, total: UInt64, selfTime: UInt64)] = [:]
        var childrenOf: [[String]: [[String]]] = [[]: []]
        func visit(_ span: ProfileSpan, prefix: [String]) {
            let path = prefix + [span.name]
            let duration = span.durationNanos
            let children = span.children
            let childTime = children.reduce(UInt64(0)) { $0 + $1.durationNanos }
            if totals[path] == nil {
                childrenOf[prefix, default: []].append(path)
                childrenOf[path] = []
            }
            var entry = totals[path] ?? (0, 0, 0)
            entry.calls += 1
            entry.total += duration
            entry.selfTime += duration > childTime ? duration - childTime : 0
            totals[path] = entry
            for child in children { visit(child, prefix: path) }
        }
        for trace in traces { visit(trace, prefix: []) }
        let rootTime = traces.reduce(UInt64(0)) { $0 + $1.durationNanos }
        rootNanos = rootTime
        var ordered: [Node] = []
        func emit(_ path: [String]) {
            let entry = totals[path]!
            ordered.append(
                Node(
                    path: path, calls: entry.calls, totalNanos: entry.total, selfNanos: entry.selfTime,
                    shareOfTotal: rootTime > 0 ? Double(entry.total) / Double(rootTime) : 0))
            for child in childrenOf[path] ?? [] { emit(child) }
        }
        for root in childrenOf[[]] ?? [] { emit(root) }
        nodes = ordered
    }

    /// Span names ranked by self time (summed over every path they appear on).
    public var hotspots: [Node] {
        var byName: [String: Node] = [:]
        var firstSeen: [String] = []
        for node in nodes {
            let name = node.path.last!
            if byName[name] == nil {
                firstSeen.append(name)
                byName[name] = Node(path: [name], calls: 0, totalNanos: 0, selfNanos: 0, shareOfTotal: 0)
            }
            byName[name]!.calls += node.calls
            byName[name]!.totalNanos += node.totalNanos
            byName[name]!.selfNanos += node.selfNanos
        }
        return firstSeen.map { name in
            var node = byName[name]!
            node.shareOfTotal = rootNanos > 0 ? Double(node.selfNanos) / Double(rootNanos) : 0
            return node
        }.sorted { $0.selfNanos != $1.selfNanos ? $0.selfNanos > $1.selfNanos : $0.path[0] < $1.path[0] }
    }

    /// Brendan Gregg's folded format: `cycle;probe cpu0 matmul f32 512x512x512;measure 1234`, one
    /// line per path with its self time in microseconds (flamegraph.pl, speedscope, inferno).
    public var foldedStacks: String {
        nodes.filter { $0.selfNanos >= 1000 }
            .map { $0.path.map { $0.replacingAll(";", with: ",") }.joined(separator: ";") + " \($0.selfNanos / 1000)" }
            .joined(separator: "\n") + (nodes.isEmpty ? "" : "\n")
    }

    /// An indented call tree with total, self, calls and share.
    public var treeText: String {
        var lines = ["TOTAL       SELF        CALLS   SHARE   SPAN"]
        for node in nodes {
            let indent = String(repeating: "  ", count: node.path.count - 1)
            lines.append(
                pad(formatDuration(Double(node.totalNanos) / 1e9), 12)
                    + pad(formatDuration(Double(node.selfNanos) / 1e9), 12) + pad(String(node.calls), 8)
                    + pad(formatFixed(node.shareOfTotal * 100, decimals: 1) + "%", 8) + indent + node.path.last!)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Hotspots as a table: self time, share of the whole, calls, total.
    public var hotspotText: String {
        var lines = ["SELF        SHARE   CALLS   TOTAL       SPAN"]
        for node in hotspots {
            lines.append(
                pad(formatDuration(Double(node.selfNanos) / 1e9), 12) + pad(formatFixed(node.shareOfTotal * 100, decimals: 1) + "%", 8)
                    + pad(String(node.calls), 8) + pad(formatDuration(Double(node.totalNanos) / 1e9), 12) + node.path[0])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
