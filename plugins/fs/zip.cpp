#include "zip.hpp"

#include <zlib.h>

#include <limits>

namespace fsplugin::zip {

namespace {

constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint16_t kVersion = 20;           // 2.0: deflate
constexpr uint16_t kMadeByUnix = 3 << 8 | kVersion;
constexpr uint16_t kUtf8Names = 1 << 11;    // general purpose flag bit 11
constexpr uint16_t kStored = 0, kDeflated = 8;

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

// MS-DOS time and date, local time, as zip tools expect; 1980-01-01 for earlier times.
void dos_time(std::time_t t, uint16_t& time, uint16_t& date) {
  std::tm tm{};
  if (!::localtime_r(&t, &tm) || tm.tm_year < 80) {
    time = 0;
    date = (0 << 9) | (1 << 5) | 1;
    return;
  }
  time = static_cast<uint16_t>(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
  date = static_cast<uint16_t>((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
}

uint32_t crc_of(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < data.size();) {  // crc32 takes a uInt length
    const uInt n = static_cast<uInt>(std::min<size_t>(data.size() - done, std::numeric_limits<uInt>::max()));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), n);
    done += n;
  }
  return static_cast<uint32_t>(crc);
}

// Raw deflate (no zlib header), as zip stores it; empty when it would not be smaller.
std::string deflate_raw(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(500, "zlib: cannot start deflate");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error(500, "zlib: deflate failed");
  return out.size() < data.size() ? out : std::string();
}

class Reader {
public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint32_t u16(size_t at) const { return byte(at) | byte(at + 1) << 8; }
  uint32_t u32(size_t at) const { return u16(at) | u16(at + 2) << 16; }
  std::string_view bytes(size_t at, size_t n) const {
    if (at > data_.size() || n > data_.size() - at) bad("is truncated");
    return data_.substr(at, n);
  }
  size_t size() const noexcept { return data_.size(); }
  [[noreturn]] static void bad(const std::string& why) { throw Error(400, "is not a zip archive we can read: " + why); }

private:
  uint32_t byte(size_t at) const {
    if (at >= data_.size()) bad("is truncated");
    return static_cast<unsigned char>(data_[at]);
  }
  std::string_view data_;
};

std::string inflate_raw(std::string_view compressed, uint64_t size) {
  std::string out(static_cast<size_t>(size), '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error(500, "zlib: cannot start inflate");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const uLong produced = z.total_out;
  inflateEnd(&z);
  // Z_BUF_ERROR with no room left: more data than the directory said.
  if (rc != Z_STREAM_END || produced != size) Reader::bad("a file's compressed data does not match its size");
  return out;
}

}  // namespace

std::string write(const std::vector<File>& files) {
  if (files.size() > 0xFFFF) throw Error(413, "has more than 65535 files (zip64 is not supported)");
  std::string out, central;
  for (const File& f : files) {
    const uint64_t offset = out.size();
    const std::string packed = deflate_raw(f.data);
    const std::string_view stored = packed.empty() ? std::string_view(f.data) : std::string_view(packed);
    if (offset > 0xFFFFFFFEu || f.data.size() > 0xFFFFFFFEu) throw Error(413, "is larger than 4 GiB (zip64 is not supported)");
    uint16_t time = 0, date = 0;
    dos_time(f.mtime, time, date);
    const uint32_t crc = crc_of(f.data);
    const uint16_t method = packed.empty() ? kStored : kDeflated;
    auto common = [&](std::string& h) {
      put16(h, kUtf8Names);
      put16(h, method);
      put16(h, time);
      put16(h, date);
      put32(h, crc);
      put32(h, static_cast<uint32_t>(stored.size()));
      put32(h, static_cast<uint32_t>(f.data.size()));
      put16(h, static_cast<uint32_t>(f.name.size()));
      put16(h, 0);  // extra field length
    };
    put32(out, kLocalSignature);
    put16(out, kVersion);
    common(out);
    out += f.name;
    out += stored;
    put32(central, kCentralSignature);
    put16(central, kMadeByUnix);
    put16(central, kVersion);
    common(central);
    put16(central, 0);  // comment length
    put16(central, 0);  // disk number
    put16(central, 0);  // internal attributes
    put32(central, (0100000u | (f.mode & 07777)) << 16);  // a regular file with its mode
    put32(central, static_cast<uint32_t>(offset));
    central += f.name;
  }
  if (out.size() + central.size() > 0xFFFFFFFEu) throw Error(413, "is larger than 4 GiB (zip64 is not supported)");
  const uint32_t central_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, kEndSignature);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(files.size()));
  put16(out, static_cast<uint32_t>(files.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, central_offset);
  put16(out, 0);  // comment length
  return out;
}

void read(std::string_view archive, uint64_t max_file, uint64_t max_total,
          const std::function<void(const std::string& name, std::string data)>& on_file) {
  const Reader r(archive);
  // The end record is within the last 22 + 65535 (its comment) bytes.
  if (r.size() < 22) Reader::bad("is too short");
  size_t end = r.size() - 22;
  const size_t lowest = r.size() > 22 + 0xFFFF ? r.size() - 22 - 0xFFFF : 0;
  while (r.u32(end) != kEndSignature) {
    if (end == lowest) Reader::bad("has no end of central directory record");
    --end;
  }
  const uint32_t count = r.u16(end + 10);
  const uint32_t central_size = r.u32(end + 12);
  size_t at = r.u32(end + 16);
  if (count == 0xFFFF || at == 0xFFFFFFFFu || central_size == 0xFFFFFFFFu) Reader::bad("is zip64, which is not supported");
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (r.u32(at) != kCentralSignature) Reader::bad("has a broken central directory");
    const uint32_t flags = r.u16(at + 8), method = r.u16(at + 10), crc = r.u32(at + 16);
    const uint64_t packed_size = r.u32(at + 20), size = r.u32(at + 24);
    const uint32_t name_len = r.u16(at + 28), extra_len = r.u16(at + 30), comment_len = r.u16(at + 32);
    const size_t local = r.u32(at + 42);
    const std::string name(r.bytes(at + 46, name_len));
    at += 46 + name_len + extra_len + comment_len;
    if (!name.empty() && name.back() == '/') continue;  // a directory
    if (flags & 1) Reader::bad("'" + name + "' is encrypted");
    if (method != kStored && method != kDeflated)
      Reader::bad("'" + name + "' uses compression method " + std::to_string(method) + " (only stored and deflate are read)");
    if (packed_size == 0xFFFFFFFFu || size == 0xFFFFFFFFu) Reader::bad("is zip64, which is not supported");
    if (size > max_file) throw Error(413, "holds '" + name + "' of " + std::to_string(size) + " bytes, over max_read_bytes");
    total += size;
    if (total > max_total)
      throw Error(413, "unpacks to more than " + std::to_string(max_total) + " bytes (16 x max_read_bytes)");
    if (r.u32(local) != kLocalSignature) Reader::bad("has a broken local header for '" + name + "'");
    const size_t data_at = local + 30 + r.u16(local + 26) + r.u16(local + 28);
    const std::string_view packed = r.bytes(data_at, static_cast<size_t>(packed_size));
    std::string data;
    if (method == kStored) {
      if (packed_size != size) Reader::bad("'" + name + "' is stored with two sizes");
      data.assign(packed);
    } else if (size > 0) {
      data = inflate_raw(packed, size);
    }
    if (crc_of(data) != crc) Reader::bad("'" + name + "' fails its CRC check");
    on_file(name, std::move(data));
  }
}

}  // namespace fsplugin::zip
