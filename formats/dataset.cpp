#include "formats/dataset.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <string_view>

namespace nncert {

namespace {

using RawMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>;

std::string at_byte(std::uint64_t offset) { return "byte " + std::to_string(offset); }

// ---- IDX --------------------------------------------------------------------------------

// A promise this large would need 8x as much memory again as doubles; real IDX sets are far
// smaller (Fashion-MNIST train: 47 MB).
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{1} << 30;
// Compressed or raw input is read whole; no valid IDX file is bigger than this either.
constexpr std::size_t kMaxIdxFileBytes = std::size_t{1} << 30;
constexpr std::uint32_t kImagesMagic = 0x00000803;
constexpr std::uint32_t kLabelsMagic = 0x00000801;

std::uint32_t read_be32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(bytes[at + k]);
  return v;
}

std::string hex32(std::uint32_t v) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%08x", v);
  return buf.data();
}

struct IdxHeader {
  std::vector<std::uint32_t> dims;
  std::uint64_t header_bytes = 0;
  std::uint64_t total_bytes = 0;  // header + payload, exactly what the file must hold
};

struct IdxKind {
  std::uint32_t magic;
  const char* what;                  // for messages
  std::vector<const char*> dim_names;
};

const IdxKind kImages{kImagesMagic, "unsigned-byte images with 3 dimensions", {"images", "rows", "columns"}};
const IdxKind kLabels{kLabelsMagic, "unsigned-byte labels with 1 dimension", {"labels"}};

// Bytes needed before the header can be judged: the magic, then one 32-bit size per dimension.
std::size_t header_size_hint(std::string_view prefix) {
  return prefix.size() < 4 ? 4 : 4 + 4 * static_cast<std::size_t>(static_cast<unsigned char>(prefix[3]));
}

// Validates magic and dimensions; the payload size is checked against the data by the caller.
IdxHeader read_header(std::string_view data, const IdxKind& kind, const std::string& name) {
  if (data.size() < 4)
    throw InputError(name, at_byte(data.size()), "expected a 4-byte IDX magic number, the data ends here");
  const std::uint32_t magic = read_be32(data, 0);
  if (magic != kind.magic)
    throw InputError(name, at_byte(0),
                     "expected IDX magic " + hex32(kind.magic) + " (" + kind.what + "), found " + hex32(magic));
  IdxHeader h;
  h.header_bytes = 4 + 4 * kind.dim_names.size();
  if (data.size() < h.header_bytes)
    throw InputError(name, at_byte(data.size()),
                     "expected a " + std::to_string(h.header_bytes) + "-byte IDX header, the data ends here");
  std::uint64_t payload = 1;
  for (std::size_t k = 0; k < kind.dim_names.size(); ++k) {
    const std::uint32_t d = read_be32(data, 4 + 4 * k);
    const std::string pos = at_byte(4 + 4 * k);
    if (d == 0) throw InputError(name, pos, std::string("expected a positive number of ") + kind.dim_names[k]);
    if (d > kMaxIdxBytes / payload)
      throw InputError(name, pos,
                       "expected at most " + std::to_string(kMaxIdxBytes) + " bytes of data, the header claims " +
                           std::to_string(d) + " " + kind.dim_names[k]);
    payload *= d;
    h.dims.push_back(d);
  }
  h.total_bytes = h.header_bytes + payload;
  return h;
}

