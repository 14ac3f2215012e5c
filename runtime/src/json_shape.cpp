#include "json_shape.hpp"

#include "v8_text.hpp"

#include <v8-exception.h>

#include <string>

namespace phost::v8rt {

bool json_shape_fits(v8::Isolate* isolate, v8::Local<v8::String> text) {
  JsonShape shape;
  JsonShape::Verdict verdict = JsonShape::kFits;
  for_each_slice(isolate, text, [&](const auto* units, size_t n) {
    verdict = shape.scan(units, n);
    return verdict == JsonShape::kFits;
  });
  if (verdict == JsonShape::kTooDeep) {
    isolate->ThrowException(v8::Exception::SyntaxError(v8_string_or_empty(
        isolate, "JSON.parse: the text nests deeper than " + std::to_string(kMaxJsonDepth) + " levels")));
  } else if (verdict == JsonShape::kTooManyItems) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8_string_or_empty(isolate, "JSON.parse: the text has over " + std::to_string(kMaxJsonItems) + " items")));
  }
  return verdict == JsonShape::kFits;
}

}  // namespace phost::v8rt
