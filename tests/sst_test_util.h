// Test doubles and checkers for the SST layer: in-memory files (independent of the real
// in-memory FileSystem), a minimal FileSystem for the table cache, block contents with exact-size
// allocations (so ASan sees any read past the end), and a model-based iterator checker.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/dbformat.h"
#include "iter/internal_iterator.h"
#include "sst/format.h"
#include "strata/comparator.h"
#include "strata/file_system.h"
#include "testutil.h"
#include "util/random.h"

namespace strata::test {

// A WritableFile appending to a string. Can be told to fail appends after `fail_after` bytes.
class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    if (contents_.size() + data.size() > fail_after_)
      return Status::IOError("injected append error");
    contents_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  uint64_t Size() const override { return contents_.size(); }

  const std::string& contents() const { return contents_; }
  void set_fail_after(size_t n) { fail_after_ = n; }

 private:
  std::string contents_;
  size_t fail_after_ = SIZE_MAX;
};

// A RandomAccessFile over a copy of some bytes. Counts reads; can return views of its own memory
// (like an mmap-based file) instead of copying into scratch.
class StringSource final : public RandomAccessFile {
 public:
  explicit StringSource(std::string contents, bool copy_to_scratch = true)
      : contents_(std::move(contents)), copy_to_scratch_(copy_to_scratch) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    reads_.fetch_add(1, std::memory_order_relaxed);
    if (offset > contents_.size()) {
      *result = {};
      return Status::OK();
    }
    const size_t len = std::min(n, contents_.size() - static_cast<size_t>(offset));
    if (copy_to_scratch_) {
      std::memcpy(scratch, contents_.data() + offset, len);
      *result = std::string_view(scratch, len);
    } else {
      *result = std::string_view(contents_.data() + offset, len);
    }
    return Status::OK();
  }

  uint64_t reads() const { return reads_.load(); }

 private:
  const std::string contents_;
  const bool copy_to_scratch_;
  mutable std::atomic<uint64_t> reads_{0};
};

// A RandomAccessFile whose reads all fail.
class FailingSource final : public RandomAccessFile {
 public:
  Status Read(uint64_t, size_t, std::string_view* result, char*) const override {
    *result = {};
    return Status::IOError("injected read error");
  }
};

// Just enough FileSystem for TableCache: files are strings in a map. Everything else is
// NotSupported.
class MapFileSystem final : public FileSystem {
 public:
  void Put(const std::string& path, std::string contents) {
    std::lock_guard<std::mutex> l(mu_);
    files_[path] = std::move(contents);
  }
  void Remove(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    files_.erase(path);
  }
  int opens() const { return opens_.load(); }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path, "no such file");
    opens_.fetch_add(1);
    *result = std::make_unique<StringSource>(it->second);
    return Status::OK();
  }
  Status FileExists(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    return files_.count(path) ? Status::OK() : Status::NotFound(path);
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    *size = it->second.size();
    return Status::OK();
  }
  Status NewSequentialFile(const std::string&, std::unique_ptr<SequentialFile>*) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status NewWritableFile(const std::string&, std::unique_ptr<WritableFile>*) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status IsDirectory(const std::string&, bool*) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status GetChildren(const std::string&, std::vector<std::string>*) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status RemoveFile(const std::string&) override { return Status::NotSupported("MapFileSystem"); }
  Status CreateDirIfMissing(const std::string&) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status RemoveDir(const std::string&) override { return Status::NotSupported("MapFileSystem"); }
  Status RenameFile(const std::string&, const std::string&) override {
    return Status::NotSupported("MapFileSystem");
  }
  Status SyncDir(const std::string&) override { return Status::NotSupported("MapFileSystem"); }
  Status LockFile(const std::string&, std::unique_ptr<FileLock>*) override {
    return Status::NotSupported("MapFileSystem");
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::atomic<int> opens_{0};
};

// Block contents in a heap allocation of exactly data.size() bytes.
inline BlockContents ExactContents(std::string_view data) {
  BlockContents c;
  c.heap = std::make_unique_for_overwrite<char[]>(data.size());
  if (!data.empty()) std::memcpy(c.heap.get(), data.data(), data.size());
  c.data = std::string_view(c.heap.get(), data.size());
  return c;
}

inline std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType type) {
  std::string k;
  AppendInternalKey(&k, ParsedInternalKey(user_key, seq, type));
  return k;
}

using KVVector = std::vector<std::pair<std::string, std::string>>;

// Checks `it` against `model` (entries sorted by cmp, keys unique): full forward and backward
// scans, a Seek to every key, then `random_steps` random operations (Seek to random_target(rnd),
// SeekToFirst/Last, Next, Prev) comparing each position with the model's.
inline void CheckIteratorAgainstModel(InternalIterator* it, const KVVector& model,
                                      const Comparator* cmp,
                                      const std::function<std::string(Random*)>& random_target,
                                      Random* rnd, int random_steps) {
  auto expect_at = [&](size_t pos, const char* what) {
    if (pos >= model.size()) {
      ASSERT_FALSE(it->Valid()) << what << ": expected the end, got key of size "
                                << it->key().size();
      ASSERT_OK(it->status());
      return;
    }
    ASSERT_TRUE(it->Valid()) << what << ": expected entry " << pos << " of " << model.size()
                             << "; status " << it->status().ToString();
    ASSERT_EQ(model[pos].first, it->key()) << what << " at " << pos;
    ASSERT_EQ(model[pos].second, it->value()) << what << " at " << pos;
  };

  it->SeekToFirst();
  for (size_t i = 0; i < model.size(); i++, it->Next()) {
    ASSERT_NO_FATAL_FAILURE(expect_at(i, "forward scan"));
  }
  ASSERT_NO_FATAL_FAILURE(expect_at(model.size(), "forward scan end"));

  it->SeekToLast();
  for (size_t i = model.size(); i-- > 0; it->Prev()) {
    ASSERT_NO_FATAL_FAILURE(expect_at(i, "backward scan"));
  }
  ASSERT_NO_FATAL_FAILURE(expect_at(model.size(), "backward scan end"));

  for (size_t i = 0; i < model.size(); i++) {
    it->Seek(model[i].first);
    ASSERT_NO_FATAL_FAILURE(expect_at(i, "seek to key"));
  }

  auto lower_bound = [&](std::string_view target) {
    return static_cast<size_t>(std::lower_bound(model.begin(), model.end(), target,
                                                [&](const auto& e, std::string_view t) {
                                                  return cmp->Compare(e.first, t) < 0;
                                                }) -
                               model.begin());
  };
  size_t pos = model.size();  // model.size() == invalid
  it->SeekToFirst();
  pos = 0;
  for (int step = 0; step < random_steps; step++) {
    const uint64_t op = rnd->Uniform(10);
    if (op < 3) {
      const std::string target = random_target(rnd);
      it->Seek(target);
      pos = lower_bound(target);
    } else if (op == 3) {
      it->SeekToFirst();
      pos = 0;
    } else if (op == 4) {
      it->SeekToLast();
      pos = model.empty() ? 0 : model.size() - 1;
    } else if (op < 7) {
      if (pos >= model.size()) continue;
      it->Next();
      pos++;
    } else {
      if (pos >= model.size()) continue;
      it->Prev();
      pos = (pos == 0) ? model.size() : pos - 1;
    }
    ASSERT_NO_FATAL_FAILURE(expect_at(pos, "random walk"));
  }
}

}  // namespace strata::test
