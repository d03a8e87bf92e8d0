import Foundation

/// The result of running a tool to completion.
public typealias ToolResult = ProcessResult

/// Runs `executable` (a name looked up on PATH, or an absolute path) with `arguments`. A tool that
/// is not installed is a missing prerequisite (`Prerequisite.missing`: a skip, a failure under CI=true).
@discardableResult
public func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    in directory: String? = nil, timeout: Double = 600) throws -> ToolResult {
    let result = try runProcess(executable, arguments, in: directory, environment: environment, timeout: timeout)
    if result.status == 127 && !executable.hasPrefix("/") && Prerequisite.locate(executable) == nil {
        throw Prerequisite.missing("\(executable) is not installed (.ci/run installs it): \(result.stderr)")
    }
    return result
}

/// Runs a tool and throws with its stderr unless it exits 0; returns its stdout.
@discardableResult
public func runChecked(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: String? = nil, timeout: Double = 600) throws -> String {
    let result = try runTool(executable, arguments, environment: environment, in: directory, timeout: timeout)
    guard result.status == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

/// Starts a long-running program detached from this process (own session, every descriptor above 2
/// closed) and returns its pid. Started directly as a Foundation `Process`, a daemon would keep the
/// test's pipes open (Foundation passes them on) and later tool runs would never see end-of-file.
public func startDetached(_ command: [String], log: URL) throws -> Int32 {
    let script = """
        (for fd in /proc/self/fd/*; do n="${fd##*/}"; if (( n > 2 )); then eval "exec $n>&-" 2>/dev/null || true; fi; done
         exec setsid "$@" >"$LOG" 2>&1 </dev/null) &
        echo $!
        """
    let output = try runChecked("bash", ["-c", script, "detached"] + command, environment: ProcessInfo.processInfo.environment.merging(["LOG": log.path]) { $1 })
    guard let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no pid for \(command)") }
    return pid
}
