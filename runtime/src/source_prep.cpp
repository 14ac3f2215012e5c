#include "source_prep.hpp"

#include "source_scan.hpp"

#include <phost/value.hpp>

namespace phost::v8rt {
namespace {

// Cache entry: "m" or "c", '\n', function names joined by ',', '\n', body.
std::vector<uint8_t> encode(const PreparedSource& p) {
  std::string out(p.module ? "m\n" : "c\n");
  for (size_t i = 0; i < p.functions.size(); ++i) out += (i ? "," : "") + p.functions[i];
  out += '\n';
  out += p.body;
  return std::vector<uint8_t>(out.begin(), out.end());
}

bool decode(const std::vector<uint8_t>& bytes, PreparedSource& p) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.size() < 3 || (text[0] != 'm' && text[0] != 'c') || text[1] != '\n') return false;
  const size_t end = text.find('\n', 2);
  if (end == std::string_view::npos) return false;
  p.module = text[0] == 'm';
  std::string_view names = text.substr(2, end - 2);
  while (!names.empty()) {
    const size_t comma = std::min(names.find(','), names.size());
    p.functions.emplace_back(names.substr(0, comma));
    names.remove_prefix(std::min(comma + 1, names.size()));
  }
  p.body = text.substr(end + 1);
  return true;
}

bool ascii_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    if (!ok) return false;
  }
  return !(name[0] >= '0' && name[0] <= '9');
}

std::string module_epilogue(const std::vector<std::string>& functions) {
  if (functions.empty()) return {};
  std::string out = "\nexport {";
  for (size_t i = 0; i < functions.size(); ++i) {
    out += i ? ", " : " ";
    out += functions[i] + " as " + std::string(kFunctionExportPrefix) + functions[i];
  }
  return out + " };";
}

}  // namespace

PreparedSource SourcePrep::prepare(std::string_view source, std::string_view file) {
  const bool typescript = file.ends_with(".ts");
  std::string keyed(file.ends_with(".ts") ? "ts\n" : "js\n");
  keyed += source;
  const CacheKey key = CodeCache::key(keyed, 'p');
  PreparedSource prepared;
  if (CacheBytes cached = cache_.find(key); cached && decode(*cached, prepared)) return prepared;
  prepared = compute(source, file, typescript);
  cache_.store(key, encode(prepared));
  return prepared;
}

PreparedSource SourcePrep::compute(std::string_view source, std::string_view file, bool typescript) {
  PreparedSource out;
  std::string js;
  if (typescript) {
    TranspileResult stripped = transpiler_.strip(source, file);
    if (!stripped.ok) throw Error(500, "cannot load " + std::string(file) + ": " + stripped.error, PHOST_E_PROCESS);
    js = std::move(stripped.code);
  } else {
    js = source;
  }
  ScanResult scan = transpiler_.scan(source, typescript);
  if (scan.ok) {
    out.module = scan.module;
    // Only ASCII names can be called (process names are ASCII).
    for (std::string& f : scan.functions)
      if (ascii_identifier(f)) out.functions.push_back(std::move(f));
    out.body = out.module ? js + module_epilogue(out.functions)
                          : js + classic_epilogue(out.functions, kNamespaceParam);
    return out;
  }
  // sucrase refuses a few sloppy forms V8 takes (`with`, HTML-like comments):
  // V8 decides, with candidate names from the quick scan behind typeof guards.
  SourceScan quick = scan_source(js);
  out.module = quick.module;
  if (!out.module) {
    out.functions = std::move(quick.names);
    out.body = js + classic_epilogue(out.functions, kNamespaceParam);
  } else {
    out.body = std::move(js);
  }
  return out;
}

}  // namespace phost::v8rt
