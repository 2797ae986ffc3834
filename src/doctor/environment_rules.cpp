// What around the helper decides whether CreateSession gets out and in: proxy variables, and the
// AWS config file's credential_process lines that run this helper.
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/text.hpp"

#include "config_ini.hpp"

#include <algorithm>

namespace rolesanywhere::doctor {

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : ", ") + part;
  return text;
}

// The variables libcurl reads for a URL of this scheme (it ignores an upper-case HTTP_PROXY, a
// CGI hazard), and the exclusions.
bool relevant(const std::string& name, bool https) {
  if (name == "all_proxy" || name == "ALL_PROXY" || name == "no_proxy" || name == "NO_PROXY")
    return true;
  return https ? (name == "https_proxy" || name == "HTTPS_PROXY") : name == "http_proxy";
}

}  // namespace

std::string without_userinfo(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t end = url.find_first_of("/?#", authority);
  const std::size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < authority) return std::string(url);
  return std::string(url.substr(0, authority)) + "***" + std::string(url.substr(at));
}

Finding check_proxy(const Environment& environment, const std::string& endpoint_url,
                    const Labels& labels) {
  const bool https = !endpoint_url.starts_with("http://");
  const std::string with_proxy = label_or(labels.with_proxy, "the proxy option");
  std::vector<std::string> set;
  for (const auto& [name, value] : environment.proxy_variables)
    if (relevant(name, https)) set.push_back(name + "=" + without_userinfo(value));
  if (set.empty()) {
    if (environment.with_proxy)
      return {"env.proxy", Verdict::kWarning,
              with_proxy + " given, but no proxy variable is set for " +
                  (https ? "https" : "http") + ": the helper connects directly",
              "set https_proxy (or drop " + with_proxy + ")"};
    return {"env.proxy", Verdict::kOk, "no proxy variables set: the helper connects directly", ""};
  }
  if (environment.with_proxy)
    return {"env.proxy", Verdict::kOk, join(set) + ": used (" + with_proxy + ")", ""};
  return {"env.proxy", Verdict::kWarning,
          join(set) + " set, but without " + with_proxy +
              " the helper ignores proxy variables and connects directly (as aws_signing_helper "
              "does)",
          "add " + with_proxy + " if this network reaches AWS only through the proxy"};
}

namespace {

// Why a command cannot be split, and what mends it.
struct SplitFailure {
  std::string why;
  std::string remedy;
};

// The words of `command`, or why it cannot be split (`failure` set, nullopt returned).
std::optional<std::vector<std::string>> split_or_explain(std::string_view command,
                                                         SplitFailure& failure) {
  const SplitFailure open_quote{"a quote is left open", "close the quote"};
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      // The AWS CLI splits with Python's shlex, which refuses a backslash with nothing after it
      // ("No escaped character"): the command never runs.
      if (++i == command.size()) {
        failure = {"it ends with a backslash that escapes nothing",
                   "drop that backslash, or write it as \\\\ to keep one"};
        return std::nullopt;
      }
      word += command[i];
      continue;
    }
    if (c == '\'') {
      const std::size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) {
        failure = open_quote;
        return std::nullopt;
      }
      word += command.substr(i + 1, close - i - 1);
      i = close;
      continue;
    }
    if (c == '"') {
      for (++i;; ++i) {
        if (i >= command.size()) {
          failure = open_quote;
          return std::nullopt;
        }
        if (command[i] == '"') break;
        // Inside double quotes shlex lets a backslash escape only '\\' and '"' (not '$' or '`'
        // as a POSIX shell does); elsewhere it stays.
        if (command[i] == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '\\' || command[i + 1] == '"'))
          ++i;
        word += command[i];
      }
      continue;
    }
    word += c;
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace

std::optional<std::vector<std::string>> split_shell_words(std::string_view command) {
  SplitFailure ignored;
  return split_or_explain(command, ignored);
}

// botocore's build_profile_map over the sections: [default] exactly, and a section whose name
// starts with "profile" and shlex-splits into two words is the profile of the second word ("a b"
// of [profile "a b"]; none of [profile a b] or [profilex]). A later section of the same profile
// replaces the earlier one whole, in the earlier one's place.
AwsConfig read_aws_config(std::string_view config_text) {
  const doctor_detail::IniFile file = doctor_detail::read_ini(config_text);
  AwsConfig config;
  if (file.refusal) {
    config.refusal = file.refusal->what;
    config.refusal_remedy = file.refusal->remedy;
  }
  std::vector<std::pair<std::string, const doctor_detail::IniSection*>> profiles;
  for (const doctor_detail::IniSection& section : file.sections) {
    std::string profile;
    if (section.name.starts_with("profile")) {
      const auto words = split_shell_words(section.name);
      if (!words || words->size() != 2) continue;
      profile = (*words)[1];
    } else if (section.name == "default") {
      profile = "default";
    } else {
      continue;
    }
    const auto known = std::find_if(profiles.begin(), profiles.end(),
                                    [&](const auto& entry) { return entry.first == profile; });
    if (known == profiles.end())
      profiles.emplace_back(std::move(profile), &section);
    else
      known->second = &section;
  }
  for (const auto& entry : profiles) {
    std::optional<std::string> command = entry.second->value("credential_process");
    if (!command) command = file.defaults.value("credential_process");
    if (!command) continue;
    ConfiguredProcess process;
    process.profile = entry.first;
    SplitFailure failure;
    if (command->starts_with('\n'))
      failure = {
          "its value starts on the next line, which the AWS CLI reads as nested settings, "
          "not a command",
          "start the command on the credential_process line, after the '='"};
    // A value continued on indented lines is split whole: shlex takes its line breaks as blanks.
    else if (auto words = split_or_explain(*command, failure))
      process.words = std::move(*words);
    process.split_error = std::move(failure.why);
    process.split_remedy = std::move(failure.remedy);
    config.processes.push_back(std::move(process));
  }
  return config;
}

std::vector<ConfiguredProcess> credential_processes(std::string_view config_text) {
  return read_aws_config(config_text).processes;
}

bool runs_this_helper(const std::vector<std::string>& words) {
  if (words.size() < 2 || words[1] != "credential-process") return false;
  const std::string& program = words[0];
  const std::size_t slash = program.rfind('/');
  return program.substr(slash == std::string::npos ? 0 : slash + 1) == "rolesanywhere-helper";
}

Finding summarize_profile(const std::string& profile, const std::string& config_file,
                          const Findings& findings) {
  const std::string where = "profile " + profile + " (" + config_file + ")";
  const std::size_t problems = count_verdict(findings, Verdict::kProblem);
  const std::size_t warnings = count_verdict(findings, Verdict::kWarning);
  const Finding* first = first_problem(findings);
  if (!first)
    return {"env.config", Verdict::kOk,
            where + ": its credential_process checks out" +
                (warnings ? " (" + std::to_string(warnings) + " warnings)" : ""),
            ""};
  return {"env.config", Verdict::kProblem,
          where + ": " + first->id + ": " + first->what +
              (problems > 1 ? " (and " + std::to_string(problems - 1) + " more problems)" : ""),
          (first->remedy.empty() ? "" : first->remedy + "; ") +
              "run doctor with that credential_process line's flags to see every check"};
}

}  // namespace rolesanywhere::doctor
