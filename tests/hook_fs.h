// HookFileSystem: a FileSystem wrapper for the DB-level reliability tests. It calls test code
// around every file-system call the DB makes, on the thread that makes it:
//   - a "before" hook (e.g. take a crash clone of the in-memory base at exactly this point, or
//     block a background thread until the test lets it go);
//   - an "after" hook that sees the call's result (e.g. record which call failed and on which
//     path);
//   - an Append filter that may rewrite the bytes of an Append before they reach the base (a
//     disk that corrupts what it is given).
// It also watches for a retried fsync: a Sync on a WritableFile whose earlier Sync failed is
// counted (SyncsAfterFailedSync) and its path remembered.
//
// Calls are classified with the FsOp kinds of FaultInjectionFileSystem, so the two wrappers can
// be stacked (DB -> HookFileSystem -> FaultInjectionFileSystem -> MemFileSystem) and agree on
// what a call is.
//
// Thread safety: every method may be called concurrently. Hooks are called without any lock of
// the wrapper held and may run concurrently with each other; set them before the DB uses the
// wrapper, or replace them at any time (a call already inside the old hook finishes with it).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fs/fault_injection_fs.h"
#include "strata/file_system.h"

namespace strata::test {

class HookFileSystem final : public FileSystem {
 public:
  using BeforeHook = std::function<void(FsOp op, const std::string& path)>;
  using AfterHook = std::function<void(FsOp op, const std::string& path, const Status& result)>;
  using AppendFilter = std::function<void(const std::string& path, std::string* data)>;

  explicit HookFileSystem(std::shared_ptr<FileSystem> base)
      : base_(std::move(base)), state_(std::make_shared<State>()) {}

  const std::shared_ptr<FileSystem>& base() const { return base_; }

