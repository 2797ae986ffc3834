// serve --config: the TOML file read into the arguments the command line would have given. Values
// are never quoted in messages: some keys hold secrets (pkcs8-password, a PIN in a pkcs11: URI),
// and the key and its line are enough to find the mistake.
#include "serve_config_file.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/identity.hpp"

// Header-only, in this one file: the helper must not link libtomlplusplus.so
// (tests/e2e/test_lean_startup.sh allows only libcrypto and libc). The parser is all it needs.
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

namespace rolesanywhere::cli {
namespace {

// Keys of a [[binding]] that are not flags: they say where and how the binding is served.
constexpr std::string_view kNameKey = "name";
constexpr std::string_view kTokenFileKey = "container-token-file";
constexpr std::string_view kContainerPathKey = "container-path";
constexpr std::string_view kImdsKey = "imds";

bool is_binding_only_key(std::string_view key) {
  return key == kNameKey || key == kTokenFileKey || key == kContainerPathKey || key == kImdsKey;
}

// The identity flags that take env:NAME and fd:N, which a SIGHUP could not read a second time.
bool is_identity_input_key(std::string_view key) {
  return key == "certificate" || key == "private-key" || key == "intermediates";
}

// One key of a section as arguments: none for a false switch or an empty array.
struct KeyArguments {
  std::string key;
  int line = 0;
  std::vector<std::string> arguments;
};

// A table's entries in file order (toml++ keeps them sorted by key), so the first mistake in the
// file is the one reported and the arguments keep the file's order.
struct Entry {
  std::string key;
  int line = 0;
  const toml::node* value = nullptr;
};

int line_of(const toml::source_region& region) { return static_cast<int>(region.begin.line); }

std::vector<Entry> entries_in_file_order(const toml::table& table) {
  std::vector<Entry> entries;
  std::vector<std::pair<toml::source_position, std::size_t>> order;
  for (auto&& entry : table) {
    // A key made by a dotted key or a [a.b] header may have no position of its own.
    toml::source_position at = entry.first.source().begin;
    if (at.line == 0) at = entry.second.source().begin;
    order.emplace_back(at, entries.size());
    entries.push_back(
        Entry{std::string(entry.first.str()), static_cast<int>(at.line), &entry.second});
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line
                                        : a.first.column < b.first.column;
  });
  std::vector<Entry> sorted;
  sorted.reserve(entries.size());
  for (const auto& item : order) sorted.push_back(std::move(entries[item.second]));
  return sorted;
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Reading one file: its path for every message.
class ConfigReader {
 public:
  ConfigReader(const std::string& path, const ConfigFlagSet& serve_flags,
               const ConfigFlagSet& binding_flags)
      : path_(path), serve_flags_(serve_flags), binding_flags_(binding_flags) {}

  ServeConfigFile read(const std::string& text) {
    const toml::table root = parse(text);
    ServeConfigFile file;
    file.path = path_;
    const toml::table* defaults = nullptr;
    const toml::array* bindings = nullptr;
    int bindings_line = 1;
    for (const Entry& entry : entries_in_file_order(root)) {
      if (entry.key == "defaults") {
        defaults = entry.value->as_table();
        if (defaults == nullptr)
          fail(entry.line,
               "'defaults' must be a table ([defaults]), not " + type_name(*entry.value));
      } else if (entry.key == "binding") {
        bindings = entry.value->as_array();
        bindings_line = entry.line;
        if (bindings == nullptr || (!bindings->empty() && !bindings->is_array_of_tables()))
          fail(entry.line, "'binding' must be an array of tables ([[binding]])");
      } else {
        KeyArguments arguments = top_level_key(entry);
        file.serve_key_lines[arguments.key] = arguments.line;
        for (std::string& argument : arguments.arguments)
          file.serve_arguments.push_back(std::move(argument));
      }
    }

    const std::vector<KeyArguments> defaults_arguments =
        defaults == nullptr ? std::vector<KeyArguments>{} : read_defaults(*defaults);
    if (bindings == nullptr || bindings->empty())
      fail(bindings_line, "no [[binding]]: serve --config needs at least one");
    for (const toml::node& node : *bindings) {
      ConfigBinding binding = read_binding(*node.as_table(), defaults_arguments);
      check_against_earlier(binding, file.bindings);
      file.bindings.push_back(std::move(binding));
    }
    return file;
  }

