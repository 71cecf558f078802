// version_edit_fuzzer: VersionEdit::DecodeFrom (version/version_edit.h), the decoder of MANIFEST
// records, on arbitrary bytes.
//
// Input: the encoded edit (a MANIFEST record's payload).
//
// Invariants: a failed decode is Corruption or NotSupported and leaves an empty edit (it encodes
// to nothing); a successful one encodes to bytes that decode successfully to an edit with the
// same encoding and the same DebugString (decode -> encode -> decode is the identity on edits);
// the encoding is no longer than the input (the encoder writes every varint canonically and
// drops only what decoding discards: ignorable fields, repeated deleted files).
#pragma once

#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "version/version_edit.h"

namespace strata::fuzz {

inline void RunVersionEditTarget(std::string_view input) {
  VersionEdit edit;
  const Status s = edit.DecodeFrom(input);
  if (!s.ok()) {
    FUZZ_CHECK_MSG(s.IsCorruption() || s.IsNotSupported(), s.ToString());
    std::string encoded;
    edit.EncodeTo(&encoded);
    FUZZ_CHECK_MSG(encoded.empty(), "a failed decode left a partial edit");
    return;
  }
  const std::string debug = edit.DebugString();
  std::string encoded;
  edit.EncodeTo(&encoded);
  FUZZ_CHECK_MSG(encoded.size() <= input.size(), "the encoding grew from " +
                                                     std::to_string(input.size()) + " to " +
                                                     std::to_string(encoded.size()) + " bytes");

  VersionEdit again;
  const Status s2 = again.DecodeFrom(encoded);
  FUZZ_CHECK_MSG(s2.ok(), "re-decoding the encoding failed: " + s2.ToString());
  std::string reencoded;
  again.EncodeTo(&reencoded);
  FUZZ_CHECK_MSG(reencoded == encoded, "encode(decode(encode(x))) != encode(x)");
  FUZZ_CHECK_MSG(again.DebugString() == debug, "the decoded edits differ");

  // Decoding appends nothing to an edit: decoding into a used edit gives the same result.
  VersionEdit reused;
  reused.SetLogNumber(12345);
  reused.RemoveFile(1, 99);
  FUZZ_CHECK(reused.DecodeFrom(encoded).ok());
  FUZZ_CHECK(reused.DebugString() == debug);
}

}  // namespace strata::fuzz
