// phost: the command-line tool. Loads plugins into a host, then lists,
// describes or runs processes. Built only on the public C++ API
// (phost/host.hpp), the way an application would use it.
//
// Results go to stdout as JSON, logs and errors to stderr; the exit status
// tells usage, load and call failures apart (see kHelp).
#include <phost/host.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#endif

#ifndef PHOST_V8_PLUGIN_PATH
#define PHOST_V8_PLUGIN_PATH "libphost_v8.so"
#endif
#ifndef PHOST_V8_PLUGIN_RELPATH
#define PHOST_V8_PLUGIN_RELPATH "../lib/phost/libphost_v8.so"
#endif

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLoad = 3;
constexpr int kExitCall = 4;

constexpr const char* kHelp = R"help(Usage: phost [options] <command> [arguments]

Loads phost plugins, then lists, describes or runs their processes.

Commands:
  list                  One line per process: name<TAB>plugin<TAB>description
                        (a group handler shows as "group.*")
  describe NAME         The entry of process NAME, as JSON
  run NAME [ARG...]     Calls process NAME and prints its result as JSON;
                        each ARG is one JSON value
  help [COMMAND]        This text, or the help of COMMAND

Options (before the command):
  --plugin PATH         Load the plugin library at PATH (repeatable, in order)
  --config JSON         Configuration object for the preceding --plugin
  --app DIR             Load the V8 runtime plugin for the application in DIR
                        (config {"app_dir": DIR}); the plugin is taken from
                        $PHOST_V8_PLUGIN, else from
                        <directory of phost>/)help" PHOST_V8_PLUGIN_RELPATH R"help(
                        (installed), else from
                        )help" PHOST_V8_PLUGIN_PATH R"help(
  --timeout MS          Deadline of the call, in milliseconds (0 = none)
  --session ID          Session id of the call
  --log-level LEVEL     trace, debug, info, warn or error (default: warn);
                        logs go to stderr
  -h, --help            This text; "phost COMMAND --help" for one command

Exit status:
  0  success
  1  internal error (a bug)
  2  usage error: unknown option or command, missing or malformed argument
  3  a plugin could not be loaded
  4  the call failed (its message and code on stderr), or describe found
     no such process

Errors are printed as "phost: <message> (code N)", N an HTTP-like code.

Examples:
  phost --plugin build/plugins/libphost_echo.so list
  phost --plugin build/plugins/libphost_echo.so run echo.add 2 3
  phost --plugin ./libfoo.so --config '{"root": "/srv"}' run foo.read '"a.txt"'
  phost --app ./myapp --timeout 500 run scripts.orders.Total '{"id": 7}'
)help";

constexpr const char* kListHelp = R"help(Usage: phost [options] list

Prints one line per registered process, sorted by name:
  name<TAB>plugin<TAB>description
A group handler (it takes every "group.<id>.<Method>") shows as "group.*".
Load plugins with --plugin or --app; see "phost --help".
)help";

constexpr const char* kDescribeHelp = R"help(Usage: phost [options] describe NAME

Prints the registry entry of process NAME as JSON:
  {"name": ..., "description": ..., "plugin": ..., "group": true|false}
NAME is matched case-insensitively; a name handled by a group
("scripts.orders.Total") describes the group. Exit status 4 when no process
takes NAME.
)help";

constexpr const char* kRunHelp = R"help(Usage: phost [options] run NAME [ARG...]

Calls process NAME with the arguments ARG..., each parsed as one JSON value,
and prints the result as JSON on stdout. Quote for the shell, and give
strings their JSON quotes:
  phost --plugin libphost_echo.so run echo.echo 1 '"text"' true '{"a": [1, 2]}'
Options that shape the call (--timeout, --session) go before "run".
Exit status 4 when the call fails: its message and code go to stderr.
)help";

// A bad command line: reported with a hint at --help, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PluginSpec {
  std::string path;
  std::optional<std::string> config;  // JSON text
  std::string app_dir;                // set for --app (the V8 runtime)
};

struct CommandLine {
  std::vector<PluginSpec> plugins;
  int64_t timeout_ms = 0;
  std::string session;
  int32_t log_level = PHOST_LOG_WARN;
  bool help = false;
  std::string command;
  std::vector<std::string> operands;  // after the command
};

const char* command_help(std::string_view command) {
  if (command == "list") return kListHelp;
  if (command == "describe") return kDescribeHelp;
  if (command == "run") return kRunHelp;
  return nullptr;
}

int32_t parse_log_level(std::string_view text) {
  if (text == "trace") return PHOST_LOG_TRACE;
  if (text == "debug") return PHOST_LOG_DEBUG;
  if (text == "info") return PHOST_LOG_INFO;
  if (text == "warn") return PHOST_LOG_WARN;
  if (text == "error") return PHOST_LOG_ERROR;
  throw UsageError("--log-level: '" + std::string(text) + "' is not one of trace, debug, info, warn, error");
}

