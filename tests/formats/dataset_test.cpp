// Datasets: IDX (raw and gzip) and CSV round trips against hand-built files, the real
// Fashion-MNIST and MNIST sample, deterministic splits, and every kind of bad input giving an
// InputError that names the file and the position.
#include "formats/dataset.hpp"

#include "certifier/core/error.hpp"
#include "tests/test_support.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <functional>
#include <set>

namespace nncert {
namespace {

using test::TempDir;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, const std::string& pixels) {
  return be32(0x803) + be32(n) + be32(rows) + be32(cols) + pixels;
}

std::string idx_labels(const std::string& labels) {
  return be32(0x801) + be32(static_cast<std::uint32_t>(labels.size())) + labels;
}

std::string gzip(const std::string& bytes) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(bytes.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string write(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

// Three 2x3 images whose pixel value encodes (image, row, column), labels 4, 0, 9.
const std::string kPixels = [] {
  std::string p;
  for (int i = 0; i < 3; ++i)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c) p.push_back(static_cast<char>(100 * i + 10 * r + c));
  return p;
}();
const std::string kImages = idx_images(3, 2, 3, kPixels);
const std::string kLabels = idx_labels(std::string("\x04\x00\x09", 3));

// Runs `f`, expecting an InputError whose message holds the file name and each of `parts`.
void expect_input_error(const std::function<void()>& f, const std::string& file, std::vector<std::string> parts = {}) {
  try {
    f();
    ADD_FAILURE() << "expected an InputError naming " << file;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

void check_small_idx(const Dataset& d) {
  ASSERT_EQ(d.size(), 3u);
  ASSERT_EQ(d.features(), 6u);
  ASSERT_TRUE(d.raw.has_value());
  EXPECT_EQ(d.labels, (std::vector<int>{4, 0, 9}));
  EXPECT_EQ(d.num_classes, 10);
  for (int i = 0; i < 3; ++i)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c) {
        const std::int64_t v = 100 * i + 10 * r + c;
        EXPECT_EQ((*d.raw)(3 * r + c, i), v);
        EXPECT_DOUBLE_EQ(d.X(3 * r + c, i), static_cast<double>(v) / 255.0);
      }
  EXPECT_EQ(d.raw_sample(2), (std::vector<std::int64_t>{200, 201, 202, 210, 211, 212}));
}

TEST(Idx, RawRoundTrip) {
  TempDir tmp;
  check_small_idx(load_idx(write(tmp / "a-images", kImages), write(tmp / "a-labels", kLabels)));
}

TEST(Idx, GzipRoundTripMixedWithRaw) {
  TempDir tmp;
  check_small_idx(load_idx(write(tmp / "i.gz", gzip(kImages)), write(tmp / "l.gz", gzip(kLabels))));
  check_small_idx(load_idx(write(tmp / "i2.gz", gzip(kImages)), write(tmp / "l2", kLabels)));
}

TEST(Idx, ConcatenatedGzipMembersAreOneFile) {
  const std::string half = kImages.substr(0, 20);
  check_small_idx(parse_idx(gzip(half) + gzip(kImages.substr(20)), kLabels, "i", "l"));
}

TEST(Idx, LoadDatasetFindsLabelsBesideImages) {
  TempDir tmp;
  const auto images = write(tmp / "tiny-images-idx3-ubyte.gz", gzip(kImages));
  write(tmp / "tiny-labels-idx1-ubyte.gz", gzip(kLabels));
  const Dataset d = load_dataset(images);
  check_small_idx(d);
  EXPECT_EQ(d.name, images);
}

TEST(Idx, LoadDatasetNamesMissingLabels) {
  TempDir tmp;
  const auto images = write(tmp / "x-images-idx3-ubyte", kImages);
  expect_input_error([&] { load_dataset(images); }, (tmp / "x-labels-idx1-ubyte").string(), {"no such file"});
  const auto absent = (tmp / "absent-images-idx3-ubyte").string();
  expect_input_error([&] { load_dataset(absent); }, absent, {"no such file"});
  const auto other = write(tmp / "pixels.bin", kImages);
  expect_input_error([&] { load_dataset(other); }, other, {"images"});
}

TEST(Idx, EveryTruncationIsAnInputError) {
  const std::string gz = gzip(kImages);
  for (std::size_t n = 0; n < kImages.size(); ++n)
    expect_input_error([&] { parse_idx(kImages.substr(0, n), kLabels, "img.idx", "lab.idx"); }, "img.idx");
  for (std::size_t n = 0; n < gz.size(); ++n)
    expect_input_error([&] { parse_idx(gz.substr(0, n), kLabels, "img.gz", "lab.idx"); }, "img.gz");
  for (std::size_t n = 0; n < kLabels.size(); ++n)
    expect_input_error([&] { parse_idx(kImages, kLabels.substr(0, n), "img.idx", "lab.idx"); }, "lab.idx");
}

TEST(Idx, TrailingBytesAreAnInputError) {
  expect_input_error([&] { parse_idx(kImages + "x", kLabels, "img", "lab"); }, "img", {"byte 34", "extra"});
  expect_input_error([&] { parse_idx(gzip(kImages + "xy"), kLabels, "img", "lab"); }, "img");
}

TEST(Idx, WrongMagic) {
  expect_input_error([&] { parse_idx(kLabels, kLabels, "img", "lab"); }, "img", {"byte 0", "0x00000803", "0x00000801"});
  expect_input_error([&] { parse_idx(kImages, kImages, "img", "lab"); }, "lab", {"byte 0", "0x00000801"});
  std::string floats = kImages;
  floats[2] = 0x0D;  // IDX type code for float32
  expect_input_error([&] { parse_idx(floats, kLabels, "img", "lab"); }, "img", {"byte 0"});
  expect_input_error([&] { parse_idx(gzip(kLabels), kLabels, "img.gz", "lab"); }, "img.gz", {"byte 0"});
}

TEST(Idx, HugeClaimedCountIsAnInputErrorNotBadAlloc) {
  const std::string claim = idx_images(0x80000000u, 28, 28, std::string(84, '\0'));
  ASSERT_EQ(claim.size(), 100u);
  TempDir tmp;
  const auto path = write(tmp / "huge-images", claim);
  const auto labels = write(tmp / "huge-labels", kLabels);
  expect_input_error([&] { load_idx(path, labels); }, path, {"byte 4"});
  expect_input_error([&] { parse_idx(gzip(claim), kLabels, "h.gz", "l"); }, "h.gz");
  // Under the size limit but still far past the data: reported as truncation.
  expect_input_error([&] { parse_idx(idx_images(1000, 28, 28, "abc"), kLabels, "t", "l"); }, "t",
                     {"byte 19", "784016"});
  expect_input_error([&] { parse_idx(idx_images(0, 28, 28, ""), kLabels, "z", "l"); }, "z", {"byte 4"});
}

TEST(Idx, CountMismatch) {
  expect_input_error([&] { parse_idx(kImages, idx_labels("\x01\x02"), "img", "lab"); }, "lab",
                     {"byte 4", "expected 3 labels", "found 2"});
}

TEST(Idx, GzipGarbage) {
  std::string garbage = "\x1f\x8b";
  for (int k = 0; k < 200; ++k) garbage.push_back(static_cast<char>(k * 37 + 11));
  expect_input_error([&] { parse_idx(garbage, kLabels, "g.gz", "l"); }, "g.gz", {"gzip byte"});
  std::string flipped = gzip(kImages);
  for (std::size_t k = 12; k < flipped.size() - 8; ++k) flipped[k] = static_cast<char>(flipped[k] ^ 0x5a);
  expect_input_error([&] { parse_idx(flipped, kLabels, "f.gz", "l"); }, "f.gz");
  expect_input_error([&] { parse_idx(gzip(kImages) + "junk!", kLabels, "j.gz", "l"); }, "j.gz", {"gzip byte"});
}

TEST(Idx, GzipBombStopsAtThePromisedSize) {
  // The header promises one 2x2 image; the stream inflates to 64 MiB of zeros (~64 KiB gzip).
  const std::string bomb = gzip(idx_images(1, 2, 2, "") + std::string(std::size_t{64} << 20, '\0'));
  try {
    parse_idx(bomb, kLabels, "bomb.gz", "l");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bomb.gz: gzip byte "), std::string::npos) << msg;
    EXPECT_NE(msg.find("20 bytes the IDX header promises"), std::string::npos) << msg;
    // The reported input offset shows inflation stopped near the start, not at the end.
    const auto consumed = std::stoul(msg.substr(msg.find("gzip byte ") + 10));
    EXPECT_LT(consumed, bomb.size() / 10) << msg;
  }
}

TEST(Idx, MissingFile) {
  TempDir tmp;
  const auto labels = write(tmp / "l", kLabels);
  const auto missing = (tmp / "nope-images").string();
  expect_input_error([&] { load_idx(missing, labels); }, missing, {"no such file"});
}

TEST(FashionMnist, LoadsBothSplits) {
  NNCERT_REQUIRE_FASHION_MNIST();
  const Dataset test = load_dataset("fashion-mnist", "test");
  ASSERT_EQ(test.size(), 10000u);
  ASSERT_EQ(test.features(), 784u);
  EXPECT_EQ(test.num_classes, 10);
  EXPECT_EQ(test.name, "fashion-mnist-test");
  std::vector<int> counts(10, 0);
  for (const int l : test.labels) ++counts[static_cast<std::size_t>(l)];
  EXPECT_EQ(counts, std::vector<int>(10, 1000));
  ASSERT_TRUE(test.raw.has_value());
  EXPECT_EQ(test.raw->maxCoeff(), 255);
  EXPECT_EQ(test.raw->minCoeff(), 0);
  EXPECT_DOUBLE_EQ(test.X.maxCoeff(), 1.0);
  const Dataset train = load_dataset("fashion-mnist-train");
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(train.features(), 784u);
  expect_input_error([] { load_dataset("fashion-mnist", "validation"); }, "fashion-mnist", {"split"});
}

TEST(Csv, SharedMnistSample) {
  NNCERT_REQUIRE_SHARED_DATA("mnist");
  const auto path = (test::shared_data() / "mnist" / "mnist_test_100.csv").string();
  const Dataset d = load_dataset(path);
  ASSERT_EQ(d.size(), 100u);
  ASSERT_EQ(d.features(), 784u);
  EXPECT_EQ(d.labels.front(), 7);
  EXPECT_EQ(d.num_classes, 10);
  ASSERT_TRUE(d.raw.has_value());
  EXPECT_LE(d.raw->maxCoeff(), 255);
  EXPECT_LE(d.X.maxCoeff(), 1.0);
  for (Eigen::Index k = 0; k < d.X.rows(); ++k)
    EXPECT_NEAR(d.X(k, 0) * 255.0, static_cast<double>((*d.raw)(k, 0)), 1e-9);
}

TEST(Csv, HeaderlessLabelFirst) {
  const Dataset d = parse_csv("3,0,255,7\n1,10,20,30\r\n\n\n", {}, "t.csv");
  ASSERT_EQ(d.size(), 2u);
  ASSERT_EQ(d.features(), 3u);
  EXPECT_EQ(d.labels, (std::vector<int>{3, 1}));
  EXPECT_EQ(d.num_classes, 4);
  EXPECT_DOUBLE_EQ(d.X(1, 0), 1.0);
  EXPECT_EQ(d.raw_sample(1), (std::vector<std::int64_t>{10, 20, 30}));
  EXPECT_TRUE(d.targets.size() == 0);
}

TEST(Csv, HeaderWithNamedAndIndexedColumns) {
  const std::string text = "\xEF\xBB\xBF" "a, \"b \"\"x\"\"\",label,c\n0.5,9,2,-1.5\n1.25,8,0,2\n";
  CsvOptions o;
  o.header = true;
  o.features = {"c", "a"};
  const Dataset d = parse_csv(text, o, "h.csv");  // the label defaults to the column named "label"
  ASSERT_EQ(d.size(), 2u);
  ASSERT_EQ(d.features(), 2u);
  EXPECT_EQ(d.labels, (std::vector<int>{2, 0}));
  EXPECT_FALSE(d.raw.has_value());  // fractions: no integer view, and scale 1
  EXPECT_DOUBLE_EQ(d.X(0, 0), -1.5);
  EXPECT_DOUBLE_EQ(d.X(1, 1), 1.25);

  o.features = {"b \"x\""};  // a quoted header name, unescaped
  o.label = "c";
  o.scale = 4;
  const Dataset e = parse_csv("x,y,label,c\n1,2,3,4\n", {true, {}, "", {}, 0, {}}, "h2.csv");
  EXPECT_EQ(e.labels, (std::vector<int>{3}));
  EXPECT_EQ(e.features(), 3u);
  expect_input_error([&] { parse_csv(text, o, "h.csv"); }, "h.csv", {"2:9", "label"});  // -1.5 is no label
  o.label = "2";  // an index, since no column has that name
  const Dataset f = parse_csv(text, o, "h.csv");
  EXPECT_EQ(f.labels, (std::vector<int>{2, 0}));
  EXPECT_DOUBLE_EQ(f.X(0, 0), 9.0 / 4);
  EXPECT_TRUE(f.raw.has_value());
}

TEST(Csv, RegressionTargets) {
  CsvOptions o;
  o.header = true;
  o.targets = {"y1", "y2"};
  const Dataset d = parse_csv("x1,y1,x2,y2\n1,0.5,2,-3\n4,1e3,5,6\n7,8,9,10\n", o, "r.csv");
  ASSERT_EQ(d.size(), 3u);
  ASSERT_EQ(d.features(), 2u);
  EXPECT_TRUE(d.labels.empty());
  EXPECT_EQ(d.num_classes, 0);
  ASSERT_EQ(d.targets.rows(), 2);
  ASSERT_EQ(d.targets.cols(), 3);
  EXPECT_DOUBLE_EQ(d.targets(0, 1), 1000.0);
  EXPECT_DOUBLE_EQ(d.targets(1, 0), -3.0);
  EXPECT_DOUBLE_EQ(d.X(1, 2), 9.0 / 255.0);  // integer features in 0..255 scale by 255
  const Dataset sub = subset(d, 1, 2);
  EXPECT_DOUBLE_EQ(sub.targets(0, 0), 1000.0);
}

TEST(Csv, LoadDatasetDetectsHeader) {
  TempDir tmp;
  const auto with = write(tmp / "with.csv", "label,p0,p1\n1,0,255\n0,3,4\n");
  const auto without = write(tmp / "without.CSV", "1,0,255\n0,3,4\n");
  for (const auto& p : {with, without}) {
    const Dataset d = load_dataset(p);
    ASSERT_EQ(d.size(), 2u) << p;
    EXPECT_EQ(d.labels, (std::vector<int>{1, 0})) << p;
    EXPECT_DOUBLE_EQ(d.X(1, 0), 1.0) << p;
  }
  EXPECT_TRUE(csv_has_header("a,1\n"));
  EXPECT_FALSE(csv_has_header("1, 2.5e3 ,\"3\"\n"));
}

TEST(Csv, BadInputNamesLineAndColumn) {
  const std::string f = "bad.csv";
  expect_input_error([&] { parse_csv("1,2,3\n4,5\n", {}, f); }, f, {"2:4", "expected 3 cells"});
  expect_input_error([&] { parse_csv("1,2,3\n4,5,6,7\n", {}, f); }, f, {"2:8"});
  expect_input_error([&] { parse_csv("1,2,3\n\n4,5,6\n", {}, f); }, f, {"2:1"});
  expect_input_error([&] { parse_csv("1,2,3\n4,nan,6\n", {}, f); }, f, {"2:3", "finite"});
  expect_input_error([&] { parse_csv("1,2,3\n4,5,-inf\n", {}, f); }, f, {"2:5", "finite"});
  expect_input_error([&] { parse_csv("1,2,3\n4,5,6\n7,8,x9\n", {}, f); }, f, {"3:5", "\"x9\""});
  expect_input_error([&] { parse_csv("1,2,3\n4, ,6\n", {}, f); }, f, {"2:4", "empty cell"});
  expect_input_error([&] { parse_csv("1,+2,3\n", {}, f); }, f, {"1:3"});
  expect_input_error([&] { parse_csv("1,2,3\n4,5,1e999\n", {}, f); }, f, {"2:5"});
  expect_input_error([&] { parse_csv("1,2,\"3\n", {}, f); }, f, {"1:5", "quote"});
  expect_input_error([&] { parse_csv("", {}, f); }, f, {"1:1", "empty"});
  expect_input_error([&] { parse_csv("\n\n", {}, f); }, f, {"empty"});
  expect_input_error([&] { parse_csv("a,b\n", {true, {}, "", {}, 0, {}}, f); }, f, {"2:1", "after the header"});
  expect_input_error([&] { parse_csv("-1,2\n", {}, f); }, f, {"1:1", "label"});
  expect_input_error([&] { parse_csv("1.5,2\n", {}, f); }, f, {"1:1", "label"});
  expect_input_error([&] { parse_csv("1\n", {}, f); }, f, {"feature"});
  expect_input_error([&] { parse_csv("a,b\n1,2\n", {true, {"zz"}, "", {}, 0, {}}, f); }, f, {"line 1", "\"zz\""});
  expect_input_error([&] { parse_csv("1,2\n", {false, {"b"}, "", {}, 0, {}}, f); }, f, {"index"});
  expect_input_error([&] { parse_csv("1,2\n", {false, {"5"}, "", {}, 0, {}}, f); }, f, {"below 2"});
  expect_input_error([&] { parse_csv("1,2\n", {false, {"0"}, "", {}, 0, {}}, f); }, f, {"twice"});
  expect_input_error([&] { parse_csv("1,2\n", {false, {}, "", {}, -1, {}}, f); }, f, {"scale"});
  TempDir tmp;
  const auto missing = (tmp / "missing.csv").string();
  expect_input_error([&] { load_csv(missing, {}); }, missing, {"no such file"});
  expect_input_error([&] { load_dataset(missing); }, missing, {"no such file"});
  const auto empty = write(tmp / "empty.csv", "");
  expect_input_error([&] { load_dataset(empty); }, empty, {"empty"});
}

Dataset numbered(std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += std::to_string(i % 3) + "," + std::to_string(i) + "\n";
  return parse_csv(text, {}, "n.csv");
}

std::vector<int> ids(const Dataset& d) {
  std::vector<int> v;
  for (std::size_t i = 0; i < d.size(); ++i) v.push_back(static_cast<int>(d.raw_sample(i)[0]));
  return v;
}

TEST(Split, DeterministicBySeedAndDisjoint) {
  const Dataset d = numbered(1000);
  const auto [train, val] = split(d, 0.2, 42);
  ASSERT_EQ(val.size(), 200u);
  ASSERT_EQ(train.size(), 800u);
  std::set<int> all;
  for (const int i : ids(train)) all.insert(i);
  for (const int i : ids(val)) EXPECT_TRUE(all.insert(i).second) << "sample " << i << " in both parts";
  EXPECT_EQ(all.size(), 1000u);
  for (std::size_t k = 0; k < val.size(); ++k)  // labels and features stay together
    EXPECT_EQ(val.labels[k], ids(val)[k] % 3);
  const auto [train2, val2] = split(d, 0.2, 42);
  EXPECT_EQ(ids(val2), ids(val));
  EXPECT_EQ(ids(train2), ids(train));
  EXPECT_NE(ids(split(d, 0.2, 43).second), ids(val));
  EXPECT_EQ(split(d, 0.0, 1).second.size(), 0u);
  expect_input_error([&] { split(d, 1.0, 1); }, "n.csv", {"fraction"});
  expect_input_error([&] { split(d, -0.1, 1); }, "n.csv", {"fraction"});
}

TEST(Split, SeedIsPortable) {
  // Pinned so that a standard library change cannot silently move samples between parts.
  EXPECT_EQ(ids(split(numbered(20), 0.25, 7).second), (std::vector<int>{2, 4, 12, 14, 18}));
}

TEST(Subset, InclusiveRangeAndErrors) {
  const Dataset d = numbered(10);
  const Dataset s = subset(d, 3, 5);
  EXPECT_EQ(ids(s), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(s.labels, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(s.num_classes, 3);
  EXPECT_EQ(subset(d, 9, 9).size(), 1u);
  expect_input_error([&] { subset(d, 5, 4); }, "n.csv", {"5:4"});
  expect_input_error([&] { subset(d, 0, 10); }, "n.csv", {"0:9"});
}

TEST(Dataset, RawSampleNeedsIntegerFeatures) {
  const Dataset d = parse_csv("1,0.5\n", {}, "f.csv");
  EXPECT_FALSE(d.raw.has_value());
  expect_input_error([&] { (void)d.raw_sample(0); }, "f.csv", {"integer"});
  EXPECT_THROW((void)numbered(2).raw_sample(2), InternalError);
}

}  // namespace
}  // namespace nncert
