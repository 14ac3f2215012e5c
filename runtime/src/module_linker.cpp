#include "module_linker.hpp"

#include "v8_text.hpp"

#include <phost/value.hpp>

#include <v8-exception.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace phost::v8rt {
namespace {

// Isolate data slot of the linker (slot 0 is the IsolateSlot).
constexpr uint32_t kLinkerSlot = 1;

}  // namespace

bool runtime_shim(std::string_view s) {
  for (std::string_view ext : {".d.ts", ".ts", ".js"})
    if (s.ends_with(ext)) {
      s.remove_suffix(ext.size());
      break;
    }
  // gou keeps these out of the module graph (its internalKeepModules).
  for (std::string_view scope : {"@yao", "@yaoapp", "@yaoapps", "@gou"})
    if (s == scope || (s.starts_with(scope) && s.size() > scope.size() && s[scope.size()] == '/')) return true;
  const bool relative = s.starts_with("./") || s.starts_with("../");
  return relative && (s.ends_with("/yao") || s.ends_with("/gou"));
}

namespace {

// JSON with // and /* */ comments and trailing commas, as tsconfig.json allows, made plain JSON.
std::string plain_json(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool string = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (string) {
      out += c;
      if (c == '\\' && i + 1 < in.size()) out += in[++i];
      else if (c == '"') string = false;
    } else if (c == '"') {
      string = true;
      out += c;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '/') {
      while (i < in.size() && in[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
      const size_t end = in.find("*/", i + 2);
      i = end == std::string_view::npos ? in.size() : end + 1;
    } else if (c == ']' || c == '}') {
      size_t j = out.size();
      while (j > 0 && (out[j - 1] == ' ' || out[j - 1] == '\n' || out[j - 1] == '\r' || out[j - 1] == '\t')) --j;
      if (j > 0 && out[j - 1] == ',') out.erase(j - 1, 1);
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<ImportAlias> read_import_aliases(const std::filesystem::path& app_dir) {
  std::vector<ImportAlias> out;
  if (app_dir.empty()) return out;
  std::ifstream in(app_dir / "tsconfig.json", std::ios::binary);
  if (!in) return out;
  std::ostringstream text;
  text << in.rdbuf();
  Value config;
  try {
    config = Value::from_json(plain_json(text.str()));
  } catch (const Error& e) {
    throw Error(400, "tsconfig.json: " + std::string(e.what()), PHOST_E_INVALID_ARG);
  }
  const View options = View(config.get())["compilerOptions"];
  std::string base(options["baseUrl"].kind() == PHOST_STRING ? options["baseUrl"].as_string() : ".");
  while (base.starts_with("./")) base.erase(0, 2);
  if (base == ".") base.clear();
  if (!base.empty() && !base.ends_with('/')) base += '/';
  const View paths = options["paths"];
  for (size_t i = 0; i < paths.size(); ++i) {
    const View targets = paths[i];
    if (targets.kind() != PHOST_ARRAY || targets.size() == 0 || targets[0].kind() != PHOST_STRING) continue;
    std::string target(targets[0].as_string());
    while (target.starts_with("./")) target.erase(0, 2);
    out.push_back({std::string(paths.key_at(i)), base + target});
  }
  return out;
}

namespace {

// The app-relative path an alias of tsconfig.json makes of specifier
// ("@lib/util" -> "scripts/lib/util"), or nothing when none applies.
std::optional<std::string> apply_alias(std::string_view specifier, const std::vector<ImportAlias>& aliases) {
  for (const ImportAlias& a : aliases) {
    const size_t star = a.pattern.find('*');
    const std::string_view prefix = std::string_view(a.pattern).substr(0, star);
    const std::string_view suffix =
        star == std::string::npos ? std::string_view() : std::string_view(a.pattern).substr(star + 1);
    if (star == std::string::npos ? specifier != a.pattern
                                  : !(specifier.starts_with(prefix) && specifier.ends_with(suffix) &&
                                      specifier.size() >= prefix.size() + suffix.size()))
      continue;
    const std::string_view matched =
        star == std::string::npos ? std::string_view()
                                  : specifier.substr(prefix.size(), specifier.size() - prefix.size() - suffix.size());
    std::string aliased = a.target;
    if (const size_t t = aliased.find('*'); t != std::string::npos) aliased.replace(t, 1, matched);
    return aliased;
  }
  return std::nullopt;
}

}  // namespace

std::string resolve_specifier(std::string_view importer_id, std::string_view specifier,
                              const std::vector<ImportAlias>& aliases) {
  if (runtime_shim(specifier)) return std::string(kRuntimeModuleId);
  const std::optional<std::string> aliased = apply_alias(specifier, aliases);
  if (aliased) specifier = *aliased;  // an app-relative path: scripts/lib/util
  std::vector<std::string_view> parts;
  auto split_into = [&parts](std::string_view text, char sep) {
    size_t start = 0;
    while (start <= text.size()) {
      const size_t end = std::min(text.find(sep, start), text.size());
      const std::string_view part = text.substr(start, end - start);
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = end + 1;
    }
  };
  for (std::string_view ext : {".js", ".ts"})
    if (specifier.ends_with(ext)) specifier.remove_suffix(ext.size());
  if (specifier.starts_with("./") || specifier.starts_with("../")) {
    split_into(importer_id, '.');
    if (!parts.empty()) parts.pop_back();  // the importer's own name
    split_into(specifier, '/');
  } else {
    if (specifier.starts_with("scripts/")) specifier.remove_prefix(8);
    split_into(specifier, specifier.find('/') != std::string_view::npos ? '/' : '.');
  }
  std::string id;
  for (std::string_view p : parts) {
    if (!id.empty()) id += '.';
    for (char c : p) id += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return id;
}

std::string json_module_path(std::string_view importer_file, std::string_view specifier,
                             const std::vector<ImportAlias>& aliases) {
  std::filesystem::path path;
  if (const std::optional<std::string> aliased = apply_alias(specifier, aliases)) {
    std::string_view app_relative = *aliased;
    if (!app_relative.starts_with("scripts/")) return {};
    app_relative.remove_prefix(8);
    path = std::filesystem::path(app_relative);
  } else if (specifier.starts_with("./") || specifier.starts_with("../")) {
    path = std::filesystem::path(importer_file).parent_path() / std::filesystem::path(specifier);
  } else if (specifier.starts_with("scripts/")) {
    path = std::filesystem::path(specifier.substr(8));
  } else {
    return {};
  }
  path = path.lexically_normal();
  if (path.empty() || path.is_absolute() || *path.begin() == ".." || path.extension() != ".json") return {};
  return path.generic_string();
}

ModuleLinker::ModuleLinker(v8::Isolate* isolate, Find find, std::vector<ImportAlias> aliases)
    : isolate_(isolate), find_(std::move(find)), aliases_(std::move(aliases)) {
  isolate_->SetData(kLinkerSlot, this);
  isolate_->SetHostInitializeImportMetaObjectCallback(&ModuleLinker::init_meta);
}

ModuleLinker::~ModuleLinker() { isolate_->SetData(kLinkerSlot, nullptr); }

void ModuleLinker::add(v8::Local<v8::Module> module, const std::string& id) { ids_[module->ScriptId()] = id; }

void ModuleLinker::forget(int module_script_id) {
  ids_.erase(module_script_id);
  functions_.erase(module_script_id);
}

v8::Local<v8::Object> ModuleLinker::functions(v8::Local<v8::Module> module) const {
  const auto it = functions_.find(module->ScriptId());
  return it == functions_.end() ? v8::Local<v8::Object>() : it->second.Get(isolate_);
}

v8::MaybeLocal<v8::Value> ModuleLinker::function_of(v8::Local<v8::Context> context, v8::Local<v8::Object> functions,
                                                    v8::Local<v8::Name> name) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> descriptor;
  if (!functions->GetOwnPropertyDescriptor(context, name).ToLocal(&descriptor)) return {};
  if (!descriptor->IsObject()) return v8::Undefined(isolate);
  // A descriptor is a plain object V8 made: reading it runs no script code.
  const v8::Local<v8::Object> d = descriptor.As<v8::Object>();
  if (!d->HasOwnProperty(context, v8_string(isolate, "value")).FromMaybe(false)) return v8::Undefined(isolate);
  return d->Get(context, v8_string(isolate, "value"));
}

// import.meta is the module's own: no other module reaches its functions.
void ModuleLinker::init_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module, v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  auto* self = static_cast<ModuleLinker*>(isolate->GetData(kLinkerSlot));
  if (!self) return;
  v8::Local<v8::Object> functions = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  constexpr auto kFixed = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontEnum | v8::DontDelete);
  if (meta->DefineOwnProperty(context, v8_string(isolate, kModuleFunctions), functions, kFixed).FromMaybe(false))
    self->functions_[module->ScriptId()].Reset(isolate, functions);
}

bool ModuleLinker::instantiate(v8::Local<v8::Context> context, v8::Local<v8::Module> module) {
  return module->InstantiateModule(context, &ModuleLinker::resolve).FromMaybe(false);
}

v8::MaybeLocal<v8::Module> ModuleLinker::resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                 v8::Local<v8::FixedArray>, v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  auto* self = static_cast<ModuleLinker*>(isolate->GetData(kLinkerSlot));
  if (!self || isolate->IsExecutionTerminating()) return {};
  try {
    const auto importer = self->ids_.find(referrer->ScriptId());
    const std::string importer_id = importer != self->ids_.end() ? importer->second : std::string();
    const std::string spec = utf8(isolate, specifier);
    // A .json import is a file, not a script id: whoever compiles finds it.
    const std::string id = spec.ends_with(".json") ? std::string() : resolve_specifier(importer_id, spec, self->aliases_);
    if (id.empty() && !spec.ends_with(".json"))
      throw Error(404, "cannot import '" + spec + "' from '" + importer_id + "'", PHOST_E_NOT_FOUND);
    return self->find_(id, spec, importer_id);
  } catch (const Error& e) {
    if (!isolate->IsExecutionTerminating())
      isolate->ThrowException(v8::Exception::Error(v8_string_or_empty(isolate, e.what())));
  } catch (const std::exception& e) {
    if (!isolate->IsExecutionTerminating())
      isolate->ThrowException(v8::Exception::Error(v8_string_or_empty(isolate, e.what())));
  }
  return {};
}

}  // namespace phost::v8rt
