#include "request.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace phost_http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// One argument's name in messages: "argument 3 (query)".
std::string arg_name(int index, const char* what) {
  return phost::argument_name(static_cast<size_t>(index)) + " (" + what + ")";
}

// The argument, or an empty view when it is absent or the layout has none.
phost::View arg(const phost::Call& call, int index) {
  return index < 0 ? phost::View() : call.args()[static_cast<size_t>(index)];
}

std::string string_arg(const phost::Call& call, int index, const char* what) {
  const phost::View v = arg(call, index);
  if (!v) phost::fail(400, "http: " + arg_name(index, what) + " is missing");
  if (v.kind() != PHOST_STRING) phost::fail(400, "http: " + arg_name(index, what) + " must be a string");
  return std::string(v.as_string());
}

std::string method_of(const phost::Call& call, int index) {
  std::string method = string_arg(call, index, "method");
  if (method.empty() || !std::all_of(method.begin(), method.end(), token_char))
    phost::fail(400, "http: " + arg_name(index, "method") + " '" + method + "' is not an HTTP method");
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return method;
}

HeaderList headers_of(const phost::Call& call, int index) {
  HeaderList out;
  try {
    append_values(arg(call, index), out);
  } catch (const std::invalid_argument& e) {
    phost::fail(400, "http: " + arg_name(index, "headers") + ": " + e.what());
  }
  for (const auto& [name, value] : out) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), token_char))
      phost::fail(400, "http: " + arg_name(index, "headers") + ": '" + name + "' is not a header name");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      phost::fail(400, "http: " + arg_name(index, "headers") + ": the value of '" + name + "' holds a line break or NUL");
  }
  return out;
}

// The URL with the query arguments merged in (gou: the URL's own query
// joins the argument's, then the whole is encoded with names sorted).
std::string url_of(const phost::Call& call, const Layout& at) {
  std::string url = string_arg(call, at.url, "url");
  const std::string where = "http: " + arg_name(at.url, "url");
  if (!starts_with_ci(url, "http://") && !starts_with_ci(url, "https://"))
    phost::fail(400, where + " must be an http:// or https:// URL, not '" + url.substr(0, 200) + "'");
  // libcurl reads a C string: it would stop there and fetch another URL.
  if (url.find('\0') != std::string::npos) phost::fail(400, where + " contains a NUL character");
  if (const size_t hash = url.find('#'); hash != std::string::npos) url.resize(hash);  // never sent
  UrlValues query;
  {
    HeaderList pairs;
    try {
      append_values(arg(call, at.query), pairs);
    } catch (const std::invalid_argument& e) {
      phost::fail(400, "http: " + arg_name(at.query, "query") + ": " + e.what());
    }
    for (auto& [name, value] : pairs) query[name].push_back(std::move(value));
  }
  if (const size_t mark = url.find('?'); mark != std::string::npos) {
    try {
      parse_query(std::string_view(url).substr(mark + 1), query);
    } catch (const std::invalid_argument& e) {
      phost::fail(400, where + ": its query: " + e.what());
    }
    url.resize(mark);
  }
  if (!query.empty()) url += "?" + encode(query);
  // libcurl's parser is the one that will be used: refuse what it refuses.
  CURLU* parsed = curl_url();
  if (!parsed) phost::fail(507, "http: out of memory");
  const CURLUcode rc = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  curl_url_cleanup(parsed);
  if (rc != CURLUE_OK) phost::fail(400, where + " is not a valid URL: " + curl_url_strerror(rc));
  return url;
}

// ---- bodies -------------------------------------------------------------------

struct FilePart {
  std::string field, filename, data;
};

// Reads a file to upload, which must lie under file_root (gou joins the
// path to its file root the same way: absolute paths are inside it too).
FilePart disk_file(const Config& config, const std::string& field, const std::string& path, const std::string& where) {
  namespace fs = std::filesystem;
  if (config.file_root.empty())
    phost::fail(403, where + ": uploading '" + path + "' from disk needs the plugin's file_root setting");
  fs::path relative = fs::path(path).relative_path();
  std::error_code ec;
  const fs::path file = fs::canonical(fs::path(config.file_root) / relative, ec);
  if (ec) phost::fail(404, where + ": cannot read '" + path + "': " + ec.message());
  const std::string text = file.string();
  if (text.compare(0, config.file_root.size(), config.file_root) != 0 ||
      (text.size() > config.file_root.size() && text[config.file_root.size()] != '/' && config.file_root != "/"))
    phost::fail(403, where + ": '" + path + "' leaves file_root");
  if (!fs::is_regular_file(file, ec)) phost::fail(400, where + ": '" + path + "' is not a file");
  const auto size = fs::file_size(file, ec);
  if (ec || size > static_cast<uintmax_t>(config.max_request_bytes))
    phost::fail(413, where + ": '" + path + "' is larger than max_request_bytes (" +
                  std::to_string(config.max_request_bytes) + ")");
  std::ifstream in(file, std::ios::binary);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size)))
    phost::fail(500, where + ": cannot read '" + path + "'");
  return {field, file.filename().string(), std::move(data)};
}

