import Testing

/// The agent's log flags are choices swift-argument-parser checks while parsing (issue 13).
@Suite struct AgentCommandTests {
    @Test(arguments: [
        (
            ["--log.level", "loud"],
            "Error: The value 'loud' is invalid for '--log.level <log.level>'. Please provide one of 'debug', 'info', 'warn' or 'error'."
        ),
        (["--log.format", "xml"], "Error: The value 'xml' is invalid for '--log.format <log.format>'. Please provide one of 'logfmt' and 'json'."),
    ])
    func anUnknownLogChoiceIsTheParsersError(arguments: [String], message: String) throws {
        let run = try BinaryRun.run(["agent"] + arguments)
        #expect(run.status == 64)
        #expect(run.stderr.split(separator: "\n").first.map(String.init) == message)
        #expect(run.stdout.isEmpty)
    }

    /// The flag accepts what the config file's `web.max_requests` does (issue 13: the flag took any
    /// positive number, the file 1 to 100000).
    @Test(arguments: [0, 100_001])
    func maxRequestsHasTheConfigFilesRange(value: Int) throws {
        let run = try BinaryRun.run(["agent", "--web.max-requests", String(value)])
        #expect(run.status == 64)
        #expect(run.stderr == "bitprobe agent: error: --web.max-requests must be between 1 and 100000 (got \(value))\n")
    }

    /// `warning` is taken for `warn`: the agent gets past the flags to its config, and logs the
    /// failure at error, which both levels let through.
    @Test func warningIsTakenForWarn() throws {
        let run = try BinaryRun.run(["agent", "--log.level", "warning", "--config.file", "/nonexistent/agent.yml"])
        #expect(run.status == 3)
        #expect(run.stderr.hasSuffix("bitprobe agent: error: cannot read config file '/nonexistent/agent.yml': No such file or directory\n"))
        #expect(run.stderr.contains("level=error msg=\"agent could not start\""))
    }
}
