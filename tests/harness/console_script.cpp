#include "console_script.hpp"

#include <rootstock/milestone.hpp>

#include <cctype>
#include <cstdlib>

namespace rootstock::harness {
namespace {

Text as_text(std::string_view s) {
  return {s.data(), s.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A selftest milestone that reports failures ends the run at once: the tests after it would
// only wait for their own timeouts.
std::optional<std::string> failed_selftest(const milestone::Parsed& m) {
  if (!(m.name == Text{"selftest"})) {
    return std::nullopt;
  }
  const milestone::Field* failed = m.find("failed");
  if (failed == nullptr || failed->value == Text{"0"}) {
    return std::nullopt;
  }
  const milestone::Field* name = m.find("name");
  std::string who = name != nullptr ? std::string(name->value.data, name->value.size) : "?";
  return "selftest '" + who +
         "' reported failed=" + std::string(failed->value.data, failed->value.size);
}

std::string text_of(Text t) {
  return {t.data, t.size};
}

// A value in a spec: literal text, or "$NAME", "$NAME+N", "$NAME-N" (a captured number).
std::optional<std::string> resolve(std::string_view v, const Variables& vars) {
  if (v.empty() || v[0] != '$') return std::string(v);
  size_t n = 1;
  while (n < v.size() && (std::isalnum(static_cast<unsigned char>(v[n])) || v[n] == '_')) ++n;
  const auto it = vars.find(std::string(v.substr(1, n - 1)));
  if (it == vars.end()) return std::nullopt;
  if (n == v.size()) return it->second;
  const char sign = v[n];
  const std::string offset_text(v.substr(n + 1));
  char* end = nullptr;
  const long long base = std::strtoll(it->second.c_str(), &end, 0);
  if (*end != '\0' || (sign != '+' && sign != '-') || offset_text.empty()) return std::nullopt;
  const long long offset = std::strtoll(offset_text.c_str(), &end, 0);
  if (*end != '\0') return std::nullopt;
  return std::to_string(sign == '+' ? base + offset : base - offset);
}

// One condition of a milestone spec on a field: "k=v" (equal text), "k>=N" or "k<=N"
// (numbers), "k=>NAME" (capture the value, recorded in `captures`).
bool condition_holds(const milestone::Parsed& line, std::string_view cond, const Variables& vars,
                     Variables& captures) {
  if (const size_t at = cond.find("=>"); at != std::string_view::npos) {
    const milestone::Field* f = line.find(as_text(cond.substr(0, at)));
    if (f == nullptr) return false;
    captures[std::string(cond.substr(at + 2))] = text_of(f->value);
    return true;
  }
  for (std::string_view op : {">=", "<="}) {
    const size_t at = cond.find(op);
    if (at == std::string_view::npos) continue;
    const milestone::Field* f = line.find(as_text(cond.substr(0, at)));
    const auto want = resolve(cond.substr(at + 2), vars);
    if (f == nullptr || !want) return false;
    const std::string have = text_of(f->value);
    char* end = nullptr;
    const long long h = std::strtoll(have.c_str(), &end, 0);
    if (have.empty() || *end != '\0') return false;
    const long long w = std::strtoll(want->c_str(), &end, 0);
    if (want->empty() || *end != '\0') return false;
    return op == ">=" ? h >= w : h <= w;
  }
  const size_t eq = cond.find('=');
  if (eq == std::string_view::npos) return false;
  const milestone::Field* f = line.find(as_text(cond.substr(0, eq)));
  const auto want = resolve(cond.substr(eq + 1), vars);
  return f != nullptr && want && text_of(f->value) == *want;
}

}  // namespace

bool milestone_matches(const milestone::Parsed& line, std::string_view spec, Variables& vars) {
  size_t pos = 0;
  bool first = true;
  Variables captures;
  while (pos < spec.size()) {
    const size_t end = std::min(spec.find(' ', pos), spec.size());
    const std::string_view word = spec.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (first) {
      if (!(line.name == as_text(word))) return false;
      first = false;
    } else if (!condition_holds(line, word, vars, captures)) {
      return false;
    }
  }
  if (first) return false;
  for (auto& [name, value] : captures) vars[name] = value;  // only a whole match captures
  return true;
}

std::string Step::describe() const {
  switch (kind) {
    case Kind::kWaitMilestone:
      return "milestone '" + arg + "'";
    case Kind::kWaitText:
      return "text '" + arg + "'";
    case Kind::kSeenMilestone:
      return "milestone '" + arg + "' (then or before)";
    case Kind::kSeenText:
      return "text '" + arg + "' (then or before)";
    case Kind::kType:
      return "typing '" + arg + "'";
    case Kind::kExpectExit:
      return "exit status " + std::to_string(exit_status);
    case Kind::kMonitor:
      return "monitor command '" + arg + "'";
    case Kind::kApiCall:
      return "API call '" + arg + "'";
  }
  return "?";
}

std::vector<std::string> default_failure_patterns() {
  return {"Kernel panic", "Oops:", "WARNING: CPU:", "BUG:", "[rootstock] panic"};
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        if (i + 2 >= text.size()) return std::nullopt;
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

LineVerdict ConsoleJudge::judge(std::string_view line, const Step* waiting) {
  LineVerdict v;
  for (const std::string& p : failure_patterns_) {
    if (line.find(p) != std::string_view::npos) {
      v.failure = "failure pattern '" + p + "' on the console";
      return v;
    }
  }
  milestone::Parsed seen;
  const bool is_milestone = milestone::parse(as_text(line), seen);
  if (is_milestone) {
    if (auto f = failed_selftest(seen)) {
      v.failure = *f;
      return v;
    }
  }
  history_.emplace_back(line);
  if (waiting != nullptr) v.step_done = satisfies(line, is_milestone ? &seen : nullptr, *waiting);
  return v;
}

bool ConsoleJudge::satisfies(std::string_view line, const milestone::Parsed* parsed,
                             const Step& step) {
  switch (step.kind) {
    case Step::Kind::kWaitText:
    case Step::Kind::kSeenText:
      return line.find(step.arg) != std::string_view::npos;
    case Step::Kind::kWaitMilestone:
    case Step::Kind::kSeenMilestone:
      return parsed != nullptr && milestone_matches(*parsed, step.arg, variables_);
    default:
      return false;
  }
}

bool ConsoleJudge::seen_before(const Step& step) {
  if (step.kind != Step::Kind::kSeenMilestone && step.kind != Step::Kind::kSeenText) return false;
  for (const std::string& line : history_) {
    milestone::Parsed parsed;
    const bool is_milestone = milestone::parse(as_text(line), parsed);
    if (satisfies(line, is_milestone ? &parsed : nullptr, step)) return true;
  }
  return false;
}

}  // namespace rootstock::harness
