// phost: the command-line tool. Loads plugins into a host, then lists,
// describes or runs processes, or writes a new plugin or app project. Built
// only on the public C++ API (phost/host.hpp), the way an application would
// use it; the command line is CLI11's.
//
// Results go to stdout (JSON, indented on a terminal), a script's console
// output and the logs to stderr; the exit status tells the class of a failure
// (exit_codes.hpp).
#include "arguments.hpp"
#include "console_log.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "repl.hpp"
#include "scaffold.hpp"

#include <phost/host.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#ifndef PHOST_VERSION
#error "PHOST_VERSION: the package version (tools/CMakeLists.txt)"
#endif

#ifdef _WIN32
#define PHOST_CLI_PATH_LIST_SEPARATOR "';'"
#else
#define PHOST_CLI_PATH_LIST_SEPARATOR "':'"
#endif

namespace phost::cli {
namespace {

constexpr const char* kFooter = R"help(Options may come before or after the command. Each ARG of "run" is one JSON
value: a literal ('{"id": 7}', '"text"' for a string), "-" for a value read
from stdin, or @FILE for a value read from FILE. "--" ends the options.

Plugins are named by path (./libfoo.so) or by bare name (fs, store, echo,
v8, or foo for libfoo.so), looked up in $PHOST_PLUGIN_PATH (folders separated
by )help" PHOST_CLI_PATH_LIST_SEPARATOR R"help() and then in the plugin folder installed with phost (lib/phost).

Exit status:
  0  success
  1  internal error: a bug in phost or in a plugin
  2  usage error: unknown option or command, bad value, invalid JSON
  3  a plugin could not be found or loaded
  4  no such process (code 404)
  5  the call was refused: bad arguments (code 400, 422 or another 4xx)
  6  the call timed out (code 408) or was cancelled (499)
  7  the process failed: a script threw, or a 5xx code
  8  I/O error: an argument file or stdin could not be read, or the output
     could not be written (a full disk, a closed pipe)
A failed call prints "phost: <message> (code N)" on stderr, then the stack
of the failure when it has one (a script's frames, innermost first).

Examples:
  phost --plugin echo run echo.add 2 3
  phost run echo.echo '"text"' '{"a": [1, 2]}' --plugin echo --raw
  phost --plugin fs --config '{"roots": {"data": "/srv/data"}}' list --json
  phost --plugin-isolated ./libflaky.so run flaky.Check '"input"'

  phost --app ./myapp run scripts.orders.total.Total @order.json --timeout 500
  echo '{"id": 7}' | phost --app ./myapp run scripts.orders.total.Total -
  phost new plugin greeter && phost new app shop

More: man phost, and the docs in /usr/share/doc/phost (or <prefix>/share/doc/phost).)help";

struct PluginSpec {
  std::string name;                   // bare name or path, as given
  std::optional<std::string> config;  // JSON text, "-" or @FILE
  std::string app_dir;                // set for --app (the V8 runtime)
  bool isolated = false;              // --plugin-isolated: in a worker process
};

struct Settings {
  std::vector<std::string> plugins, isolated_plugins, apps, configs;
  int64_t timeout_ms = 0;
  std::string session;
  std::string log_level = "warn";
  bool quiet = false;
};

int32_t parse_log_level(const std::string& text) {
  static const std::map<std::string, int32_t> levels{{"trace", PHOST_LOG_TRACE}, {"debug", PHOST_LOG_DEBUG},
                                                     {"info", PHOST_LOG_INFO},   {"warn", PHOST_LOG_WARN},
                                                     {"error", PHOST_LOG_ERROR}};
  return levels.at(text);  // CLI11 has checked it
}

// --plugin, --app and --config in the order given: a --config belongs to the
// --plugin or --app just before it, wherever the command sits between them.
std::vector<PluginSpec> plugin_specs(const CLI::App& app, const Settings& s) {
  std::vector<PluginSpec> specs;
  size_t plugin = 0, isolated = 0, dir = 0, config = 0;
  for (const CLI::Option* option : app.parse_order()) {
    const std::string name = option->get_name();
    if (name == "--plugin") {
      specs.push_back({s.plugins.at(plugin++), std::nullopt, {}});
    } else if (name == "--plugin-isolated") {
      specs.push_back({s.isolated_plugins.at(isolated++), std::nullopt, {}, true});
    } else if (name == "--app") {
      std::error_code ec;
      const std::string& path = s.apps.at(dir++);
      if (!std::filesystem::is_directory(path, ec)) throw Failure(kUsage, "--app: '" + path + "' is not a directory");
      specs.push_back({"v8", std::nullopt, std::filesystem::absolute(path).string()});
    } else if (name == "--config") {
      if (specs.empty())
        throw Failure(kUsage, "--config must follow the --plugin, --plugin-isolated or --app it configures");
      if (specs.back().config) throw Failure(kUsage, "--config given twice for " + specs.back().name);
      specs.back().config = s.configs.at(config++);
    }
  }
  return specs;
}

Value plugin_config(const PluginSpec& spec, ArgumentReader& reader) {
  const std::string what = "--config of " + (spec.app_dir.empty() ? spec.name : "--app " + spec.app_dir);
  Value config = spec.config ? reader.read(*spec.config, what) : Value();
  if (config && config.kind() != PHOST_OBJECT) throw Failure(kUsage, what + " must be a JSON object");
  if (spec.app_dir.empty()) return config;
  // --app DIR is {"app_dir": DIR} plus what its --config adds.
  if (config && config["app_dir"]) throw Failure(kUsage, what + " sets app_dir, which --app gives already");
  Value merged = Value::object();
  merged.set("app_dir", Value::string(spec.app_dir));
  for (size_t i = 0; config && i < config.size(); ++i) merged.set(config.key_at(i), config[i].retain());
  return merged;
}

void load_plugins(Host& host, const std::vector<PluginSpec>& specs, const std::vector<Value>& configs) {
  for (size_t k = 0; k < specs.size(); ++k) {
    try {
      if (specs[k].isolated) {
        LoadOptions options;
        options.isolation = Isolation::process;
        host.load_plugin(specs[k].name, configs[k], options);
      } else {
        host.load_plugin(specs[k].name, configs[k]);
      }
    } catch (const Error& e) {
      throw Failure(kLoad, std::string(e.what()) + " (code " + std::to_string(e.code()) + ")");
    }
  }
}

// The entry that takes name: an exact (case-insensitive) match, else the
// group handling "group.<id>.<Method>" (or named as "group.*").
const ProcessInfo* find_entry(const std::vector<ProcessInfo>& entries, std::string_view name) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  const std::string wanted = lower(name);
  for (const auto& e : entries)
    if (!e.group && lower(e.name) == wanted) return &e;
  for (const auto& e : entries) {
    if (!e.group) continue;
    const std::string prefix = lower(e.name) + ".";
    if (wanted == prefix + "*") return &e;
    if (wanted.starts_with(prefix) && wanted.find('.', prefix.size()) != std::string::npos) return &e;
  }
  return nullptr;
}

Value entry_value(const ProcessInfo& e) {
  Value entry = Value::object(4);
  entry.set("name", Value::string(e.name))  // as phost_list gives it; "group" tells a group
      .set("description", Value::string(e.description))
      .set("plugin", Value::string(e.plugin))
      .set("group", Value::boolean(e.group));
  return entry;
}

void print_json(View value) { write_stdout(to_json(value, stdout_is_terminal()) + "\n"); }

// The registry, with the V8 runtime's "scripts" group spelt out: a process
// per function of each loaded script (runtime.scripts knows them), and a
// script that failed to load as "scripts.<id>.*" with its load error.
std::vector<ProcessInfo> list_with_scripts(Host& host) {
  std::vector<ProcessInfo> entries = host.list();
  const auto group = std::find_if(entries.begin(), entries.end(),
                                  [](const ProcessInfo& e) { return e.group && e.name == "scripts"; });
  const bool runtime = std::any_of(entries.begin(), entries.end(),
                                   [](const ProcessInfo& e) { return !e.group && e.name == "runtime.scripts"; });
  if (group == entries.end() || !runtime) return entries;
  const std::string plugin = group->plugin;
  const Value scripts = host.call("runtime.scripts");
  std::vector<ProcessInfo> functions;
  for (size_t i = 0; i < scripts.size(); ++i) {
    const View s = scripts[i];
    const std::string id(s["id"].as_string()), file(s["file"].as_string());
    if (s["state"].as_string() != "loaded") {
      functions.push_back({"scripts." + id, "failed to load: " + std::string(s["error"]["message"].as_string()),
                           plugin, true});
      continue;
    }
    for (size_t f = 0; f < s["functions"].size(); ++f)
      functions.push_back({"scripts." + id + "." + std::string(s["functions"][f].as_string()), "function of " + file,
                           plugin, false});
  }
  std::sort(functions.begin(), functions.end(),
            [](const ProcessInfo& a, const ProcessInfo& b) { return a.name < b.name; });
  entries.insert(group + 1, functions.begin(), functions.end());
  return entries;
}

void run_list(Host& host, bool json) {
  const std::vector<ProcessInfo> entries = list_with_scripts(host);
  if (json) {
    Value list = Value::array(entries.size());
    for (const ProcessInfo& e : entries) list.push(entry_value(e));
    print_json(list);
    return;
  }
  for (const ProcessInfo& e : entries)
    write_stdout(e.name + (e.group ? ".*" : "") + '\t' + e.plugin + '\t' + e.description + '\n');
}

void run_describe(Host& host, const std::string& name) {
  const std::vector<ProcessInfo> entries = list_with_scripts(host);
  const ProcessInfo* e = find_entry(entries, name);
  // The scripts group answers for a script's functions only: any other name under it is not a process.
  if (e && e->group && e->name == "scripts" && !name.ends_with(".*")) e = nullptr;
  if (!e) throw Error(404, "no process named '" + name + "'", PHOST_E_NOT_FOUND);
  print_json(entry_value(*e));
}

void run_call(Host& host, const Settings& s, const std::string& name, const Value& args, bool raw) {
  CallOptions options;
  options.session = s.session;
  options.timeout = std::chrono::milliseconds(s.timeout_ms);
  const Value result = host.call(name, args, options);
  if (raw && result.kind() == PHOST_STRING) return write_stdout(std::string(result.as_string()) + "\n");
  if (raw && result.kind() == PHOST_BYTES) return write_stdout(result.as_string());
  print_json(result);
}

std::string version_text() {
  const phost_api* table = phost_get_api(PHOST_ABI_MAJOR);
  std::string text = "phost " PHOST_VERSION "\nplugin ABI " + std::to_string(PHOST_ABI_MAJOR) + "." +
                     std::to_string(table ? table->abi_minor : PHOST_ABI_MINOR) + "\n";
#ifdef PHOST_V8_VERSION
  text += "V8 " PHOST_V8_VERSION " (the runtime plugin, v8)";
#else
  text += "V8: none (built without the runtime plugin)";
#endif
  return text;
}

int run(int argc, char** argv) {
  CLI::App app{"Loads phost plugins, then lists, describes or runs their processes.", "phost"};
  app.fallthrough();  // options of phost also after the command: phost run NAME --timeout 5
  app.require_subcommand(0, 1);  // one command; later words are its operands ("phost help run")
  app.footer(kFooter);
  app.set_version_flag("--version", version_text, "Print the versions of phost, its plugin ABI and V8");
  app.get_formatter()->column_width(28);

  Settings s;
  app.add_option("--plugin", s.plugins, "Load a plugin: a bare name (fs) or a path (./libfoo.so); repeatable")
      ->type_name("NAME|PATH")
      ->allow_extra_args(false);
  app.add_option("--plugin-isolated", s.isolated_plugins,
                 "Load a plugin into a supervised worker process (Linux); repeatable")
      ->type_name("NAME|PATH")
      ->allow_extra_args(false);
  app.add_option("--app", s.apps, "Load the V8 runtime plugin for the app in DIR (its scripts/ folder)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_option("--config", s.configs, "Configuration object (JSON, - or @FILE) of the --plugin or --app before it")
      ->type_name("JSON")
      ->allow_extra_args(false);
  app.add_option("--timeout", s.timeout_ms, "Deadline of the call in milliseconds (0 = none)")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  app.add_option("--session", s.session, "Session id of the call")->type_name("ID");
  app.add_option("--log-level", s.log_level, "Diagnostics shown on stderr (default: warn)")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("-q,--quiet", s.quiet, "Drop the scripts' console output (shown on stderr by default)");
  bool raw = false;
  app.add_flag("--raw", raw, "run: print a string result as plain text, bytes as they are");

  CLI::App* list = app.add_subcommand("list", "One line per process: name<TAB>plugin<TAB>description");
  bool list_json = false;
  list->add_flag("--json", list_json, "A JSON array of {name, description, plugin, group} instead");

  CLI::App* describe = app.add_subcommand("describe", "The registry entry of process NAME, as JSON");
  std::string describe_name;
  describe->add_option("NAME", describe_name, "Process name (a group's names describe the group)")->required();

  CLI::App* run = app.add_subcommand("run", "Call process NAME with ARGs; print its result as JSON");
  std::string run_name;
  run->add_option("NAME", run_name, "Process name, e.g. scripts.orders.total.Total")->required();
  run->footer("Then ARG...: one JSON value each: a literal ('{\"id\": 7}', '\"text\"'), - (stdin) or @FILE.\n");
  // The ARGs are the command line's extras: a vector option would split a
  // JSON array ("[1, 2]") into values, CLI11's list syntax.
  app.allow_extras();

  CLI::App* repl = app.add_subcommand("repl", "A JavaScript prompt in the app's context (needs --app DIR)");

  CLI::App* create = app.add_subcommand("new", "Write a new project that builds and runs at once");
  create->require_subcommand(1);
  std::string new_name, new_dir = ".";
  CLI::App* new_plugin = create->add_subcommand("plugin", "A native plugin: CMake project, source and a test");
  CLI::App* new_app = create->add_subcommand("app", "A script app: scripts/hello.js and scripts/greet.ts");
  for (CLI::App* sub : {new_plugin, new_app}) {
    sub->add_option("NAME", new_name, "Lower case: letters, digits, _")->required();
    sub->add_option("--dir", new_dir, "Where to create NAME/ (default: here)")->type_name("DIR");
  }

  CLI::App* help = app.add_subcommand("help", "This text, or the help of COMMAND");
  std::string help_command;
  help->add_option("COMMAND", help_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    throw Failure(kUsage, e.what());
  }
  const std::vector<std::string> run_args = app.remaining(true);
  for (const std::string& extra : run_args) {
    // Never JSON, so never an ARG: "-" is stdin, "-1" and "-.5" are numbers.
    if (extra.size() > 1 && extra[0] == '-' && extra[1] != '.' && (extra[1] < '0' || extra[1] > '9'))
      throw Failure(kUsage, "unknown option '" + extra + "'");
    if (!*run) throw Failure(kUsage, "unexpected argument '" + extra + "'");
  }

  if (*help || app.get_subcommands().empty()) {
    const CLI::App* about = &app;
    if (!help_command.empty()) {
      const auto subs = app.get_subcommands([&](const CLI::App* sub) { return sub->get_name() == help_command; });
      if (subs.empty() || help_command == "help") throw Failure(kUsage, "no command '" + help_command + "'");
      about = subs.front();
    }
    const std::string text = about->help(about == &app ? "" : "phost");
    if (!*help) {  // no command at all: the help is the error message
      std::fputs(text.c_str(), stderr);
      return kUsage;
    }
    write_stdout(text.ends_with('\n') ? text : text + "\n");
    return kOk;
  }
  if (*create) {
    write_stdout(scaffold(*new_plugin ? "plugin" : "app", new_name, new_dir));
    return kOk;
  }

  ConsoleLog log{parse_log_level(s.log_level), s.quiet};
  HostOptions options;
  options.log_level = log.host_level();
  options.log = log;
  Host host(options);  // first: values need the API table it sets

  // Everything the command line can get wrong is checked before any plugin loads.
  const std::vector<PluginSpec> specs = plugin_specs(app, s);
  ArgumentReader reader;
  std::vector<Value> configs;
  for (const PluginSpec& spec : specs) configs.push_back(plugin_config(spec, reader));
  const Value args = *run ? reader.read_all(run_args) : Value();
  load_plugins(host, specs, configs);

  if (*list) run_list(host, list_json);
  else if (*repl) return run_repl(host, std::chrono::milliseconds(s.timeout_ms), s.session);
  else if (*describe) run_describe(host, describe_name);
  else run_call(host, s, run_name, args, raw);
  return kOk;
}

}  // namespace
}  // namespace phost::cli

int main(int argc, char** argv) {
  using namespace phost::cli;
  int status = kOk;
  try {
    status = run(argc, argv);
    flush_stdout();
  } catch (const Failure& f) {
    std::fprintf(stderr, "phost: %s\n", f.what());
    if (f.code == kUsage) std::fputs("Try 'phost --help'.\n", stderr);
    status = f.code;
  } catch (const phost::Error& e) {
    std::fprintf(stderr, "phost: %s (code %d)\n", e.what(), static_cast<int>(e.code()));
    if (!e.stack().empty()) std::fprintf(stderr, "%s\n", e.stack().c_str());  // under the message, as node prints it
    status = exit_code_of(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phost: internal error: %s\n", e.what());
    status = kInternal;
  }
  if (status != kOk) std::fflush(stdout);  // what was printed before the failure still goes out
  return status;
}
