// Tests of the log format: log::Writer, log::Reader and the byte layout of docs/format.md (Part II).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "testutil.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace strata::log {
namespace {

constexpr uint64_t kFileNumber = 7;
constexpr char kFileName[] = "000007.log";
constexpr size_t kFirstRecordStart = kHeaderSize + kFileHeaderSize;  // after the file header

// A WritableFile that keeps its contents in a string and can fail one Append.
class StringFile final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    appends_++;
    if (appends_ == fail_append_number_) return Status::IOError("StringFile", "injected failure");
    contents_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents_.size(); }

  const std::string& contents() const { return contents_; }
  int appends() const { return appends_; }
  // Makes the n-th Append (counting from 1) fail.
  void FailAppendNumber(int n) { fail_append_number_ = n; }

 private:
  std::string contents_;
  int appends_ = 0;
  int fail_append_number_ = -1;
};

// A SequentialFile over a string. Returns views into the string (zero_copy) or copies into the
// caller's scratch, and can fail reads from a given offset on.
class StringSource final : public SequentialFile {
 public:
  StringSource(std::string_view data, bool zero_copy) : data_(data), zero_copy_(zero_copy) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    if (pos_ >= fail_from_offset_) return Status::IOError("StringSource", "injected read error");
    const size_t k = std::min(n, data_.size() - pos_);
    if (zero_copy_) {
      *result = data_.substr(pos_, k);
    } else {
      std::memcpy(scratch, data_.data() + pos_, k);
      *result = std::string_view(scratch, k);
    }
    pos_ += k;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
    return Status::OK();
  }
  void FailReadsFrom(size_t offset) { fail_from_offset_ = offset; }

 private:
  std::string_view data_;
  const bool zero_copy_;
  size_t pos_ = 0;
  size_t fail_from_offset_ = std::numeric_limits<size_t>::max();
};

// A log as written, with the extent of each record.
struct WrittenLog {
  std::string contents;
  std::vector<uint64_t> starts;  // offset of each record's first (or only) fragment
  std::vector<uint64_t> ends;    // offset just past each record's last fragment
};

// Where the writer puts the first fragment of a record that follows a record ending at end.
uint64_t NextRecordStart(uint64_t end) {
  const uint64_t leftover = kBlockSize - end % kBlockSize;
  return leftover < static_cast<uint64_t>(kHeaderSize) ? end + leftover : end;
}

WrittenLog WriteLog(const std::vector<std::string>& records, LogKind kind = LogKind::kWal) {
  StringFile file;
  Writer writer(&file, kind, kFileNumber);
  WrittenLog log;
  uint64_t end = kFirstRecordStart;
  for (const std::string& r : records) {
    log.starts.push_back(NextRecordStart(end));
    EXPECT_OK(writer.AddRecord(r));
    end = writer.FileSize();
    log.ends.push_back(end);
  }
  log.contents = file.contents();
  return log;
}

struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> ends;  // LastRecordEndOffset after each record
  Status status;
  bool torn = false;
  uint64_t last_end = 0;
};

ReadResult ReadLog(std::string_view contents, bool zero_copy = true, LogKind kind = LogKind::kWal,
                   uint64_t number = kFileNumber) {
  StringSource source(contents, zero_copy);
  Reader reader(&source, kFileName, kind, number);
  ReadResult result;
  std::string_view record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    result.records.emplace_back(record);
    result.ends.push_back(reader.LastRecordEndOffset());
  }
  // Once finished, a reader stays finished with the same outcome.
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  result.status = reader.status();
  result.torn = reader.tail_is_torn();
  result.last_end = reader.LastRecordEndOffset();
  return result;
}

// The offset named by a reader's Corruption status ("... at offset N ...").
uint64_t OffsetIn(const Status& s) {
  const std::string_view msg = s.message();
  const size_t at = msg.find("at offset ");
  if (at == std::string_view::npos) return std::numeric_limits<uint64_t>::max();
  return std::stoull(std::string(msg.substr(at + 10)));
}

std::vector<std::string> Prefix(const std::vector<std::string>& v, size_t n) {
  return std::vector<std::string>(v.begin(), v.begin() + static_cast<ptrdiff_t>(n));
}

// A physical record built independently of the writer, straight from the format spec.
std::string Physical(RecordType type, std::string_view payload) {
  std::string covered(1, static_cast<char>(type));
  covered.append(payload);
  std::string r;
  PutFixed32(&r, Checksum32(covered, kChecksumSeed));
  r.push_back(static_cast<char>(payload.size() & 0xff));
  r.push_back(static_cast<char>(payload.size() >> 8));
  r.append(covered);
  return r;
}

std::string HeaderPayload(LogKind kind = LogKind::kWal, uint64_t number = kFileNumber,
                          uint32_t version = kFormatVersion) {
  std::string h(kFileMagic, sizeof(kFileMagic));
  PutFixed32(&h, version);
  h.push_back(static_cast<char>(kind));
  PutFixed64(&h, number);
  return h;
}

std::string HeaderRecord() { return Physical(kFullType, HeaderPayload()); }

std::vector<std::string> PrintableRecords(Random* rnd, size_t count, size_t max_len) {
  std::vector<std::string> records;
  for (size_t i = 0; i < count; i++) {
    records.push_back(test::RandomString(rnd, rnd->Uniform(max_len + 1)));
  }
  return records;
}