int64_t parse_timeout(std::string_view text) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec != std::errc() || end != text.data() + text.size() || ms < 0)
    throw UsageError("--timeout: '" + std::string(text) + "' is not a number of milliseconds");
  return ms;
}

// $PHOST_V8_PLUGIN, else the installed layout relative to this executable
// (so an installed prefix can move), else the build tree's plugin.
std::string v8_plugin_path() {
  const char* env = std::getenv("PHOST_V8_PLUGIN");
  if (env && *env) return env;
  std::error_code ec;
#ifdef _WIN32
  wchar_t module[32768];
  const DWORD length = GetModuleFileNameW(nullptr, module, static_cast<DWORD>(std::size(module)));
  const std::filesystem::path exe(std::wstring_view(module, length));
  if (length == 0 || length == std::size(module))  // failed, or a path cut short
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
#else
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
#endif
  if (!ec) {
    const std::filesystem::path installed = (exe.parent_path() / PHOST_V8_PLUGIN_RELPATH).lexically_normal();
    if (std::filesystem::is_regular_file(installed, ec)) return installed.string();
  }
  return PHOST_V8_PLUGIN_PATH;
}

CommandLine parse_command_line(int argc, char** argv) {
  CommandLine cl;
  int i = 1;
  // "--name value" or "--name=value".
  auto value_of = [&](std::string_view arg, std::string_view name) -> std::optional<std::string> {
    if (arg == name) {
      if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
      return std::string(argv[++i]);
    }
    if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=')
      return std::string(arg.substr(name.size() + 1));
    return std::nullopt;
  };
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;  // the command
    if (arg == "-h" || arg == "--help") {
      cl.help = true;
    } else if (auto path = value_of(arg, "--plugin")) {
      if (path->empty()) throw UsageError("--plugin needs a path");
      cl.plugins.push_back({std::move(*path), std::nullopt, {}});
    } else if (auto config = value_of(arg, "--config")) {
      if (cl.plugins.empty() || !cl.plugins.back().app_dir.empty())
        throw UsageError("--config must follow the --plugin it configures");
      if (cl.plugins.back().config)
        throw UsageError("--config given twice for plugin " + cl.plugins.back().path);
      cl.plugins.back().config = std::move(*config);
    } else if (auto dir = value_of(arg, "--app")) {
      std::error_code ec;
      if (dir->empty() || !std::filesystem::is_directory(*dir, ec))
        throw UsageError("--app: '" + *dir + "' is not a directory");
      cl.plugins.push_back({v8_plugin_path(), std::nullopt, std::filesystem::absolute(*dir).string()});
    } else if (auto timeout = value_of(arg, "--timeout")) {
      cl.timeout_ms = parse_timeout(*timeout);
    } else if (auto session = value_of(arg, "--session")) {
      cl.session = std::move(*session);
    } else if (auto level = value_of(arg, "--log-level")) {
      cl.log_level = parse_log_level(*level);
    } else {
      throw UsageError("unknown option '" + std::string(arg) + "'");
    }
  }
  if (i < argc) cl.command = argv[i++];
  for (; i < argc; ++i) cl.operands.emplace_back(argv[i]);
  return cl;
}

void print_error(const std::string& message, int32_t code) {
  std::cerr << "phost: " << message << " (code " << code << ")\n";
}

// Each argument is one JSON value; a bare word is the usual slip.
phost::Value parse_args(const std::vector<std::string>& texts) {
  phost::Value args = phost::Value::array(texts.size());
  for (size_t k = 0; k < texts.size(); ++k) {
    try {
      args.push(phost::Value::from_json(texts[k]));
    } catch (const phost::Error& e) {
      // Numbered from 1 as on the command line (the sdk's Call::arg counts from 0).
      throw UsageError("JSON argument " + std::to_string(k + 1) + " after NAME is not valid JSON: '" + texts[k] +
                       "' (" + e.what() + "); to pass a string, quote it for JSON inside the shell's quotes: '\"" +
                       texts[k] + "\"'");
    }
  }
  return args;
}

