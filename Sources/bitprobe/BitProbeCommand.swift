import ArgumentParser
import BitProbe

@main
struct BitProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitprobe",
        abstract: "Verified performance probes for BitNet-style low-bit inference machines.",
        version: "\(BitProbeVersion.version) (\(BitProbeVersion.revision))",
        subcommands: [
            AgentCommand.self, BenchCommand.self, CompareCommand.self, DevicesCommand.self, MemoryCommand.self, ProfileCommand.self, ReportCommand.self,
            CheckConfigCommand.self, BaselineCommand.self, RegressCommand.self,
        ]
    )
}
