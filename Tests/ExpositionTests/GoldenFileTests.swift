import Exposition
import Glibc
import Testing

/// The representative families rendered in each format, compared byte for byte with the fixtures.
/// `BITPROBE_UPDATE_GOLDEN=1 swift test --filter ExpositionTests` rewrites the fixtures instead; review
/// the diff before committing it.
@Suite struct GoldenFileTests {
    static let fixtures: [(ExpositionFormat, String)] = [
        (.prometheusText, "representative.prom"),
        (.openMetrics, "representative.openmetrics"),
    ]

    @Test(arguments: fixtures)
    func matchesFixture(format: ExpositionFormat, fixture: String) throws {
        let rendered = ExpositionRenderer.render(RepresentativeFamilies.all, as: format)
        let path = TestFiles.fixturePath(fixture)
        if let update = getenv("BITPROBE_UPDATE_GOLDEN"), String(cString: update) == "1" {
            try TestFiles.write(rendered, to: path)
            return
        }
        let expected = try #require(TestFiles.read(path), "missing fixture \(path); run with BITPROBE_UPDATE_GOLDEN=1")
        let difference = firstDifference(rendered, expected)
        #expect(difference == nil, "\(fixture) differs at \(difference ?? "")")
    }

    @Test func representativeFamiliesAreValid() throws {
        try MetricFamily.validate(RepresentativeFamilies.all)
    }

    @Test(arguments: ExpositionFormat.allCases)
    func renderingIsStable(format: ExpositionFormat) {
        let first = ExpositionRenderer.render(RepresentativeFamilies.all, as: format)
        let reversed = ExpositionRenderer.render(
            RepresentativeFamilies.all.reversed().map { family in
                var family = family
                family.metrics.reverse()
                return family
            },
            as: format
        )
        #expect(first == reversed)
    }

    @Test(arguments: ExpositionFormat.allCases)
    func cachedFamiliesMergeInNameOrder(format: ExpositionFormat) {
        let families = RepresentativeFamilies.all
        let whole = ExpositionRenderer.render(families, as: format)
        let cached = families.enumerated().filter { $0.offset % 2 == 0 }.map { RenderedFamily($0.element) }
        let live = families.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        #expect(ExpositionRenderer.render(live, merging: cached, as: format) == whole)
        #expect(ExpositionRenderer.render([], merging: families.map(RenderedFamily.init), as: format) == whole)
    }
}
