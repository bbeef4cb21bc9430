/// A standalone SVG flame graph of a profile, in the classic layout: one row per call depth (root
/// at the bottom), each frame as wide as its total time, children left to right in first-seen
/// order inside their parent. Every frame carries a <title> with name, total, self, share and calls;
/// a few lines of inline script zoom into a frame on click (the picture needs no script).
public enum FlameGraph {
    public struct Frame: Equatable, Sendable {
        public var path: [String]
        public var x: Double
        public var width: Double
        public var depth: Int
    }

    public static let width = 1200.0
    public static let rowHeight = 18.0

    /// Frames laid out from the analysis's depth-first nodes. A child starts where its previous
    /// sibling ended, so children lie inside their parent and widths are proportional to time.
    public static func frames(nodes: [ProfileAnalysis.Node], rootNanos: UInt64?) -> [Frame] {
        let total = Double(rootNanos ?? nodes.filter { $0.path.count == 1 }.reduce(0) { $0 + $1.totalNanos })
        guard total > 0 else { return [] }
        var nextX: [[String]: Double] = [[]: 0]
        var frames: [Frame] = []
        for node in nodes {
            let parent = Array(node.path.dropLast())
            let x = nextX[parent] ?? 0
            let width = Double(node.totalNanos) / total * width
            frames.append(Frame(path: node.path, x: x, width: width, depth: node.path.count - 1))
            nextX[parent] = x + width
            nextX[node.path] = x
        }
        return frames
    }

    /// The whole SVG document. `title` names the profile (e.g. "bitprobe profile, 1 cycle").
    public static func svg(_ analysis: ProfileAnalysis, title: String) -> String {
        svg(nodes: analysis.nodes, rootNanos: analysis.rootNanos, title: title)
    }

    /// `interactive: false` leaves out the zoom script (a page that embeds several SVGs brings its own).
    public static func svg(nodes: [ProfileAnalysis.Node], rootNanos: UInt64, title: String, interactive: Bool = true) -> String {
        let frames = frames(nodes: nodes, rootNanos: rootNanos)
        let depth = (frames.map(\.depth).max() ?? 0) + 1
        let height = Double(depth) * rowHeight + 40
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flamegraph\" viewBox=\"0 0 \(Markup.number(width)) \(Markup.number(height))\" width=\"\(Markup.number(width))\" height=\"\(Markup.number(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<title>\(Markup.escape(title))</title>"
        svg += "<style>.frame rect{stroke:#fff;stroke-width:0.5}.frame text{fill:#000;pointer-events:none}.frame{cursor:pointer}</style>"
        svg += "<text x=\"4\" y=\"14\" font-size=\"13\">\(Markup.escape(title)) — click a frame to zoom, the title row to reset</text>"
        svg += "<g id=\"frames\">"
        let byPath = Dictionary(nodes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for frame in frames {
            guard let node = byPath[frame.path] else { continue }
            let y = height - Double(frame.depth + 1) * rowHeight - 4
            let name = frame.path.last!
            let tip =
                "\(name): total \(formatDuration(Double(node.totalNanos) / 1e9)), self \(formatDuration(Double(node.selfNanos) / 1e9)), \(formatFixed(node.shareOfTotal * 100, decimals: 1))% of the profile, \(node.calls) call\(node.calls == 1 ? "" : "s")"
            svg += "<g class=\"frame\" data-x=\"\(Markup.number(frame.x))\" data-w=\"\(Markup.number(frame.width))\"><title>\(Markup.escape(tip))</title>"
            svg +=
                "<rect x=\"\(Markup.number(frame.x))\" y=\"\(Markup.number(y))\" width=\"\(Markup.number(max(frame.width, 0.1)))\" height=\"\(Markup.number(rowHeight - 1))\" fill=\"\(colour(for: name))\"/>"
            // Label only frames wide enough to hold a few characters (about 6.5 px each).
            let characters = Int((frame.width - 6) / 6.5)
            if characters >= 3 {
                let label = name.count <= characters ? name : String(name.prefix(characters - 2)) + ".."
                svg += "<text x=\"\(Markup.number(frame.x + 3))\" y=\"\(Markup.number(y + rowHeight - 5))\">\(Markup.escape(label))</text>"
            }
            svg += "</g>"
        }
        svg += "</g>"
        // Zoom: scale the clicked frame's x range to the full width; frames outside it collapse.
        if interactive {
            svg +=
                "<script><![CDATA[(function(){var W=\(Markup.number(width));var g=document.getElementById('frames');if(!g||!g.querySelectorAll)return;var fs=g.querySelectorAll('.frame');function zoom(x0,w0){for(var i=0;i<fs.length;i++){var f=fs[i],x=+f.getAttribute('data-x'),w=+f.getAttribute('data-w');var nx=(x-x0)*W/w0,nw=w*W/w0;var r=f.querySelector('rect'),t=f.querySelector('text');var out=nx+nw<=0.01||nx>=W-0.01;r.setAttribute('x',Math.max(nx,0));r.setAttribute('width',out?0:Math.max(Math.min(nw,W-Math.max(nx,0)),0.1));if(t){t.setAttribute('x',Math.max(nx,0)+3);t.style.display=(out||nw<26)?'none':'';}}}for(var i=0;i<fs.length;i++){fs[i].addEventListener('click',function(){zoom(+this.getAttribute('data-x'),+this.getAttribute('data-w'));});}var h=document.querySelector('svg.flamegraph > text');if(h)h.addEventListener('click',function(){zoom(0,W);});})();]]></script>"
        }
        return svg + "</svg>\n"
    }

    /// Warm colours, fixed per name (a stable hash), so the same span has the same colour everywhere.
    static func colour(for name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let red = 205 + Int(hash % 50), green = 80 + Int((hash >> 8) % 130), blue = Int((hash >> 16) % 55)
        return "rgb(\(red),\(green),\(blue))"
    }
}
