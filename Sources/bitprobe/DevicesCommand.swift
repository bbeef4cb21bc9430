import ArgumentParser
import BitProbe

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the backends and devices bitprobe can probe on this machine."
    )

    @Option(help: "Output format.")
    var format: OutputFormat = .table

    @OptionGroup var destination: OutputFileOption

    func run() throws {
        try destination.checkWritable(command: "devices")
        let inventory = DeviceInventory.discover()
        switch format {
        case .json: try destination.write(String(decoding: try inventory.json(), as: UTF8.self), command: "devices")
        case .csv: try destination.write(inventory.csv(), command: "devices")
        case .table: try destination.write(inventory.table(), command: "devices")
        }
    }
}
