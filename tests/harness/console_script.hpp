// What a boot test expects of a console: an ordered list of steps (wait for a milestone or a
// text, type into the console, expect an exit status) and the patterns that fail a run at once.
// Pure logic, fed line by line, so unit tests drive it without a process.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rootstock/milestone.hpp>

namespace rootstock::harness {

using Seconds = std::chrono::duration<double>;

/// One thing the console must show or receive, in order.
struct Step {
  enum class Kind {
    kWaitMilestone,  ///< a milestone line matching `arg` (name plus a subset of its fields)
    kWaitText,       ///< any line containing `arg`
    kType,           ///< write `arg` to the console
    kExpectExit,     ///< the process exits with status `exit_status`
    kMonitor,        ///< send `arg` to QEMU's human monitor (SessionConfig::monitor_socket)
    /// As kWaitMilestone and kWaitText, but a line from before this step counts too: for what
    /// happens in no fixed order (several VMs at once).
    kSeenMilestone,
    kSeenText,
    /// a request to the appliance's API through the forwarded port (api_call.hpp's spec)
    kApiCall,
  };
  Kind kind;
  std::string arg;
  Seconds timeout{0};  ///< measured from the end of the previous step
  int exit_status = 0;

  /// How the step reads in a report ("milestone 'hv-ready cpus=4'").
  [[nodiscard]] std::string describe() const;
};

/// The failure patterns every boot test applies unless told otherwise (docs/milestones.md).
[[nodiscard]] std::vector<std::string> default_failure_patterns();

/// Values captured from earlier milestones, by name.
using Variables = std::map<std::string, std::string>;

/// Whether a parsed milestone line satisfies a wait spec: "NAME cond cond ...", each cond
/// "key=value" (the same text), "key>=N" or "key<=N" (numbers, decimal or 0x hex), or
/// "key=>NAME" (any value, captured into `vars` when the whole spec matches). A value may be
/// "$NAME" or, in >=/<=, "$NAME+N"/"$NAME-N": a value captured before.
[[nodiscard]] bool milestone_matches(const milestone::Parsed& line, std::string_view spec,
                                     Variables& vars);

/// Decodes C-style escapes (\n \r \t \\ \xNN) in text to be typed; nullopt when malformed.
[[nodiscard]] std::optional<std::string> unescape(std::string_view text);

/// What a console line means for the run.
struct LineVerdict {
  bool step_done = false;              ///< the current wait step is satisfied by this line
  std::optional<std::string> failure;  ///< the run fails at once, with this reason
};

/// Judges console lines against the failure patterns and the step waiting now.
class ConsoleJudge {
 public:
  explicit ConsoleJudge(std::vector<std::string> failure_patterns)
      : failure_patterns_(std::move(failure_patterns)) {}

  /// Judges one line (without its newline); `waiting` is the current step, or nullptr.
  /// Captures of a matching milestone step are kept for the steps after it.
  [[nodiscard]] LineVerdict judge(std::string_view line, const Step* waiting);
  /// Whether a line judged before satisfies `step` (kSeenMilestone, kSeenText; false for other
  /// kinds). Captures of a matching milestone are kept.
  [[nodiscard]] bool seen_before(const Step& step);
  /// The values captured so far ("key=>NAME" in a milestone step).
  [[nodiscard]] const Variables& variables() const { return variables_; }

 private:
  // `parsed`: the line as a milestone, or null when it is none (parsed once per line).
  [[nodiscard]] bool satisfies(std::string_view line, const milestone::Parsed* parsed,
                               const Step& step);

  std::vector<std::string> failure_patterns_;
  Variables variables_;
  std::vector<std::string> history_;  // every line judged, for kSeen* steps
};

}  // namespace rootstock::harness