void ExpectRoundTrip(const std::vector<std::string>& records, bool zero_copy = true) {
  const WrittenLog log = WriteLog(records);
  const ReadResult r = ReadLog(log.contents, zero_copy);
  ASSERT_OK(r.status);
  EXPECT_FALSE(r.torn);
  ASSERT_EQ(records.size(), r.records.size());
  for (size_t i = 0; i < records.size(); i++) {
    ASSERT_EQ(records[i], r.records[i]) << "record " << i;
    ASSERT_EQ(log.ends[i], r.ends[i]) << "record " << i;
  }
}

// One physical record as found by a walk over the blocks that trusts the writer.
struct Fragment {
  uint64_t offset;
  RecordType type;
  size_t length;
};

std::vector<Fragment> Fragments(std::string_view contents) {
  std::vector<Fragment> result;
  size_t pos = 0;
  while (pos < contents.size()) {
    const size_t leftover = kBlockSize - pos % kBlockSize;
    if (leftover < static_cast<size_t>(kHeaderSize)) {
      EXPECT_EQ(std::string(leftover, '\0'), std::string(contents.substr(pos, leftover)));
      pos += leftover;
      continue;
    }
    const size_t length = static_cast<uint8_t>(contents[pos + 4]) |
                          (size_t{static_cast<uint8_t>(contents[pos + 5])} << 8);
    const auto type = static_cast<RecordType>(contents[pos + 6]);
    EXPECT_EQ(DecodeFixed32(contents.data() + pos),
              Checksum32(contents.substr(pos + 6, 1 + length), kChecksumSeed));
    result.push_back({pos, type, length});
    pos += kHeaderSize + length;
  }
  return result;
}

TEST(LogTest, EmptyFileIsACleanEmptyLog) {
  const ReadResult r = ReadLog("");
  EXPECT_OK(r.status);
  EXPECT_FALSE(r.torn);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(0u, r.last_end);
}

TEST(LogTest, HeaderOnlyIsACleanEmptyLog) {
  const ReadResult r = ReadLog(HeaderRecord());
  EXPECT_OK(r.status);
  EXPECT_FALSE(r.torn);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(kFirstRecordStart, r.last_end);
}

// The worked example of docs/format.md (Part II): a WAL numbered 7 holding the record "hello".
TEST(LogTest, WorkedExampleMatchesSpec) {
  StringFile file;
  Writer writer(&file, LogKind::kWal, kFileNumber);
  ASSERT_OK(writer.AddRecord("hello"));
  constexpr char kExpected[] =
      "\x3b\x4b\x01\xe5\x15\x00\x01"
      "STRATALG\x01\x00\x00\x00\x01\x07\x00\x00\x00\x00\x00\x00\x00"
      "\x32\xa1\x86\x98\x05\x00\x01"
      "hello";
  ASSERT_EQ(std::string(kExpected, sizeof(kExpected) - 1), file.contents());
  EXPECT_EQ(HeaderRecord() + Physical(kFullType, "hello"), file.contents());
  EXPECT_EQ(1, file.appends());  // the header goes out with the first record
}

// The MANIFEST example of docs/format.md (Part II): MANIFEST-000003 holding one 73-byte edit.
TEST(LogTest, ManifestWorkedExampleMatchesSpec) {
  constexpr char kEdit[] =
      "\x01\x19strata.BytewiseComparator\x02\x0c\x03\x0f\x04\xe8\x07\x06\x01\x09"
      "\x07\x00\x0e\x80\x20\x0d"
      "apple\x01\x05\x00\x00\x00\x00\x00\x00\x0d"
      "melon\x00\x84\x03\x00\x00\x00\x00\x00\x05\x84\x07";
  const std::string edit(kEdit, sizeof(kEdit) - 1);
  ASSERT_EQ(73u, edit.size());
  StringFile file;
  Writer writer(&file, LogKind::kManifest, 3);
  ASSERT_OK(writer.AddRecord(edit));
  constexpr char kHeaders[] =
      "\x00\x43\x23\x5c\x15\x00\x01"
      "STRATALG\x01\x00\x00\x00\x02\x03\x00\x00\x00\x00\x00\x00\x00"
      "\x18\x8e\x0a\xa6\x49\x00\x01";
  EXPECT_EQ(std::string(kHeaders, sizeof(kHeaders) - 1) + edit, file.contents());
}

TEST(LogTest, EmptyRecords) {
  ExpectRoundTrip({""});
  ExpectRoundTrip({"", "", "a", "", std::string(100000, 'x'), ""});
  const WrittenLog log = WriteLog({""});
  EXPECT_EQ(kFirstRecordStart + kHeaderSize, log.contents.size());
}

TEST(LogTest, ManySmallRecordsWithEndOffsets) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records;
  for (int i = 0; i < 20000; i++) records.push_back(test::RandomBytes(&rnd, rnd.Uniform(40)));
  ExpectRoundTrip(records, /*zero_copy=*/true);
  ExpectRoundTrip(records, /*zero_copy=*/false);
}

TEST(LogTest, OneAppendPerSmallRecord) {
  StringFile file;
  Writer writer(&file, LogKind::kWal, kFileNumber);
  for (int i = 1; i <= 5000; i++) {
    ASSERT_OK(writer.AddRecord(std::string(100, 'v')));  // some of these cross a block boundary
    ASSERT_EQ(i, file.appends());
  }
  EXPECT_EQ(file.contents().size(), writer.FileSize());
}

