#include "command_flags.hpp"

#include "rolesanywhere/error.hpp"

#include <utility>

namespace rolesanywhere::cli {

namespace {

FlagCapture* active_capture = nullptr;

// The description without its asides in parentheses, up to the first ". " or "; ", so a shell's
// one-line menu stays short: "Signing region (default: ...)" is "Signing region".
std::string first_sentence(const std::string& description) {
  std::string text;
  int depth = 0;
  for (char c : description) {
    if (c == '(') ++depth;
    if (depth == 0) text += c;
    if (c == ')' && depth > 0) --depth;
  }
  std::size_t end = text.size();
  for (const char* stop : {". ", "; "})
    if (const auto at = text.find(stop); at != std::string::npos && at < end) end = at;
  text.resize(end);
  // What an aside leaves: "Password  of a TPM key", "Signing region ".
  std::string sentence;
  for (char c : text)
    if (!(c == ' ' && (sentence.empty() || sentence.back() == ' '))) sentence += c;
  while (!sentence.empty() && (sentence.back() == ' ' || sentence.back() == '.'))
    sentence.pop_back();
  return sentence;
}

std::vector<std::string> split_choices(const std::string& text) {
  std::vector<std::string> choices;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto bar = text.find('|', start);
    const auto end = bar == std::string::npos ? text.size() : bar;
    if (end > start) choices.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return choices;
}

void read_value(const cxxopts::HelpOptionDetails& option, FlagSpec& flag) {
  if (option.is_boolean) return;  // a switch: --debug, --once
  const std::string& hint = option.arg_help;
  flag.value_name = hint.empty() || hint == "arg" ? "VALUE" : hint;
  if (hint.find('|') != std::string::npos) {
    flag.value = ValueCompletion::kChoices;
    flag.choices = split_choices(hint);
  } else if (hint == "FILE") {
    flag.value = ValueCompletion::kFiles;
  } else if (hint == "DIR") {
    flag.value = ValueCompletion::kDirectories;
  } else if (hint.empty() || hint == "arg") {
    flag.value = ValueCompletion::kFiles;
  } else {
    flag.value = ValueCompletion::kNothing;
  }
}

}  // namespace

std::vector<FlagSpec> describe_flags(const cxxopts::Options& options) {
  std::vector<FlagSpec> flags;
  for (const std::string& group : options.groups()) {
    for (const cxxopts::HelpOptionDetails& option : options.group_help(group).options) {
      if (option.l.empty()) continue;  // a short flag alone: none is defined so far
      FlagSpec flag;
      flag.name = option.l.front();
      flag.short_name = option.s;
      flag.summary = first_sentence(option.desc);
      read_value(option, flag);
      flags.push_back(std::move(flag));
    }
  }
  return flags;
}

FlagCapture::FlagCapture() {
  if (active_capture) throw Error(Error::Kind::kInternal, "a flag capture is already active");
  active_capture = this;
}

FlagCapture::~FlagCapture() { active_capture = nullptr; }

std::optional<std::vector<FlagSpec>> FlagCapture::take() { return std::exchange(captured_, {}); }

bool FlagCapture::offer(const cxxopts::Options& options) {
  if (!active_capture) return false;
  active_capture->captured_ = describe_flags(options);
  return true;
}

}  // namespace rolesanywhere::cli
