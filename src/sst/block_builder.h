// BlockBuilder assembles the contents of one block (data, index, metaindex or properties) from
// keys added in increasing order (docs/format.md (Part III) "Blocks"):
//
//   block   := entry* restarts: fixed32[num_restarts] | num_restarts: fixed32
//   entry   := shared: varint32 | non_shared: varint32 | value_length: varint32
//              | key_delta: non_shared bytes | value: value_length bytes
//
// Each key is stored as the number of bytes it shares with the previous key plus the rest.
// Every block_restart_interval entries the sharing restarts (shared = 0) and the entry's offset
// is recorded in the restart array, so readers can binary-search the restart points.
//
// Thread safety: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Starts a new block, keeping the allocated buffers.
  void Reset();

  // REQUIRES: not finished since the last Reset; key is greater than every key added since then
  // (in the order the reader will use).
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the block contents, valid until the next Reset or
  // destruction. An empty block is valid (one restart at offset 0, no entries).
  std::string_view Finish();

  // Size of the block Finish() would return now.
  size_t CurrentSizeEstimate() const {
    return buffer_.size() + (restarts_.size() + 1) * sizeof(uint32_t);
  }
  bool empty() const { return buffer_.empty(); }
  // Key of the last entry added (empty if none).
  std::string_view last_key() const { return last_key_; }

  // Appends to the buffer of a finished block; the table builder uses it to place the trailer
  // right after the contents and write both with one Append.
  std::string* finished_buffer() { return &buffer_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace strata