class Inflater {
 public:
  explicit Inflater(const std::string& name) {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw InputError(name, "gzip", "zlib failed to initialize");
  }
  ~Inflater() { inflateEnd(&zs_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return zs_; }

 private:
  z_stream zs_{};
};

// Decompresses a gzip IDX file, judging the header as soon as it arrives so that the output
// never grows more than one chunk past what the header promises (a gzip bomb stops early).
std::string gunzip_idx(std::string_view gz, const IdxKind& kind, const std::string& name) {
  Inflater inflater(name);
  z_stream& zs = inflater.stream();
  std::string out;
  std::optional<IdxHeader> header;
  std::array<unsigned char, 1 << 16> chunk;
  std::size_t fed = 0;
  for (;;) {
    if (zs.avail_in == 0 && fed < gz.size()) {
      const std::size_t n = std::min<std::size_t>(gz.size() - fed, 1 << 20);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + fed));
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - zs.avail_out);
    const std::uint64_t in_pos = fed - zs.avail_in;
    if (!header && out.size() >= header_size_hint(out)) header = read_header(out, kind, name);
    if (header && out.size() > header->total_bytes)
      throw InputError(name, "gzip " + at_byte(in_pos),
                       "expected the gzip data to end after the " + std::to_string(header->total_bytes) +
                           " bytes the IDX header promises, it inflates to more");
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 && fed == gz.size()) return out;
      inflateReset(&zs);  // concatenated gzip members are one valid gzip file
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && fed == gz.size())
      throw InputError(name, "gzip " + at_byte(in_pos), "unexpected end of the gzip stream (truncated file?)");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw InputError(name, "gzip " + at_byte(in_pos),
                       std::string("expected valid gzip data (zlib: ") + (zs.msg ? zs.msg : "error") + ")");
  }
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// Returns the validated header and the IDX bytes: `bytes` itself, or its decompression kept in
// `inflated` when the input is gzip.
std::pair<IdxHeader, std::string_view> decode_idx(const std::string& bytes, std::string& inflated,
                                                  const IdxKind& kind, const std::string& name) {
  std::string_view data = bytes;
  if (is_gzip(bytes)) {
    inflated = gunzip_idx(bytes, kind, name);
    data = inflated;
  }
  const IdxHeader h = read_header(data, kind, name);
  if (data.size() < h.total_bytes)
    throw InputError(name, at_byte(data.size()),
                     "expected " + std::to_string(h.total_bytes) + " bytes as the IDX header promises, the data ends here");
  if (data.size() > h.total_bytes)
    throw InputError(name, at_byte(h.total_bytes),
                     "expected the end of the data as the IDX header promises, found " +
                         std::to_string(data.size() - h.total_bytes) + " extra bytes");
  return {h, data};
}

// ---- CSV --------------------------------------------------------------------------------

constexpr std::size_t kMaxCsvRows = 10'000'000;
constexpr std::size_t kMaxCsvColumns = 100'000;
constexpr std::size_t kMaxCsvCells = 100'000'000;
constexpr std::size_t kMaxCsvFileBytes = std::size_t{1} << 31;
constexpr int kMaxClasses = 100'000;

struct Cell {
  std::string_view text;  // without padding and quotes
  std::size_t column;     // 1-based byte column of the cell's first character
  bool quoted = false;
};

struct Line {
  std::string_view text;
  std::size_t number;  // 1-based
};

std::string line_col(std::size_t line, std::size_t column) {
  return std::to_string(line) + ":" + std::to_string(column);
}

// Splits `text` into lines (LF or CRLF), dropping a UTF-8 byte-order mark and trailing empty
// lines; empty lines elsewhere stay so that they are reported as ragged rows. The line count is
// bounded before the index is stored, so a file of newlines cannot exhaust memory.
std::vector<Line> split_lines(std::string_view text, const std::string& name) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Line> lines;
  std::size_t start = 0, number = 1;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lines.size() > kMaxCsvRows)  // one header row allowed on top
      throw InputError(name, line_col(number, 1), "expected at most " + std::to_string(kMaxCsvRows) + " rows");
    lines.push_back({line, number++});
    start = end + 1;
  }
  while (!lines.empty() && lines.back().text.empty()) lines.pop_back();
  return lines;
}

bool is_pad(char c) { return c == ' ' || c == '\t'; }

void split_cells(const Line& line, const std::string& name, std::vector<Cell>& cells) {
  cells.clear();
  const std::string_view s = line.text;
  std::size_t i = 0;
  for (;;) {
    while (i < s.size() && is_pad(s[i])) ++i;
    Cell cell{{}, i + 1};
    if (i < s.size() && s[i] == '"') {
      const std::size_t open = i++;
      while (i < s.size() && !(s[i] == '"' && (i + 1 >= s.size() || s[i + 1] != '"'))) i += s[i] == '"' ? 2 : 1;
      if (i >= s.size()) throw InputError(name, line_col(line.number, open + 1), "expected a closing quote");
      cell.text = s.substr(open + 1, i - open - 1);
      cell.quoted = true;
      ++i;
      while (i < s.size() && is_pad(s[i])) ++i;
      if (i < s.size() && s[i] != ',')
        throw InputError(name, line_col(line.number, i + 1), "expected a comma after the quoted cell");
    } else {
      const std::size_t end = std::min(s.find(',', i), s.size());
      std::size_t last = end;
      while (last > i && is_pad(s[last - 1])) --last;
      cell.text = s.substr(i, last - i);
      i = end;
    }
    cells.push_back(cell);
    if (cells.size() > kMaxCsvColumns)
      throw InputError(name, line_col(line.number, cell.column),
                       "expected at most " + std::to_string(kMaxCsvColumns) + " columns");
    if (i >= s.size()) return;
    ++i;  // the comma
  }
}

