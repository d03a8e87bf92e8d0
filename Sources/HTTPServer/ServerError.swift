internal import CPOSIX

/// Why the server could not start. Each message says what to do about it.
public enum ServerError: Error, CustomStringConvertible {
    /// `--host` is not an IPv4 or IPv6 address.
    case invalidHost(String)
    /// Another socket is bound to the port.
    case portInUse(port: Int)
    /// bind(2) failed for another reason (e.g. an address this machine does not have).
    case bindFailed(host: String, port: Int, code: Int32)
    /// A socket, epoll or eventfd could not be created (usually: out of file descriptors).
    case resourceUnavailable(what: String, code: Int32)
    /// A worker thread could not be started.
    case threadStartFailed(code: Int32)
    /// A configuration value is out of range.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidHost(let host):
            return "invalid host '\(host)': give an IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1, :: or ::1"
        case .portInUse(let port):
            return "port \(port) is already in use: stop the other server or choose another port with --port"
        case .bindFailed(let host, let port, let code):
            return "cannot listen on \(host) port \(port): \(ServerError.message(code)); check --host and --port"
        case .resourceUnavailable(let what, let code):
            return "cannot create \(what): \(ServerError.message(code)); raise the file descriptor limit (ulimit -n)"
        case .threadStartFailed(let code):
            return "cannot start a worker thread: \(ServerError.message(code)); try fewer --threads"
        case .invalidConfiguration(let message):
            return message
        }
    }

    /// A short explanation of an errno value. (strerror would link glibc's locale and
    /// message-catalog machinery into a static binary.)
    static func message(_ code: Int32) -> String {
        switch code {
        case EADDRINUSE: return "address already in use"
        case EADDRNOTAVAIL: return "address not available on this machine"
        case EACCES: return "permission denied (ports below 1024 need privileges)"
        case EAFNOSUPPORT: return "address family not supported"
        case EMFILE: return "too many open files in this process"
        case ENFILE: return "too many open files in the system"
        case ENOMEM, ENOBUFS: return "out of memory"
        case EAGAIN: return "resource temporarily unavailable"
        case EINVAL: return "invalid argument"
        default: return "error \(code)"
        }
    }
}
