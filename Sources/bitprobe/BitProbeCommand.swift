import ArgumentParser
import BitProbe

@main
struct BitProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitprobe",
        abstract: "Verified performance probes for BitNet-style low-bit inference machines.",
        version: "\(BitProbeVersion.version) (\(BitProbeVersion.revision))",
        subcommands: [BenchCommand.self, DevicesCommand.self]
    )
}
