#include "source_prep.hpp"

#include "module_linker.hpp"
#include "paren_depth.hpp"
#include "source_scan.hpp"

#include <phost/value.hpp>

namespace phost::v8rt {
namespace {

// Cache entry: "m" or "c", the epilogue's offset, '\n', function names
// joined by ',', '\n', body.
std::vector<uint8_t> encode(const PreparedSource& p) {
  std::string out(p.module ? "m" : "c");
  out += std::to_string(p.epilogue_at) + "\n";
  for (size_t i = 0; i < p.functions.size(); ++i) out += (i ? "," : "") + p.functions[i];
  out += '\n';
  out += p.body;
  return std::vector<uint8_t>(out.begin(), out.end());
}

bool decode(const std::vector<uint8_t>& bytes, PreparedSource& p) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.size() < 3 || (text[0] != 'm' && text[0] != 'c')) return false;
  const size_t first = text.find('\n');
  const size_t end = first == std::string_view::npos ? first : text.find('\n', first + 1);
  if (end == std::string_view::npos) return false;
  p.module = text[0] == 'm';
  p.epilogue_at = 0;
  for (char c : text.substr(1, first - 1)) {
    if (c < '0' || c > '9') return false;
    p.epilogue_at = p.epilogue_at * 10 + static_cast<size_t>(c - '0');
  }
  std::string_view names = text.substr(first + 1, end - first - 1);
  while (!names.empty()) {
    const size_t comma = std::min(names.find(','), names.size());
    p.functions.emplace_back(names.substr(0, comma));
    names.remove_prefix(std::min(comma + 1, names.size()));
  }
  p.body = text.substr(end + 1);
  return p.epilogue_at <= p.body.size();
}

bool ascii_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    if (!ok) return false;
  }
  return !(name[0] >= '0' && name[0] <= '9');
}

// Binds nothing: a function may have any name the module does not use twice.
std::string module_epilogue(const std::vector<std::string>& functions) {
  if (functions.empty()) return {};
  std::string out = "\n";
  for (const std::string& f : functions)
    out += "import.meta." + std::string(kModuleFunctions) + "[\"" + f + "\"] = " + own_function(f) + ";";
  return out;
}

// The byte offset of 1-based line:column (UTF-16 units) in text, or npos.
size_t offset_of(std::string_view text, int line, int column) {
  size_t at = 0;
  for (int l = 1; l < line; ++l) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return at;
    ++at;
  }
  for (int units = 1; units < column && at < text.size() && text[at] != '\n'; ++units) {
    const unsigned char c = static_cast<unsigned char>(text[at]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len == 4) ++units;  // a surrogate pair
    at += len;
  }
  return at;
}

// gou drops imports of its type shims (`import { log } from '@yao/runtime'`):
// the names are the runtime's globals. Each such statement becomes spaces,
// so lines and columns stay.
void drop_shim_imports(std::string& js, const std::vector<ScanResult::Import>& imports) {
  for (const ScanResult::Import& import : imports) {
    if (!runtime_shim(import.specifier)) continue;
    const size_t quote = offset_of(js, import.line, import.column);
    if (quote == std::string::npos || quote >= js.size() || (js[quote] != '\'' && js[quote] != '"')) continue;
    const size_t close = js.find(js[quote], quote + 1);
    const size_t start = js.rfind("import", quote);
    if (close == std::string::npos || start == std::string::npos) continue;
    if (js.find(';', start) < quote) continue;  // `export ... from`: not an import statement of its own
    size_t end = close + 1;
    if (end < js.size() && js[end] == ';') ++end;
    for (size_t i = start; i < end; ++i)
      if (js[i] != '\n' && js[i] != '\r') js[i] = ' ';
  }
}

}  // namespace

PreparedSource SourcePrep::prepare(std::string_view source, std::string_view file, Transpiler::Deadline deadline) {
  const bool typescript = file.ends_with(".ts");
  // Keyed by the form of what is made too: what an older phost kept in a
  // cache_dir (another epilogue) is not read for this one.
  constexpr std::string_view kForm = "3";
  std::string keyed(kForm);
  keyed += typescript ? " ts\n" : " js\n";
  keyed += source;
  const CacheKey key = CodeCache::key(keyed, 'p');
  PreparedSource prepared;
  if (CacheBytes cached = cache_.find(key); cached && decode(*cached, prepared)) return prepared;
  prepared = compute(source, file, typescript, deadline);
  cache_.store(key, encode(prepared));
  return prepared;
}

PreparedSource SourcePrep::compute(std::string_view source, std::string_view file, bool typescript,
                                   Transpiler::Deadline deadline) {
  const auto check_deadline = [&](const std::string& error) {
    if (error.ends_with(Transpiler::kDeadlinePassed))
      throw Error(408, "deadline passed while preparing " + std::string(file) + " to load", PHOST_E_TIMEOUT);
  };
  PreparedSource out;
  std::string js;
  if (typescript) {
    TranspileResult stripped = transpiler_.strip(source, file, deadline);
    if (!stripped.ok) check_deadline(stripped.error);
    if (!stripped.ok) throw Error(500, "cannot load " + std::string(file) + ": " + stripped.error, PHOST_E_PROCESS);
    js = std::move(stripped.code);
  } else {
    js = source;
  }
  if (parens_too_deep(js))  // for its regexp literals
    throw Error(500,
                "cannot load " + std::string(file) + ": parentheses nest deeper than " + std::to_string(kMaxParenDepth) +
                    " levels (a regexp that deep crashes V8's compiler)",
                PHOST_E_PROCESS);
  ScanResult scan = transpiler_.scan(source, typescript, deadline);
  if (!scan.ok) check_deadline(scan.error);
  std::vector<std::string> names;
  if (scan.ok) {
    out.module = scan.module;
    drop_shim_imports(js, scan.imports);
    names = std::move(scan.functions);
  } else {
    // sucrase refuses a few sloppy forms V8 takes (`with`, HTML-like comments)
    // and sources too large for its heap: V8 decides, with candidate names
    // from the quick scan (the epilogues guard every name).
    SourceScan quick = scan_source(js);
    out.module = quick.module;
    names = std::move(quick.names);
  }
  // Only ASCII names can be called (process names are ASCII).
  for (std::string& f : names)
    if (ascii_identifier(f)) out.functions.push_back(std::move(f));
  out.epilogue_at = js.size();
  out.body = std::move(js) + (out.module ? module_epilogue(out.functions) : classic_epilogue(out.functions, kTokenParam));
  return out;
}

}  // namespace phost::v8rt
