#include "json_module.hpp"

#include "json_shape.hpp"
#include "v8_text.hpp"

#include <v8-json.h>
#include <v8-primitive.h>

#include <cstdio>
#include <string>

namespace phost::v8rt {
namespace {

// text as a JS string literal.
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

v8::MaybeLocal<v8::Module> json_module(v8::Local<v8::Context> context, std::string_view name, std::string_view text) {
  v8::Isolate* isolate = context->GetIsolate();
  // Checked here, so that a bad file fails the import with V8's own message
  // (or the shape check's, before V8's parser sees a text that nests or
  // holds too much).
  v8::Local<v8::String> json = v8_string(isolate, text);
  if (!json_shape_fits(isolate, json) || v8::JSON::Parse(context, json).IsEmpty()) return {};
  // A module of its own (V8 10.2's synthetic modules take their exports only
  // while evaluating, through a callback without data). JSON.parse rather
  // than the text as a literal: `{"__proto__": 1}` must stay an own key.
  const std::string source = "export default JSON.parse(" + quoted(text) + ");\n";
  v8::ScriptOrigin origin(isolate, v8_string(isolate, name), 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                          true);
  v8::ScriptCompiler::Source compiled(v8_string(isolate, source), origin);
  return v8::ScriptCompiler::CompileModule(isolate, &compiled);
}

}  // namespace phost::v8rt
