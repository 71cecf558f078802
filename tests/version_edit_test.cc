#include "version/version_edit.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "strata/options.h"
#include "testutil.h"
#include "util/coding.h"

namespace strata {
namespace {

FileMetaData File(uint64_t number, uint64_t size, std::string_view smallest,
                  SequenceNumber smallest_seq, std::string_view largest,
                  SequenceNumber largest_seq) {
  FileMetaData f;
  f.number = number;
  f.file_size = size;
  f.smallest = InternalKey(smallest, smallest_seq, kTypeValue);
  f.largest = InternalKey(largest, largest_seq, kTypeDeletion);
  f.smallest_seqno = smallest_seq;
  f.largest_seqno = largest_seq;
  return f;
}

VersionEdit FullEdit() {
  constexpr uint64_t kBig = std::numeric_limits<uint64_t>::max();
  VersionEdit edit;
  edit.SetComparatorName("strata.BytewiseComparator");
  edit.SetLogNumber(kBig);
  edit.SetNextFile(kBig - 1);
  edit.SetLastSequence(kMaxSequenceNumber);
  for (int level = 0; level < kNumLevels; level++) {
    edit.SetCompactPointer(
        level, InternalKey("pointer" + std::to_string(level), 1000 + level, kTypeValue));
    edit.RemoveFile(level, 100 + level);
    edit.AddFile(level, File(200 + level, 4096 * (level + 1), std::string("a\0\xff", 3),
                             kMaxSequenceNumber - 5, "zz", kMaxSequenceNumber));
  }
  edit.AddFile(3, File(kBig, kBig, "", 0, "", 0));  // empty user keys, extreme numbers
  return edit;
}

std::string Encode(const VersionEdit& edit) {
  std::string s;
  edit.EncodeTo(&s);
  return s;
}

void ExpectSameFile(const FileMetaData& a, const FileMetaData& b) {
  EXPECT_EQ(a.number, b.number);
  EXPECT_EQ(a.file_size, b.file_size);
  EXPECT_EQ(a.smallest.Encode(), b.smallest.Encode());
  EXPECT_EQ(a.largest.Encode(), b.largest.Encode());
  EXPECT_EQ(a.smallest_seqno, b.smallest_seqno);
  EXPECT_EQ(a.largest_seqno, b.largest_seqno);
}

void ExpectSameEdit(const VersionEdit& a, const VersionEdit& b) {
  EXPECT_EQ(a.has_comparator(), b.has_comparator());
  EXPECT_EQ(a.comparator(), b.comparator());
  EXPECT_EQ(a.has_log_number(), b.has_log_number());
  EXPECT_EQ(a.log_number(), b.log_number());
  EXPECT_EQ(a.has_next_file_number(), b.has_next_file_number());
  EXPECT_EQ(a.next_file_number(), b.next_file_number());
  EXPECT_EQ(a.has_last_sequence(), b.has_last_sequence());
  EXPECT_EQ(a.last_sequence(), b.last_sequence());
  ASSERT_EQ(a.compact_pointers().size(), b.compact_pointers().size());
  for (size_t i = 0; i < a.compact_pointers().size(); i++) {
    EXPECT_EQ(a.compact_pointers()[i].first, b.compact_pointers()[i].first);
    EXPECT_EQ(a.compact_pointers()[i].second.Encode(), b.compact_pointers()[i].second.Encode());
  }
  EXPECT_EQ(a.deleted_files(), b.deleted_files());
  ASSERT_EQ(a.new_files().size(), b.new_files().size());
  for (size_t i = 0; i < a.new_files().size(); i++) {
    EXPECT_EQ(a.new_files()[i].first, b.new_files()[i].first);
    ExpectSameFile(a.new_files()[i].second, b.new_files()[i].second);
  }
}

// The worked example of docs/format.md (Part II).
TEST(VersionEditTest, WorkedExampleMatchesSpec) {
  VersionEdit edit;
  edit.SetComparatorName("strata.BytewiseComparator");
  edit.SetLogNumber(12);
  edit.SetNextFile(15);
  edit.SetLastSequence(1000);
  edit.RemoveFile(1, 9);
  edit.AddFile(0, File(14, 4096, "apple", 5, "melon", 900));
  constexpr char kExpected[] =
      "\x01\x19strata.BytewiseComparator"
      "\x02\x0c"
      "\x03\x0f"
      "\x04\xe8\x07"
      "\x06\x01\x09"
      "\x07\x00\x0e\x80\x20"
      "\x0d"
      "apple\x01\x05\x00\x00\x00\x00\x00\x00"
      "\x0d"
      "melon\x00\x84\x03\x00\x00\x00\x00\x00"
      "\x05\x84\x07";
  EXPECT_EQ(std::string(kExpected, sizeof(kExpected) - 1), Encode(edit));
}

TEST(VersionEditTest, EmptyEdit) {
  EXPECT_EQ("", Encode(VersionEdit()));
  VersionEdit decoded;
  decoded.SetLogNumber(3);
  ASSERT_OK(decoded.DecodeFrom(""));
  ExpectSameEdit(VersionEdit(), decoded);
}

TEST(VersionEditTest, RoundTripOfEveryField) {
  const VersionEdit edit = FullEdit();
  const std::string encoded = Encode(edit);
  VersionEdit decoded;
  ASSERT_OK(decoded.DecodeFrom(encoded));
  ExpectSameEdit(edit, decoded);
  EXPECT_EQ(encoded, Encode(decoded));
}

TEST(VersionEditTest, EncodeAppends) {
  std::string s = "prefix";
  VersionEdit edit;
  edit.SetLogNumber(5);
  edit.EncodeTo(&s);
  EXPECT_EQ(std::string("prefix\x02\x05"), s);
}

TEST(VersionEditTest, DecodeReplacesPreviousContents) {
  VersionEdit edit = FullEdit();
  VersionEdit small;
  small.SetNextFile(9);
  ASSERT_OK(edit.DecodeFrom(Encode(small)));
  ExpectSameEdit(small, edit);
  // A failed decode leaves an empty edit rather than a half-decoded one.
  edit = FullEdit();
  const std::string encoded = Encode(FullEdit());
  EXPECT_FALSE(edit.DecodeFrom(encoded.substr(0, encoded.size() - 1)).ok());
  ExpectSameEdit(VersionEdit(), edit);
}

// Every prefix that cuts a field is Corruption. A prefix that ends between fields is a valid,
// smaller edit (the MANIFEST's log record checksum is what detects such a cut).
TEST(VersionEditTest, EveryTruncatedPrefix) {
  const std::string encoded = Encode(FullEdit());
  size_t boundary_hits = 0;
  for (size_t len = 0; len <= encoded.size(); len++) {
    SCOPED_TRACE("prefix of " + std::to_string(len) + " bytes");
    VersionEdit decoded;
    const Status s = decoded.DecodeFrom(std::string_view(encoded).substr(0, len));
    if (s.ok()) {
      // Then the prefix is exactly the encoding of what was decoded.
      EXPECT_EQ(encoded.substr(0, len), Encode(decoded));
      boundary_hits++;
    } else {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(std::string::npos, s.ToString().find("field at byte")) << s.ToString();
    }
  }
  VersionEdit whole;
  ASSERT_OK(whole.DecodeFrom(encoded));
  // One boundary after each field, plus the empty prefix.
  const size_t fields = 4 + 3 * kNumLevels + 1;
  EXPECT_EQ(fields + 1, boundary_hits);
}

TEST(VersionEditTest, UnknownSafeToIgnoreFieldIsSkipped) {
  VersionEdit edit;
  edit.SetLogNumber(7);
  edit.AddFile(2, File(20, 100, "a", 1, "b", 2));
  std::string encoded;
  PutVarint32(&encoded, VersionEdit::kTagSafeToIgnore | 9);
  PutLengthPrefixed(&encoded, "future data");
  edit.EncodeTo(&encoded);
  PutVarint32(&encoded, VersionEdit::kTagSafeToIgnore | 1);
  PutLengthPrefixed(&encoded, "");
  VersionEdit decoded;
  ASSERT_OK(decoded.DecodeFrom(encoded));
  ExpectSameEdit(edit, decoded);

  // Its body must still be whole.
  std::string truncated;
  PutVarint32(&truncated, VersionEdit::kTagSafeToIgnore | 9);
  PutVarint32(&truncated, 10);
  truncated += "short";
  const Status s = decoded.DecodeFrom(truncated);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(VersionEditTest, UnknownMandatoryFieldIsNotSupported) {
  for (const uint32_t tag : {0u, 8u, 100u, VersionEdit::kTagSafeToIgnore << 1}) {
    std::string encoded;
    VersionEdit edit;
    edit.SetLogNumber(7);
    edit.EncodeTo(&encoded);
    PutVarint32(&encoded, tag);
    PutLengthPrefixed(&encoded, "x");
    VersionEdit decoded;
    const Status s = decoded.DecodeFrom(encoded);
    EXPECT_TRUE(s.IsNotSupported()) << tag << ": " << s.ToString();
    EXPECT_NE(std::string::npos, s.ToString().find(std::to_string(tag))) << s.ToString();
  }
}

// Decodes `body` after `tag` and expects a Corruption that names `field`.
void ExpectCorruptField(uint32_t tag, const std::string& body, const std::string& field) {
  std::string encoded;
  PutVarint32(&encoded, tag);
  encoded += body;
  VersionEdit decoded;
  const Status s = decoded.DecodeFrom(encoded);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(field)) << s.ToString();
}

std::string KeyBody(std::string_view key) {
  std::string s;
  PutLengthPrefixed(&s, key);
  return s;
}

std::string GoodKey() { return KeyBody(InternalKey("k", 1, kTypeValue).Encode()); }

TEST(VersionEditTest, BadLevelIsCorruption) {
  for (const uint32_t level : {uint32_t{kNumLevels}, 100u, 0xffffffffu}) {
    std::string lv;
    PutVarint32(&lv, level);
    ExpectCorruptField(VersionEdit::kCompactPointer, lv + GoodKey(), "compact-pointer");
    ExpectCorruptField(VersionEdit::kDeletedFile, lv + "\x05", "deleted-file");
    ExpectCorruptField(VersionEdit::kNewFile, lv + "\x05\x05" + GoodKey() + GoodKey() + "\x01\x01",
                       "new-file field at byte 0: level: " + std::to_string(level));
  }
  // An over-long varint is not a level either.
  ExpectCorruptField(VersionEdit::kDeletedFile, "\x80\x80\x80\x80\x80\x01\x05", "deleted-file");
}

TEST(VersionEditTest, InvalidInternalKeyIsCorruption) {
  const std::string short_key = KeyBody("1234567");                             // < 8 bytes
  const std::string bad_type = KeyBody(std::string("k\x02\0\0\0\0\0\0\0", 9));  // type 2
  for (const std::string& bad : {short_key, bad_type}) {
    ExpectCorruptField(VersionEdit::kCompactPointer, "\x01" + bad, "compact-pointer");
    ExpectCorruptField(VersionEdit::kNewFile, "\x01\x05\x05" + bad + GoodKey() + "\x01\x01",
                       "smallest key: invalid internal key");
    ExpectCorruptField(VersionEdit::kNewFile, "\x01\x05\x05" + GoodKey() + bad + "\x01\x01",
                       "largest key: invalid internal key");
  }
  // A key length running past the end.
  ExpectCorruptField(VersionEdit::kNewFile, "\x01\x05\x05\x30" + GoodKey(), "smallest key");
}

TEST(VersionEditTest, SequenceNumberOutOfRangeIsCorruption) {
  std::string too_big;
  PutVarint64(&too_big, kMaxSequenceNumber + 1);
  ExpectCorruptField(VersionEdit::kLastSequence, too_big, "last-sequence");
  ExpectCorruptField(VersionEdit::kNewFile,
                     "\x01\x05\x05" + GoodKey() + GoodKey() + too_big + "\x01", "smallest seqno");
  ExpectCorruptField(VersionEdit::kNewFile,
                     "\x01\x05\x05" + GoodKey() + GoodKey() + "\x01" + too_big, "largest seqno");
}

TEST(VersionEditTest, DuplicateSingleFieldIsCorruption) {
  VersionEdit edit;
  edit.SetLogNumber(5);
  const std::string once = Encode(edit);
  VersionEdit decoded;
  const Status s = decoded.DecodeFrom(once + once);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("log-number field at byte 2: duplicate"))
      << s.ToString();
}

TEST(VersionEditTest, DebugStringShowsEveryField) {
  VersionEdit edit;
  edit.SetComparatorName("cmp");
  edit.SetLogNumber(12);
  edit.SetNextFile(15);
  edit.SetLastSequence(1000);
  edit.SetCompactPointer(2, InternalKey("p", 3, kTypeValue));
  edit.RemoveFile(1, 9);
  edit.AddFile(0, File(14, 4096, "apple", 5, "melon", 900));
  const std::string s = edit.DebugString();
  for (const char* part :
       {"comparator: cmp", "log_number: 12", "next_file_number: 15", "last_sequence: 1000",
        "compact_pointer: L2 'p' @ 3 : 1", "deleted_file: L1 #9",
        "new_file: L0 #14 4096 bytes ['apple' @ 5 : 1 .. 'melon' @ 900 : 0] "
        "seqno 5..900"}) {
    EXPECT_NE(std::string::npos, s.find(part)) << part << " in\n" << s;
  }
}

void ExpectDecodeIsSafe(std::string_view input) {
  VersionEdit decoded;
  const Status s = decoded.DecodeFrom(input);
  ASSERT_TRUE(s.ok() || s.IsCorruption() || s.IsNotSupported()) << s.ToString();
  if (!s.ok()) return;
  // Whatever decodes re-encodes to something that decodes to the same edit.
  const std::string again = Encode(decoded);
  VersionEdit redecoded;
  ASSERT_OK(redecoded.DecodeFrom(again));
  ExpectSameEdit(decoded, redecoded);
}

TEST(VersionEditTest, RandomGarbageNeverCrashes) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  for (int i = 0; i < 4000; i++) {
    std::string input = test::RandomBytes(&rnd, rnd.Uniform(120));
    // Bias towards known tags so that field bodies get exercised, not just the tag check.
    if (!input.empty() && rnd.OneIn(2)) input[0] = static_cast<char>(1 + rnd.Uniform(7));
    ExpectDecodeIsSafe(input);
  }
}

TEST(VersionEditTest, MutatedEncodingsNeverCrash) {
  Random rnd(test::TestSeed());
  const std::string encoded = Encode(FullEdit());
  for (int i = 0; i < 3000; i++) {
    std::string input = encoded;
    const int changes = 1 + static_cast<int>(rnd.Uniform(4));
    for (int c = 0; c < changes; c++) {
      input[rnd.Uniform(input.size())] = static_cast<char>(rnd.Uniform(256));
    }
    ExpectDecodeIsSafe(input);
  }
}

}  // namespace
}  // namespace strata
