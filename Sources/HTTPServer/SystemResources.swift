internal import CPOSIX

/// What the machine (or container) allows this process to use.
public enum SystemResources {
    /// The CPUs this process may run on (`sched_getaffinity`), lowered to the cgroup v2 CPU
    /// quota (`/sys/fs/cgroup/cpu.max`, rounded up) when a container limits it. At least 1.
    public static func availableProcessorCount() -> Int {
        var count = Int(cposix_affinity_cpu_count())
        if count <= 0 { count = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
        if let quota = cgroupCPUQuota(), quota < count { count = quota }
        return max(1, count)
    }

    /// `ceil(quota / period)` from cgroup v2 `cpu.max`, or nil when unlimited or unknown.
    static func cgroupCPUQuota() -> Int? {
        let fd = cposix_open_read_only("/sys/fs/cgroup/cpu.max")
        guard fd >= 0 else { return nil }
        defer { Descriptor.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        return buffer.withUnsafeBufferPointer { parseCPUMax(UnsafeBufferPointer(rebasing: $0[0..<length])) }
    }

    /// Parses `"<quota> <period>"` (or `"max <period>"`, which means no limit).
    static func parseCPUMax(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        var numbers: [Int] = []
        var current: Int? = nil
        for byte in text {
            if byte.isDigit {
                current = (current ?? 0) * 10 + Int(byte - 0x30)
                if current! > 1_000_000_000_000 { return nil }
            } else {
                if let value = current { numbers.append(value) }
                current = nil
                if byte != .space && byte != .lineFeed { return nil }  // "max"
            }
        }
        if let value = current { numbers.append(value) }
        guard numbers.count == 2, numbers[0] > 0, numbers[1] > 0 else { return nil }
        return (numbers[0] + numbers[1] - 1) / numbers[1]
    }
}
