import Assets
import Foundation

// Prints the bytes of resources read through Bundle.module: this target's copied folder, and the
// processed file of a library target it depends on.
guard let folder = Bundle.module.url(forResource: "public", withExtension: nil) else {
    print("error: no 'public' folder in \(Bundle.module.bundlePath)")
    exit(1)
}
let hello = try String(contentsOf: folder.appendingPathComponent("hello.txt"), encoding: .utf8)
let nested = try String(contentsOf: folder.appendingPathComponent("nested/data.json"), encoding: .utf8)
print("bundle: \(Bundle.module.bundlePath)")
print("hello.txt: \(hello)", terminator: "")
print("nested/data.json: \(nested)", terminator: "")
print("banner.txt: \(try Assets.banner())", terminator: "")