// A block ends with every possible amount of unused space: 0..6 bytes are a zero trailer, 7
// bytes hold a header (an empty kFullType record, or an empty kFirstType fragment).
TEST(LogTest, BlockTrailerOfEverySize) {
  for (size_t trailer = 0; trailer <= 7; trailer++) {
    for (const size_t next_size : {size_t{0}, size_t{10}}) {
      SCOPED_TRACE("trailer " + std::to_string(trailer) + ", next " + std::to_string(next_size));
      const size_t first = kBlockSize - kFirstRecordStart - kHeaderSize - trailer;
      const std::vector<std::string> records = {std::string(first, 'a'),
                                                std::string(next_size, 'b'), "c"};
      const WrittenLog log = WriteLog(records);
      EXPECT_EQ(static_cast<uint64_t>(kBlockSize - trailer), log.ends[0]);
      const std::vector<Fragment> frags = Fragments(log.contents);
      ASSERT_EQ(trailer == 7 && next_size > 0 ? 5u : 4u, frags.size());
      if (trailer < 7) {
        EXPECT_EQ(static_cast<uint64_t>(kBlockSize), frags[2].offset);
        EXPECT_EQ(kFullType, frags[2].type);
      } else if (next_size == 0) {
        EXPECT_EQ(static_cast<uint64_t>(kBlockSize - 7), frags[2].offset);
        EXPECT_EQ(kFullType, frags[2].type);
        EXPECT_EQ(0u, frags[2].length);
      } else {
        EXPECT_EQ(kFirstType, frags[2].type);
        EXPECT_EQ(0u, frags[2].length);
        EXPECT_EQ(kLastType, frags[3].type);
        EXPECT_EQ(static_cast<uint64_t>(kBlockSize), frags[3].offset);
      }
      ExpectRoundTrip(records);
    }
  }
}

TEST(LogTest, RecordExactlyFillingBlocks) {
  const size_t fill = kBlockSize - kFirstRecordStart - kHeaderSize;
  const WrittenLog log = WriteLog({std::string(fill, 'x'), std::string(kBlockSize - 7, 'y'), ""});
  EXPECT_EQ(static_cast<uint64_t>(kBlockSize), log.ends[0]);
  EXPECT_EQ(static_cast<uint64_t>(2 * kBlockSize), log.ends[1]);
  EXPECT_EQ(static_cast<uint64_t>(2 * kBlockSize + 7), log.ends[2]);
  ExpectRoundTrip({std::string(fill, 'x'), std::string(kBlockSize - 7, 'y'), ""});
}

TEST(LogTest, RecordSpanningManyBlocks) {
  Random rnd(test::TestSeed());
  const std::string big = test::RandomBytes(&rnd, 5 * kBlockSize + 123);
  const WrittenLog log = WriteLog({"x", big, "y"});
  const std::vector<Fragment> frags = Fragments(log.contents);
  // header, x, FIRST (most of block 0), 4 MIDDLE (blocks 1-4), LAST (in block 5), y
  ASSERT_EQ(9u, frags.size());
  EXPECT_EQ(kFirstType, frags[2].type);
  for (size_t i = 3; i < 7; i++) {
    EXPECT_EQ(kMiddleType, frags[i].type);
    EXPECT_EQ(static_cast<uint64_t>(kBlockSize) * (i - 2), frags[i].offset);
    EXPECT_EQ(static_cast<size_t>(kBlockSize - kHeaderSize), frags[i].length);
  }
  EXPECT_EQ(kLastType, frags[7].type);
  EXPECT_EQ(static_cast<uint64_t>(5 * kBlockSize), frags[7].offset);
  EXPECT_EQ(kFullType, frags[8].type);
  size_t payload = 0;
  for (size_t i = 2; i < 8; i++) payload += frags[i].length;
  EXPECT_EQ(big.size(), payload);
  ExpectRoundTrip({"x", big, "y"}, /*zero_copy=*/true);
  ExpectRoundTrip({"x", big, "y"}, /*zero_copy=*/false);
}

TEST(LogTest, OneMiBRecord) {
  Random rnd(test::TestSeed());
  ExpectRoundTrip({"a", test::RandomBytes(&rnd, 1 << 20), "b"});
}

TEST(LogTest, SixtyFourMiBRecord) {
  std::string big(64 << 20, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>((i * 131) >> 7);
  StringFile file;
  Writer writer(&file, LogKind::kWal, kFileNumber);
  ASSERT_OK(writer.AddRecord(big));
  ASSERT_OK(writer.AddRecord("after"));
  StringSource source(file.contents(), /*zero_copy=*/true);
  Reader reader(&source, kFileName, LogKind::kWal, kFileNumber);
  std::string_view record;
  std::string scratch;
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_TRUE(record == big);
  ASSERT_TRUE(reader.ReadRecord(&record, &scratch));
  EXPECT_EQ("after", record);
  EXPECT_FALSE(reader.ReadRecord(&record, &scratch));
  EXPECT_OK(reader.status());
  EXPECT_EQ(file.contents().size(), reader.LastRecordEndOffset());
}

TEST(LogTest, RandomRecordSizesRoundTrip) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  for (int round = 0; round < 5; round++) {
    std::vector<std::string> records;
    const int count = 1 + static_cast<int>(rnd.Uniform(300));
    for (int i = 0; i < count; i++) {
      records.push_back(test::RandomBytes(&rnd, rnd.Skewed(17)));
    }
    ExpectRoundTrip(records, round % 2 == 0);
  }
}

