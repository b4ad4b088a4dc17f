import ExprunCore
import Foundation

/// One child process of an external model and its three pipes: requests on the child's fd 3,
/// replies on its fd 4, and its stdout and stderr together on a third pipe that a thread drains
/// (`OracleOutput`), so nothing the model prints can reach the protocol channel or block it.
///
/// The child runs in its own process group (a Ctrl-C in the terminal reaches exprun, which
/// stops the run and kills the group; a grandchild the model starts dies with it), with the
/// default signal dispositions and stdin on /dev/null. Every descriptor exprun opens is
/// close-on-exec, so a child never inherits another run's pipes: when exprun dies its pipes
/// close, and the Python helper exits on end-of-file (it also asks the kernel to kill it when
/// its parent dies). Writes and reads are non-blocking with `poll` for the deadline, so a hung
/// child costs a timeout, never a hang; a dead reader gives EPIPE (SIGPIPE is ignored once the
/// first child starts), never a signal that kills exprun.
final class OracleProcess {
    let pid: pid_t
    private var requestFD: Int32
    private var replyFD: Int32
    let output: OracleOutput

    /// Starts `argv` (looked up in PATH) with `environment` added to exprun's.
    init(argv: [String], environment: [String: String], output: OracleOutput) throws(OracleFault) {
        guard let program = argv.first, !program.isEmpty else { throw .cannotStart("the command is empty") }
        Self.ignoreSIGPIPE
        var request: [Int32] = [-1, -1], reply: [Int32] = [-1, -1], text: [Int32] = [-1, -1]
        guard Self.pipeAbove(&request), Self.pipeAbove(&reply), Self.pipeAbove(&text) else {
            for fd in request + reply + text where fd >= 0 { close(fd) }
            throw .cannotStart("pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The sources are all >= 10, so no dup2 clobbers a descriptor another one still needs.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, text[1], 1)
        posix_spawn_file_actions_adddup2(&actions, text[1], 2)
        posix_spawn_file_actions_adddup2(&actions, request[0], 3)
        posix_spawn_file_actions_adddup2(&actions, reply[1], 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults); sigemptyset(&mask)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envStrings = env.keys.sorted().map { "\($0)=\(env[$0]!)" }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var child: pid_t = 0
        let status = posix_spawnp(&child, program, &actions, &attributes, &cArgs, &cEnv)
        close(request[0]); close(reply[1]); close(text[1])
        guard status == 0 else {
            close(request[1]); close(reply[0]); close(text[0])
            throw .cannotStart("\(program): \(String(cString: strerror(status)))")
        }
        pid = child
        requestFD = request[1]; replyFD = reply[0]
        for fd in [requestFD, replyFD] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            #if os(Linux)
            _ = fcntl(fd, 1031 /* F_SETPIPE_SZ */, 1 << 20)   // fewer syscalls for large d; best effort
            #endif
        }
        self.output = output
        output.drain(text[0])
    }

    deinit { stop(grace: 0) }

    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    /// glibc's pipe2 (Swift's Glibc module does not export it): the descriptors are created
    /// close-on-exec atomically, so a child another thread spawns meanwhile cannot inherit them.
    private static let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "pipe2") else {   // nil is RTLD_DEFAULT on glibc
            return { fds, _ in pipe(fds) }
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

    /// A close-on-exec pipe whose two descriptors are >= 10; false on failure.
    private static func pipeAbove(_ fds: inout [Int32]) -> Bool {
        var raw: [Int32] = [-1, -1]
        guard pipe2(&raw, O_CLOEXEC) == 0 else { return false }
        for k in 0..<2 {
            fds[k] = fcntl(raw[k], F_DUPFD_CLOEXEC, 10)
            close(raw[k])
        }
        return fds[0] >= 0 && fds[1] >= 0
    }

    /// Sends `count` bytes before `deadline` (monotonic seconds).
    func send(_ p: UnsafeRawPointer, count: Int, deadline: Double) throws(OracleFault) {
        var sent = 0
        while sent < count {
            let r = write(requestFD, p + sent, count - sent)
            if r > 0 { sent += r; continue }
            let e = errno
            if r < 0 && e == EINTR { continue }
            if r < 0 && e == EAGAIN {
                try wait(requestFD, events: Int16(POLLOUT), deadline: deadline, doing: "sending a request")
                continue
            }
            throw .crashed(e == EPIPE ? "it closed its request channel (fd 3)" : "write: \(String(cString: strerror(e)))")
        }
    }

    /// How long a read retries before it sleeps in `poll`. A process asleep in poll on an idle
    /// VM takes ~90 us to be woken (a pipe ping-pong measured 94 us blocking, 4.6 us spinning on
    /// this 2-core machine), more than a small model's whole call; a short spin catches the
    /// answer of a fast child, and a slow child costs at most this much CPU per call.
    static let spinSeconds = 100e-6

    /// Reads up to `count` bytes into `p` before `deadline`; returns how many (at least one).
    func receive(_ p: UnsafeMutableRawPointer, count: Int, deadline: Double) throws(OracleFault) -> Int {
        var spinUntil = -1.0
        while true {
            let r = read(replyFD, p, count)
            if r > 0 { return r }
            if r == 0 { throw .crashed("it closed its reply channel (fd 4)\(exitDescription())") }
            let e = errno
            if e == EINTR { continue }
            guard e == EAGAIN else { throw .crashed("read: \(String(cString: strerror(e)))") }
            let now = RunControl.now()
            if spinUntil < 0 { spinUntil = now + Self.spinSeconds }
            if now < spinUntil { continue }
            try wait(replyFD, events: Int16(POLLIN), deadline: deadline, doing: "waiting for its answer")
        }
    }

    /// Reads exactly `count` bytes.
    func receiveAll(_ p: UnsafeMutableRawPointer, count: Int, deadline: Double) throws(OracleFault) {
        var got = 0
        while got < count { got += try receive(p + got, count: count - got, deadline: deadline) }
    }

    private func wait(_ fd: Int32, events: Int16, deadline: Double, doing: String) throws(OracleFault) {
        while true {
            let left = deadline - RunControl.now()
            guard left > 0 else { throw .timeout("no progress \(doing) (pid \(pid))") }
            var item = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&item, 1, Int32(min(left * 1000 + 1, 1e9)))
            if r > 0 || (r < 0 && errno != EINTR) { return }   // ready, hung up or failed: the next call says which
        }
    }

