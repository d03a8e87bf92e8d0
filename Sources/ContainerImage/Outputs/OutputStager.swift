import OCIModel
import Foundation

/// Stages one image to several destinations: local outputs first, grouped by the layer
/// compression they store and the groups run concurrently (the docker archive's plain-tar layer
/// is made and written while the gzip layer of the OCI outputs is still compressing); registry
/// pushes last, once every local output is staged. If anything fails, every staged output is
/// discarded and the first error is thrown, so nothing is left behind.
public enum OutputStager {
    /// One staged destination, in the order of `destinations`.
    public struct Staged: Sendable {
        /// The image written (for an index: the first platform's, or the one a single-image output chose).
        public var image: Image
        public var output: StagedOutput
        /// The index written, when the output holds one.
        public var index: MultiPlatformImage?
        public init(image: Image, output: StagedOutput, index: MultiPlatformImage? = nil) {
            self.image = image
            self.output = output
            self.index = index
        }
    }

    public static func stageAll(_ destinations: [any ImageDestination], builder: ImageBuilder, tag: ImageReference) async throws -> [Staged] {
        try await stageAll(destinations) { destination in
            let image = try builder.image(layerCompression: destination.layerCompression)
            return Staged(image: image, output: try await destination.stage(image, tag: tag))
        }
    }

    /// Stages each destination through `stage` (which builds what it writes), in the order and
    /// groups described above.
    public static func stageAll(_ destinations: [any ImageDestination],
                                stage: @escaping @Sendable (any ImageDestination) async throws -> Staged) async throws -> [Staged] {
        let local = destinations.indices.filter { !destinations[$0].isIrreversible }
        let groups = Dictionary(grouping: local) { destinations[$0].layerCompression }
        var staged: [Int: Staged] = [:]
        var firstError: (any Error)?
        await withTaskGroup(of: ([Int: Staged], (any Error)?).self) { group in
            // Each group in path order: merged OCI layouts are locked while staged, and one order for
            // every run means two runs naming the same layouts in opposite orders cannot deadlock.
            for indices in groups.values.map({ $0.sorted { destinations[$0].destination < destinations[$1].destination } }) {
                group.addTask {
                    var done: [Int: Staged] = [:]
                    do {
                        for index in indices { done[index] = try await stage(destinations[index]) }
                        return (done, nil)
                    } catch {
                        return (done, error)
                    }
                }
            }
            for await (done, error) in group {
                staged.merge(done) { first, _ in first }
                if firstError == nil, let error { firstError = error }
            }
        }
        do {
            if let firstError { throw firstError }
            for index in destinations.indices where destinations[index].isIrreversible {
                staged[index] = try await stage(destinations[index])
            }
        } catch {
            for entry in staged.values { entry.output.discard() }
            throw error
        }
        return destinations.indices.compactMap { staged[$0] }
    }
}
