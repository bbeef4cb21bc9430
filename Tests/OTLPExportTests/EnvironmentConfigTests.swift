import SpanModel
import Testing

@testable import OTLPExport

@Suite struct EnvironmentConfigTests {
    @Test func tracingIsOffWithoutAnEndpoint() throws {
        #expect(try OTLPExporterConfig.fromEnvironment([:]) == nil)
        #expect(try OTLPExporterConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": ""]) == nil)
        #expect(try OTLPExporterConfig.fromEnvironment(["OTEL_BSP_MAX_QUEUE_SIZE": "not checked without an endpoint"]) == nil)
    }

    @Test func tracingCanBeSwitchedOff() throws {
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]
        #expect(try OTLPExporterConfig.fromEnvironment(endpoint.merging(["OTEL_TRACES_EXPORTER": "none"]) { $1 }) == nil)
        #expect(try OTLPExporterConfig.fromEnvironment(endpoint.merging(["OTEL_SDK_DISABLED": "TRUE"]) { $1 }) == nil)
        #expect(try OTLPExporterConfig.fromEnvironment(endpoint.merging(["OTEL_SDK_DISABLED": "false"]) { $1 }) != nil)
        #expect(try OTLPExporterConfig.fromEnvironment(endpoint.merging(["OTEL_TRACES_EXPORTER": "otlp"]) { $1 }) != nil)
        #expect(try OTLPExporterConfig.fromEnvironment(endpoint.merging(["OTEL_TRACES_EXPORTER": " otlp , none"]) { $1 }) != nil)
    }

    @Test(arguments: [
        ("http://collector:4318", "http://collector:4318/v1/traces"),
        ("http://collector:4318/", "http://collector:4318/v1/traces"),
        ("https://collector:4318/otlp", "https://collector:4318/otlp/v1/traces"),
        ("https://collector:4318/otlp/", "https://collector:4318/otlp/v1/traces"),
        ("HTTP://[::1]:4318", "HTTP://[::1]:4318/v1/traces"),
    ])
    func generalEndpointGetsTheSignalPath(base: String, expected: String) throws {
        let config = try #require(try OTLPExporterConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": base]))
        #expect(config.endpoint == expected)
    }

    @Test func tracesEndpointIsUsedAsItIsAndWins() throws {
        let config = try #require(
            try OTLPExporterConfig.fromEnvironment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/custom/path",
            ]))
        #expect(config.endpoint == "http://traces:4318/custom/path")
        let rootOnly = try #require(try OTLPExporterConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318"]))
        #expect(rootOnly.endpoint == "http://traces:4318/")
    }

    @Test func defaultsFollowTheSpecification() throws {
        let config = try #require(try OTLPExporterConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]))
        #expect(config.timeout == .seconds(10))
        #expect(config.compression == .none)
        #expect(config.headers.isEmpty)
        #expect(config.batch == OTLPExporterConfig.Batch())
        #expect(config.batch.maxQueueSize == 2048)
        #expect(config.batch.maxExportBatchSize == 512)
        #expect(config.batch.scheduleDelay == .seconds(5))
        #expect(config.batch.exportTimeout == .seconds(30))
        #expect(config.retry.maxAttempts == 5)
        #expect(config.retry.initialBackoff == .seconds(1))
        #expect(config.retry.maxBackoff == .seconds(30))
        #expect(config.retry.multiplier == 1.5)
    }

    @Test func everyVariableIsRead() throws {
        let config = try #require(
            try OTLPExporterConfig.fromEnvironment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_HEADERS": "general=1",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS": " Authorization = Bearer%20abc%3D%3D , x-tenant=a+b,",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "1000",
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2500",
                "OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP",
                "OTEL_BSP_MAX_QUEUE_SIZE": "100",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10",
                "OTEL_BSP_SCHEDULE_DELAY": "0",
                "OTEL_BSP_EXPORT_TIMEOUT": "1500",
                "OTEL_EXPORTER_OTLP_CERTIFICATE": "/dev/null",
            ]))
        #expect(config.headers.map { "\($0.0)=\($0.1)" } == ["Authorization=Bearer abc==", "x-tenant=a+b"])
        #expect(config.timeout == .milliseconds(2500))
        #expect(config.compression == .gzip)
        #expect(config.batch.maxQueueSize == 100)
        #expect(config.batch.maxExportBatchSize == 10)
        #expect(config.batch.scheduleDelay == .zero)
        #expect(config.batch.exportTimeout == .milliseconds(1500))
        #expect(config.certificateFile == "/dev/null")
    }

    @Test func batchSizeFollowsASmallQueue() throws {
        let config = try #require(
            try OTLPExporterConfig.fromEnvironment([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_BSP_MAX_QUEUE_SIZE": "100",
            ]))
        #expect(config.batch.maxExportBatchSize == 100)
    }

    @Test(arguments: [
        (
            ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"],
            "OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' is not an http:// or https:// URL"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "grpc://collector:4317"],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' is not an http:// or https:// URL"
        ),
        (
            ["OTEL_EXPORTER_OTLP_ENDPOINT": "http:///v1"],
            "OTEL_EXPORTER_OTLP_ENDPOINT: 'http:///v1' has no host"
        ),
        (
            ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://a b:4318"],
            "OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a b:4318' contains whitespace"
        ),
        (
            ["OTEL_SDK_DISABLED": "yes"],
            "OTEL_SDK_DISABLED: 'yes' is not a boolean (expected true or false)"
        ),
        (
            ["OTEL_TRACES_EXPORTER": "zipkin"],
            "OTEL_TRACES_EXPORTER: 'zipkin' is not supported (expected otlp or none)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"],
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' is not supported (expected http/protobuf)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"],
            "OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' is not supported (expected http/protobuf)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TIMEOUT": "10s"],
            "OTEL_EXPORTER_OTLP_TIMEOUT: '10s' is not a positive integer number of milliseconds"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "0"],
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' is not a positive integer number of milliseconds"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TIMEOUT": "-5"],
            "OTEL_EXPORTER_OTLP_TIMEOUT: '-5' is not a positive integer number of milliseconds"
        ),
        (
            ["OTEL_EXPORTER_OTLP_COMPRESSION": "br"],
            "OTEL_EXPORTER_OTLP_COMPRESSION: 'br' is not supported (expected gzip or none)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "api-key"],
            "OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_HEADERS": "a=1,=secret"],
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 2 has an empty key"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "api-key=%zz"],
            "OTEL_EXPORTER_OTLP_HEADERS: the value of 'api-key' is not valid percent-encoded UTF-8"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "api-key=%ff"],
            "OTEL_EXPORTER_OTLP_HEADERS: the value of 'api-key' is not valid percent-encoded UTF-8"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "bad name=1"],
            "OTEL_EXPORTER_OTLP_HEADERS: 'bad name' is not a valid HTTP header name"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "x-evil=a%0D%0AHost: elsewhere"],
            "OTEL_EXPORTER_OTLP_HEADERS: the value of 'x-evil' contains a control character"
        ),
        (
            ["OTEL_EXPORTER_OTLP_HEADERS": "Content-Type=text/plain"],
            "OTEL_EXPORTER_OTLP_HEADERS: 'Content-Type' is set by the exporter itself"
        ),
        (
            ["OTEL_BSP_MAX_QUEUE_SIZE": "0"],
            "OTEL_BSP_MAX_QUEUE_SIZE: '0' is not a positive integer"
        ),
        // The queue is reserved up front: 99999999999 aborted the agent (exit 134).
        (
            ["OTEL_BSP_MAX_QUEUE_SIZE": "99999999999"],
            "OTEL_BSP_MAX_QUEUE_SIZE: '99999999999' is larger than 100000"
        ),
        (
            ["OTEL_BSP_MAX_QUEUE_SIZE": "99999999999999999999999"],
            "OTEL_BSP_MAX_QUEUE_SIZE: '99999999999999999999999' is larger than 100000"
        ),
        (
            ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100001"],
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '100001' is larger than 100000"
        ),
        (
            ["OTEL_BSP_EXPORT_TIMEOUT": "99999999999999999"],
            "OTEL_BSP_EXPORT_TIMEOUT: '99999999999999999' is larger than 31536000000 (365 days)"
        ),
        (
            ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1e3"],
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1e3' is not a positive integer"
        ),
        (
            ["OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4096"],
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 4096 is larger than OTEL_BSP_MAX_QUEUE_SIZE (2048)"
        ),
        (
            ["OTEL_BSP_SCHEDULE_DELAY": "5s"],
            "OTEL_BSP_SCHEDULE_DELAY: '5s' is not a non-negative integer number of milliseconds"
        ),
        (
            ["OTEL_BSP_EXPORT_TIMEOUT": "0"],
            "OTEL_BSP_EXPORT_TIMEOUT: '0' is not a positive integer number of milliseconds"
        ),
        (
            ["OTEL_EXPORTER_OTLP_CERTIFICATE": "/nonexistent/ca.pem"],
            "OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read '/nonexistent/ca.pem': No such file or directory"
        ),
        (
            ["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/dev/null"],
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: is set but no client key is (set OTEL_EXPORTER_OTLP_CLIENT_KEY too)"
        ),
        (
            ["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": "/dev/null"],
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: is set but no client certificate is (set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE too)"
        ),
    ])
    func badValuesAreRejectedWithTheirVariable(overrides: [String: String], message: String) {
        var environment = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]
        environment.merge(overrides) { $1 }
        #expect(throws: OTLPConfigError.self) { try OTLPExporterConfig.fromEnvironment(environment) }
        do {
            _ = try OTLPExporterConfig.fromEnvironment(environment)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func headerValuesNeverAppearInErrors() {
        do {
            _ = try OTLPExporterConfig.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "token=s3cret%"])
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("s3cret"))
        }
    }
}

