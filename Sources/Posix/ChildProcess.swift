import Glibc

/// A child process fercam drives (ffmpeg, to decode or encode video), started with `posix_spawnp`.
///
/// Its standard input and output are pipes or /dev/null as asked. Its standard error goes to an unlinked
/// temporary file rather than a pipe, so a chatty child can never stall on a full pipe, and what it said
/// last is there to report when it fails. It runs in a process group of its own, with default signal
/// handling and mask: Ctrl-C reaches fercam alone, which ends the child itself (`terminate`), so a stop
/// is always fercam's decision and never looks like the child's failure.
///
/// One owner, one thread; the object closes its descriptors and reaps the child when it goes away.
public final class ChildProcess {
    public enum Stream { case pipe, null }

    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    public let executable: String
    public let pid: pid_t
    /// Read end of the child's standard output, when it is a pipe.
    public private(set) var output: Int32?
    /// Write end of the child's standard input, when it is a pipe.
    public private(set) var input: Int32?
    private let errorLog: Int32
    private var termination: Termination?

    /// Starts `executable` (looked up on PATH) with `arguments`. Throws `posix_spawnp`'s error: ENOENT when
    /// the program is not installed.
    public init(
        _ executable: String, arguments: [String], input inputStream: Stream, output outputStream: Stream
    ) throws(SystemCallError) {
        self.executable = executable
        var template = Array("/tmp/fercam-child-XXXXXX".utf8CString)
        let log = try syscall("mkstemp") { mkstemp(&template) }
        unlink(template)
        keepFromExec([log])
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        func fail(_ call: String, _ code: Int32) -> SystemCallError {
            for fd in toChild + fromChild where fd >= 0 { close(fd) }
            close(log)
            return SystemCallError(call: call, code: code)
        }
        if inputStream == .pipe {
            guard pipe(&toChild) == 0 else { throw fail("pipe", errno) }
            keepFromExec(toChild)
            posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if outputStream == .pipe {
            guard pipe(&fromChild) == 0 else { throw fail("pipe", errno) }
            keepFromExec(fromChild)
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, log, 2)

        // fercam blocks SIGINT and SIGTERM in every thread (see StopSignal) and may ignore SIGPIPE; the
        // child must not inherit either.
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var child: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let code = posix_spawnp(&child, executable, &actions, &attributes, argv, environ)
        guard code == 0 else { throw fail("posix_spawnp", code) }
        pid = child
        errorLog = log
        if inputStream == .pipe {
            close(toChild[0])
            input = toChild[1]
        }
        if outputStream == .pipe {
            close(fromChild[1])
            output = fromChild[0]
        }
    }

    deinit {
        closeInput()
        if let output { close(output) }
        if termination == nil { terminateAndReap() }
        close(errorLog)
    }

    /// Closes the child's standard input (end of stream for an encoder).
    public func closeInput() {
        if let input { close(input) }
        input = nil
    }

    /// Asks the child to stop (SIGTERM), if it has not ended yet.
    public func terminate() {
        if termination == nil { kill(pid, SIGTERM) }
    }

    /// Ends the child for good and reaps it: SIGTERM, then SIGKILL if it is still there after `grace`
    /// seconds. ffmpeg catches SIGTERM and only acts on it between reads, so one blocked opening a FIFO
    /// with no writer, or a server that never answers, would otherwise outlive fercam.
    public func terminateAndReap(grace: Double = 2) {
        guard termination == nil else { return }
        kill(pid, SIGTERM)
        let deadline = monotonicSeconds() + grace
        while termination == nil {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                termination = Self.decode(status)
                return
            }
            if reaped < 0 && errno != EINTR { return }  // not our child any more (reaped elsewhere)
            if monotonicSeconds() >= deadline {
                kill(pid, SIGKILL)
                _ = try? wait()
                return
            }
            usleep(10_000)
        }
    }

    private static func decode(_ status: Int32) -> Termination {
        // WIFEXITED and friends are macros Swift does not import.
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// Waits for the child to end and says how it ended.
    @discardableResult
    public func wait() throws(SystemCallError) -> Termination {
        if let termination { return termination }
        var status: Int32 = 0
        try syscall("waitpid") { waitpid(pid, &status, 0) }
        let ended = Self.decode(status)
        termination = ended
        return ended
    }

    /// The last lines the child wrote to standard error (at most `limit` bytes of them), trimmed.
    public func errorText(limit: Int = 4096) -> String {
        var info = stat()
        guard fstat(errorLog, &info) == 0 else { return "" }
        let start = max(0, Int(info.st_size) - limit)
        var text = String(decoding: readBytes(errorLog, at: start, upTo: limit), as: UTF8.self)
        if start > 0, let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        return text.trimmingCharacters(in: " \n\r\t")
    }
}

/// Marks descriptors close-on-exec (the child gets its ends through dup2, which clears the flag).
private func keepFromExec(_ descriptors: [Int32]) {
    for fd in descriptors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop = Set(set)
        var s = Substring(self)
        while let c = s.first, drop.contains(c) { s.removeFirst() }
        while let c = s.last, drop.contains(c) { s.removeLast() }
        return String(s)
    }
}