// Go's mime/multipart quoting of names in Content-Disposition.
std::string form_quote(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string multipart(const std::vector<FilePart>& files, const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string& content_type) {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string boundary;
  for (int i = 0; i < 30; ++i) boundary += kHex[random() % 16];
  std::string body;
  for (const FilePart& f : files) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + form_quote(f.field) + "\"; filename=\"" +
            form_quote(f.filename) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    body += f.data;
    body += "\r\n";
  }
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + form_quote(name) + "\"\r\n\r\n";
    body += value;
    body += "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  content_type = "multipart/form-data; boundary=" + boundary;
  return body;
}

// Go's base64.StdEncoding.DecodeString: padded, line breaks ignored.
bool base64_decode(std::string_view text, std::string& out) {
  std::string clean;
  for (const char c : text)
    if (c != '\r' && c != '\n') clean += c;
  if (clean.size() % 4 != 0) return false;
  const auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < clean.size(); i += 4) {
    const bool last = i + 4 == clean.size();
    const int pad = last ? (clean[i + 3] == '=') + (clean[i + 2] == '=') : 0;
    if (pad == 1 && clean[i + 2] == '=') return false;
    uint32_t bits = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      const int v = sextet(clean[i + static_cast<size_t>(k)]);
      if (v < 0) return false;
      bits |= static_cast<uint32_t>(v) << (18 - 6 * k);
    }
    out += static_cast<char>(bits >> 16);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(bits & 0xFF);
  }
  return true;
}

// Send's files: [{name, path, data}], data base64 (gou) or bytes.
std::vector<FilePart> send_files(const phost::Call& call, int index) {
  std::vector<FilePart> out;
  const phost::View list = arg(call, index);
  if (!list || list.is_null()) return out;
  const std::string where = "http: " + arg_name(index, "files");
  if (list.kind() != PHOST_ARRAY) phost::fail(400, where + " must be an array of {name, path, data}");
  for (size_t i = 0; i < list.size(); ++i) {
    const phost::View f = list[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (f.kind() != PHOST_OBJECT) phost::fail(400, at + " must be an object {name, path, data}");
    try {
      phost::check_keys(f, {"name", "path", "data"}, at);
    } catch (const phost::Error& e) {
      phost::fail(400, e.what());
    }
    FilePart part;
    for (const char* key : {"name", "path"}) {
      const phost::View v = f[key];
      if (v && v.kind() != PHOST_STRING) phost::fail(400, at + "." + key + " must be a string");
    }
    if (f["name"]) part.field = std::string(f["name"].as_string());
    if (f["path"]) part.filename = std::filesystem::path(std::string(f["path"].as_string())).filename().string();
    if (const phost::View data = f["data"]) {
      if (data.kind() == PHOST_BYTES) {
        part.data = std::string(data.as_string());
      } else if (data.kind() == PHOST_STRING) {
        if (!base64_decode(data.as_string(), part.data)) phost::fail(400, at + ".data is not base64 (standard, padded)");
      } else if (!data.is_null()) {
        phost::fail(400, at + ".data must be a base64 string or bytes");
      }
    }
    out.push_back(std::move(part));
  }
  return out;
}

}  // namespace

std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

