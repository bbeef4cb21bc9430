import CCrypt
import Glibc
import Synchronization

/// Basic-auth verification against bcrypt hashes through libcrypt, as Prometheus exporter-toolkit
/// does it. bcrypt is deliberately slow (77 ms at cost 10 on the development machine), so
/// verified (user, password) pairs are remembered; a scrape every 15 s then costs one hash
/// lookup. Only successes are cached, keyed by a salted SHA-256 of the pair so that the cache
/// never holds a password.
final class BasicAuthenticator: Sendable {
    enum Outcome: Equatable {
        case verified
        case verifiedFromCache
        case denied
    }

    /// exporter-toolkit's size; an agent has a handful of scrapers, so eviction is rare.
    static let cacheCapacity = 100

    private let hashes: [String: [UInt8]]
    /// Hashed against for unknown users (and the result ignored), so that response time does not
    /// reveal which names exist: it is a configured user's hash, so it costs exactly as much.
    private let decoySetting: [UInt8]
    private let cacheSalt: [UInt8]
    private let verifiedKeys = Mutex<Set<SHA256.Digest>>([])

    /// - Parameter users: at least one user name and its bcrypt hash.
    init(users: [String: String]) throws(HTTPServerError) {
        try Self.validate(users: users)
        hashes = users.mapValues { Array($0.utf8) }
        decoySetting = Array(users.min(by: { $0.key < $1.key })!.value.utf8)
        var generator = SystemRandomNumberGenerator()
        cacheSalt = (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
    }

    static func validate(users: [String: String]) throws(HTTPServerError) {
        for (user, hash) in users.sorted(by: { $0.key < $1.key }) {
            guard !user.isEmpty, !user.contains(":"), user.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw .invalidConfiguration("basic auth user '\(user)' must be non-empty, without ':' or control characters")
            }
            guard isBcrypt(hash) else {
                throw .invalidConfiguration("basic auth user '\(user)': password hash is not a bcrypt hash ($2a$, $2b$ or $2y$)")
            }
        }
    }

    func verify(user: String, password: [UInt8]) -> Outcome {
        let key = cacheKey(user: user, password: password)
        if verifiedKeys.withLock({ $0.contains(key) }) { return .verifiedFromCache }
        guard let stored = hashes[user] else {
            _ = Self.bcrypt(password, setting: decoySetting)
            return .denied
        }
        guard let computed = Self.bcrypt(password, setting: stored),
            Self.constantTimeEquals(computed, stored)
        else { return .denied }
        verifiedKeys.withLock { keys in
            if keys.count >= Self.cacheCapacity, let evicted = keys.randomElement() { keys.remove(evicted) }
            keys.insert(key)
        }
        return .verified
    }

    private func cacheKey(user: String, password: [UInt8]) -> SHA256.Digest {
        // User names cannot contain NUL, so the separator keeps ("ab", "c") apart from ("a", "bc").
        SHA256.hash(cacheSalt + Array(user.utf8) + [0] + password)
    }

    private static func isBcrypt(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$")
        else { return false }
        return crypt_checksalt(hash) == CRYPT_SALT_OK
    }

    /// The bcrypt hash of `password` under `setting` (a full hash or a salt), or nil when libcrypt
    /// refuses the setting. The scratch area holds key schedules derived from the password, so it
    /// is wiped before it is freed.
    private static func bcrypt(_ password: [UInt8], setting: [UInt8]) -> [UInt8]? {
        let size = MemoryLayout<crypt_data>.size
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            explicit_bzero(scratch, size)
            scratch.deallocate()
        }
        var phrase = password.map { CChar(bitPattern: $0) } + [0]
        defer { explicit_bzero(&phrase, phrase.count) }
        let settingString = setting.map { CChar(bitPattern: $0) } + [0]
        guard let result = crypt_rn(phrase, settingString, scratch, Int32(size)) else { return nil }
        return Array(UnsafeRawBufferPointer(start: result, count: strlen(result)))
    }

    /// Compares without an early exit, so timing reveals nothing about how many bytes matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
