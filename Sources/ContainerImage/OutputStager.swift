import Foundation

/// Stages one image to several destinations: local outputs first, grouped by the layer
/// compression they store and the groups run concurrently (the docker archive's plain-tar layer
/// is made and written while the gzip layer of the OCI outputs is still compressing); registry
/// pushes last, once every local output is staged. If anything fails, every staged output is
/// discarded and the first error is thrown, so nothing is left behind.
public enum OutputStager {
    /// One staged destination, in the order of `destinations`.
    public struct Staged: Sendable {
        public var image: Image
        public var output: StagedOutput
    }

    public static func stageAll(_ destinations: [any ImageDestination], builder: ImageBuilder, tag: ImageReference) async throws -> [Staged] {
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
                        for index in indices {
                            let image = try builder.image(layerCompression: destinations[index].layerCompression)
                            done[index] = Staged(image: image, output: try await destinations[index].stage(image, tag: tag))
                        }
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
                let image = try builder.image(layerCompression: destinations[index].layerCompression)
                staged[index] = Staged(image: image, output: try await destinations[index].stage(image, tag: tag))
            }
        } catch {
            for entry in staged.values { entry.output.discard() }
            throw error
        }
        return destinations.indices.compactMap { staged[$0] }
    }
}
