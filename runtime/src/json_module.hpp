// A .json import (`import prices from './prices.json'`): a module whose
// default export is the parsed file, as bundlers and Node give it.
#pragma once

#include <v8-context.h>
#include <v8-script.h>

#include <string_view>

namespace phost::v8rt {

// Parses text as JSON (within json_shape.hpp's limits) and makes a module of
// it, named name (for messages).
// Empty, with V8's exception pending (a SyntaxError naming the position),
// when text is not JSON; throws phost::Error when it cannot be a V8 string.
v8::MaybeLocal<v8::Module> json_module(v8::Local<v8::Context> context, std::string_view name, std::string_view text);

}  // namespace phost::v8rt
