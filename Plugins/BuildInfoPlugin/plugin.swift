import Foundation
import PackagePlugin

/// Generates BuildInfo.swift (version and git revision) before every build, so the version the
/// binary reports is never typed by hand and cannot drift from the source it was built from.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let outputDirectory = context.pluginWorkDirectoryURL.appending(path: "generated")
        return [
            .prebuildCommand(
                displayName: "Generating BuildInfo.swift from git",
                executable: URL(filePath: "/bin/sh"),
                arguments: [
                    context.package.directoryURL.appending(path: "scripts/gen-build-info").path(),
                    context.package.directoryURL.path(),
                    outputDirectory.appending(path: "BuildInfo.swift").path(),
                ],
                outputFilesDirectory: outputDirectory
            )
        ]
    }
}
