import ArgumentParser

/// The output choice of bench, compare, devices, memory and baseline show.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case table, json, csv
}