 private:
  // What is learnt of a binding besides its arguments, for the checks between bindings.
  struct BindingLines {
    int name = 0;
    int container_path = 0;  // the header's when defaulted
    bool container_path_given = false;
    int token_file = 0;
    int imds = 0;
  };

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw Error(Error::Kind::kInvalidArgument, path_ + ":" + std::to_string(line) + ": " + what);
  }

  toml::table parse(const std::string& text) const {
    try {
      return toml::parse(text, path_);
    } catch (const toml::parse_error& error) {
      const toml::source_position& at = error.source().begin;
      throw Error(Error::Kind::kInvalidArgument, path_ + ":" + std::to_string(at.line) + ":" +
                                                     std::to_string(at.column) + ": " +
                                                     std::string(error.description()));
    }
  }

  static const FlagSpec* find_flag(const ConfigFlagSet& flags, std::string_view key) {
    for (const FlagSpec& flag : flags.flags)
      if (flag.name == key) return &flag;
    return nullptr;
  }

  KeyArguments top_level_key(const Entry& entry) const {
    const FlagSpec* flag = find_flag(serve_flags_, entry.key);
    if (flag != nullptr) return flag_arguments(*flag, serve_flags_, entry, "at the top level");
    std::string hint;
    if (is_binding_only_key(entry.key))
      hint = ": it belongs in a [[binding]]";
    else if (find_flag(binding_flags_, entry.key) != nullptr)
      hint = ": it belongs in [defaults] or a [[binding]]";
    else if (entry.value->is_table())
      hint = ": the file's tables are [defaults] and [[binding]]";
    fail(entry.line, "unknown key '" + entry.key + "' at the top level" + hint);
  }

  std::vector<KeyArguments> read_defaults(const toml::table& defaults) const {
    std::vector<KeyArguments> section;
    for (const Entry& entry : entries_in_file_order(defaults)) {
      if (is_binding_only_key(entry.key))
        fail(entry.line, "key '" + entry.key +
                             "' in [defaults]: a binding-only key, it belongs in each [[binding]]");
      section.push_back(binding_flag(entry, "in [defaults]"));
    }
    return section;
  }

  KeyArguments binding_flag(const Entry& entry, const std::string& where) const {
    const FlagSpec* flag = find_flag(binding_flags_, entry.key);
    if (flag == nullptr) fail(entry.line, "unknown key '" + entry.key + "' " + where);
    KeyArguments arguments = flag_arguments(*flag, binding_flags_, entry, where);
    if (is_identity_input_key(entry.key))
      for (const std::string& argument : arguments.arguments)
        if (is_inline_source(std::string_view(argument).substr(entry.key.size() + 3)))
          fail(entry.line, "key '" + entry.key + "' " + where +
                               ": env: and fd: are read once at start-up and could not be read "
                               "again on SIGHUP; give a file path or a pkcs11: URI");
    return arguments;
  }

  // "--key=value" for a value flag (a string or an integer; an array of strings, one each, for a
  // repeatable one), "--key" for a true switch, nothing for a false one.
  KeyArguments flag_arguments(const FlagSpec& flag, const ConfigFlagSet& flags, const Entry& entry,
                              const std::string& where) const {
    KeyArguments result{entry.key, entry.line, {}};
    const toml::node& value = *entry.value;
    const std::string about = "key '" + entry.key + "' " + where;
    if (flag.value_name.empty()) {
      const auto* boolean = value.as_boolean();
      if (boolean == nullptr)
        fail(entry.line, about + ": expects true or false, not " + type_name(value));
      if (boolean->get()) result.arguments.push_back("--" + entry.key);
      return result;
    }
    const bool repeatable = flags.repeatable.contains(entry.key);
    if (const auto* array = value.as_array(); array != nullptr && repeatable) {
      for (const toml::node& element : *array) {
        const int line = line_of(element.source()) > 0 ? line_of(element.source()) : entry.line;
        const auto* string = element.as_string();
        if (string == nullptr)
          fail(line, about + ": expects an array of strings, holding " + type_name(element));
        result.arguments.push_back("--" + entry.key + "=" +
                                   checked_text(string->get(), line, about));
      }
      return result;
    }
    if (const auto* string = value.as_string()) {
      result.arguments.push_back("--" + entry.key + "=" +
                                 checked_text(string->get(), entry.line, about));
    } else if (const auto* integer = value.as_integer()) {
      result.arguments.push_back("--" + entry.key + "=" + std::to_string(integer->get()));
    } else {
      fail(entry.line, about + ": expects a string or an integer (" + flag.value_name + ")" +
                           (repeatable ? " or an array of strings" : "") + ", not " +
                           type_name(value));
    }
    return result;
  }

