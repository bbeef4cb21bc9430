import ArgumentParser
import BitProbe

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the backends and devices bitprobe can probe on this machine."
    )

    @Option(help: "Output format: table, json, csv.")
    var format: String = "table"

    @OptionGroup var destination: OutputFileOption

    func run() throws {
        guard ["table", "json", "csv"].contains(format) else {
            throw fail("devices", "unknown format '\(format)'; expected one of: table, json, csv", status: ExitStatus.usage)
        }
        try destination.checkWritable(command: "devices")
        let inventory = DeviceInventory.discover()
        switch format {
        case "json": try destination.write(String(decoding: try inventory.json(), as: UTF8.self), command: "devices")
        case "csv": try destination.write(inventory.csv(), command: "devices")
        default: try destination.write(inventory.table(), command: "devices")
        }
    }
}
