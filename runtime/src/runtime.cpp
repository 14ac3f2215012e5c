#include "runtime.hpp"

#include "app_file.hpp"
#include "module_linker.hpp"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace phost::v8rt {
namespace {

std::string larger_than(size_t max_script_bytes) {
  return "larger than max_script_mb (" + std::to_string(max_script_bytes >> 20) + " MB)";
}

// A script file's text; why not, when it cannot be read or is larger than limit.
std::string read_script_file(const std::filesystem::path& path, size_t limit, std::string& text) {
  std::error_code ec;
  switch (read_app_file(path, limit, text, ec)) {
    case AppFileRead::ok: return {};
    case AppFileRead::missing: return "cannot be read: " + ec.message();
    case AppFileRead::too_large: return "not loaded: " + larger_than(limit);
    case AppFileRead::unreadable: break;
  }
  return "cannot be read";
}

// A deadline timeout_ms from now, on the clock of the host's clock_ns()
// (CLOCK_MONOTONIC). A timeout of a second or more is placed from the coarse
// clock (4 ns to read instead of 16, on every call) plus its resolution: the
// coarse clock lags by at most that, so the deadline is never early, and at
// most a tick (1-10 ms) late.
int64_t deadline_after(int64_t timeout_ms) noexcept {
#ifdef __linux__
  static const int64_t tick_ns = [] {
    timespec res;
    return clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && res.tv_sec == 0 ? int64_t{res.tv_nsec} : -1;
  }();
  timespec coarse;
  if (timeout_ms >= 1000 && tick_ns >= 0 && clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse) == 0)
    return int64_t{coarse.tv_sec} * 1'000'000'000 + coarse.tv_nsec + tick_ns + timeout_ms * 1'000'000;
#endif
  return api().clock_ns() + timeout_ms * 1'000'000;
}

// V8 is initialised once per process and never torn down: it cannot be
// initialised again after V8::Dispose, and several hosts may load us.
void initialize_v8_once() {
  static const bool initialized = [] {
    static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(platform.get());
    v8::V8::Initialize();
    return true;
  }();
  (void)initialized;
}

// A loaded file as the app has it: scripts/x.js, or services/x.js (a
// service's file keeps its folder).
std::string app_path(const std::string& file) {
  return file.starts_with("services/") ? file : "scripts/" + file;
}

// Threads for All/Any/Race beyond the calling one; a fan-out wider than this
// runs its remaining tasks on the caller's thread.
constexpr size_t kTaskThreads = 32;

std::vector<std::unique_ptr<IsolateSlot>> make_slots(const Services& services) {
  initialize_v8_once();
  std::vector<std::unique_ptr<IsolateSlot>> slots;
  for (unsigned i = 0; i < services.options.isolates; ++i) slots.push_back(std::make_unique<IsolateSlot>(services, i));
  return slots;
}

}  // namespace

static Options with_import_aliases(Options options) {
  options.import_aliases = read_import_aliases(options.app_dir);
  return options;
}

Runtime::Runtime(phost_plugin* self, Options options)
    : options_(with_import_aliases(std::move(options))),
      cache_(options_.cache_dir),
      prep_(cache_),
      store_([this](const CacheKey& key) { cache_.forget(key); }),
      tasks_(kTaskThreads),
      services_{self, options_, store_, cache_, watchdog_, tasks_},
      delayed_(self),
      pool_(make_slots(services_)) {
  if (options_.watch)
    watcher_ = std::make_unique<AppWatcher>(options_.app_dir / "scripts",
                                            [this](const auto& removed) { reload_changed(removed); });
}

Runtime::~Runtime() {
  // The pool first: a reload may be waiting for an isolate that a thread
  // keeps (runtime.keep_isolate), up to load_timeout_ms or for good; closed,
  // the pool fails it at once.
  pool_.close();
  watcher_.reset();
}

