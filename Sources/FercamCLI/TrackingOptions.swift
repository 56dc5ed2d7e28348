import ArgumentParser
import Pipeline
import Tracking

/// Tracking and smoothing flags (docs/tracking.md).
struct TrackingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Time constant of each face's expression smoothing, in seconds; 0 turns smoothing off.")
    var smoothing: Double = SmoothingParameters().timeConstant
    @Option(parsing: .unconditional, help: "How far (probability) another class must lead the shown one before the label switches.")
    var switchMargin: Float = SmoothingParameters().switchMargin
    @Option(parsing: .unconditional, help: "A label that leads every other class by less than this (probability) is reported uncertain.")
    var uncertainMargin: Float = SmoothingParameters().uncertainMargin
    @Option(parsing: .unconditional, help: "An undetected face keeps its id for this many frames or --keep-seconds, whichever is longer.")
    var keepFrames: Int = TrackingParameters().maximumMissedFrames
    @Option(parsing: .unconditional, help: "An undetected face keeps its id for this many seconds or --keep-frames, whichever is longer.")
    var keepSeconds: Double = TrackingParameters().maximumMissedSeconds

    func validate() throws {
        guard (0...10).contains(smoothing) else {
            throw ValidationError("--smoothing must be from 0 to 10 seconds (got \(smoothing))")
        }
        guard (0...1).contains(switchMargin) else {
            throw ValidationError("--switch-margin must be from 0 to 1 (got \(switchMargin))")
        }
        guard (0...1).contains(uncertainMargin) else {
            throw ValidationError("--uncertain-margin must be from 0 to 1 (got \(uncertainMargin))")
        }
        guard (0...1000).contains(keepFrames) else {
            throw ValidationError("--keep-frames must be from 0 to 1000 (got \(keepFrames))")
        }
        guard (0...60).contains(keepSeconds) else {
            throw ValidationError("--keep-seconds must be from 0 to 60 (got \(keepSeconds))")
        }
    }

    var tracking: TrackingParameters {
        TrackingParameters(maximumMissedFrames: keepFrames, maximumMissedSeconds: keepSeconds)
    }

    func smoothing(timeConstant: Double) -> SmoothingParameters {
        SmoothingParameters(timeConstant: timeConstant, switchMargin: switchMargin, uncertainMargin: uncertainMargin)
    }

    func makeTracking() -> FaceTracking {
        FaceTracking(tracking: tracking, smoothing: smoothing(timeConstant: smoothing))
    }
}
