// libphost_v8: the V8 runtime plugin. Registers the "scripts" group and the
// "runtime.*" control processes. Its only exported symbol is the entry.
#include "library_processes.hpp"
#include "runtime.hpp"

#include <phost/plugin.hpp>

namespace phost::v8rt {
namespace {

void init(Plugin& plugin, phost_plugin_info& info) {
  if (!PHOST_API_HAS(&api(), call_with_deadline))
    throw Error(500, "the V8 runtime needs a host of ABI 1.2 or later", PHOST_E_VERSION);
  auto runtime = std::make_unique<Runtime>(plugin.self(), read_options(plugin.config()));
  Runtime* rt = runtime.get();
  info.plugin_data = runtime.release();  // on_unload deletes it
  info.on_unload = [](void* data) { delete static_cast<Runtime*>(data); };

  plugin.add("scripts", "JavaScript functions: scripts.<id>.<Function>(...args)",
             [rt](Call& call) { return rt->call_script(call); }, PHOST_PROCESS_GROUP);
  plugin.add("services", "gou's cloud functions: services.<id>.<Function>(...args), the app's services/<id>.js",
             [rt](Call& call) { return rt->call_script(call, kServicePrefix); }, PHOST_PROCESS_GROUP);

  // Worker processes each hold their own scripts: the host replays these
  // into every worker (PHOST_PROCESS_SHARED_STATE, ABI 1.3).
  const uint32_t shared_state = api().abi_minor >= 3 ? PHOST_PROCESS_SHARED_STATE : 0;
  plugin.add(
      "runtime.load", "runtime.load(id, source[, file]): compile and publish a script version",
      [rt](Call& call) {
        const std::string file = call.arg_count() > 2 ? call.arg<std::string>(2) : std::string();
        return rt->load(call.arg<std::string>(0), call.arg<std::string>(1), file, call.ctx());
      },
      shared_state);
  plugin.add(
      "runtime.unload", "runtime.unload(id): remove a script",
      [rt](Call& call) { return Value::boolean(rt->store().remove(call.arg<std::string>(0))); }, shared_state);
  plugin.add(
      "runtime.reload", "runtime.reload(): load the app directory's scripts again",
      [rt](Call& call) { return Value::integer(static_cast<int64_t>(rt->load_app_dir(call.ctx()))); },
      shared_state);
  plugin.add("runtime.scripts",
             "runtime.scripts(): every script with its state (loaded or failed), functions or load error",
             [rt](Call&) {
               Value list = Value::array();
               for (const ScriptRef& s : rt->store().all()) {
                 Value entry = Value::object();
                 entry.set("id", Value::string(s->id));
                 entry.set("file", Value::string(s->file));
                 entry.set("state", Value::string("loaded"));
                 entry.set("version", Value::integer(static_cast<int64_t>(s->number)));
                 entry.set("module", Value::boolean(s->module));
                 Value functions = Value::array(s->functions.size());
                 for (const std::string& f : s->functions) functions.push(Value::string(f));
                 entry.set("functions", std::move(functions));
                 list.push(std::move(entry));
               }
               for (const auto& [id, failure] : rt->store().failures()) {
                 Value entry = Value::object();
                 entry.set("id", Value::string(id));
                 entry.set("file", Value::string(failure.file));
                 entry.set("state", Value::string("failed"));
                 Value error = Value::object();
                 error.set("code", Value::integer(failure.code));
                 error.set("message", Value::string(failure.message));
                 entry.set("error", std::move(error));
                 list.push(std::move(entry));
               }
               return list;
             });
  plugin.add("runtime.stats", "runtime.stats([{gc: true}]): heap of one isolate and code cache counters",
             [rt](Call& call) {
               const View options = call.args()[0];
               return rt->stats(options && options["gc"] && options["gc"].as_bool(), call.ctx());
             });

  plugin.add("runtime.keep_isolate",
             "runtime.keep_isolate(): this thread keeps the isolate its script calls use until "
             "runtime.release_isolate (or it exits): its calls skip taking the isolate, other threads use the others",
             [rt](Call& call) {
               rt->keep_isolate(true, call);
               return Value::boolean(true);
             });
  plugin.add("runtime.release_isolate", "runtime.release_isolate(): gives back the isolate this thread keeps",
             [rt](Call& call) {
               rt->keep_isolate(false, call);
               return Value::boolean(true);
             });

  if (rt->options().gou_globals) add_library_processes(plugin, rt->options(), rt->delayed_calls());

  const size_t loaded = rt->load_app_dir(nullptr);
  if (!rt->options().app_dir.empty())
    rt->log(PHOST_LOG_INFO, "loaded " + std::to_string(loaded) + " scripts from " + rt->options().app_dir.string());
}

}  // namespace
}  // namespace phost::v8rt

PHOST_DECLARE_PLUGIN("v8", "1.0.0", phost::v8rt::init)
