import GeneratedFiles

/// The starter `deploy/PRODUCT.yaml`: a Deployment and a Service fitted to a scratch image — non-root,
/// read-only, no capabilities, probes that need no shell, memory sized from the measured peak RSS,
/// and a grace period longer than the server's drain time. It passes `resolve` as it is.
public struct StarterManifest: Sendable, Equatable {
    public var product: String
    public var port = 8080
    public var replicas = 2
    public var userID = 65532
    public var groupID = 65532
    /// Peak resident memory measured under load, in MB (HelloWeb, standard build: 3.4 MB under
    /// 64 keep-alive connections in scripts/bench.sh).
    public var peakRSSMegabytes = 3.4
    /// How long the server drains requests in flight after SIGTERM (HelloWeb's --shutdown-timeout default).
    public var shutdownTimeoutSeconds = 5

    public init(product: String) { self.product = product }

    /// Extra seconds between the end of the drain and Kubernetes' SIGKILL.
    public static let graceMargin = 5

    /// A DNS-1123 label for object and container names: `Hello_Web` → `hello-web`.
    public var objectName: String {
        var name = String(product.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" })
        while name.hasPrefix("-") { name.removeFirst() }
        while name.hasSuffix("-") { name.removeLast() }
        return String(name.prefix(63))
    }

    /// Another product among `executables` whose manifests would get the same `objectName`, if any.
    public func productSharingObjectName(among executables: [String]) -> String? {
        executables.first { $0 != product && StarterManifest(product: $0).objectName == objectName }
    }

    /// Memory request: 4× the peak, rounded up to a power of two, at least 16 MiB. Limit: 4× that.
    public var memoryRequestMiB: Int {
        var mebibytes = 16
        while Double(mebibytes) < peakRSSMegabytes * 4 { mebibytes *= 2 }
        return mebibytes
    }

    public var memoryLimitMiB: Int { memoryRequestMiB * 4 }

    public var terminationGracePeriodSeconds: Int { shutdownTimeoutSeconds + Self.graceMargin }

    /// Why these options cannot make a manifest, or nil.
    public var problem: String? {
        if ProductReferenceScanner.productNameProblem(product) != nil || objectName.isEmpty {
            return "invalid product name '\(product)': use the name of an executable product (letters, digits, '.', '_', '-')"
        }
        if !(1...65535).contains(port) { return "invalid port \(port): expected 1 to 65535" }
        if !(1...1000).contains(replicas) { return "invalid replica count \(replicas): expected 1 to 1000" }
        if userID <= 0 || groupID <= 0 { return "the user must not be root (runAsNonRoot): give a UID and GID above 0" }
        if !(peakRSSMegabytes > 0 && peakRSSMegabytes < 65536) { return "invalid peak RSS \(peakRSSMegabytes) MB" }
        if !(0...3600).contains(shutdownTimeoutSeconds) { return "invalid shutdown timeout \(shutdownTimeoutSeconds) s: expected 0 to 3600" }
        return nil
    }

    public func render() -> String {
        let name = objectName
        let rss = peakRSSMegabytes == peakRSSMegabytes.rounded() ? String(Int(peakRSSMegabytes)) : String(peakRSSMegabytes)
        return """
            \(GeneratedFile.marker)
            # Starter manifests for \(product): a Deployment and a Service. Deploy with
            #   swift package --allow-writing-to-package-directory containerize --resolve deploy/\(product).yaml --push REGISTRY/PREFIX > resolved.yaml
            #   kubectl apply -f resolved.yaml
            # --resolve builds and pushes \(product) and replaces swift://\(product) with REGISTRY/PREFIX/\(product.lowercased())@sha256:…
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              labels:
                app.kubernetes.io/name: \(name)
            spec:
              replicas: \(replicas)
              selector:
                matchLabels:
                  app.kubernetes.io/name: \(name)
              template:
                metadata:
                  labels:
                    app.kubernetes.io/name: \(name)
                spec:
                  # After SIGTERM the server finishes requests in flight for up to \(shutdownTimeoutSeconds) s (--shutdown-timeout);
                  # Kubernetes sends SIGKILL this many seconds after SIGTERM: the drain time plus \(Self.graceMargin) s.
                  terminationGracePeriodSeconds: \(terminationGracePeriodSeconds)
                  automountServiceAccountToken: false  # the server never calls the Kubernetes API
                  securityContext:
                    runAsNonRoot: true   # the kubelet refuses to start the container as root
                    runAsUser: \(userID)     # the image's non-root user (nonroot in /etc/passwd)
                    runAsGroup: \(groupID)
                    seccompProfile:
                      type: RuntimeDefault  # the runtime's system-call filter
                  containers:
                    - name: \(name)
                      image: swift://\(product)
                      ports:
                        - name: http
                          containerPort: \(port)
                      env:
                        - name: PORT  # the port HelloWeb listens on; drop it if your server takes its port otherwise
                          value: "\(port)"
                      securityContext:
                        allowPrivilegeEscalation: false  # no setuid or file-capability gains (no_new_privs)
                        readOnlyRootFilesystem: true     # the image is one static binary: nothing writes to it
                        capabilities:
                          drop: ["ALL"]                  # serving on a port above 1023 needs no capability
                      readinessProbe:
                        httpGet:
                          path: /
                          port: \(port)
                        periodSeconds: 5
                      livenessProbe:
                        httpGet:
                          path: /
                          port: \(port)
                        periodSeconds: 10
                        failureThreshold: 3
                      # A scratch image has no shell and no curl. For an exec probe instead of httpGet,
                      # the binary checks itself (HelloWeb --healthcheck: GET / on the local port, exit 0 on 200):
                      #   exec:
                      #     command: ["/\(product)", "--healthcheck", "--port", "\(port)"]
                      resources:
                        # Peak RSS measured under load: \(rss) MB. Request 4x that (at least 16 Mi), limit 4x the request.
                        requests:
                          cpu: 50m
                          memory: \(memoryRequestMiB)Mi
                        limits:
                          memory: \(memoryLimitMiB)Mi
                      volumeMounts:
                        - name: tmp
                          mountPath: /tmp  # a writable /tmp on the read-only root filesystem
                  volumes:
                    - name: tmp
                      emptyDir:
                        medium: Memory
                        sizeLimit: 16Mi
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: \(name)
              labels:
                app.kubernetes.io/name: \(name)
            spec:
              selector:
                app.kubernetes.io/name: \(name)
              ports:
                - name: http
                  port: 80
                  targetPort: \(port)

            """
    }
}