// The outcome expected when a log is cut at `cut`: the records that end at or before it, then
// either a clean end or a torn tail at the offset where the first incomplete record begins.
void CheckTruncatedAt(const std::vector<std::string>& records, const WrittenLog& log,
                      uint64_t cut) {
  SCOPED_TRACE("cut at " + std::to_string(cut));
  const ReadResult r = ReadLog(std::string_view(log.contents).substr(0, cut));
  size_t complete = 0;
  while (complete < records.size() && log.ends[complete] <= cut) complete++;
  const uint64_t prev_end = complete == 0 ? kFirstRecordStart : log.ends[complete - 1];
  ASSERT_EQ(Prefix(records, complete), r.records);
  EXPECT_EQ(prev_end, r.last_end);
  const uint64_t next_start = log.starts[complete];
  const bool clean = cut == prev_end || (cut == next_start && cut % kBlockSize == 0);
  if (clean) {
    EXPECT_OK(r.status);
    EXPECT_FALSE(r.torn);
    return;
  }
  ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
  EXPECT_TRUE(r.torn) << r.status.ToString();
  // Cut inside the zero trailer that precedes the next record: the tail starts at the trailer.
  EXPECT_EQ(cut < next_start ? prev_end : next_start, OffsetIn(r.status)) << r.status.ToString();
  EXPECT_NE(std::string::npos, r.status.ToString().find(kFileName));
}

void CheckEveryTruncation(const std::vector<std::string>& records, size_t from_record) {
  const WrittenLog log = WriteLog(records);
  for (uint64_t cut = log.starts[from_record]; cut <= log.contents.size();
       cut += test::OffsetStride()) {
    CheckTruncatedAt(records, log, cut);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(LogTest, TruncationAtEveryOffsetOfTheLastRecords) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records = PrintableRecords(&rnd, 10, 200);
  // A record crossing a block boundary, one of FIRST|MIDDLE|LAST, a small one, an empty one.
  records.push_back(test::RandomString(&rnd, kBlockSize - 1000));
  records.push_back(test::RandomString(&rnd, 2 * kBlockSize + 100));
  records.push_back("tiny");
  records.push_back("");
  CheckEveryTruncation(records, 10);
}

TEST(LogTest, TruncationAroundBlockTrailers) {
  for (const size_t trailer : {size_t{3}, size_t{7}}) {
    SCOPED_TRACE("trailer " + std::to_string(trailer));
    const size_t first = kBlockSize - kFirstRecordStart - kHeaderSize - trailer;
    CheckEveryTruncation({std::string(first, 'a'), std::string(50, 'b'), "c"}, 1);
  }
}

// The whole file keeps its length but everything from `from` on reads as zeros, as after a
// crash on a file system that extends the file before writing its data.
TEST(LogTest, ZeroFillOfEverySuffix) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records = PrintableRecords(&rnd, 10, 200);
  records.push_back(test::RandomString(&rnd, kBlockSize - 1000));
  records.push_back(test::RandomString(&rnd, 2 * kBlockSize + 100));
  records.push_back("tiny");
  const WrittenLog log = WriteLog(records);
  // Printable payloads have no zero byte, so zeroing any byte of a record damages it.
  std::string damaged = log.contents;
  const uint64_t stride = test::OffsetStride();
  for (uint64_t from = log.contents.size(); from >= log.starts[10]; from -= stride) {
    SCOPED_TRACE("zeros from " + std::to_string(from));
    // Zero everything from `from` on: the bytes between this round's and the last round's.
    for (uint64_t z = from; z < std::min<uint64_t>(from + stride, damaged.size()); z++) {
      damaged[z] = '\0';
    }
    const ReadResult r = ReadLog(damaged);
    size_t complete = 0;
    while (complete < records.size() && log.ends[complete] <= from) complete++;
    ASSERT_EQ(Prefix(records, complete), r.records);
    if (complete == records.size()) {
      ASSERT_OK(r.status);
      continue;
    }
    ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
    ASSERT_TRUE(r.torn) << r.status.ToString();
    ASSERT_EQ(log.starts[complete], OffsetIn(r.status)) << r.status.ToString();
  }
}

// Checks the outcome of reading a log in which record `damaged` (and nothing else) was changed.
void CheckDamagedRecord(const std::vector<std::string>& records, const WrittenLog& log,
                        const std::string& contents, size_t damaged, bool expect_torn,
                        bool torn_allowed) {
  const ReadResult r = ReadLog(contents);
  ASSERT_EQ(Prefix(records, damaged), r.records);
  ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
  ASSERT_EQ(log.starts[damaged], OffsetIn(r.status)) << r.status.ToString();
  if (expect_torn) {
    ASSERT_TRUE(r.torn) << r.status.ToString();
  } else if (!torn_allowed) {
    ASSERT_FALSE(r.torn) << r.status.ToString();
  }
}