void Runtime::reload_changed(const std::vector<std::filesystem::path>& removed) noexcept {
  try {
    const auto root = options_.app_dir / "scripts";
    auto gone = [&](const std::string& file) {
      const std::filesystem::path path(file);
      std::error_code ec;
      if (std::filesystem::exists(root / path, ec)) return false;
      return std::any_of(removed.begin(), removed.end(), [&](const std::filesystem::path& r) {
        const auto inside = path.lexically_relative(r);
        return !inside.empty() && *inside.begin() != "..";
      });
    };
    size_t dropped = 0;
    for (const ScriptRef& s : store_.all())
      if (gone(s->file)) dropped += store_.remove(s->id);
    for (const auto& [id, failure] : store_.failures())
      if (gone(failure.file)) store_.remove(id);
    const size_t loaded = load_app_dir(nullptr, true);
    log(PHOST_LOG_INFO, "watch: scripts changed; " + std::to_string(loaded) + " loaded, " + std::to_string(dropped) +
                            " removed");
  } catch (const Error& e) {
    if (e.code() == 503) return;  // the runtime is closing
    log(PHOST_LOG_ERROR, std::string("watch: reloading failed, the previous scripts stay: ") + e.what());
  } catch (const std::exception& e) {
    log(PHOST_LOG_ERROR, std::string("watch: reloading failed, the previous scripts stay: ") + e.what());
  }
}

int64_t Runtime::deadline_for(const phost_call_ctx* ctx, int64_t timeout_ms) noexcept {
  phost_call_info info{};
  info.struct_size = sizeof info;
  if (!ctx || api().ctx_info(ctx, &info) != PHOST_OK) info.deadline_ns = 0;
  return deadline_for(info.deadline_ns, timeout_ms);
}

int64_t Runtime::deadline_for(int64_t ctx_deadline_ns, int64_t timeout_ms) noexcept {
  const int64_t deadline = timeout_ms ? deadline_after(timeout_ms) : 0;
  return ctx_deadline_ns && (!deadline || ctx_deadline_ns < deadline) ? ctx_deadline_ns : deadline;
}

Value Runtime::call_script(Call& call, std::string_view id_prefix) {
  const phost_call_info info = call.info();
  phost_call_ctx* ctx = call.ctx();
  const int64_t deadline = deadline_for(info.deadline_ns, options_.timeout_ms);
  // Processes the script calls see the time it really has.
  if (deadline && deadline != info.deadline_ns && PHOST_API_HAS(&api(), ctx_set_deadline))
    api().ctx_set_deadline(ctx, deadline);
  auto lease = pool_.lease(deadline, ctx);  // a nested call re-enters the slot this thread holds
  if (id_prefix.empty()) return lease->call(to_view(info.id), to_view(info.method), call.args().get(), ctx, deadline);
  const std::string id = std::string(id_prefix) + std::string(to_view(info.id));
  return lease->call(id, to_view(info.method), call.args().get(), ctx, deadline);
}

Value Runtime::load(std::string id, std::string source, std::string file, phost_call_ctx* ctx) {
  std::vector<IsolateSlot::Loaded> batch(1);
  batch[0].version = make(std::move(id), std::move(source), std::move(file), ctx);
  load_batch(batch, ctx, false);
  if (batch[0].error) throw *batch[0].error;
  const ScriptVersion& v = *batch[0].version;
  Value out = Value::object();
  out.set("id", Value::string(v.id));
  out.set("version", Value::integer(static_cast<int64_t>(v.number)));
  out.set("module", Value::boolean(v.module));
  out.set("file", Value::string(v.file));
  Value functions = Value::array(v.functions.size());
  for (const std::string& f : v.functions) functions.push(Value::string(f));
  out.set("functions", std::move(functions));
  return out;
}

void Runtime::load_batch(std::vector<IsolateSlot::Loaded>& batch, phost_call_ctx* ctx, bool app, bool all_or_nothing) {
  const int64_t wait_deadline = deadline_for(ctx, options_.load_timeout_ms);
  // Published while the isolate that ran their top levels is still held, so
  // no call sees one half-loaded.
  auto lease = pool_.lease(wait_deadline, ctx);
  lease->load(
      batch, ctx, [&] { return deadline_for(ctx, options_.load_timeout_ms); },
      [&](const IsolateSlot::Loaded& l) {
        if (app) store_.record_failure(l.version->id, {l.version->file, l.error->code(), l.error->what()});
      },
      [&](std::vector<IsolateSlot::Loaded>& loaded) {
        const bool any_failed =
            std::any_of(loaded.begin(), loaded.end(), [](const IsolateSlot::Loaded& l) { return l.error.has_value(); });
        if (all_or_nothing && any_failed) return;
        for (IsolateSlot::Loaded& l : loaded)
          if (!l.error) store_.publish(l.version);
      });
}

