#include "db/filename.h"

#include <cstdio>

namespace strata {

static std::string MakeFileName(std::string_view dbname, uint64_t number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return std::string(dbname) + buf;
}

std::string LogFileName(std::string_view dbname, uint64_t number) {
  return MakeFileName(dbname, number, "log");
}

std::string TableFileName(std::string_view dbname, uint64_t number) {
  return MakeFileName(dbname, number, "sst");
}

std::string DescriptorFileName(std::string_view dbname, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06llu", static_cast<unsigned long long>(number));
  return std::string(dbname) + buf;
}

std::string CurrentFileName(std::string_view dbname) { return std::string(dbname) + "/CURRENT"; }

std::string LockFileName(std::string_view dbname) { return std::string(dbname) + "/LOCK"; }

std::string TempFileName(std::string_view dbname, uint64_t number) {
  return MakeFileName(dbname, number, "dbtmp");
}

// Parses a decimal number that fills `digits` exactly. No sign, no overflow.
static bool ParseNumber(std::string_view digits, uint64_t* number) {
  if (digits.empty() || digits.size() > 20) return false;
  uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *number = v;
  return true;
}

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrentFile;
    return true;
  }
  if (name == "LOCK") {
    *number = 0;
    *type = FileType::kLockFile;
    return true;
  }
  constexpr std::string_view kManifestPrefix = "MANIFEST-";
  if (name.starts_with(kManifestPrefix)) {
    *type = FileType::kDescriptorFile;
    return ParseNumber(name.substr(kManifestPrefix.size()), number);
  }
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view suffix = name.substr(dot + 1);
  if (suffix == "log") {
    *type = FileType::kLogFile;
  } else if (suffix == "sst") {
    *type = FileType::kTableFile;
  } else if (suffix == "dbtmp") {
    *type = FileType::kTempFile;
  } else {
    return false;
  }
  return ParseNumber(name.substr(0, dot), number);
}

Status WriteStringToFile(FileSystem* fs, std::string_view data, const std::string& path,
                         bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  const Status close_status = file->Close();
  if (s.ok()) s = close_status;
  if (!s.ok()) fs->RemoveFile(path).PermitUncheckedError();
  return s;
}

Status ReadFileToString(FileSystem* fs, const std::string& path, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = fs->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  constexpr size_t kBufferSize = 8192;
  std::string scratch(kBufferSize, '\0');
  while (true) {
    std::string_view fragment;
    s = file->Read(kBufferSize, &fragment, scratch.data());
    if (!s.ok()) return s;
    if (fragment.empty()) break;
    data->append(fragment.data(), fragment.size());
  }
  return s;
}

Status SetCurrentFile(FileSystem* fs, std::string_view dbname, uint64_t descriptor_number) {
  // CURRENT holds the MANIFEST's name (not path) and a newline.
  std::string manifest = DescriptorFileName(dbname, descriptor_number);
  std::string_view contents = manifest;
  contents.remove_prefix(dbname.size() + 1);
  const std::string tmp = TempFileName(dbname, descriptor_number);
  Status s = WriteStringToFile(fs, std::string(contents) + "\n", tmp, /*sync=*/true);
  if (s.ok()) s = fs->RenameFile(tmp, CurrentFileName(dbname));
  if (s.ok()) {
    s = fs->SyncDir(std::string(dbname));
  } else {
    fs->RemoveFile(tmp).PermitUncheckedError();
  }
  return s;
}

}  // namespace strata