    /// ", exit status N" or ", killed by signal S" once the child has exited (it stays a zombie
    /// until `stop` reaps it), else "".
    func exitDescription() -> String {
        var info = siginfo_t()
        // A child that closed its channel is usually exiting: give it a moment to be seen.
        let until = RunControl.now() + 0.5
        while !(waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid) {
            guard RunControl.now() < until else { return "" }
            usleep(1000)
        }
        let code = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? ", exit status \(code)" : ", killed by signal \(code)"
    }

    /// Ends the child: closes its request channel (the helper exits on end-of-file), waits up
    /// to `grace` seconds, then kills its process group and reaps it. Idempotent.
    func stop(grace: Double) {
        guard requestFD >= 0 else { return }
        close(requestFD); requestFD = -1
        let until = RunControl.now() + grace
        var info = siginfo_t()
        while RunControl.now() < until {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid { break }
            usleep(2000)
        }
        kill(-pid, SIGKILL)   // the group: the child (a zombie by now, or not) and anything it started
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(replyFD); replyFD = -1
    }
}

/// Where a child's stdout and stderr go: a thread reads them as they come (so a chatty model
/// never blocks on a full pipe), keeps the last lines for the run's failure message, and
/// forwards everything to exprun's stderr (prefixed) or appends it to a file.
final class OracleOutput: @unchecked Sendable {
    enum Sink { case keep, stderr(prefix: String), file(String) }
    private let sink: Sink
    private let lock = NSLock()
    private var tail: [UInt8] = []
    private static let tailBytes = 4096

    init(_ sink: Sink) { self.sink = sink }

    /// The last `lines` lines the child printed (its last traceback, usually).
    func lastLines(_ lines: Int = 12) -> String {
        lock.lock(); let bytes = tail; lock.unlock()
        let text = String(decoding: bytes, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts the thread that reads `fd` to its end, then closes it.
    func drain(_ fd: Int32) {
        let thread = Thread { [self] in
            var file: UnsafeMutablePointer<FILE>?
            if case .file(let path) = sink { file = fopen(path, "a") }
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let r = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if r < 0 && errno == EINTR { continue }
                guard r > 0 else { break }
                let chunk = buffer[0..<r]
                lock.lock()
                tail.append(contentsOf: chunk)
                if tail.count > Self.tailBytes { tail.removeFirst(tail.count - Self.tailBytes) }
                lock.unlock()
                switch sink {
                case .keep: break
                case .stderr(let prefix):
                    var text = String(decoding: chunk, as: UTF8.self)
                    if text.hasSuffix("\n") { text.removeLast() }
                    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 + "\n" }
                    FileHandle.standardError.write(lines.joined().data(using: .utf8)!)
                case .file:
                    if let file { chunk.withUnsafeBytes { _ = fwrite($0.baseAddress!, 1, $0.count, file) }; fflush(file) }
                }
            }
            if let file { fclose(file) }
            close(fd)
        }
        thread.start()
    }
}
