#include "fs/mem_fs.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

namespace strata {

// Regular files keep their bytes under their own mutex so that handles never need the file
// system's lock. Directory fields are guarded by the owning MemFileSystem's mu_ (not expressible
// as an annotation here).
struct MemFileSystem::Node {
  using Change = std::vector<std::pair<std::string, NodePtr>>;  // name -> node; null removes

  explicit Node(bool dir) : is_dir(dir) {}

  const bool is_dir;

  Mutex mu;
  std::string data GUARDED_BY(mu);          // what the OS holds: flushed bytes
  uint64_t synced_size GUARDED_BY(mu) = 0;  // data[0, synced_size) is durable

  std::map<std::string, NodePtr> children;         // the entries now
  std::map<std::string, NodePtr> synced_children;  // the entries as of the last SyncDir
  std::vector<Change> unsynced_changes;            // made since the last SyncDir, oldest first
};

struct MemFileSystem::LockTable {
  Mutex mu;
  std::set<const Node*> held GUARDED_BY(mu);
};

struct MemFileSystem::Resolved {
  std::vector<std::string> parts;  // the normalized components of the path
  NodePtr parent;                  // the directory holding the last component
  std::string name;                // the last component
  NodePtr node;                    // the node named, or null if there is none
};

namespace {

using Node = MemFileSystem::Node;
using NodePtr = MemFileSystem::NodePtr;

// Components of a '/'-separated path: empty and "." components dropped, ".." going up (never
// above the root). Relative paths are taken from the root.
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    start = end + 1;
  }
  return parts;
}

Status Error(const std::string& path, std::string_view op, std::string_view what) {
  return Status::IOError(path, std::string(op) + ": " + std::string(what));
}

Status NoSuchFile(const std::string& path, std::string_view op) {
  return Status::NotFound(path, std::string(op) + ": No such file or directory");
}

void ApplyChange(const Node::Change& change, std::map<std::string, NodePtr>* entries) {
  for (const auto& [name, node] : change) {
    if (node == nullptr) {
      entries->erase(name);
    } else {
      (*entries)[name] = node;
    }
  }
}

// Copies up to n bytes of the file at offset into scratch; returns how many.
size_t CopyOut(Node* file, uint64_t offset, size_t n, char* scratch) {
  MutexLock l(&file->mu);
  const size_t size = file->data.size();
  const size_t len = offset < size ? static_cast<size_t>(std::min<uint64_t>(n, size - offset)) : 0;
  if (len > 0) std::memcpy(scratch, file->data.data() + offset, len);
  return len;
}

class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(NodePtr node) : node_(std::move(node)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    const size_t len = CopyOut(node_.get(), pos_, n, scratch);
    pos_ += len;
    *result = std::string_view(scratch, len);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    MutexLock l(&node_->mu);
    const uint64_t end = std::max<uint64_t>(pos_, node_->data.size());
    pos_ = n > end - pos_ ? end : pos_ + n;
    return Status::OK();
  }

 private:
  const NodePtr node_;
  uint64_t pos_ = 0;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(NodePtr node) : node_(std::move(node)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    *result = std::string_view(scratch, CopyOut(node_.get(), offset, n, scratch));
    return Status::OK();
  }

 private:
  const NodePtr node_;
};

// Appends stay in the handle until Flush/Sync/Close, like a user-space buffer: a crash clone
// (and a reader) never sees them before. Unlike the POSIX file the buffer has no size limit, so
// code that forgets to Flush before it expects the data to be visible fails here reliably.
class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, NodePtr node)
      : path_(std::move(path)), node_(std::move(node)) {}
  ~MemWritableFile() override {
    if (!closed_) Close().PermitUncheckedError();
  }

  Status Append(std::string_view data) override {
    if (closed_) return Error(path_, "append", "file is closed");
    pending_.append(data);
    size_ += data.size();
    return Status::OK();
  }

  Status Flush() override {
    if (closed_) return Error(path_, "flush", "file is closed");
    FlushPending();
    return Status::OK();
  }

  Status Sync() override {
    if (closed_) return Error(path_, "sync", "file is closed");
    FlushPending();
    MutexLock l(&node_->mu);
    node_->synced_size = node_->data.size();
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return Error(path_, "close", "file already closed");
    FlushPending();
    closed_ = true;
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  void FlushPending() {
    if (pending_.empty()) return;
    MutexLock l(&node_->mu);
    node_->data.append(pending_);
    pending_.clear();
  }

  const std::string path_;
  const NodePtr node_;
  std::string pending_;
  uint64_t size_ = 0;
  bool closed_ = false;
};

