import SpanModel

/// The entity that produces the spans (the agent on one host): `service.name`, `host.name`, ...
public struct OTLPResource: Sendable {
    /// In the order they are exported; each key at most once.
    public var attributes: [(String, AttributeValue)]

    public init(attributes: [(String, AttributeValue)]) {
        self.attributes = attributes
    }

    /// The resource described by the environment, over `defaults`.
    ///
    /// Precedence, lowest first: `defaults`, then `OTEL_RESOURCE_ATTRIBUTES`
    /// (`key1=value1,key2=value2`, values percent-decoded, all strings), then `OTEL_SERVICE_NAME`
    /// for `service.name`. Keys keep the position they first had. As the OpenTelemetry resource
    /// SDK asks, an `OTEL_RESOURCE_ATTRIBUTES` with any bad entry is ignored as a whole, and
    /// every bad entry is reported in `errors` for the caller to log; it is never fatal.
    ///
    /// ```swift
    /// let (resource, errors) = OTLPResource.fromEnvironment(environment, defaults: [
    ///     ("service.name", .string("bitprobe")), ("host.name", .string(hostName)),
    /// ])
    /// ```
    public static func fromEnvironment(
        _ environment: [String: String],
        defaults: [(String, AttributeValue)]
    ) -> (resource: OTLPResource, errors: [OTLPConfigError]) {
        var resource = OTLPResource(attributes: [])
        for (key, value) in defaults { resource.set(key, value) }
        var errors: [OTLPConfigError] = []
        if let text = environment["OTEL_RESOURCE_ATTRIBUTES"], !text.isEmpty {
            let parsed = KeyValueList.parse(text)
            if parsed.problems.isEmpty {
                for (key, value) in parsed.pairs { resource.set(key, .string(value)) }
            } else {
                errors = parsed.problems.map {
                    OTLPConfigError(variable: "OTEL_RESOURCE_ATTRIBUTES", problem: "\($0); the variable is ignored")
                }
            }
        }
        if let serviceName = environment["OTEL_SERVICE_NAME"], !serviceName.isEmpty {
            resource.set("service.name", .string(serviceName))
        }
        return (resource, errors)
    }

    /// Replaces the value of `key` in place, or appends it.
    mutating func set(_ key: String, _ value: AttributeValue) {
        if let index = attributes.firstIndex(where: { $0.0 == key }) {
            attributes[index].1 = value
        } else {
            attributes.append((key, value))
        }
    }
}
