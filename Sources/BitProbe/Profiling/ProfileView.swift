/// The views of a profile that `bitprobe profile --view` and `/debug/profile?view=` offer, rendered
/// the same way by both.
public enum ProfileView: String, CaseIterable, Sendable {
    case hotspots, tree, folded, flamegraph

    /// The view named `text`, or the one-line error both surfaces print.
    public static func parse(_ text: String) -> Result<ProfileView, UnknownView> {
        ProfileView(rawValue: text).map { .success($0) } ?? .failure(UnknownView(text: text))
    }

    public struct UnknownView: Error, CustomStringConvertible {
        public var text: String
        public var description: String {
            "unknown view '\(text)'; expected one of: \(ProfileView.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }

    /// The rendered view and its media type (flame graphs are SVG documents, the rest plain text).
    public func render(_ analysis: ProfileAnalysis, title: String) -> (body: String, contentType: String) {
        switch self {
        case .hotspots: (analysis.hotspotText, "text/plain; charset=utf-8")
        case .tree: (analysis.treeText, "text/plain; charset=utf-8")
        case .folded: (analysis.foldedStacks, "text/plain; charset=utf-8")
        case .flamegraph: (FlameGraph.svg(analysis, title: title), "image/svg+xml")
        }
    }
}