  void SetBeforeHook(BeforeHook hook) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->before = std::make_shared<const BeforeHook>(std::move(hook));
  }
  void SetAfterHook(AfterHook hook) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->after = std::make_shared<const AfterHook>(std::move(hook));
  }
  void SetAppendFilter(AppendFilter filter) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->append_filter = std::make_shared<const AppendFilter>(std::move(filter));
  }
  void ClearHooks() {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->before.reset();
    state_->after.reset();
    state_->append_filter.reset();
  }

  // Calls made through the wrapper (and its files) since construction.
  uint64_t TotalCalls() const { return state_->calls.load(); }
  // Sync calls on a file whose earlier Sync had failed: a retried fsync (durability rule 7).
  uint64_t SyncsAfterFailedSync() const { return state_->syncs_after_failed_sync.load(); }
  std::vector<std::string> RetriedSyncPaths() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->retried_sync_paths;
  }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return Call(FsOp::kOpen, path, [&] {
      std::unique_ptr<SequentialFile> base;
      Status s = base_->NewSequentialFile(path, &base);
      if (s.ok()) *result = std::make_unique<SeqFile>(state_, path, std::move(base));
      return s;
    });
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return Call(FsOp::kOpen, path, [&] {
      std::unique_ptr<RandomAccessFile> base;
      Status s = base_->NewRandomAccessFile(path, &base);
      if (s.ok()) *result = std::make_unique<RandFile>(state_, path, std::move(base));
      return s;
    });
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return Call(FsOp::kOpen, path, [&] {
      std::unique_ptr<WritableFile> base;
      Status s = base_->NewWritableFile(path, &base);
      if (s.ok()) *result = std::make_unique<WriteFile>(state_, path, std::move(base));
      return s;
    });
  }
  Status FileExists(const std::string& path) override {
    return Call(FsOp::kStat, path, [&] { return base_->FileExists(path); });
  }
  Status IsDirectory(const std::string& path, bool* is_dir) override {
    return Call(FsOp::kStat, path, [&] { return base_->IsDirectory(path, is_dir); });
  }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return Call(FsOp::kList, dir, [&] { return base_->GetChildren(dir, names); });
  }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return Call(FsOp::kStat, path, [&] { return base_->GetFileSize(path, size); });
  }
  Status RemoveFile(const std::string& path) override {
    return Call(FsOp::kDelete, path, [&] { return base_->RemoveFile(path); });
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return Call(FsOp::kCreateDir, dir, [&] { return base_->CreateDirIfMissing(dir); });
  }
  Status RemoveDir(const std::string& dir) override {
    return Call(FsOp::kDelete, dir, [&] { return base_->RemoveDir(dir); });
  }
  Status RenameFile(const std::string& src, const std::string& target) override {
    // Reported under the source, as FaultInjectionFileSystem names it in its errors.
    return Call(FsOp::kRename, src, [&] { return base_->RenameFile(src, target); });
  }
  Status SyncDir(const std::string& dir) override {
    return Call(FsOp::kDirSync, dir, [&] { return base_->SyncDir(dir); });
  }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return Call(FsOp::kLock, path, [&] { return base_->LockFile(path, lock); });
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::shared_ptr<const BeforeHook> before;
    std::shared_ptr<const AfterHook> after;
    std::shared_ptr<const AppendFilter> append_filter;
    std::vector<std::string> retried_sync_paths;
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> syncs_after_failed_sync{0};

    template <typename Fn>
    Status Call(FsOp op, const std::string& path, Fn&& fn) {
      std::shared_ptr<const BeforeHook> b;
      std::shared_ptr<const AfterHook> a;
      {
        std::lock_guard<std::mutex> lock(mu);
        b = before;
        a = after;
      }
      calls.fetch_add(1);
      if (b) (*b)(op, path);
      Status s = fn();
      if (a) (*a)(op, path, s);
      return s;
    }
    std::shared_ptr<const AppendFilter> Filter() {
      std::lock_guard<std::mutex> lock(mu);
      return append_filter;
    }
  };

  class SeqFile final : public SequentialFile {
   public:
    SeqFile(std::shared_ptr<State> st, std::string path, std::unique_ptr<SequentialFile> base)
        : st_(std::move(st)), path_(std::move(path)), base_(std::move(base)) {}
    Status Read(size_t n, std::string_view* result, char* scratch) override {
      return st_->Call(FsOp::kRead, path_, [&] { return base_->Read(n, result, scratch); });
    }
    Status Skip(uint64_t n) override {
      return st_->Call(FsOp::kRead, path_, [&] { return base_->Skip(n); });
    }

   private:
    const std::shared_ptr<State> st_;
    const std::string path_;
    const std::unique_ptr<SequentialFile> base_;
  };

  class RandFile final : public RandomAccessFile {
   public:
    RandFile(std::shared_ptr<State> st, std::string path, std::unique_ptr<RandomAccessFile> base)
        : st_(std::move(st)), path_(std::move(path)), base_(std::move(base)) {}
    Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
      return st_->Call(FsOp::kRead, path_, [&] { return base_->Read(offset, n, result, scratch); });
    }

   private:
    const std::shared_ptr<State> st_;
    const std::string path_;
    const std::unique_ptr<RandomAccessFile> base_;
  };

  class WriteFile final : public WritableFile {
   public:
    WriteFile(std::shared_ptr<State> st, std::string path, std::unique_ptr<WritableFile> base)
        : st_(std::move(st)), path_(std::move(path)), base_(std::move(base)) {}
    ~WriteFile() override {
      if (!closed_) {
        st_->Call(FsOp::kClose, path_,
                  [&] {
                    base_.reset();
                    return Status::OK();
                  })
            .PermitUncheckedError();
      }
    }
    Status Append(std::string_view data) override {
      return st_->Call(FsOp::kWrite, path_, [&] {
        if (std::shared_ptr<const AppendFilter> filter = st_->Filter()) {
          std::string copy(data);
          (*filter)(path_, &copy);
          return base_->Append(copy);
        }
        return base_->Append(data);
      });
    }
    Status Flush() override {
      return st_->Call(FsOp::kWrite, path_, [&] { return base_->Flush(); });
    }
    Status Sync() override {
      return st_->Call(FsOp::kSync, path_, [&] {
        if (sync_failed_) {
          st_->syncs_after_failed_sync.fetch_add(1);
          std::lock_guard<std::mutex> lock(st_->mu);
          st_->retried_sync_paths.push_back(path_);
        }
        Status s = base_->Sync();
        if (!s.ok()) sync_failed_ = true;
        return s;
      });
    }
    Status Close() override {
      closed_ = true;
      return st_->Call(FsOp::kClose, path_, [&] { return base_->Close(); });
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    const std::shared_ptr<State> st_;
    const std::string path_;
    std::unique_ptr<WritableFile> base_;
    bool sync_failed_ = false;
    bool closed_ = false;
  };

  template <typename Fn>
  Status Call(FsOp op, const std::string& path, Fn&& fn) {
    return state_->Call(op, path, std::forward<Fn>(fn));
  }

  const std::shared_ptr<FileSystem> base_;
  const std::shared_ptr<State> state_;
};

}  // namespace strata::test
