import Exposition
import Testing

@Suite struct NegotiationTests {
    /// Accept headers exactly as Prometheus sends them, with where each comes from.
    static let prometheusHeaders: [(String, String, ExpositionFormat)] = [
        (
            "Prometheus 2.42 (Debian 12's 2.42.0+ds, read from /usr/bin/prometheus)",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            .openMetrics
        ),
        (
            "Prometheus 2.42 with --enable-feature=native-histograms (protobuf first, which we do not speak)",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            .openMetrics
        ),
        (
            "Prometheus 2.49-2.55 default scrape_protocols",
            "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            .openMetrics
        ),
        (
            "Prometheus 2.49-2.55 with scrape_protocols: [PrometheusText0.0.4]",
            "text/plain;version=0.0.4;q=0.5,*/*;q=0.4",
            .prometheusText
        ),
        (
            "Prometheus 3.0-3.3 default (escaping on every protocol)",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2",
            .openMetrics
        ),
        (
            "Prometheus 3.4 and later default (escaping only on the 1.0.0 formats)",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
            .openMetrics
        ),
        (
            "Prometheus 3 protobuf first (scrape_native_histograms), metric_name_escaping_scheme: dots",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=dots;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=dots;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            .openMetrics
        ),
        (
            "Prometheus 3 with scrape_protocols: [PrometheusText1.0.0, PrometheusText0.0.4]",
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.4",
            .prometheusText
        ),
        (
            "Prometheus 3 with scrape_protocols: [PrometheusText1.0.0, PrometheusText0.0.4, OpenMetricsText1.0.0]",
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.3",
            .prometheusText
        ),
        (
            "Prometheus 3 with scrape_protocols: [OpenMetricsText1.0.0]",
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5",
            .openMetrics
        ),
    ]

    @Test(arguments: prometheusHeaders)
    func prometheusAcceptHeaders(source: String, accept: String, expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: accept) == expected, "\(source)")
    }

    static let edgeCases: [(String?, ExpositionFormat)] = [
        (nil, .prometheusText),
        ("", .prometheusText),
        ("garbage", .prometheusText),
        (";;;,,,", .prometheusText),
        ("*/*", .prometheusText),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", .prometheusText),
        ("application/json", .prometheusText),
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", .prometheusText),
        ("application/openmetrics-text", .openMetrics),
        ("application/openmetrics-text;version=0.0.1", .openMetrics),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics),
        ("Application/OpenMetrics-Text;Version=1.0.0", .openMetrics),
        (#"application/openmetrics-text;version="1.0.0""#, .openMetrics),
        (#"application/openmetrics-text;note="a,b;c";version=1.0.0"#, .openMetrics),
        (" , application/openmetrics-text;version=1.0.0 ,", .openMetrics),
        ("application/openmetrics-text;version=2.0.0", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=0,text/plain", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=0", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.5", .openMetrics),
        ("application/openmetrics-text;version=1.0.0;q=0.500,text/plain;q=0.499", .openMetrics),
        ("application/openmetrics-text;q=0.2,*/*;q=0.1", .openMetrics),
        ("*/*;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5", .prometheusText),
        ("text/*,application/openmetrics-text;version=1.0.0;q=0.9", .prometheusText),
        ("text/plain;version=0.0.4;q=0.2,*/*;q=1,application/openmetrics-text;version=1.0.0;q=0.5", .openMetrics),
        ("application/openmetrics-text;version=1.0.0;q=abc,text/plain;q=0.1", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=1.5", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=0.0001", .prometheusText),
        ("application/openmetrics-text;version=1.0.0;q=1.000", .openMetrics),
        ("application/openmetrics-text;version=1.0.0;charset", .prometheusText),
    ]

    @Test(arguments: edgeCases)
    func edgeCase(accept: String?, expected: ExpositionFormat) {
        #expect(ExpositionFormat.negotiate(accept: accept) == expected)
    }

    @Test func contentTypes() {
        #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