TEST(LogTest, FlipEveryBitOfAMiddleRecordInOneBlock) {
  Random rnd(test::TestSeed());
  const std::vector<std::string> records = PrintableRecords(&rnd, 5, 60);
  const WrittenLog log = WriteLog(records);
  ASSERT_LT(log.contents.size(), static_cast<size_t>(kBlockSize));
  for (uint64_t i = log.starts[2]; i < log.ends[2]; i++) {
    for (int bit = 0; bit < 8; bit++) {
      SCOPED_TRACE("byte " + std::to_string(i) + " bit " + std::to_string(bit));
      std::string damaged = log.contents;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      // A damaged length is recognized (DamagedLengthNeverHidesLaterRecords); any other damage
      // leaves the next record where the reader looks for it.
      CheckDamagedRecord(records, log, damaged, 2, /*expect_torn=*/false,
                         /*torn_allowed=*/false);
    }
  }
}

TEST(LogTest, FlipEveryBitOfTheLastRecordIsATornTail) {
  Random rnd(test::TestSeed());
  const std::vector<std::string> records = PrintableRecords(&rnd, 5, 60);
  const WrittenLog log = WriteLog(records);
  for (uint64_t i = log.starts[4]; i < log.ends[4]; i++) {
    for (int bit = 0; bit < 8; bit++) {
      SCOPED_TRACE("byte " + std::to_string(i) + " bit " + std::to_string(bit));
      std::string damaged = log.contents;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      CheckDamagedRecord(records, log, damaged, 4, /*expect_torn=*/true, /*torn_allowed=*/true);
    }
  }
}

// The checksum does not cover the length field. A damaged length in a record other than the
// last must not hide the records after it, whether the record now seems to run past the end of
// the file, over the records after it, or to stop short of its payload: valid records follow,
// so it is damage in the middle, never a torn tail. In the last record it is a torn tail.
TEST(LogTest, DamagedLengthNeverHidesLaterRecords) {
  Random rnd(test::TestSeed());
  for (const size_t count : {size_t{6}, size_t{400}}) {  // one short block; several blocks
    const std::vector<std::string> records = PrintableRecords(&rnd, count, count == 6 ? 60 : 300);
    const WrittenLog log = WriteLog(records);
    for (size_t r = 0; r < records.size(); r += (count == 6 ? 1 : 13)) {
      for (int bit = 0; bit < 16; bit++) {
        SCOPED_TRACE("record " + std::to_string(r) + " of " + std::to_string(count) +
                     ", length bit " + std::to_string(bit));
        std::string damaged = log.contents;
        damaged[log.starts[r] + 4 + bit / 8] ^= static_cast<char>(1 << (bit % 8));
        const bool last = r + 1 == records.size();
        CheckDamagedRecord(records, log, damaged, r, /*expect_torn=*/last,
                           /*torn_allowed=*/last);
      }
    }
    // The header record's length too.
    for (int bit = 0; bit < 16; bit++) {
      std::string damaged = log.contents;
      damaged[4 + bit / 8] ^= static_cast<char>(1 << (bit % 8));
      const ReadResult r = ReadLog(damaged);
      EXPECT_TRUE(r.records.empty());
      EXPECT_TRUE(r.status.IsCorruption()) << r.status.ToString();
      EXPECT_FALSE(r.torn) << "header length bit " << bit << ": " << r.status.ToString();
    }
  }
}

// Payloads like write batches: many bytes 0..4, which read as record types when the reader looks
// at them in search of valid data after damage. A flip anywhere in a record followed by others
// must still be found to be damage in the middle, however misleading the bytes the search
// passes over (a "record" there whose length runs past the end of the file, or over the real
// records, says nothing).
TEST(LogTest, DamageBeforeBinaryRecordsIsNeverATornTail) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records;
  for (int i = 0; i < 24; i++) {
    std::string r(20 + rnd.Uniform(100), '\0');
    for (char& c : r) c = static_cast<char>(rnd.OneIn(3) ? rnd.Uniform(256) : rnd.Uniform(5));
    records.push_back(r);
  }
  const WrittenLog log = WriteLog(records);
  ASSERT_LT(log.contents.size(), static_cast<size_t>(kBlockSize));
  for (size_t r = 0; r + 1 < records.size(); r++) {
    for (uint64_t i = log.starts[r]; i < log.ends[r]; i++) {
      for (int bit = 0; bit < 8; bit++) {
        SCOPED_TRACE("record " + std::to_string(r) + ", byte " + std::to_string(i) + " bit " +
                     std::to_string(bit));
        std::string damaged = log.contents;
        damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
        CheckDamagedRecord(records, log, damaged, r, /*expect_torn=*/false,
                           /*torn_allowed=*/false);
        if (HasFailure()) return;
      }
    }
  }
}

// Binary payloads and damage anywhere in the file, header record included: never a crash, never
// a wrong record, always a Corruption.
TEST(LogTest, FlipEveryBitOfASmallLog) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records;
  for (int i = 0; i < 6; i++) records.push_back(test::RandomBytes(&rnd, rnd.Uniform(40)));
  const WrittenLog log = WriteLog(records);
  for (uint64_t i = 0; i < log.contents.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      SCOPED_TRACE("byte " + std::to_string(i) + " bit " + std::to_string(bit));
      std::string damaged = log.contents;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      const ReadResult r = ReadLog(damaged);
      size_t damaged_record = 0;
      while (damaged_record < records.size() && log.ends[damaged_record] <= i) damaged_record++;
      const bool in_header = i < kFirstRecordStart;
      ASSERT_EQ(Prefix(records, in_header ? 0 : damaged_record), r.records);
      ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
      ASSERT_EQ(in_header ? 0 : log.starts[damaged_record], OffsetIn(r.status));
    }
  }
}

