#include "runtime.hpp"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>

#include <fstream>
#include <sstream>

namespace phost::v8rt {
namespace {

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

std::vector<std::unique_ptr<IsolateSlot>> make_slots(const Services& services) {
  initialize_v8_once();
  std::vector<std::unique_ptr<IsolateSlot>> slots;
  for (unsigned i = 0; i < services.options.isolates; ++i) slots.push_back(std::make_unique<IsolateSlot>(services, i));
  return slots;
}

}  // namespace

Runtime::Runtime(phost_plugin* self, Options options)
    : options_(std::move(options)),
      cache_(options_.cache_dir),
      store_([this](const CacheKey& key) { cache_.forget(key); }),
      services_{self, options_, store_, cache_, watchdog_},
      pool_(make_slots(services_)) {}

Runtime::~Runtime() { pool_.close(); }

int64_t Runtime::deadline_for(const phost_call_ctx* ctx, int64_t timeout_ms) noexcept {
  int64_t deadline = timeout_ms ? api().clock_ns() + timeout_ms * 1'000'000 : 0;
  if (ctx) {
    phost_call_info info{};
    info.struct_size = sizeof info;
    if (api().ctx_info(ctx, &info) == PHOST_OK && info.deadline_ns && (!deadline || info.deadline_ns < deadline))
      deadline = info.deadline_ns;
  }
  return deadline;
}

phost_status Runtime::call_script(phost_call_ctx* ctx, const phost_value* args, phost_value** out) noexcept {
  try {
    phost_call_info info{};
    info.struct_size = sizeof info;
    check(api().ctx_info(ctx, &info));
    const int64_t deadline = deadline_for(ctx, options_.timeout_ms);
    auto lease = pool_.lease(deadline, ctx);  // a nested call re-enters the slot this thread holds
    *out = lease->call(to_view(info.id), to_view(info.method), args, ctx, deadline).release();
    return PHOST_OK;
  } catch (const Error& e) {
    api().ctx_set_error(ctx, e.code(), to_str(e.what()));
    return e.status() == PHOST_OK ? PHOST_E_PROCESS : e.status();
  } catch (const std::bad_alloc&) {
    api().ctx_set_error(ctx, 507, to_str("out of memory"));
    return PHOST_E_NO_MEMORY;
  } catch (const std::exception& e) {
    api().ctx_set_error(ctx, 500, to_str(e.what()));
    return PHOST_E_INTERNAL;
  }
}

Value Runtime::load(std::string id, std::string source, std::string file, phost_call_ctx* ctx) {
  std::shared_ptr<ScriptVersion> version;
  try {
    version = make_version(std::move(id), std::move(source), std::move(file));
  } catch (const std::invalid_argument& e) {
    throw Error(400, e.what(), PHOST_E_INVALID_ARG);
  }
  const int64_t deadline = deadline_for(ctx, options_.load_timeout_ms);
  {
    // Published while the isolate that ran its top level is still held, so
    // no call sees it half-loaded.
    auto lease = pool_.lease(deadline, ctx);
    lease->load(version, ctx, deadline, [&] { store_.publish(version); });
  }
  Value out = Value::object();
  out.set("id", Value::string(version->id));
  out.set("version", Value::integer(static_cast<int64_t>(version->number)));
  out.set("module", Value::boolean(version->module));
  out.set("file", Value::string(version->file));
  return out;
}

size_t Runtime::load_app_dir(phost_call_ctx* ctx) {
  if (options_.app_dir.empty()) return 0;
  const auto root = options_.app_dir / "scripts";
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return 0;
  size_t count = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".js") continue;
    const auto relative = std::filesystem::relative(it->path(), root);
    const std::string id = script_id_from_path(relative);
    if (id.empty()) throw Error(400, "cannot make a script id of " + relative.string(), PHOST_E_INVALID_ARG);
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    load(id, text.str(), relative.string(), ctx);
    ++count;
  }
  if (ec) throw Error(500, "reading " + root.string() + ": " + ec.message(), PHOST_E_INTERNAL);
  return count;
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