std::optional<double> to_number(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

double parse_number(const Cell& cell, std::size_t line, const std::string& name) {
  const auto v = to_number(cell.text);
  if (!v) {
    const std::string shown(cell.text.substr(0, 40));
    throw InputError(name, line_col(line, cell.column),
                     "expected a number, found " + (cell.text.empty() ? std::string("an empty cell") : "\"" + shown + "\""));
  }
  if (!std::isfinite(*v))
    throw InputError(name, line_col(line, cell.column),
                     "expected a finite number, found \"" + std::string(cell.text.substr(0, 40)) + "\"");
  return *v;
}

bool is_integer(double v) { return v == std::floor(v) && std::fabs(v) <= 9007199254740992.0; }  // 2^53

std::string unquote(const Cell& cell) {
  std::string s(cell.text);
  if (cell.quoted)
    for (std::size_t p = s.find("\"\""); p != std::string::npos; p = s.find("\"\"", p + 1)) s.erase(p, 1);
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Which columns hold what, resolved once from the header (or the first row's width).
struct Columns {
  std::vector<std::size_t> features;
  std::optional<std::size_t> label;
  std::vector<std::size_t> targets;
};

class ColumnResolver {
 public:
  ColumnResolver(std::vector<std::string> names, std::size_t width, const std::string& file)
      : names_(std::move(names)), width_(width), file_(file) {}

  std::optional<std::size_t> find_name(const std::string& want) const {
    std::optional<std::size_t> found;
    for (std::size_t c = 0; c < names_.size(); ++c)
      if (names_[c] == want) {
        if (found) throw InputError(file_, "line 1", "expected one column named \"" + want + "\", found several");
        found = c;
      }
    return found;
  }

  std::size_t resolve(const std::string& spec) const {
    if (!names_.empty())
      if (const auto c = find_name(spec)) return *c;
    if (!all_digits(spec))
      throw InputError(file_, "line 1",
                       names_.empty() ? "expected a 0-based column index (the file has no header), got \"" + spec + "\""
                                      : "expected a column named \"" + spec + "\" or a 0-based index");
    const std::size_t c = std::stoul(spec);
    if (c >= width_)
      throw InputError(file_, "line 1",
                       "expected a column index below " + std::to_string(width_) + ", got " + spec);
    return c;
  }

 private:
  std::vector<std::string> names_;
  std::size_t width_;
  std::string file_;
};

Columns resolve_columns(const CsvOptions& options, const std::vector<std::string>& names, std::size_t width,
                        const std::string& file) {
  const ColumnResolver resolver(names, width, file);
  Columns cols;
  for (const auto& t : options.targets) cols.targets.push_back(resolver.resolve(t));
  if (!options.label.empty()) {
    cols.label = resolver.resolve(options.label);
  } else if (options.targets.empty()) {
    const auto named = names.empty() ? std::nullopt : resolver.find_name("label");
    cols.label = named ? *named : 0;
  }
  std::vector<bool> used(width, false);
  auto claim = [&](std::size_t c) {
    if (used[c]) throw InputError(file, "line 1", "expected each column to be selected once, column " +
                                                       std::to_string(c) + " is selected twice");
    used[c] = true;
  };
  for (const auto c : cols.targets) claim(c);
  if (cols.label) claim(*cols.label);
  for (const auto& i : options.ignore) claim(resolver.resolve(i));
  if (options.features.empty()) {
    for (std::size_t c = 0; c < width; ++c)
      if (!used[c]) cols.features.push_back(c);
  } else {
    for (const auto& f : options.features) {
      cols.features.push_back(resolver.resolve(f));
      claim(cols.features.back());
    }
  }
  if (cols.features.empty()) throw InputError(file, "line 1", "expected at least one feature column");
  return cols;
}

// Values of the selected cells, sample-major so that each sample becomes one matrix column.
struct CsvValues {
  std::vector<double> features, targets;
  std::vector<int> labels;
  std::size_t rows = 0;
  bool all_integer = true;
  double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
};

int parse_label(const Cell& cell, std::size_t line, const std::string& name) {
  const double v = parse_number(cell, line, name);
  if (!is_integer(v) || v < 0 || v >= kMaxClasses)
    throw InputError(name, line_col(line, cell.column),
                     "expected an integer label in 0.." + std::to_string(kMaxClasses - 1) + ", found \"" +
                         std::string(cell.text.substr(0, 40)) + "\"");
  return static_cast<int>(v);
}

void read_row(const std::vector<Cell>& cells, std::size_t line, const Columns& cols, const std::string& name,
              CsvValues& out) {
  for (const auto c : cols.features) {
    const double v = parse_number(cells[c], line, name);
    out.all_integer = out.all_integer && is_integer(v);
    out.min = std::min(out.min, v);
    out.max = std::max(out.max, v);
    out.features.push_back(v);
  }
  for (const auto c : cols.targets) out.targets.push_back(parse_number(cells[c], line, name));
  if (cols.label) out.labels.push_back(parse_label(cells[*cols.label], line, name));
  ++out.rows;
}

Matrix to_matrix(const std::vector<double>& sample_major, std::size_t rows, std::size_t cols) {
  return Eigen::Map<const Matrix>(sample_major.data(), static_cast<Eigen::Index>(rows),
                                  static_cast<Eigen::Index>(cols));
}

double feature_scale(const CsvOptions& options, const CsvValues& v, const std::string& name) {
  if (options.scale != 0) {
    if (!(options.scale > 0) || !std::isfinite(options.scale))
      throw InputError(name, "options", "expected a positive finite scale, got " + std::to_string(options.scale));
    return options.scale;
  }
  return v.all_integer && v.min >= 0 && v.max <= 255 ? 255.0 : 1.0;
}

Dataset build_csv_dataset(CsvValues&& v, const Columns& cols, const CsvOptions& options, const std::string& name) {
  Dataset d;
  d.name = name;
  const Matrix values = to_matrix(v.features, cols.features.size(), v.rows);
  if (v.all_integer) d.raw = values.cast<std::int64_t>();
  d.X = values / feature_scale(options, v, name);
  if (!cols.targets.empty()) d.targets = to_matrix(v.targets, cols.targets.size(), v.rows);
  d.labels = std::move(v.labels);
  if (!d.labels.empty()) d.num_classes = *std::max_element(d.labels.begin(), d.labels.end()) + 1;
  return d;
}

// ---- dataset specs ----------------------------------------------------------------------

const char* const kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

Dataset load_fashion_mnist(const std::string& split_name) {
  if (split_name != "train" && split_name != "test")
    throw InputError("fashion-mnist", "split", "expected \"train\" or \"test\", got \"" + split_name + "\"");
  const std::string prefix = std::string(kFashionMnistDir) + "/" + (split_name == "train" ? "train" : "t10k");
  const std::string images = prefix + "-images-idx3-ubyte.gz", labels = prefix + "-labels-idx1-ubyte.gz";
  std::error_code ec;
  for (const auto& p : {images, labels})
    if (!std::filesystem::exists(p, ec))
      throw InputError(p, "open", "Fashion-MNIST is not installed; install the Debian package dataset-fashion-mnist");
  Dataset d = load_idx(images, labels);
  d.name = "fashion-mnist-" + split_name;
  return d;
}

bool ends_with_csv(const std::string& spec) {
  if (spec.size() < 4) return false;
  std::string ext = spec.substr(spec.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".csv";
}

void replace_first(std::string& s, const std::string& from, const std::string& to) {
  if (const auto p = s.find(from); p != std::string::npos) s.replace(p, from.size(), to);
}

std::string idx_labels_path(const std::string& images_path) {
  const std::filesystem::path p(images_path);
  std::string file = p.filename().string();
  if (file.find("images") == std::string::npos)
    throw InputError(images_path, "file name",
                     "expected fashion-mnist, a .csv file, or an IDX images file whose name contains \"images\"");
  replace_first(file, "images", "labels");
  replace_first(file, "idx3", "idx1");
  return (p.parent_path() / file).string();
}

}  // namespace

// ---- public API -------------------------------------------------------------------------

std::vector<std::int64_t> Dataset::raw_sample(std::size_t i) const {
  if (!raw) throw InputError(name, "sample " + std::to_string(i), "expected integer features, the dataset has none");
  if (i >= size()) throw InternalError("raw_sample(" + std::to_string(i) + ") past the end of " + name);
  const auto col = raw->col(static_cast<Eigen::Index>(i));
  return {col.data(), col.data() + col.size()};
}

Dataset parse_idx(const std::string& image_bytes, const std::string& label_bytes, const std::string& images_name,
                  const std::string& labels_name) {
  std::string images_inflated, labels_inflated;
  const auto [ih, images] = decode_idx(image_bytes, images_inflated, kImages, images_name);
  const auto [lh, labels] = decode_idx(label_bytes, labels_inflated, kLabels, labels_name);
  if (lh.dims[0] != ih.dims[0])
    throw InputError(labels_name, at_byte(4),
                     "expected " + std::to_string(ih.dims[0]) + " labels, one per image in " + images_name +
                         ", found " + std::to_string(lh.dims[0]));
  const auto n = static_cast<Eigen::Index>(ih.dims[0]);
  const auto f = static_cast<Eigen::Index>(std::uint64_t{ih.dims[1]} * ih.dims[2]);
  Dataset d;
  d.name = images_name;
  const auto* px = reinterpret_cast<const unsigned char*>(images.data() + ih.header_bytes);
  // The IDX payload is image-major with row-major pixels: exactly a column-major features x samples matrix.
  d.raw.emplace(Eigen::Map<const Eigen::Matrix<unsigned char, Eigen::Dynamic, Eigen::Dynamic>>(px, f, n).cast<std::int64_t>());
  d.X = d.raw->cast<double>() / 255.0;
  d.labels.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < d.labels.size(); ++i)
    d.labels[i] = static_cast<unsigned char>(labels[lh.header_bytes + i]);
  d.num_classes = *std::max_element(d.labels.begin(), d.labels.end()) + 1;
  return d;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  return parse_idx(read_file(images_path, kMaxIdxFileBytes), read_file(labels_path, kMaxIdxFileBytes), images_path,
                   labels_path);
}

bool csv_has_header(const std::string& text) {
  const auto lines = split_lines(std::string_view(text).substr(0, text.find('\n')), "");
  if (lines.empty()) return false;
  std::vector<Cell> cells;
  try {
    split_cells(lines.front(), "", cells);
  } catch (const InputError&) {
    return false;  // the real parse reports it with the right file name
  }
  return std::any_of(cells.begin(), cells.end(), [](const Cell& c) { return !to_number(c.text); });
}

Dataset parse_csv(const std::string& text, const CsvOptions& options, const std::string& name) {
  const auto lines = split_lines(text, name);
  const std::size_t first_data = options.header ? 1 : 0;
  if (lines.size() <= first_data)
    throw InputError(name, line_col(lines.size() + 1, 1),
                     lines.empty() ? "expected at least one data row, the file is empty"
                                   : "expected at least one data row after the header");
  if (lines.size() - first_data > kMaxCsvRows)
    throw InputError(name, line_col(first_data + kMaxCsvRows + 1, 1),
                     "expected at most " + std::to_string(kMaxCsvRows) + " rows");
  std::vector<Cell> cells;
  split_cells(lines.front(), name, cells);
  const std::size_t width = cells.size();
  std::vector<std::string> names;
  if (options.header)
    for (const auto& c : cells) names.push_back(unquote(c));
  const Columns cols = resolve_columns(options, names, width, name);
  const std::size_t per_row = cols.features.size() + cols.targets.size() + (cols.label ? 1 : 0);
  if (per_row * (lines.size() - first_data) > kMaxCsvCells)
    throw InputError(name, line_col(1, 1), "expected at most " + std::to_string(kMaxCsvCells) + " selected cells");
  CsvValues values;
  values.features.reserve(cols.features.size() * (lines.size() - first_data));
  for (std::size_t r = first_data; r < lines.size(); ++r) {
    split_cells(lines[r], name, cells);
    if (cells.size() != width)
      throw InputError(name, line_col(lines[r].number, lines[r].text.size() + 1),
                       "expected " + std::to_string(width) + " cells as in line 1, found " + std::to_string(cells.size()));
    read_row(cells, lines[r].number, cols, name, values);
  }
  return build_csv_dataset(std::move(values), cols, options, name);
}

Dataset load_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(read_file(path, kMaxCsvFileBytes), options, path);
}

Dataset load_dataset(const std::string& spec, const std::string& split_name) {
  if (spec == "fashion-mnist") return load_fashion_mnist(split_name);
  if (spec == "fashion-mnist-train") return load_fashion_mnist("train");
  if (spec == "fashion-mnist-test") return load_fashion_mnist("test");
  if (ends_with_csv(spec)) {
    const std::string text = read_file(spec, kMaxCsvFileBytes);
    CsvOptions options;
    options.header = csv_has_header(text);
    return parse_csv(text, options, spec);
  }
  const std::string labels = idx_labels_path(spec);
  if (!std::filesystem::exists(spec)) throw InputError(spec, "open", "no such file");
  if (!std::filesystem::exists(labels))
    throw InputError(labels, "open", "no such file; expected the labels beside the IDX images " + spec);
  return load_idx(spec, labels);
}

Dataset subset(const Dataset& data, std::size_t first, std::size_t last) {
  if (first > last || last >= data.size())
    throw InputError(data.name, "samples " + std::to_string(first) + ":" + std::to_string(last),
                     "expected a non-empty range within 0:" +
                         (data.size() ? std::to_string(data.size() - 1) : std::string("(empty dataset)")));
  std::vector<std::size_t> idx(last - first + 1);
  std::iota(idx.begin(), idx.end(), first);
  return select(data, idx);
}

Dataset select(const Dataset& data, const std::vector<std::size_t>& idx) {
  Dataset out;
  out.name = data.name;
  out.num_classes = data.num_classes;
  out.integer_features = data.integer_features;
  for (const std::size_t i : idx)
    if (i >= data.size()) throw InternalError("select: sample " + std::to_string(i) + " past the end of " + data.name);
  const auto n = static_cast<Eigen::Index>(idx.size());
  out.X.resize(data.X.rows(), n);
  if (data.targets.size() > 0) out.targets.resize(data.targets.rows(), n);
  if (data.raw) out.raw.emplace(data.raw->rows(), n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const auto i = static_cast<Eigen::Index>(idx[static_cast<std::size_t>(k)]);
    out.X.col(k) = data.X.col(i);
    if (data.targets.size() > 0) out.targets.col(k) = data.targets.col(i);
    if (data.raw) out.raw->col(k) = data.raw->col(i);
    if (!data.labels.empty()) out.labels.push_back(data.labels[static_cast<std::size_t>(i)]);
  }
  return out;
}

// std::shuffle and uniform_int_distribution differ between standard libraries; a fixed
// Fisher-Yates over raw mt19937_64 output keeps a seed's split identical everywhere.
std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  for (std::size_t i = n; i > 1; --i) {
    const std::uint64_t bound = i;
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t r;
    do r = rng();
    while (r >= limit);  // rejection keeps every position equally likely
    std::swap(idx[i - 1], idx[static_cast<std::size_t>(r % bound)]);
  }
  return idx;
}

std::pair<Dataset, Dataset> split(const Dataset& data, double validation_fraction, std::uint64_t seed) {
  if (!(validation_fraction >= 0 && validation_fraction < 1))
    throw InputError(data.name, "validation fraction",
                     "expected a fraction in [0, 1), got " + std::to_string(validation_fraction));
  const std::size_t n = data.size();
  const auto n_val = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(n)));
  if (n_val >= n)
    throw InputError(data.name, "validation fraction",
                     "expected some training samples left, " + std::to_string(n) + " samples in all");
  auto idx = shuffled_indices(n, seed);
  std::vector<std::size_t> val(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_val));
  std::vector<std::size_t> train(idx.begin() + static_cast<std::ptrdiff_t>(n_val), idx.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
  return {select(data, train), select(data, val)};
}

}  // namespace nncert