// A record followed by records in later blocks: any damage to it is damage in the middle.
TEST(LogTest, FlipEveryByteOfARecordFollowedByLaterBlocks) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records = PrintableRecords(&rnd, 1000, 300);
  const WrittenLog log = WriteLog(records);
  ASSERT_GT(log.contents.size(), 2u * kBlockSize);
  const size_t target = 100;  // in the first block, well before its end
  ASSERT_LT(log.ends[target], static_cast<uint64_t>(kBlockSize - 1000));
  for (uint64_t i = log.starts[target]; i < log.ends[target]; i++) {
    SCOPED_TRACE("byte " + std::to_string(i));
    std::string damaged = log.contents;
    damaged[i] = static_cast<char>(damaged[i] ^ 0xa5);
    CheckDamagedRecord(records, log, damaged, target, /*expect_torn=*/false,
                       /*torn_allowed=*/false);
  }
}

// Damage to any fragment of a record spanning blocks is reported at the record's start.
TEST(LogTest, DamagedFragmentOfALargeRecord) {
  Random rnd(test::TestSeed());
  std::vector<std::string> records = PrintableRecords(&rnd, 3, 100);
  records.push_back(test::RandomBytes(&rnd, 3 * kBlockSize));
  for (const std::string& r : PrintableRecords(&rnd, 300, 300)) records.push_back(r);
  const WrittenLog log = WriteLog(records);
  std::vector<uint64_t> offsets;
  for (const Fragment& f : Fragments(log.contents)) {
    if (f.offset < log.starts[3] || f.offset >= log.ends[3]) continue;
    for (uint64_t i = 0; i < static_cast<uint64_t>(kHeaderSize); i++)
      offsets.push_back(f.offset + i);
    for (uint64_t i = kHeaderSize; i < kHeaderSize + f.length; i += 997)
      offsets.push_back(f.offset + i);
  }
  for (const uint64_t i : offsets) {
    SCOPED_TRACE("byte " + std::to_string(i));
    std::string damaged = log.contents;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    CheckDamagedRecord(records, log, damaged, 3, /*expect_torn=*/false, /*torn_allowed=*/false);
  }
}

TEST(LogTest, ZeroedBlockInTheMiddleIsCorruption) {
  Random rnd(test::TestSeed());
  const std::vector<std::string> records = PrintableRecords(&rnd, 1000, 300);
  const WrittenLog log = WriteLog(records);
  ASSERT_GT(log.contents.size(), 3u * kBlockSize);
  std::string damaged = log.contents;
  std::fill(damaged.begin() + kBlockSize, damaged.begin() + 2 * kBlockSize, '\0');
  const ReadResult r = ReadLog(damaged);
  size_t intact = 0;
  while (log.ends[intact] <= static_cast<uint64_t>(kBlockSize)) intact++;
  EXPECT_EQ(Prefix(records, intact), r.records);
  ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
  EXPECT_FALSE(r.torn);
  EXPECT_EQ(log.starts[intact], OffsetIn(r.status)) << r.status.ToString();
}

TEST(LogTest, GarbageAfterTheLastRecordIsATornTail) {
  Random rnd(test::TestSeed());
  const std::vector<std::string> records = PrintableRecords(&rnd, 20, 200);
  const WrittenLog log = WriteLog(records);
  for (int round = 0; round < 20; round++) {
    const std::string garbage = test::RandomBytes(&rnd, rnd.Uniform(4 * kBlockSize) + 1);
    const ReadResult r = ReadLog(log.contents + garbage);
    EXPECT_EQ(records, r.records);
    ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
    EXPECT_TRUE(r.torn) << r.status.ToString();
    EXPECT_EQ(log.contents.size(), OffsetIn(r.status));
  }
}

// Random bytes after a valid header: never a crash, never a record that was not written.
TEST(LogTest, RandomGarbageNeverCrashes) {
  Random rnd(test::TestSeed());
  for (int round = 0; round < 300; round++) {
    std::string contents = HeaderRecord();
    contents += test::RandomBytes(&rnd, rnd.Skewed(16));
    const ReadResult r = ReadLog(contents);
    EXPECT_TRUE(r.records.empty());
    EXPECT_TRUE(r.status.ok() || r.status.IsCorruption()) << r.status.ToString();
  }
}

// User data can contain bytes that form a valid physical record. When the record holding them
// is torn, they must not be taken for valid data after the damage.
TEST(LogTest, TornRecordWhosePayloadLooksLikeARecord) {
  const std::string lookalike = Physical(kFullType, "not a real record");
  const std::string payload = "ab" + lookalike + std::string(300, 'z');
  const std::vector<std::string> records = {"first", payload};
  const WrittenLog log = WriteLog(records);
  const uint64_t lookalike_end = log.starts[1] + kHeaderSize + 2 + lookalike.size();
  for (uint64_t cut = lookalike_end; cut < log.contents.size(); cut++) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const ReadResult truncated = ReadLog(std::string_view(log.contents).substr(0, cut));
    EXPECT_EQ(Prefix(records, 1), truncated.records);
    EXPECT_TRUE(truncated.torn) << truncated.status.ToString();
    std::string zeroed = log.contents;
    std::fill(zeroed.begin() + static_cast<ptrdiff_t>(cut), zeroed.end(), '\0');
    const ReadResult zero_filled = ReadLog(zeroed);
    EXPECT_EQ(Prefix(records, 1), zero_filled.records);
    EXPECT_TRUE(zero_filled.torn) << zero_filled.status.ToString();
  }
}

