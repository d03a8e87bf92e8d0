/// One client connection as the worker's I/O layer sees it: the socket, its epoll
/// registration, and the state machine that decides everything else.
final class Connection {
    let fd: Int32
    let token: EpollToken
    /// The epoll events waited for; registered once `isWatched`.
    var interest = Interest.readable
    /// Added to the worker's epoll. A connection answered and closed on its first read never is.
    var isWatched = false
    @exclusivity(unchecked) var machine: ConnectionStateMachine

    init(fd: Int32, token: EpollToken, machine: consuming ConnectionStateMachine) {
        self.fd = fd
        self.token = token
        self.machine = machine
    }
}