@Suite struct ResourceTests {
    let defaults: [(String, AttributeValue)] = [
        ("service.name", .string("bitprobe")), ("service.version", .string("1.0")), ("process.pid", .int(42)),
    ]

    private func rendered(_ resource: OTLPResource) -> [String] {
        resource.attributes.map { "\($0.0)=\($0.1)" }
    }

    @Test func defaultsAloneWithoutVariables() {
        let (resource, errors) = OTLPResource.fromEnvironment([:], defaults: defaults)
        #expect(rendered(resource) == ["service.name=string(\"bitprobe\")", "service.version=string(\"1.0\")", "process.pid=int(42)"])
        #expect(errors.isEmpty)
    }

    @Test func attributesOverrideDefaultsAndServiceNameWinsOverThem() {
        let (resource, errors) = OTLPResource.fromEnvironment(
            [
                "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes, deployment.environment = prod%2Feu ,process.pid=7,k8s.pod.name=a%2Cb",
                "OTEL_SERVICE_NAME": "from-service-name",
            ], defaults: defaults)
        #expect(
            rendered(resource) == [
                "service.name=string(\"from-service-name\")", "service.version=string(\"1.0\")", "process.pid=string(\"7\")",
                "deployment.environment=string(\"prod/eu\")", "k8s.pod.name=string(\"a,b\")",
            ])
        #expect(errors.isEmpty)
    }

    @Test func serviceNameFromAttributesWhenNoServiceNameVariable() {
        let (resource, _) = OTLPResource.fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=edge", "OTEL_SERVICE_NAME": ""], defaults: defaults)
        #expect(resource.attributes.first.map { "\($0.0)=\($0.1)" } == "service.name=string(\"edge\")")
    }

    @Test func badEntriesDiscardTheVariableAndAreEachReported() {
        let (resource, errors) = OTLPResource.fromEnvironment(
            [
                "OTEL_RESOURCE_ATTRIBUTES": "good=1,novalue,=x,bad=%G1",
                "OTEL_SERVICE_NAME": "still-applies",
            ], defaults: defaults)
        #expect(rendered(resource) == ["service.name=string(\"still-applies\")", "service.version=string(\"1.0\")", "process.pid=int(42)"])
        #expect(
            errors.map(\.description) == [
                "OTEL_RESOURCE_ATTRIBUTES: entry 2 is not key=value; the variable is ignored",
                "OTEL_RESOURCE_ATTRIBUTES: entry 3 has an empty key; the variable is ignored",
                "OTEL_RESOURCE_ATTRIBUTES: the value of 'bad' is not valid percent-encoded UTF-8; the variable is ignored",
            ])
    }

    @Test func percentDecoding() {
        #expect(KeyValueList.percentDecode(Array("a%20b+c%C3%A9".utf8)) == "a b+cé")
        #expect(KeyValueList.percentDecode(Array("100%".utf8)) == nil)
        #expect(KeyValueList.percentDecode(Array("%4".utf8)) == nil)
        #expect(KeyValueList.percentDecode(Array("%C3".utf8)) == nil)
    }
}