  // The arguments reach the flag parsing as C strings: a NUL would cut the value short unseen.
  const std::string& checked_text(const std::string& text, int line,
                                  const std::string& about) const {
    if (text.find('\0') != std::string::npos) fail(line, about + ": holds a NUL character");
    return text;
  }

  // A binding-only key's string value, checked.
  std::string binding_string(const Entry& entry, const std::string& where) const {
    const std::string about = "key '" + entry.key + "' " + where;
    const auto* string = entry.value->as_string();
    if (string == nullptr)
      fail(entry.line, about + ": expects a string, not " + type_name(*entry.value));
    if (string->get().empty()) fail(entry.line, about + ": is empty");
    return checked_text(string->get(), entry.line, about);
  }

  static bool is_valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    });
  }

  ConfigBinding read_binding(const toml::table& table,
                             const std::vector<KeyArguments>& defaults_arguments) {
    ConfigBinding binding;
    binding.line = line_of(table.source());
    const std::vector<Entry> entries = entries_in_file_order(table);
    BindingLines lines;

    // The name first: every other message says which binding it is about.
    const auto name = std::find_if(entries.begin(), entries.end(),
                                   [](const Entry& entry) { return entry.key == kNameKey; });
    const std::string ordinal = "[[binding]] number " + std::to_string(binding_count_ + 1);
    if (name == entries.end())
      fail(binding.line, ordinal + " has no key 'name' (required: letters, digits, '_' and '-')");
    binding.name = binding_string(*name, "in " + ordinal);
    if (!is_valid_name(binding.name))
      fail(name->line,
           "key 'name' in " + ordinal + ": must be made of letters, digits, '_' and '-' only");
    lines.name = name->line;
    const std::string where = "in binding '" + binding.name + "'";

    std::vector<KeyArguments> own;
    std::optional<std::string> container_path;
    for (const Entry& entry : entries) {
      if (entry.key == kNameKey) continue;
      if (entry.key == kTokenFileKey) {
        binding.container_token_file = binding_string(entry, where);
        lines.token_file = entry.line;
      } else if (entry.key == kContainerPathKey) {
        container_path = binding_string(entry, where);
        lines.container_path = entry.line;
        const std::string about = "key '" + entry.key + "' " + where;
        if (!container_path->starts_with('/')) fail(entry.line, about + ": must start with '/'");
        if (*container_path == "/latest" || container_path->starts_with("/latest/"))
          fail(entry.line, about + ": must not lie under /latest/, where the IMDS paths are");
      } else if (entry.key == kImdsKey) {
        const auto* boolean = entry.value->as_boolean();
        if (boolean == nullptr)
          fail(entry.line,
               "key 'imds' " + where + ": expects true or false, not " + type_name(*entry.value));
        binding.imds = boolean->get();
        lines.imds = entry.line;
      } else {
        own.push_back(binding_flag(entry, where));
      }
    }
    if (binding.container_token_file.empty())
      fail(binding.line,
           "binding '" + binding.name + "' has no key 'container-token-file' (required)");
    binding.container_path = container_path.value_or("/v1/credentials/" + binding.name);
    lines.container_path_given = container_path.has_value();
    if (!container_path) lines.container_path = binding.line;

    // [defaults] first, less what the binding gives itself, then the binding's own keys.
    std::vector<const KeyArguments*> merged;
    for (const KeyArguments& from_defaults : defaults_arguments)
      if (std::none_of(own.begin(), own.end(),
                       [&](const KeyArguments& mine) { return mine.key == from_defaults.key; }))
        merged.push_back(&from_defaults);
    for (const KeyArguments& mine : own) merged.push_back(&mine);
    for (const KeyArguments* key : merged) {
      binding.key_lines[key->key] = key->line;
      binding.arguments.insert(binding.arguments.end(), key->arguments.begin(),
                               key->arguments.end());
    }

    ++binding_count_;
    lines_.push_back(lines);
    return binding;
  }

  static std::string normal_path(const std::string& path) {
    return std::filesystem::path(path).lexically_normal().string();
  }

  // The binding just read (the last of lines_) against those before it.
  void check_against_earlier(const ConfigBinding& binding,
                             const std::vector<ConfigBinding>& earlier) const {
    const BindingLines& mine = lines_.back();
    const std::string where = "in binding '" + binding.name + "'";
    for (std::size_t i = 0; i < earlier.size(); ++i) {
      const ConfigBinding& other = earlier[i];
      const BindingLines& theirs = lines_[i];
      const std::string them = "binding '" + other.name + "'";
      if (other.name == binding.name)
        fail(mine.name, "key 'name': binding '" + binding.name + "' is defined twice, at line " +
                            std::to_string(theirs.name) + " and here");
      if (other.container_path == binding.container_path) {
        const std::string whose =
            theirs.container_path_given
                ? them + " gives at line " + std::to_string(theirs.container_path)
                : them + " has by default (its [[binding]] at line " + std::to_string(other.line) +
                      ")";
        fail(mine.container_path,
             "key 'container-path' " + where +
                 (mine.container_path_given ? "" : " (not given: the default, from the name)") +
                 ": the same path as " + whose + "; each binding needs its own");
      }
      if (normal_path(other.container_token_file) == normal_path(binding.container_token_file))
        fail(mine.token_file, "key 'container-token-file' " + where + ": the same file as " + them +
                                  " gives at line " + std::to_string(theirs.token_file) +
                                  "; each binding needs its own token");
      if (other.imds && binding.imds)
        fail(mine.imds, "key 'imds' " + where + ": " + them +
                            " already answers on the IMDS paths (imds = true at line " +
                            std::to_string(theirs.imds) + "); at most one binding may");
    }
  }

  const std::string& path_;
  const ConfigFlagSet& serve_flags_;
  const ConfigFlagSet& binding_flags_;
  int binding_count_ = 0;
  std::vector<BindingLines> lines_;
};

