#include "module_linker.hpp"

#include "v8_text.hpp"

#include <phost/value.hpp>

#include <v8-exception.h>

#include <vector>

namespace phost::v8rt {
namespace {

// Isolate data slot of the linker (slot 0 is the IsolateSlot).
constexpr uint32_t kLinkerSlot = 1;

}  // namespace

std::string resolve_specifier(std::string_view importer_id, std::string_view specifier) {
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
  if (specifier.ends_with(".js")) specifier.remove_suffix(3);
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

ModuleLinker::ModuleLinker(v8::Isolate* isolate, Find find) : isolate_(isolate), find_(std::move(find)) {
  isolate_->SetData(kLinkerSlot, this);
}

ModuleLinker::~ModuleLinker() { isolate_->SetData(kLinkerSlot, nullptr); }

void ModuleLinker::add(v8::Local<v8::Module> module, const std::string& id) { ids_[module->ScriptId()] = id; }

void ModuleLinker::forget(int module_script_id) { ids_.erase(module_script_id); }

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
    const std::string id = resolve_specifier(importer_id, spec);
    if (id.empty()) throw Error(404, "cannot import '" + spec + "' from '" + importer_id + "'", PHOST_E_NOT_FOUND);
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
