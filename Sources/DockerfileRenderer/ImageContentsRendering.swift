import OCIModel
import ContainerImage

/// The Dockerfile text for `ImageContents`: each function feeds one template placeholder, and each
/// mirrors what `containertool build` puts into the image (ContainerImage owns the paths, modes,
/// user files and add-on detection markers; this file only writes them as Dockerfile and shell).
extension ImageContents {
    /// `{{COLLECT_RESOURCE_BUNDLES}}`: appended to the builder's `RUN`, copies to /out the SwiftPM
    /// resource bundles whose names the binary contains, as `ResourceBundles.referenced` picks them.
    func resourceBundleCollection(product: String) -> String {
        guard resourceBundles else { return "" }
        return " \\\n    && for bundle in .build/release/*\(ResourceBundles.suffix); do \\\n"
            + "           if [ -d \"$bundle\" ] && grep -qF \"${bundle##*/}\" \"/out/\(product)\"; then cp -R \"$bundle\" /out/; fi; \\\n"
            + "       done"
    }

    /// `{{ROOTFS_COPIES}}`: `COPY` lines for `--resource` and `--ca-file` files of the build context,
    /// each line ending with a newline (empty when there are none).
    func rootfsCopies() -> String {
        var lines: [String] = []
        for resource in resources {
            lines.append("COPY [\(jsonString(resource.source)), \(jsonString("/rootfs" + resource.destination))]")
        }
        for (index, file) in caFiles.enumerated() {
            lines.append("COPY [\(jsonString(file)), \(jsonString(caFileStagingPath(index)))]")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// `{{ROOTFS_SCRIPT}}`: the body of the rootfs stage's `RUN`, run in /rootfs (its `WORKDIR`).
    func rootfsScript(product: String) -> String {
        var steps: [String] = []
        // (etc/ also on a base: the add-ons below write into it.)
        var folders = onBase ? ["etc"] : ["etc", relative(ScratchBase.temporaryPath), relative(ScratchBase.homePath)]
        if let workingDirectory, workingDirectory != "/" { folders.append(relative(workingDirectory)) }
        steps.append("mkdir -p " + folders.map(shellQuoted).joined(separator: " "))
        if !onBase {
            steps.append("printf '%s\\n' " + ScratchBase.passwdLines.map(shellQuoted).joined(separator: " ") + " > etc/passwd")
            steps.append("printf '%s\\n' " + ScratchBase.groupLines.map(shellQuoted).joined(separator: " ") + " > etc/group")
        }

        let binary = shellQuoted("/rootfs/" + product)
        // (validate() has thrown for a conflict already; here a --resource at an add-on's path wins.)
        let choices = (try? addOnChoices()) ?? (timeZoneData: timeZoneData, caCertificates: caCertificates)
        let localtime = UserProvidedPaths.provides(TimeZoneData.localtimePath, resources.map(\.destination))
            ? "" : " \\\n           && ln -s \(TimeZoneData.localtimeTarget) \(relative(TimeZoneData.localtimePath))"
        let zoneinfo = relative(TimeZoneData.imagePath)
        let timeZoneSteps = requireInBuilder(TimeZoneData.localtimeTarget, what: "time-zone data", package: "tzdata", optOut: "--no-tzdata")
            + " \\\n           && mkdir -p \(zoneinfo) \\\n"
            + "           && cp -a \(TimeZoneData.imagePath)/. \(zoneinfo)/ \\\n"
            + "           && rm -rf " + TimeZoneData.excludedEntries.sorted().map { "\(zoneinfo)/\($0)" }.joined(separator: " ")
            + localtime
        switch choices.timeZoneData {
        case .on: steps.append(timeZoneSteps)
        case .auto: steps.append("if grep -qF \(TimeZoneData.marker) \(binary); then \\\n           \(timeZoneSteps); \\\n       fi")
        case .off: break
        }

        let hostBundle = CABundle.imagePath  // the builder image is Debian: its bundle is where ours goes
        var bundleParts: [String] = []
        let useHostBundle: String?  // nil: never; "": always; else: a shell condition
        switch choices.caCertificates {
        case .on: useHostBundle = ""
        case .off: useHostBundle = nil
        case .auto: useHostBundle = caFiles.isEmpty ? "grep -qF " + CABundle.markers.map { "-e " + $0 }.joined(separator: " ") + " \(binary)" : ""
        }
        if useHostBundle != nil {
            bundleParts.append("cat \(hostBundle)")
            bundleParts.append("if [ -n \"$(tail -c 1 \(hostBundle))\" ]; then echo; fi")
        }
        for index in caFiles.indices {
            bundleParts.append("sed -n '/\(CABundle.begin)/,/\(CABundle.end)/p' \(caFileStagingPath(index))")
        }
        if !bundleParts.isEmpty {
            let check = useHostBundle == nil ? ""
                : requireInBuilder(hostBundle, what: "CA bundle", package: "ca-certificates", optOut: "--no-ca-certificates") + " \\\n           && "
            let aliases = CABundle.aliases.filter { !UserProvidedPaths.provides($0.path, resources.map(\.destination)) }.map { alias in
                " \\\n           && if grep -qF \(alias.marker) \(binary); then mkdir -p \(relative(folder(of: alias.path)))"
                    + " && ln -s \(CABundle.imagePath) \(relative(alias.path)); fi"
            }
            let write = check + "mkdir -p \(relative(folder(of: CABundle.imagePath))) \\\n"
                + "           && { " + bundleParts.joined(separator: "; ") + "; } > \(relative(CABundle.imagePath))"
                + aliases.joined()
            if let condition = useHostBundle, !condition.isEmpty {
                steps.append("if \(condition); then \\\n           \(write); \\\n       fi")
            } else {
                steps.append(write)
            }
        }
        if !caFiles.isEmpty { steps.append("rm -rf \(Self.caFileStagingFolder)") }

        // Modes and owners as containertool writes them: root-owned, files 0644 (0755 when executable),
        // folders 0755, then /tmp and the non-root user's home.
        steps.append("chown -R 0:0 . && chmod -R u=rwX,go=rX .")
        if onBase { return steps.joined(separator: " \\\n    && ") }
        steps.append("chmod \(String(ScratchBase.temporaryMode, radix: 8)) \(relative(ScratchBase.temporaryPath))")
        steps.append("chown \(ScratchBase.homeOwner):\(ScratchBase.homeOwner) \(relative(ScratchBase.homePath)) && chmod \(String(ScratchBase.homeMode, radix: 8)) \(relative(ScratchBase.homePath))")
        return steps.joined(separator: " \\\n    && ")
    }

    /// `{{IMAGE_CONFIG}}`: LABEL, ENV, EXPOSE, USER, WORKDIR, HEALTHCHECK and CMD lines, giving the
    /// config `ImageAssembler.config` writes (labels include its `created` and `title`).
    func configLines(product: String, port: Int?, user: String?) -> String {
        var allLabels = [AnnotationKey.created: rfc3339(epochSeconds: sourceDateEpoch), AnnotationKey.title: product]
        allLabels.merge(labels) { _, given in given }
        var lines = ["LABEL " + allLabels.sorted { $0.key < $1.key }.map { "\(quoted($0.key))=\(quoted($0.value))" }.joined(separator: " \\\n      ")]
        for entry in environment {
            let equals = entry.firstIndex(of: "=")!
            lines.append("ENV \(entry[..<equals])=\(quoted(String(entry[entry.index(after: equals)...])))")
        }
        let ports = exposedPorts ?? port.map { ["\($0)/tcp"] } ?? []
        if !ports.isEmpty { lines.append("EXPOSE " + ports.joined(separator: " ")) }
        if let user { lines.append("USER \(user)") }
        if let workingDirectory { lines.append("WORKDIR \(workingDirectory)") }
        if let healthcheck { lines.append("HEALTHCHECK CMD " + jsonArray(healthcheck)) }
        if let command { lines.append("CMD " + jsonArray(command)) }
        return lines.joined(separator: "\n")
    }

    static let caFileStagingFolder = "/tmp/containerize-ca-files"
    func caFileStagingPath(_ index: Int) -> String { "\(Self.caFileStagingFolder)/\(index + 1).pem" }

    /// A shell test that stops the build with one line when the builder image lacks `path`.
    private func requireInBuilder(_ path: String, what: String, package: String, optOut: String) -> String {
        "{ [ -f \(path) ] || { echo 'error: the builder image has no \(what) (\(path)); install \(package) in it, or render with \(optOut)' >&2; exit 1; }; }"
    }

    private func relative(_ absolute: String) -> String { String(absolute.drop { $0 == "/" }) }
    private func folder(of path: String) -> String { path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "/" }
}

/// `"text"` for a Dockerfile LABEL/ENV value: quotes, backslashes and `$` (Docker substitutes
/// variables there) escaped.
func quoted(_ text: String) -> String {
    "\"" + text.replacingAll(["\\": "\\\\", "\"": "\\\"", "$": "\\$"]) + "\""
}

/// A JSON string literal (Dockerfile exec form, COPY's JSON form).
func jsonString(_ text: String) -> String {
    var output = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": output += "\\\""
        case "\\": output += "\\\\"
        case "\n": output += "\\n"
        case "\t": output += "\\t"
        case "\r": output += "\\r"
        case _ where scalar.value < 0x20: output += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: output.unicodeScalars.append(scalar)
        }
    }
    return output + "\""
}

func jsonArray(_ words: [String]) -> String { "[" + words.map(jsonString).joined(separator: ", ") + "]" }

/// A word for `/bin/sh`, single-quoted unless it is plainly safe.
func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
    if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
    return "'" + word.replacingAll(["'": "'\\''"]) + "'"
}

extension String {
    fileprivate func replacingAll(_ replacements: [Character: String]) -> String {
        var output = ""
        for character in self { output += replacements[character] ?? String(character) }
        return output
    }
}