phost::Value plugin_config(const PluginSpec& spec) {
  if (!spec.app_dir.empty()) {
    phost::Value config = phost::Value::object(1);
    config.set("app_dir", phost::Value::string(spec.app_dir));
    return config;
  }
  if (!spec.config) return {};
  phost::Value config;
  try {
    config = phost::Value::from_json(*spec.config);
  } catch (const phost::Error& e) {
    throw UsageError("--config of " + spec.path + " is not valid JSON (" + e.what() + ")");
  }
  if (config.kind() != PHOST_OBJECT) throw UsageError("--config of " + spec.path + " must be a JSON object");
  return config;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The entry that takes name: an exact (case-insensitive) match, else the
// group handling "group.<id>.<Method>" (or named as "group.*").
const phost::ProcessInfo* find_entry(const std::vector<phost::ProcessInfo>& entries, std::string_view name) {
  const std::string wanted = lower(name);
  for (const auto& e : entries)
    if (!e.group && lower(e.name) == wanted) return &e;
  for (const auto& e : entries) {
    if (!e.group) continue;
    const std::string prefix = lower(e.name) + ".";
    if (wanted == prefix + "*") return &e;
    if (wanted.compare(0, prefix.size(), prefix) == 0 &&
        wanted.find('.', prefix.size()) != std::string::npos)
      return &e;
  }
  return nullptr;
}

int run_list(phost::Host& host) {
  for (const phost::ProcessInfo& e : host.list())
    std::cout << e.name << (e.group ? ".*" : "") << '\t' << e.plugin << '\t' << e.description << '\n';
  return kExitOk;
}

int run_describe(phost::Host& host, const std::string& name) {
  const std::vector<phost::ProcessInfo> entries = host.list();
  const phost::ProcessInfo* e = find_entry(entries, name);
  if (!e) {
    print_error("no process named '" + name + "'", 404);
    return kExitCall;
  }
  phost::Value entry = phost::Value::object(4);
  entry.set("name", phost::Value::string(e->name))
      .set("description", phost::Value::string(e->description))
      .set("plugin", phost::Value::string(e->plugin))
      .set("group", phost::Value::boolean(e->group));
  std::cout << entry.to_json() << '\n';
  return kExitOk;
}

int run_call(phost::Host& host, const CommandLine& cl, const phost::Value& args) {
  phost::CallOptions options;
  options.session = cl.session;
  options.timeout = std::chrono::milliseconds(cl.timeout_ms);
  try {
    const phost::Value result = host.call(cl.operands[0], args, options);
    std::cout << result.to_json() << '\n';
    return kExitOk;
  } catch (const phost::Error& e) {
    print_error(e.what(), e.code());
    return kExitCall;
  }
}

int run(int argc, char** argv) {
  const CommandLine cl = parse_command_line(argc, argv);
  if (cl.command == "help") {
    if (cl.operands.empty()) {
      std::cout << kHelp;
      return kExitOk;
    }
    const char* text = command_help(cl.operands[0]);
    if (!text) throw UsageError("no command '" + cl.operands[0] + "'");
    std::cout << text;
    return kExitOk;
  }
  if (cl.help) {
    const char* text = cl.command.empty() ? kHelp : command_help(cl.command);
    if (!text) throw UsageError("unknown command '" + cl.command + "'");
    std::cout << text;
    return kExitOk;
  }
  if (cl.command.empty()) {
    std::cerr << kHelp;
    return kExitUsage;
  }
  const char* help = command_help(cl.command);
  if (!help) throw UsageError("unknown command '" + cl.command + "'");
  if (!cl.operands.empty() && (cl.operands[0] == "-h" || cl.operands[0] == "--help")) {
    std::cout << help;
    return kExitOk;
  }
  if (cl.command == "list" && !cl.operands.empty())
    throw UsageError("list takes no arguments (options go before the command)");
  if (cl.command == "describe" && cl.operands.size() != 1)
    throw UsageError("describe takes exactly one NAME");
  if (cl.command == "run") {
    if (cl.operands.empty()) throw UsageError("run needs a process NAME");
    if (cl.operands[0].starts_with("-"))
      throw UsageError("'" + cl.operands[0] + "' is not a process name (options go before the command)");
  }

  phost::Host::Options options;
  options.log_level = cl.log_level;
  phost::Host host(options);

  // Everything the command line can get wrong is checked before any plugin loads.
  std::vector<phost::Value> configs;
  for (const PluginSpec& spec : cl.plugins) configs.push_back(plugin_config(spec));
  phost::Value args;
  if (cl.command == "run")
    args = parse_args(std::vector<std::string>(cl.operands.begin() + 1, cl.operands.end()));

  for (size_t k = 0; k < cl.plugins.size(); ++k) {
    const PluginSpec& spec = cl.plugins[k];
    std::error_code ec;
    if (!spec.app_dir.empty() && !std::filesystem::is_regular_file(spec.path, ec)) {
      print_error("--app needs the V8 runtime plugin, and there is none at " + spec.path +
                      " (build it with -DPHOST_BUILD_RUNTIME=ON, or point PHOST_V8_PLUGIN at it)",
                  404);
      return kExitLoad;
    }
    try {
      host.load_plugin(spec.path, configs[k]);
    } catch (const phost::Error& e) {
      print_error(e.what(), e.code());
      return kExitLoad;
    }
  }

  if (cl.command == "list") return run_list(host);
  if (cl.command == "describe") return run_describe(host, cl.operands[0]);
  return run_call(host, cl, args);
}

}  // namespace

int main(int argc, char** argv) {
  int status;
  try {
    status = run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "phost: " << e.what() << "\nTry 'phost --help'.\n";
    status = kExitUsage;
  } catch (const phost::Error& e) {
    print_error(e.what(), e.code());
    status = kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "phost: internal error: " << e.what() << '\n';
    status = kExitInternal;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "phost: cannot write the output\n";
    if (status == kExitOk) status = kExitInternal;
  }
  return status;
}