// Rejects the renames POSIX rejects. REQUIRES: src.node != null.
Status CheckRename(const std::string& src_path, std::string_view op,
                   const MemFileSystem::Resolved& src, const MemFileSystem::Resolved& target) {
  if (!src.node->is_dir) {
    if (target.node != nullptr && target.node->is_dir) return Error(src_path, op, "Is a directory");
    return Status::OK();
  }
  if (target.node != nullptr) {
    if (!target.node->is_dir) return Error(src_path, op, "Not a directory");
    if (!target.node->children.empty()) return Error(src_path, op, "Directory not empty");
  }
  if (target.parts.size() > src.parts.size() &&
      std::equal(src.parts.begin(), src.parts.end(), target.parts.begin())) {
    return Error(src_path, op, "Invalid argument (target inside source)");
  }
  return Status::OK();
}

// Builds the post-crash copy of a tree. REQUIRES: the source file system's mu_ held.
class CrashCloner {
 public:
  explicit CrashCloner(const CrashOptions& options) : options_(options), rnd_(options.seed) {}

  NodePtr CopyDir(const Node& dir) {
    auto copy = std::make_shared<Node>(/*dir=*/true);
    copies_[&dir] = copy;
    std::map<std::string, NodePtr> entries = dir.synced_children;
    const size_t kept = SurvivingDirChanges(dir.unsynced_changes.size(), options_, &rnd_);
    for (size_t i = 0; i < kept; i++) ApplyChange(dir.unsynced_changes[i], &entries);
    for (const auto& [name, child] : entries) {
      NodePtr child_copy = Copy(child);
      if (child_copy != nullptr) copy->children.emplace(name, std::move(child_copy));
    }
    copy->synced_children = copy->children;
    return copy;
  }

 private:
  NodePtr Copy(const NodePtr& node) {
    if (auto it = copies_.find(node.get()); it != copies_.end()) {
      // Two surviving names of one file are a hard link. A directory can have only one: a
      // second name can appear when unsynced directory renames are half kept; drop it (which
      // also keeps the tree free of cycles).
      return node->is_dir ? nullptr : it->second;
    }
    if (node->is_dir) return CopyDir(*node);
    std::string bytes;
    {
      MutexLock l(&node->mu);
      const std::string_view data = node->data;
      const size_t synced = std::min<uint64_t>(node->synced_size, data.size());
      bytes = SurvivingBytes(data.substr(0, synced), data.substr(synced), options_, &rnd_);
    }
    auto copy = std::make_shared<Node>(/*dir=*/false);
    {
      MutexLock l(&copy->mu);
      copy->synced_size = bytes.size();
      copy->data = std::move(bytes);
    }
    copies_[node.get()] = copy;
    return copy;
  }

  const CrashOptions options_;
  Random rnd_;
  std::map<const Node*, NodePtr> copies_;
};

// Every node reachable from root, through current, synced or pending entries.
std::vector<NodePtr> AllNodes(const NodePtr& root) {
  std::vector<NodePtr> nodes{root};
  std::set<const Node*> seen{root.get()};
  auto visit = [&](const NodePtr& n) {
    if (n != nullptr && seen.insert(n.get()).second) nodes.push_back(n);
  };
  for (size_t i = 0; i < nodes.size(); i++) {
    const NodePtr dir = nodes[i];
    if (!dir->is_dir) continue;
    for (const auto& [name, child] : dir->children) visit(child);
    for (const auto& [name, child] : dir->synced_children) visit(child);
    for (const auto& change : dir->unsynced_changes) {
      for (const auto& [name, child] : change) visit(child);
    }
  }
  return nodes;
}

}  // namespace

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<MemFileSystem::LockTable> table, NodePtr node)
      : table_(std::move(table)), node_(std::move(node)) {}
  ~MemFileLock() override {
    MutexLock l(&table_->mu);
    table_->held.erase(node_.get());
  }

 private:
  const std::shared_ptr<MemFileSystem::LockTable> table_;
  const NodePtr node_;  // keeps the inode (the lock's key) from being reused while held
};

MemFileSystem::MemFileSystem()
    : root_(std::make_shared<Node>(/*dir=*/true)), locks_(std::make_shared<LockTable>()) {}

MemFileSystem::~MemFileSystem() {
  // Half-applied directory renames can make directories refer to each other through their
  // synced entries; clearing every map breaks such cycles so that nothing leaks.
  MutexLock l(&mu_);
  for (const NodePtr& node : AllNodes(root_)) {
    node->children.clear();
    node->synced_children.clear();
    node->unsynced_changes.clear();
  }
}

