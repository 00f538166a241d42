import Foundation

/// Base64 as proto-JSON `bytes` fields carry it: decoding accepts the standard and URL-safe
/// alphabets with or without padding; encoding writes standard, padded base64.
package enum Base64 {
    /// Standard padded base64 of `bytes`.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Decodes either alphabet, padded or not; nil when `text` is not base64.
    package static func decode(_ text: String) -> [UInt8]? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count + 3)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            case UInt8(ascii: " "), 0x0A, 0x0D, 0x09: continue
            default: bytes.append(b)
            }
        }
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        switch bytes.count % 4 {
        case 1: return nil
        case 2: bytes += [61, 61]
        case 3: bytes.append(61)
        default: break
        }
        guard let data = Data(base64Encoded: Data(bytes)) else { return nil }
        return [UInt8](data)
    }
}

/// Protobuf `Duration` in JSON form (`"3600s"`, `"1.5s"`).
package enum ProtoDuration {
    /// The largest duration protobuf allows: 10,000 years (`google.protobuf.Duration`'s documented range).
    package static let maxSeconds: Double = 315_576_000_000

    /// Seconds in a duration string, or nil when it is not one (must end in `s`, non-negative,
    /// no larger than ``maxSeconds``).
    package static func parse(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let value = Double(text.dropLast()), value.isFinite, value >= 0, value <= maxSeconds,
            !text.dropLast().contains(where: { $0 == "e" || $0 == "E" || $0 == "+" })
        else { return nil }
        return value
    }

    /// The JSON form of `seconds`, e.g. `"3600s"` or `"0.250s"`; never traps, whatever the value.
    package static func format(_ seconds: Double) -> String {
        if let whole = Int64(exactly: seconds) { return "\(whole)s" }
        guard seconds.isFinite else { return seconds > 0 ? "\(Int64(maxSeconds))s" : "0s" }
        return String(format: "%.3fs", seconds)
    }
}

/// Protobuf `Timestamp` in JSON form: RFC 3339 in UTC with `Z` and microseconds.
package enum ProtoTimestamp {
    /// The timestamps protobuf can carry: 0001-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z.
    package static let range: ClosedRange<Double> = -62_135_596_800...253_402_300_799.999_999

    /// Formats seconds since the Unix epoch, e.g. `2026-11-27T06:06:13.170125Z`. Values outside
    /// ``range`` (and NaN) are clamped into it rather than trapping.
    package static func format(_ secondsSince1970: Double) -> String {
        let clamped = secondsSince1970.isNaN ? 0 : min(max(secondsSince1970, range.lowerBound), range.upperBound)
        var whole = Int64(clamped.rounded(.down))
        var micros = Int64(((clamped - Double(whole)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            whole += 1
            micros -= 1_000_000
        }
        var t = time_t(whole)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(micros))
    }

    /// Parses an RFC 3339 timestamp (any fraction, `Z` or numeric offset) to seconds since the epoch.
    package static func parse(_ text: String) -> Double? {
        let s = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= s.count else { return nil }
            return Int(String(decoding: s[r], as: UTF8.self))
        }
        guard s.count >= 20, let year = num(0..<4), let month = num(5..<7), let day = num(8..<10),
            let hour = num(11..<13), let minute = num(14..<16), let second = num(17..<19)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            var j = i + 1
            while j < s.count, s[j] >= 48, s[j] <= 57 { j += 1 }
            fraction = Double("0" + String(decoding: s[i..<j], as: UTF8.self)) ?? 0
            i = j
        }
        var offset = 0
        if i < s.count, s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            i += 1
        } else if i + 6 <= s.count, let oh = num((i + 1)..<(i + 3)), let om = num((i + 4)..<(i + 6)) {
            offset = (oh * 3600 + om * 60) * (s[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == s.count, (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second), (0...23).contains(abs(offset) / 3600), year >= 1
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Double(timegm(&parts)) - Double(offset) + fraction
    }
}

/// Field-name spellings: proto-JSON accepts both the proto name and its lowerCamelCase form.
package enum FieldName {
    /// `code_execution_environment` → `codeExecutionEnvironment`; camelCase input is returned unchanged.
    package static func camel(_ name: String) -> String {
        guard name.contains("_") else { return name }
        var out = ""
        var upper = false
        for ch in name {
            if ch == "_" {
                upper = true
                continue
            }
            out.append(upper ? Character(ch.uppercased()) : ch)
            upper = false
        }
        return out
    }

    /// `displayName` → `display_name`, the spelling Google's error messages use.
    package static func snake(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// Human-written durations as flags and scenario files use them: `250ms`, `1.5s`, `2m`, `1h`, `500us`, `3600s`.
package enum HumanDuration {
    /// The longest duration accepted: 100 years, far beyond any timeout or run length and far
    /// below where nanosecond arithmetic on `Int64` could overflow.
    package static let maxNanoseconds: Int64 = 100 * 366 * 86_400 * 1_000_000_000

    /// Parses `text`; nil when it is not a non-negative number followed by one of ns, us, µs, ms, s, m, h.
    package static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number),
                let nanoseconds = Int64(exactly: (value * scale * 1e9).rounded()), nanoseconds <= maxNanoseconds
            else { return nil }
            return .nanoseconds(nanoseconds)
        }
        return nil
    }

    /// Formats a duration compactly for people: `850µs`, `12.3ms`, `4.20s`.
    package static func format(_ d: Duration) -> String {
        let seconds = d.seconds
        if seconds < 1e-3 { return String(format: "%.0fµs", seconds * 1e6) }
        if seconds < 1 { return String(format: "%.1fms", seconds * 1e3) }
        return String(format: "%.2fs", seconds)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    package var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
