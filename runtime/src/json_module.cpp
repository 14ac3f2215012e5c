#include "json_module.hpp"

#include "json_shape.hpp"
#include "v8_text.hpp"

#include <v8-json.h>
#include <v8-primitive.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace phost::v8rt {
namespace {

// Appends text as a JS string literal.
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r' || c == '\t') {  // JSON's whitespace, 2 bytes each
      out += '\\';
      out += c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  out += '"';
}

// text as string literals of at most 256 KB joined by '+': V8's scanner grows
// a literal's buffer by at most 1 MB at a time, copying it whole each time,
// so one literal of 60 MB took 23 s.
std::string quoted(std::string_view text) {
  constexpr size_t kPiece = 256 << 10;
  std::string out;
  out.reserve(text.size() + text.size() / kPiece * 3 + 2);
  size_t at = 0;
  do {
    size_t end = std::min(text.size(), at + kPiece);
    for (int back = 0; back < 3 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++back)
      --end;  // a UTF-8 sequence stays whole
    if (at > 0) out += '+';
    append_quoted(out, text.substr(at, end - at));
    at = end;
  } while (at < text.size());
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