Status MemFileSystem::Find(const std::string& path, std::string_view op, NodePtr* node) const {
  NodePtr cur = root_;
  for (const std::string& part : SplitPath(path)) {
    if (!cur->is_dir) return Error(path, op, "Not a directory");
    auto it = cur->children.find(part);
    if (it == cur->children.end()) return NoSuchFile(path, op);
    cur = it->second;
  }
  *node = std::move(cur);
  return Status::OK();
}

Status MemFileSystem::FindParent(const std::string& path, std::string_view op, Resolved* r) const {
  r->parts = SplitPath(path);
  if (r->parts.empty()) return Error(path, op, "Invalid argument (the root directory)");
  NodePtr cur = root_;
  for (size_t i = 0; i + 1 < r->parts.size(); i++) {
    if (!cur->is_dir) return Error(path, op, "Not a directory");
    auto it = cur->children.find(r->parts[i]);
    if (it == cur->children.end()) return NoSuchFile(path, op);
    cur = it->second;
  }
  if (!cur->is_dir) return Error(path, op, "Not a directory");
  r->name = r->parts.back();
  auto it = cur->children.find(r->name);
  r->node = it == cur->children.end() ? nullptr : it->second;
  r->parent = std::move(cur);
  return Status::OK();
}

void MemFileSystem::ChangeEntries(Node* dir, std::vector<std::pair<std::string, NodePtr>> entries) {
  ApplyChange(entries, &dir->children);
  dir->unsynced_changes.push_back(std::move(entries));
}

Status MemFileSystem::NewSequentialFile(const std::string& path,
                                        std::unique_ptr<SequentialFile>* result) {
  NodePtr node;
  {
    MutexLock l(&mu_);
    if (Status s = Find(path, "open", &node); !s.ok()) return s;
  }
  if (node->is_dir) return Error(path, "open", "Is a directory");
  *result = std::make_unique<MemSequentialFile>(std::move(node));
  return Status::OK();
}

Status MemFileSystem::NewRandomAccessFile(const std::string& path,
                                          std::unique_ptr<RandomAccessFile>* result) {
  NodePtr node;
  {
    MutexLock l(&mu_);
    if (Status s = Find(path, "open", &node); !s.ok()) return s;
  }
  if (node->is_dir) return Error(path, "open", "Is a directory");
  *result = std::make_unique<MemRandomAccessFile>(std::move(node));
  return Status::OK();
}

Status MemFileSystem::NewWritableFile(const std::string& path,
                                      std::unique_ptr<WritableFile>* result) {
  MutexLock l(&mu_);
  Resolved r;
  if (Status s = FindParent(path, "open", &r); !s.ok()) return s;
  if (r.node != nullptr) {
    if (r.node->is_dir) return Error(path, "open", "Is a directory");
    MutexLock file_lock(&r.node->mu);
    r.node->data.clear();
    r.node->data.shrink_to_fit();
    r.node->synced_size = 0;  // the truncation is durable at once (see mem_fs.h)
  } else {
    r.node = std::make_shared<Node>(/*dir=*/false);
    ChangeEntries(r.parent.get(), {{r.name, r.node}});
  }
  *result = std::make_unique<MemWritableFile>(path, std::move(r.node));
  return Status::OK();
}

Status MemFileSystem::FileExists(const std::string& path) {
  MutexLock l(&mu_);
  NodePtr node;
  // A path through a regular file does not exist either: NotFound, not IOError.
  if (Status s = Find(path, "stat", &node); !s.ok()) return Status::NotFound(s.message());
  return Status::OK();
}

Status MemFileSystem::IsDirectory(const std::string& path, bool* is_dir) {
  MutexLock l(&mu_);
  NodePtr node;
  if (Status s = Find(path, "stat", &node); !s.ok()) return s;
  *is_dir = node->is_dir;
  return Status::OK();
}

Status MemFileSystem::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  MutexLock l(&mu_);
  NodePtr node;
  if (Status s = Find(dir, "open directory", &node); !s.ok()) return s;
  if (!node->is_dir) return Error(dir, "open directory", "Not a directory");
  for (const auto& [name, child] : node->children) names->push_back(name);
  return Status::OK();
}

Status MemFileSystem::GetFileSize(const std::string& path, uint64_t* size) {
  NodePtr node;
  {
    MutexLock l(&mu_);
    if (Status s = Find(path, "stat", &node); !s.ok()) return s;
  }
  if (node->is_dir) {
    *size = 0;
    return Status::OK();
  }
  MutexLock l(&node->mu);
  *size = node->data.size();
  return Status::OK();
}

