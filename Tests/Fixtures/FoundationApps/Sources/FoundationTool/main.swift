import Foundation

// A date in New York's winter: needs /usr/share/zoneinfo (America/New_York) to print EST.
let formatter = DateFormatter()
formatter.locale = Locale(identifier: "en_US_POSIX")
formatter.timeZone = TimeZone(identifier: "America/New_York")
formatter.dateFormat = "yyyy-MM-dd HH:mm:ss zzz"
print("date: \(formatter.string(from: Date(timeIntervalSince1970: 1_700_000_000)))")

// TimeZone.current: the image's /etc/localtime (UTC), or TZ.
print("current time zone: \(TimeZone.current.identifier)")

// JSON through files in the temporary folder (/tmp) and the home folder (/home/nonroot).
struct Record: Codable, Equatable {
    var name: String
    var count: Int
}
let record = Record(name: "containerize", count: 3)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
let data = try encoder.encode(record)
for folder in [NSTemporaryDirectory(), NSHomeDirectory()] {
    let file = URL(fileURLWithPath: folder).appendingPathComponent("record-\(ProcessInfo.processInfo.processIdentifier).json")
    guard FileManager.default.createFile(atPath: file.path, contents: data) else {
        print("error: cannot create \(file.path)")
        exit(1)
    }
    let back = try JSONDecoder().decode(Record.self, from: Data(contentsOf: file))
    try FileManager.default.removeItem(at: file)
    print("json via \(folder): \(String(decoding: data, as: UTF8.self)) \(back == record ? "ok" : "MISMATCH")")
}