// In a MANIFEST a record whose length field was damaged to run past the end of the file hides
// valid records behind it: that is damage, not a torn tail. A real torn last record stays torn.
TEST(LogTest, ManifestLengthDamageBeforeValidRecordsIsCorruption) {
  const std::vector<std::string> records = {"edit-1", "edit-2", "edit-3", "edit-4"};
  const WrittenLog log = WriteLog(records, LogKind::kManifest);
  std::string damaged = log.contents;
  damaged[log.starts[1] + 4] = '\xff';
  damaged[log.starts[1] + 5] = '\x7f';
  const ReadResult manifest = ReadLog(damaged, true, LogKind::kManifest);
  EXPECT_EQ(Prefix(records, 1), manifest.records);
  EXPECT_TRUE(manifest.status.IsCorruption());
  EXPECT_FALSE(manifest.torn) << manifest.status.ToString();
  EXPECT_EQ(log.starts[1], OffsetIn(manifest.status));

  const ReadResult cut = ReadLog(std::string_view(log.contents).substr(0, log.ends[3] - 2), true,
                                 LogKind::kManifest);
  EXPECT_EQ(Prefix(records, 3), cut.records);
  EXPECT_TRUE(cut.torn) << cut.status.ToString();
}

TEST(LogTest, NonZeroTrailerIsCorruption) {
  const size_t trailer = 3;
  const size_t first = kBlockSize - kFirstRecordStart - kHeaderSize - trailer;
  const WrittenLog log = WriteLog({std::string(first, 'a'), "b", "c"});
  std::string damaged = log.contents;
  damaged[kBlockSize - 2] = 'x';
  const ReadResult r = ReadLog(damaged);
  EXPECT_EQ(std::vector<std::string>{std::string(first, 'a')}, r.records);
  ASSERT_TRUE(r.status.IsCorruption());
  EXPECT_FALSE(r.torn);
  EXPECT_EQ(static_cast<uint64_t>(kBlockSize - trailer), OffsetIn(r.status));
}

TEST(LogTest, FirstFragmentThenEndOfFileIsATornTail) {
  const std::string contents = HeaderRecord() + Physical(kFullType, "one") +
                               Physical(kFirstType, "two-a") + Physical(kMiddleType, "two-b");
  const ReadResult r = ReadLog(contents);
  EXPECT_EQ(std::vector<std::string>{"one"}, r.records);
  ASSERT_TRUE(r.status.IsCorruption());
  EXPECT_TRUE(r.torn);
  EXPECT_EQ(kFirstRecordStart + 10, OffsetIn(r.status));
}

TEST(LogTest, FragmentWithoutFirstIsCorruption) {
  for (const RecordType type : {kMiddleType, kLastType}) {
    const std::string orphan = HeaderRecord() + Physical(kFullType, "one") + Physical(type, "x");
    for (const std::string& contents : {orphan, orphan + Physical(kFullType, "three")}) {
      const ReadResult r = ReadLog(contents);
      EXPECT_EQ(std::vector<std::string>{"one"}, r.records);
      ASSERT_TRUE(r.status.IsCorruption());
      EXPECT_FALSE(r.torn);
      EXPECT_EQ(kFirstRecordStart + 10, OffsetIn(r.status));
    }
  }
}

TEST(LogTest, FirstInterruptedByANewRecordIsCorruption) {
  for (const RecordType type : {kFullType, kFirstType}) {
    const std::string contents = HeaderRecord() + Physical(kFullType, "one") +
                                 Physical(kFirstType, "two-a") + Physical(type, "three") +
                                 Physical(kLastType, "four");
    const ReadResult r = ReadLog(contents);
    EXPECT_EQ(std::vector<std::string>{"one"}, r.records);
    ASSERT_TRUE(r.status.IsCorruption());
    EXPECT_FALSE(r.torn);
    EXPECT_EQ(kFirstRecordStart + 10, OffsetIn(r.status));
  }
}

TEST(LogTest, EmptyFragmentsAreAccepted) {
  const std::string contents = HeaderRecord() + Physical(kFirstType, "") +
                               Physical(kMiddleType, "") + Physical(kMiddleType, "ab") +
                               Physical(kLastType, "") + Physical(kFullType, "");
  const ReadResult r = ReadLog(contents);
  ASSERT_OK(r.status);
  EXPECT_EQ((std::vector<std::string>{"ab", ""}), r.records);
}

void ExpectHeaderRejected(const std::string& contents, Status::Code code) {
  const ReadResult r = ReadLog(contents);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(code, r.status.code()) << r.status.ToString();
  EXPECT_FALSE(r.torn);
  EXPECT_EQ(0u, r.last_end);
  EXPECT_NE(std::string::npos, r.status.ToString().find(kFileName)) << r.status.ToString();
}

