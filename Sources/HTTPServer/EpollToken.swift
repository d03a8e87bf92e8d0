internal import CPOSIX

/// What an epoll event is about: the one typed value stored in `epoll_event.data.u64`.
///
/// Layout of the 64 bits: the top two tag the kind (wake eventfd, listening socket), a
/// connection uses the rest as `generation << 32 | slot`. The generation (30 bits) changes
/// each time a slot is reused, so an event for a closed connection never reaches its
/// successor in the same slot.
enum EpollToken: Equatable {
    case wake
    case listener(index: Int)
    case connection(slot: Int, generation: UInt32)

    private static let wakeBit: UInt64 = 1 << 62
    private static let listenerBit: UInt64 = 1 << 63
    static let generationMask: UInt32 = 0x3FFF_FFFF

    init(_ raw: UInt64) {
        if raw == EpollToken.wakeBit {
            self = .wake
        } else if raw & EpollToken.listenerBit != 0 {
            self = .listener(index: Int(raw & 0xFFFF))
        } else {
            self = .connection(slot: Int(raw & 0xFFFF_FFFF), generation: UInt32(truncatingIfNeeded: raw >> 32))
        }
    }

    var rawValue: UInt64 {
        switch self {
        case .wake: return EpollToken.wakeBit
        case .listener(let index): return EpollToken.listenerBit | UInt64(index & 0xFFFF)
        case .connection(let slot, let generation):
            return UInt64(slot & 0xFFFF_FFFF) | (UInt64(generation & EpollToken.generationMask) << 32)
        }
    }
}

/// The events a connection waits for.
enum Interest: Equatable {
    case readable
    case writable

    var epollEvents: UInt32 {
        switch self {
        case .readable: return UInt32(EPOLLIN.rawValue)
        case .writable: return UInt32(EPOLLOUT.rawValue)
        }
    }
}