size_t Runtime::load_app_dir(phost_call_ctx* ctx, bool settling) {
  if (options_.app_dir.empty()) return 0;
  std::error_code ec;
  std::vector<IsolateSlot::Loaded> batch;
  std::map<std::string, std::string> files;  // id -> file: two files may not give one id
  std::vector<std::string> problems;
  std::vector<std::string> problems_in_strict;  // failures before loading, for strict
  std::map<std::string, std::string> duplicates;  // id -> why
  // gou's services/foo.js is the script __yao_service.foo, called as services.foo.<Function>.
  for (const std::string_view folder : {"scripts", "services"}) {
    const auto root = options_.app_dir / folder;
    if (!std::filesystem::is_directory(root, ec)) {
      ec.clear();
      continue;
    }
    // Unreadable as a whole: the app cannot load (its entries are skipped below).
    if (std::filesystem::directory_iterator(root, ec); ec)
      throw Error(500, "reading " + root.string() + ": " + ec.message(), PHOST_E_INTERNAL);
    const std::string id_prefix = folder == "services" ? std::string(kServicePrefix) : std::string();
    const std::string file_prefix = folder == "services" ? "services/" : "";
    for (auto it = std::filesystem::recursive_directory_iterator(
             root, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      // What cannot be read (a link loop, a folder without permission) is
      // this entry's problem, not the whole app's.
      const auto relative = it->path().lexically_relative(root);
      std::error_code entry_ec;
      const bool folder_entry = it->is_directory(entry_ec);
      if (folder_entry) std::filesystem::directory_iterator(it->path(), entry_ec);
      const bool regular = !entry_ec && !folder_entry && it->is_regular_file(entry_ec);
      if (entry_ec) {
        // A dangling link (an editor's lock file, .#x.js) is passed over, as before.
        if (entry_ec != std::errc::no_such_file_or_directory)
          problems.push_back(std::string(folder) + "/" + relative.string() + ": cannot be read: " + entry_ec.message());
        continue;
      }
      if (!regular) continue;
      if (it->is_symlink()) {
        // Followed only when it stays inside the app's scripts folder.
        const auto target = std::filesystem::weakly_canonical(it->path(), ec);
        const auto base = std::filesystem::weakly_canonical(root, ec);
        const auto inside = target.lexically_relative(base);
        if (ec || inside.empty() || *inside.begin() == "..") {
          log(PHOST_LOG_WARN,
              std::string(folder) + "/" + relative.string() + ": not loaded (a link that leaves its folder)");
          ec.clear();
          continue;
        }
      }
      if (relative.extension() != ".js" && relative.extension() != ".ts") {
        // .json files are data that modules import.
        if (relative.extension() != ".json" && relative.filename() != ".DS_Store")
          log(PHOST_LOG_WARN,
              std::string(folder) + "/" + relative.string() + ": not loaded (only .js and .ts files are scripts)");
        continue;
      }
      if (relative.string().ends_with(".d.ts")) continue;  // type declarations only
      const std::string base_id = script_id_from_path(relative);
      const std::string id = base_id.empty() ? base_id : id_prefix + base_id;
      if (id.empty()) {
        problems.push_back(std::string(folder) + "/" + relative.string() + ": cannot make a script id of its path");
        continue;
      }
      const std::string file = file_prefix + relative.generic_string();
      if (auto [at, fresh] = files.emplace(id, file); !fresh) {
        // Neither loads: which one would win is up to the directory's order.
        const std::string why =
            app_path(at->second) + " and " + app_path(file) + " both give the script id '" + id + "'";
        problems.push_back(why);
        duplicates.emplace(id, why);
        continue;
      }
      if (settling) {
        const auto written = std::filesystem::last_write_time(it->path(), ec);
        const auto age = std::filesystem::file_time_type::clock::now() - written;  // a future time is not "being written"
        if (!ec && age >= age.zero() && age < AppWatcher::kSettle) continue;
        ec.clear();
      }
      std::string text;
      if (const std::string why = read_script_file(it->path(), options_.max_script_bytes, text); !why.empty()) {
        // Its calls say why rather than 404.
        const std::string problem = std::string(folder) + "/" + relative.string() + ": " + why;
        problems.push_back(problem);
        store_.record_failure(id, {file, 500, problem});
        continue;
      }
      try {
        batch.push_back({make(id, std::move(text), file, ctx), std::nullopt});
      } catch (const Error& e) {
        // Not even preparable (a TypeScript error): it fails like a script whose top level threw.
        log(PHOST_LOG_WARN, std::string(folder) + "/" + relative.string() + " failed to load: " + e.what());
        store_.record_failure(id, {file, e.code(), e.what()});
        problems_in_strict.push_back(file + ": " + e.what());
      }
    }
    if (ec) throw Error(500, "reading " + root.string() + ": " + ec.message(), PHOST_E_INTERNAL);
  }
  if (!problems.empty() && options_.strict) {
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw Error(400, all, PHOST_E_INVALID_ARG);
  }
  for (const std::string& p : problems) log(PHOST_LOG_ERROR, p);
  std::erase_if(batch, [&](const IsolateSlot::Loaded& l) { return duplicates.count(l.version->id) > 0; });
  for (const auto& [id, why] : duplicates) store_.record_failure(id, {files[id], 500, why});
  if (options_.strict && !problems_in_strict.empty()) {
    std::string all;
    for (const std::string& p : problems_in_strict) all += (all.empty() ? "" : "; ") + p;
    throw Error(500, "strict: scripts failed to load: " + all, PHOST_E_PROCESS);
  }
  std::sort(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.version->id < b.version->id; });
  load_batch(batch, ctx, true, options_.strict);
  size_t loaded = 0;
  std::string failed;
  for (const IsolateSlot::Loaded& l : batch) {
    if (!l.error) {
      ++loaded;
      continue;
    }
    log(PHOST_LOG_WARN, app_path(l.version->file) + " failed to load: " + l.error->what());
    if (failed.size() < 4000) failed += (failed.empty() ? "" : "; ") + l.version->file + ": " + l.error->what();
  }
  if (options_.strict && !failed.empty()) throw Error(500, "strict: scripts failed to load: " + failed, PHOST_E_PROCESS);
  return loaded;
}