void remove_header(HeaderList& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

std::string stream_handler(const phost::Call& call) {
  const int index = layout_of(Method::Stream).handler;
  std::string name = string_arg(call, index, "handler");
  if (name.empty()) phost::fail(400, "http: " + arg_name(index, "handler") + " must name a process");
  return name;
}

Layout layout_of(Method method) {
  switch (method) {
    case Method::Get: return {-1, 0, -1, -1, 1, 2};
    case Method::Post: return {-1, 0, 1, 2, 3, 4};
    case Method::Send: return {0, 1, 2, 5, 3, 4};
    case Method::Stream: return {0, 1, 3, -1, 4, 5, 2};
    default: return {-1, 0, 1, -1, 2, 3};  // Put, Patch, Delete, Head
  }
}

Request build_request(Method method, const phost::Call& call, const Config& config) {
  const Layout at = layout_of(method);
  Request r;
  switch (method) {
    case Method::Get: r.method = "GET"; break;
    case Method::Post: r.method = "POST"; break;
    case Method::Put: r.method = "PUT"; break;
    case Method::Patch: r.method = "PATCH"; break;
    case Method::Delete: r.method = "DELETE"; break;
    case Method::Head: r.method = "HEAD"; break;
    case Method::Send:
    case Method::Stream: r.method = method_of(call, at.method); break;
  }
  r.url = url_of(call, at);
  r.headers = headers_of(call, at.headers);
  const size_t max_args =
      static_cast<size_t>(std::max({at.method, at.url, at.payload, at.files, at.query, at.headers, at.handler})) + 1;
  if (call.arg_count() > max_args)
    phost::fail(400, "http: " + std::to_string(call.arg_count()) + " arguments given, at most " + std::to_string(max_args) +
                  " taken");

  // gou's Get, Post, Put, Patch and Delete default to JSON; Head and Send
  // send what they are given, text/plain when a body goes without a type.
  if (method != Method::Head && method != Method::Send && method != Method::Stream &&
      !find_header(r.headers, "Content-Type"))
    r.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  if (r.method == "GET" || r.method == "HEAD") return r;  // no body, as gou

  const phost::View payload = arg(call, at.payload);
  const std::string where = at.payload >= 0 ? "http: " + arg_name(at.payload, "payload") : "http";
  std::vector<FilePart> files;
  if (method == Method::Post) {
    const phost::View list = arg(call, at.files);
    const std::string files_where = "http: " + arg_name(at.files, "files");
    if (list && !list.is_null()) {
      if (list.kind() != PHOST_OBJECT) phost::fail(400, files_where + " must be an object {field: path}");
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].kind() != PHOST_STRING)
          phost::fail(400, files_where + ": '" + std::string(list.key_at(i)) + "' must be a file path");
        files.push_back(disk_file(config, std::string(list.key_at(i)), std::string(list[i].as_string()), files_where));
      }
    }
  } else if (method == Method::Send) {
    files = send_files(call, at.files);
  }
  if (!files.empty()) {  // gou: files make the request multipart
    remove_header(r.headers, "Content-Type");
    r.headers.emplace_back("Content-Type", "multipart/form-data");
  }
  if (!find_header(r.headers, "Content-Type")) r.headers.emplace_back("Content-Type", "text/plain");
  const std::string type(*find_header(r.headers, "Content-Type"));

  const bool none = !payload || payload.is_null();
  const bool raw = payload.kind() == PHOST_STRING || payload.kind() == PHOST_BYTES;
  if (none && files.empty()) {
    r.body = std::string();
  } else if (starts_with_ci(type, "multipart/form-data")) {
    std::vector<std::pair<std::string, std::string>> fields;
    if (payload.kind() == PHOST_BYTES) {
      fields.emplace_back("data", std::string(payload.as_string()));
    } else if (payload.kind() == PHOST_STRING) {  // gou: a file to upload as "file"
      files.push_back(disk_file(config, "file", std::string(payload.as_string()), where));
    } else if (payload.kind() == PHOST_OBJECT) {
      for (size_t i = 0; i < payload.size(); ++i) fields.emplace_back(payload.key_at(i), format_value(payload[i]));
    } else if (!none) {
      phost::fail(400, where + ": a multipart payload must be an object of fields, a file path or bytes");
    }
    std::string content_type;
    r.body = multipart(files, fields, content_type);
    remove_header(r.headers, "Content-Type");
    r.headers.emplace_back("Content-Type", content_type);
  } else if (raw) {
    r.body = std::string(payload.as_string());
  } else if (starts_with_ci(type, "application/x-www-form-urlencoded")) {
    if (payload.kind() != PHOST_OBJECT)
      phost::fail(400, where + ": a form payload (" + type + ") must be an object or a string");
    UrlValues form;
    for (size_t i = 0; i < payload.size(); ++i) form[std::string(payload.key_at(i))].push_back(format_value(payload[i]));
    r.body = encode(form);
  } else if (starts_with_ci(type, "application/json") || starts_with_ci(type, "text/plain") ||
             starts_with_ci(type, "application/xml")) {
    r.body = payload.to_json();  // bytes inside become base64, as Go marshals them
  } else {
    phost::fail(400, where + ": a payload for Content-Type '" + type + "' must be a string or bytes");
  }
  if (r.body->size() > static_cast<size_t>(config.max_request_bytes))
    phost::fail(413, where + ": the request body is larger than max_request_bytes (" +
                  std::to_string(config.max_request_bytes) + ")");
  return r;
}

}  // namespace phost_http