TEST(LogTest, HeaderChecks) {
  const std::string record = Physical(kFullType, "data");
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload(LogKind::kManifest)) + record,
                       Status::Code::kCorruption);
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload(LogKind::kWal, 8)) + record,
                       Status::Code::kCorruption);
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload(LogKind::kWal, kFileNumber, 2)) + record,
                       Status::Code::kNotSupported);
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload(LogKind::kWal, kFileNumber, 0)) + record,
                       Status::Code::kCorruption);
  std::string bad_magic = HeaderPayload();
  bad_magic[0] = 's';
  ExpectHeaderRejected(Physical(kFullType, bad_magic) + record, Status::Code::kCorruption);
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload() + "x") + record,
                       Status::Code::kCorruption);
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload().substr(0, 10)) + record,
                       Status::Code::kCorruption);
  // A log whose first record is not a header at all.
  ExpectHeaderRejected(record + record, Status::Code::kCorruption);
  // A newer version may have a longer header: the version is what is reported.
  ExpectHeaderRejected(Physical(kFullType, HeaderPayload(LogKind::kWal, kFileNumber, 9) + "ext"),
                       Status::Code::kNotSupported);
}

TEST(LogTest, KindAndNumberAreChecked) {
  const WrittenLog manifest = WriteLog({"edit"}, LogKind::kManifest);
  const ReadResult ok = ReadLog(manifest.contents, true, LogKind::kManifest);
  ASSERT_OK(ok.status);
  EXPECT_EQ(std::vector<std::string>{"edit"}, ok.records);
  EXPECT_TRUE(ReadLog(manifest.contents, true, LogKind::kWal).status.IsCorruption());
  EXPECT_TRUE(ReadLog(manifest.contents, true, LogKind::kManifest, 8).status.IsCorruption());
}

TEST(LogTest, FileShorterThanAHeaderIsATornEmptyLog) {
  const WrittenLog log = WriteLog({"x"});
  for (size_t len = 1; len < kFirstRecordStart; len++) {
    SCOPED_TRACE("length " + std::to_string(len));
    const ReadResult r = ReadLog(std::string_view(log.contents).substr(0, len));
    EXPECT_TRUE(r.records.empty());
    ASSERT_TRUE(r.status.IsCorruption()) << r.status.ToString();
    EXPECT_TRUE(r.torn);
    EXPECT_EQ(0u, OffsetIn(r.status));
    EXPECT_EQ(0u, r.last_end);
  }
}

TEST(LogTest, WriterReturnsTheAppendErrorForever) {
  StringFile file;
  file.FailAppendNumber(3);
  Writer writer(&file, LogKind::kWal, kFileNumber);
  ASSERT_OK(writer.AddRecord("one"));
  ASSERT_OK(writer.AddRecord("two"));
  const Status failed = writer.AddRecord("three");
  ASSERT_TRUE(failed.IsIOError()) << failed.ToString();
  for (int i = 0; i < 3; i++) {
    const Status again = writer.AddRecord("four");
    EXPECT_EQ(failed.ToString(), again.ToString());
  }
  EXPECT_EQ(3, file.appends());  // no write after the failure
  const ReadResult r = ReadLog(file.contents());
  EXPECT_OK(r.status);
  EXPECT_EQ((std::vector<std::string>{"one", "two"}), r.records);
}

TEST(LogTest, WriterHeaderAppendError) {
  StringFile file;
  file.FailAppendNumber(1);
  Writer writer(&file, LogKind::kWal, kFileNumber);
  EXPECT_TRUE(writer.AddRecord("one").IsIOError());
  EXPECT_TRUE(writer.AddRecord("two").IsIOError());
  EXPECT_EQ(1, file.appends());
  EXPECT_TRUE(file.contents().empty());
}

TEST(LogTest, WriterErrorInTheMiddleOfAHugeRecord) {
  StringFile file;
  file.FailAppendNumber(3);
  Writer writer(&file, LogKind::kWal, kFileNumber);
  EXPECT_TRUE(writer.AddRecord(std::string(4 << 20, 'z')).IsIOError());
  EXPECT_TRUE(writer.AddRecord("small").IsIOError());
  EXPECT_EQ(3, file.appends());
  // What did reach the file is a torn tail.
  const ReadResult r = ReadLog(file.contents());
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.torn);
}

TEST(LogTest, ReadErrorIsReported) {
  Random rnd(test::TestSeed());
  const std::vector<std::string> records = PrintableRecords(&rnd, 500, 300);
  const WrittenLog log = WriteLog(records);
  ASSERT_GT(log.contents.size(), 2u * kBlockSize);
  StringSource source(log.contents, /*zero_copy=*/true);
  source.FailReadsFrom(kBlockSize);
  Reader reader(&source, kFileName, LogKind::kWal, kFileNumber);
  std::string_view record;
  std::string scratch;
  size_t n = 0;
  while (reader.ReadRecord(&record, &scratch)) {
    ASSERT_EQ(records[n], record);
    n++;
  }
  EXPECT_TRUE(reader.status().IsIOError()) << reader.status().ToString();
  EXPECT_NE(std::string::npos, reader.status().ToString().find("000007.log: read at offset 32768"))
      << reader.status().ToString();
  EXPECT_FALSE(reader.tail_is_torn());
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, records.size());
}

}  // namespace
}  // namespace strata::log
