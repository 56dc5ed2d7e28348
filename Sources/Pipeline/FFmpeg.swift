import Glibc
import Posix

/// Starting the `ffmpeg` child that decodes (`VideoSource`) or encodes (`VideoWriter`) a file, with one
/// wording for the two ways that fails.
enum FFmpeg {
    /// The common arguments: no keyboard, no banner, errors only (fercam reports them).
    static let quiet = ["-nostdin", "-hide_banner", "-loglevel", "error"]

    /// The input option that starts reading the next `-i` at `seconds` (ffmpeg seeks; nothing before it is
    /// decoded); none for the start.
    static func seek(to seconds: Double) -> [String] {
        seconds > 0 ? ["-ss", JSONLines.number(seconds, decimals: 6)] : []
    }

    /// Starts `executable` for `path`; `task` says what needs it ("reading this video"), `otherwise` what the
    /// user can do without it.
    static func start(
        _ executable: String, arguments: [String], input: ChildProcess.Stream, output: ChildProcess.Stream,
        path: String, task: String, otherwise: String
    ) throws -> ChildProcess {
        do {
            return try ChildProcess(executable, arguments: quiet + arguments, input: input, output: output)
        } catch {
            if error.code == ENOENT {
                throw InputError(
                    "\(path): \(task) needs \(executable), which is not installed or not on PATH "
                        + "(Debian: apt-get install ffmpeg; \(otherwise))")
            }
            throw InputError("\(path): cannot start \(executable): \(error.message)")
        }
    }
}
