import ConfigFile
import Testing

@Suite struct YAMLParserTests {
    @Test func nodesRememberWhereTheyWereWritten() throws {
        let root = try #require(try YAMLParser.parse("a: 1\nb:\n  - x\n  - {c: d}\n", file: "f.yml"))
        guard case .mapping(let entries, _) = root else { Issue.record("not a mapping"); return }
        #expect(entries.map(\.key) == ["a", "b"])
        #expect(entries[1].keyLocation == SourceLocation(file: "f.yml", line: 2, column: 1))
        guard case .sequence(let items, _) = entries[1].value else { Issue.record("not a list"); return }
        #expect(items[1].location == SourceLocation(file: "f.yml", line: 4, column: 5))
    }

    @Test func emptyFileHasNoDocument() throws {
        #expect(try YAMLParser.parse("", file: "f.yml") == nil)
        #expect(try YAMLParser.parse("# only a comment\n", file: "f.yml") == nil)
    }

    @Test(arguments: [
        ("a: [1, 2\n", "f.yml:2:1: invalid YAML: did not find expected ',' or ']'"),
        ("a: 1\na: 2\n", "f.yml:2:1: a: duplicate key"),
        ("a: &x 1\nb: *x\n", "f.yml:2:4: YAML aliases are not supported in config files"),
        ("a: 1\n---\nb: 2\n", "f.yml:3:1: expected a single YAML document"),
        ("a: 'open\n", "f.yml:2:1: invalid YAML: found unexpected end of stream"),
    ])
    func badYAMLIsLocated(text: String, message: String) {
        do {
            _ = try YAMLParser.parse(text, file: "f.yml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == message)
        }
    }
}

@Suite struct YAMLLimitTests {
    /// 10,000 levels overflowed the stack of the recursive node reader (a segfault, also on SIGHUP).
    @Test func deepNestingIsRefusedAtTheFirstLevelTooDeep() {
        let text = "x: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        #expect(
            throws: ConfigError(
                location: SourceLocation(file: "f.yml", line: 1, column: 67), keyPath: "",
                message: "nested deeper than 64 levels")
        ) {
            _ = try YAMLParser.parse(text, file: "f.yml")
        }
    }

    @Test func sixtyFourLevelsAreAccepted() throws {
        // The root mapping is level 1, the value of x level 2, ...: 62 lists and their scalar make 64.
        let text = "x: " + String(repeating: "[", count: 62) + "1" + String(repeating: "]", count: 62) + "\n"
        #expect(try YAMLParser.parse(text, file: "f.yml") != nil)
    }

    @Test func tooManyNodesAreRefusedWithTheirPlace() {
        let text = "x: [" + String(repeating: "1,", count: 100_000) + "1]\n"
        // Node 100,001 is list item 99,998 (at column 5 + 2 * 99,997): the root mapping, the key x and
        // the list come first.
        #expect(
            throws: ConfigError(
                location: SourceLocation(file: "f.yml", line: 1, column: 5 + 2 * 99_997), keyPath: "",
                message: "more than 100000 YAML nodes")
        ) {
            _ = try YAMLParser.parse(text, file: "f.yml")
        }
    }

    /// Duplicate keys were found by comparing each key with all before it: 500,000 keys took over a minute.
    @Test func manyKeysParseInLinearTime() throws {
        let text = (0..<49_000).map { "key\($0): 1\n" }.joined()
        let start = ContinuousClock.now
        var mapping = try ConfigMapping(#require(try YAMLParser.parse(text, file: "f.yml")), path: "")
        for key in 0..<49_000 { _ = try mapping.int("key\(key)") }
        try mapping.finish()
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }
}

@Suite struct ConfigMappingTests {
    func mapping(_ text: String) throws -> ConfigMapping {
        try ConfigMapping(#require(try YAMLParser.parse(text, file: "c.yml")), path: "")
    }

    @Test func typedAccessorsReadValues() throws {
        var m = try mapping("n: 3\nd: 1.5\nb: true\nt: 1h30m\ns: text\nl: [a, b]\none: x\n")
        #expect(try m.int("n") == 3)
        #expect(try m.double("d") == 1.5)
        #expect(try m.bool("b") == true)
        #expect(try m.duration("t") == 5400)
        #expect(try m.string("s") == "text")
        #expect(try m.stringList("l") == ["a", "b"])
        #expect(try m.stringList("one") == ["x"])
        #expect(try m.int("absent") == nil)
        try m.finish()
    }

    @Test(arguments: [
        ("n: three\n", "n", "c.yml:1:4: n: expected an integer, got 'three'"),
        ("n: \"3\"\n", "n", "c.yml:1:4: n: expected an integer, got '3'"),
        ("n: 500\n", "n", "c.yml:1:4: n: must be between 1 and 100, got 500"),
        ("t: soon\n", "t", "c.yml:1:4: t: expected a duration such as 30s, 5m or 1h30m, got 'soon'"),
        ("t: 10\n", "t", "c.yml:1:4: t: expected a duration such as 30s, 5m or 1h30m, got '10'"),
        ("b: yes\n", "b", "c.yml:1:4: b: expected true or false, got 'yes'"),
        ("s: [1]\n", "s", "c.yml:1:4: s: expected a string, got a list"),
    ])
    func badValuesNameTheKey(text: String, key: String, message: String) throws {
        var m = try mapping(text)
        do {
            switch key {
            case "n": _ = try m.int("n", range: 1...100)
            case "t": _ = try m.duration("t")
            case "b": _ = try m.bool("b")
            default: _ = try m.string("s")
            }
            Issue.record("expected an error")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func unknownKeysAreRejectedWithTheirPlace() throws {
        var m = try mapping("known: 1\nnested:\n  typo: 2\n")
        _ = try m.int("known")
        var nested = try #require(try m.mapping("nested"))
        #expect(throws: ConfigError(location: SourceLocation(file: "c.yml", line: 3, column: 3), keyPath: "nested.typo", message: "unknown key")) {
            try nested.finish()
        }
    }

    @Test func durationsFollowPrometheusSyntax() {
        #expect(DurationText.parse("500ms") == 0.5)
        #expect(DurationText.parse("1m30s") == 90)
        #expect(DurationText.parse("2h") == 7200)
        #expect(DurationText.parse("1d") == 86400)
        #expect(DurationText.parse("") == nil)
        #expect(DurationText.parse("5") == nil)
        #expect(DurationText.parse("5x") == nil)
    }
}
