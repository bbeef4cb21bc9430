import ArgumentParser
import BitProbe

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the backends and devices bitprobe can probe on this machine."
    )

    @Option(help: "Output format: table, json.")
    var format: String = "table"

    func run() throws {
        let inventory = DeviceInventory.discover()
        switch format {
        case "table": writeStandardOutput(inventory.table())
        case "json": writeStandardOutput(String(decoding: try inventory.json(), as: UTF8.self))
        default: throw fail("devices", "unknown format '\(format)'; expected one of: table, json", status: ExitStatus.usage)
        }
    }
}