Status MemFileSystem::RemoveFile(const std::string& path) {
  MutexLock l(&mu_);
  Resolved r;
  if (Status s = FindParent(path, "unlink", &r); !s.ok()) return s;
  if (r.node == nullptr) return NoSuchFile(path, "unlink");
  if (r.node->is_dir) return Error(path, "unlink", "Is a directory");
  ChangeEntries(r.parent.get(), {{r.name, nullptr}});
  return Status::OK();
}

Status MemFileSystem::CreateDirIfMissing(const std::string& dir) {
  if (SplitPath(dir).empty()) return Status::OK();  // the root always exists
  MutexLock l(&mu_);
  Resolved r;
  if (Status s = FindParent(dir, "mkdir", &r); !s.ok()) return s;
  if (r.node != nullptr) {
    if (r.node->is_dir) return Status::OK();
    return Error(dir, "mkdir", "exists and is not a directory");
  }
  ChangeEntries(r.parent.get(), {{r.name, std::make_shared<Node>(/*dir=*/true)}});
  return Status::OK();
}

Status MemFileSystem::RemoveDir(const std::string& dir) {
  MutexLock l(&mu_);
  Resolved r;
  if (Status s = FindParent(dir, "rmdir", &r); !s.ok()) return s;
  if (r.node == nullptr) return NoSuchFile(dir, "rmdir");
  if (!r.node->is_dir) return Error(dir, "rmdir", "Not a directory");
  if (!r.node->children.empty()) return Error(dir, "rmdir", "Directory not empty");
  ChangeEntries(r.parent.get(), {{r.name, nullptr}});
  return Status::OK();
}

Status MemFileSystem::RenameFile(const std::string& src, const std::string& target) {
  const std::string op = "rename to " + target;
  MutexLock l(&mu_);
  Resolved from;
  Resolved to;
  if (Status s = FindParent(src, op, &from); !s.ok()) return s;
  if (from.node == nullptr) return NoSuchFile(src, op);
  if (Status s = FindParent(target, op, &to); !s.ok()) return s;
  if (from.parts == to.parts) return Status::OK();
  if (Status s = CheckRename(src, op, from, to); !s.ok()) return s;
  if (from.parent == to.parent) {
    // One change, so that a crash never keeps half of it.
    ChangeEntries(from.parent.get(), {{from.name, nullptr}, {to.name, from.node}});
  } else {
    ChangeEntries(from.parent.get(), {{from.name, nullptr}});
    ChangeEntries(to.parent.get(), {{to.name, from.node}});
  }
  return Status::OK();
}

Status MemFileSystem::SyncDir(const std::string& dir) {
  MutexLock l(&mu_);
  NodePtr node;
  if (Status s = Find(dir, "open directory", &node); !s.ok()) return s;
  if (!node->is_dir) return Error(dir, "open directory", "Not a directory");
  node->synced_children = node->children;
  node->unsynced_changes.clear();
  return Status::OK();
}

Status MemFileSystem::LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) {
  MutexLock l(&mu_);
  Resolved r;
  if (Status s = FindParent(path, "open lock file", &r); !s.ok()) return s;
  if (r.node == nullptr) {
    r.node = std::make_shared<Node>(/*dir=*/false);
    ChangeEntries(r.parent.get(), {{r.name, r.node}});
  } else if (r.node->is_dir) {
    return Error(path, "open lock file", "Is a directory");
  }
  {
    MutexLock table_lock(&locks_->mu);
    if (!locks_->held.insert(r.node.get()).second) return Status::Busy("lock held", path);
  }
  *lock = std::make_unique<MemFileLock>(locks_, std::move(r.node));
  return Status::OK();
}

std::shared_ptr<MemFileSystem> MemFileSystem::CrashClone(const CrashOptions& options) const {
  NodePtr root;
  {
    MutexLock l(&mu_);
    CrashCloner cloner(options);
    root = cloner.CopyDir(*root_);
  }
  auto clone = std::make_shared<MemFileSystem>();
  MutexLock l(&clone->mu_);
  clone->root_ = std::move(root);
  return clone;
}

void MemFileSystem::MarkAllDurable() {
  MutexLock l(&mu_);
  for (const NodePtr& node : AllNodes(root_)) {
    if (node->is_dir) {
      node->synced_children = node->children;
      node->unsynced_changes.clear();
    } else {
      MutexLock file_lock(&node->mu);
      node->synced_size = node->data.size();
    }
  }
}

CrashSimulation* CrashSimulation::Of(FileSystem* fs) { return dynamic_cast<MemFileSystem*>(fs); }

std::shared_ptr<FileSystem> NewMemFileSystem() { return std::make_shared<MemFileSystem>(); }

}  // namespace strata