std::shared_ptr<ScriptVersion> Runtime::make(std::string id, std::string source, std::string file,
                                             const phost_call_ctx* ctx) {
  if (file.empty()) file = id + ".js";
  if (source.size() > options_.max_script_bytes)
    throw Error(413, app_path(file) + ": " + larger_than(options_.max_script_bytes), PHOST_E_LIMIT);
  Transpiler::Deadline deadline = Transpiler::Deadline::max();
  if (const int64_t ns = deadline_for(ctx, options_.load_timeout_ms))
    deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns - api().clock_ns());
  const PreparedSource prepared = prep_.prepare(source, file, deadline);
  try {
    return make_version(std::move(id), std::move(source), std::move(file), prepared.body, prepared.epilogue_at,
                        prepared.module);
  } catch (const std::invalid_argument& e) {
    throw Error(400, e.what(), PHOST_E_INVALID_ARG);
  }
}

void Runtime::keep_isolate(bool on, const Call& call) {
  // Keeping is for the application's own threads: a script or plugin asking
  // from inside a call would hold an isolate back from everyone else, and so
  // would a script's time.After call, made outside any call on our thread.
  if (call.info().depth > 1 || DelayedCalls::on_this_thread())
    throw Error(403, std::string(on ? "runtime.keep_isolate" : "runtime.release_isolate") +
                         " is for the application's threads: call it from the application, not from inside a call",
                PHOST_E_PROCESS);
  pool_.keep(on);
}

Value Runtime::stats(bool collect_garbage, phost_call_ctx* ctx) {
  // Whichever isolate is free answers for the heap figures.
  Value heap = pool_.lease(deadline_for(ctx, options_.timeout_ms), ctx)->stats(collect_garbage);
  const auto c = cache_.stats();
  Value cache = Value::object();
  cache.set("hits", Value::integer(static_cast<int64_t>(c.hits)));
  cache.set("misses", Value::integer(static_cast<int64_t>(c.misses)));
  cache.set("rejected", Value::integer(static_cast<int64_t>(c.rejected)));
  cache.set("stored", Value::integer(static_cast<int64_t>(c.stored)));
  Value out = Value::object();
  out.set("scripts", Value::integer(static_cast<int64_t>(store_.all().size())));
  out.set("isolates", Value::integer(static_cast<int64_t>(pool_.size())));
  out.set("heap", std::move(heap));
  out.set("code_cache", std::move(cache));
  return out;
}

}  // namespace phost::v8rt