bool is_flag_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// Where "--key" first stands as a whole flag in `message` ("--role-arn", not "--role-arn-x").
std::size_t flag_position(const std::string& message, const std::string& key) {
  const std::string flag = "--" + key;
  for (std::size_t at = message.find(flag); at != std::string::npos;
       at = message.find(flag, at + 1)) {
    const std::size_t end = at + flag.size();
    const bool starts_word = at == 0 || !is_flag_character(message[at - 1]);
    const bool ends_word = end == message.size() || !is_flag_character(message[end]);
    if (starts_word && ends_word) return at;
  }
  return std::string::npos;
}

}  // namespace

ServeConfigFile parse_serve_config(const std::string& path, const std::string& text,
                                   const ConfigFlagSet& serve_flags,
                                   const ConfigFlagSet& binding_flags) {
  return ConfigReader(path, serve_flags, binding_flags).read(text);
}

ConfigPosition position_of_message(const ConfigBinding& binding, const std::string& message) {
  // "First": the key that comes first in the message, which is the flag the message is about.
  ConfigPosition position{"", binding.line};
  std::size_t earliest = std::string::npos;
  for (const auto& key_line : binding.key_lines) {
    const std::size_t at = flag_position(message, key_line.first);
    if (at < earliest) {
      earliest = at;
      position = ConfigPosition{key_line.first, key_line.second};
    }
  }
  return position;
}

}  // namespace rolesanywhere::cli
