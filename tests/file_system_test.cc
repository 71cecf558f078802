// One harness run over every FileSystem implementation: POSIX (in a temporary directory), the
// in-memory file system, and the fault-injecting wrapper (with no faults) over each of them.
#include "strata/file_system.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fs/fault_injection_fs.h"
#include "fs/mapped_region.h"
#include "fs/mem_fs.h"
#include "testutil.h"

namespace strata {
namespace {

enum class FsKind { kPosix, kMem, kFaultOverMem, kFaultOverPosix };

std::string KindName(const testing::TestParamInfo<FsKind>& info) {
  switch (info.param) {
    case FsKind::kPosix:
      return "Posix";
    case FsKind::kMem:
      return "Mem";
    case FsKind::kFaultOverMem:
      return "FaultOverMem";
    case FsKind::kFaultOverPosix:
      return "FaultOverPosix";
  }
  return "Unknown";
}

class FileSystemTest : public testing::TestWithParam<FsKind> {
 protected:
  void SetUp() override {
    switch (GetParam()) {
      case FsKind::kPosix:
        fs_ = DefaultFileSystem();
        root_ = tmp_.path();
        break;
      case FsKind::kMem:
        fs_ = NewMemFileSystem();
        root_ = "/test";
        break;
      case FsKind::kFaultOverMem:
        fs_ = std::make_shared<FaultInjectionFileSystem>(NewMemFileSystem());
        root_ = "/test";
        break;
      case FsKind::kFaultOverPosix:
        fs_ = std::make_shared<FaultInjectionFileSystem>(DefaultFileSystem());
        root_ = tmp_.path();
        break;
    }
    ASSERT_OK(fs_->CreateDirIfMissing(root_));
  }

  std::string Path(std::string_view name) const { return root_ + "/" + std::string(name); }

  void WriteFile(const std::string& path, std::string_view data) {
    std::unique_ptr<WritableFile> file;
    ASSERT_OK(fs_->NewWritableFile(path, &file));
    ASSERT_OK(file->Append(data));
    ASSERT_OK(file->Close());
  }

  std::string ReadFile(const std::string& path) {
    std::unique_ptr<SequentialFile> file;
    Status s = fs_->NewSequentialFile(path, &file);
    if (!s.ok()) return "error: " + s.ToString();
    std::string data;
    std::string scratch(1000, '\0');
    while (true) {
      std::string_view chunk;
      s = file->Read(scratch.size(), &chunk, scratch.data());
      if (!s.ok()) return "error: " + s.ToString();
      if (chunk.empty()) return data;
      data.append(chunk);
    }
  }

  std::vector<std::string> Children(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_OK(fs_->GetChildren(dir, &names));
    std::sort(names.begin(), names.end());
    return names;
  }

  test::TempDir tmp_;
  std::shared_ptr<FileSystem> fs_;
  std::string root_;
};

TEST_P(FileSystemTest, WriteSyncCloseAndReadBack) {
  Random rnd(test::TestSeed());
  // Pieces below, around and above the POSIX buffer size exercise both of its write paths.
  std::string expected;
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(fs_->NewWritableFile(Path("data"), &file));
  for (const size_t len : {0, 1, 100, 65535, 65536, 65537, 200000, 7}) {
    const std::string piece = test::RandomBytes(&rnd, len);
    ASSERT_OK(file->Append(piece));
    expected += piece;
    ASSERT_EQ(expected.size(), file->Size());
  }
  ASSERT_OK(file->Flush());
  ASSERT_OK(file->Append("tail"));
  expected += "tail";
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Close());
  EXPECT_FALSE(file->Append("x").ok());  // closed

  uint64_t size = 0;
  ASSERT_OK(fs_->GetFileSize(Path("data"), &size));
  EXPECT_EQ(expected.size(), size);
  EXPECT_EQ(expected, ReadFile(Path("data")));

  std::unique_ptr<RandomAccessFile> random;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("data"), &random));
  std::string scratch(expected.size(), '\0');
  std::string_view result;
  ASSERT_OK(random->Read(0, expected.size(), &result, scratch.data()));
  EXPECT_EQ(expected, result);
}

TEST_P(FileSystemTest, NewWritableFileTruncatesAndEmptyFilesWork) {
  WriteFile(Path("f"), "some old contents");
  WriteFile(Path("f"), "new");
  EXPECT_EQ("new", ReadFile(Path("f")));
  WriteFile(Path("empty"), "");
  uint64_t size = 99;
  ASSERT_OK(fs_->GetFileSize(Path("empty"), &size));
  EXPECT_EQ(0u, size);
  EXPECT_EQ("", ReadFile(Path("empty")));
}

TEST_P(FileSystemTest, SequentialReadStopsAtEndOfFile) {
  WriteFile(Path("f"), "0123456789");
  std::unique_ptr<SequentialFile> file;
  ASSERT_OK(fs_->NewSequentialFile(Path("f"), &file));
  char scratch[20];
  std::string_view result;
  ASSERT_OK(file->Skip(3));
  ASSERT_OK(file->Read(2, &result, scratch));
  EXPECT_EQ("34", result);
  ASSERT_OK(file->Read(20, &result, scratch));  // short read: the end
  EXPECT_EQ("56789", result);
  ASSERT_OK(file->Read(20, &result, scratch));
  EXPECT_EQ("", result);
  ASSERT_OK(file->Skip(100));  // past the end stops at the end
  ASSERT_OK(file->Read(20, &result, scratch));
  EXPECT_EQ("", result);

  ASSERT_OK(fs_->NewSequentialFile(Path("f"), &file));
  ASSERT_OK(file->Skip(100));
  ASSERT_OK(file->Read(20, &result, scratch));
  EXPECT_EQ("", result);
}

TEST_P(FileSystemTest, RandomAccessReadsIncludingPastEnd) {
  WriteFile(Path("f"), "0123456789");
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("f"), &file));
  char scratch[20];
  std::string_view result;
  ASSERT_OK(file->Read(2, 3, &result, scratch));
  EXPECT_EQ("234", result);
  ASSERT_OK(file->Read(7, 10, &result, scratch));
  EXPECT_EQ("789", result);
  ASSERT_OK(file->Read(10, 5, &result, scratch));
  EXPECT_EQ("", result);
  ASSERT_OK(file->Read(1000, 5, &result, scratch));
  EXPECT_EQ("", result);
  ASSERT_OK(file->Read(0, 0, &result, scratch));
  EXPECT_EQ("", result);
}

TEST_P(FileSystemTest, ConcurrentRandomAccessReads) {
  Random rnd(test::TestSeed());
  const std::string contents = test::RandomBytes(&rnd, 100000);
  WriteFile(Path("f"), contents);
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("f"), &file));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Random local(test::TestSeed() + static_cast<uint64_t>(t) + 1);
      std::string scratch(5000, '\0');
      for (int i = 0; i < 500; i++) {
        const uint64_t offset = local.Uniform(contents.size() + 100);
        const size_t n = static_cast<size_t>(local.Uniform(scratch.size()));
        std::string_view result;
        const Status s = file->Read(offset, n, &result, scratch.data());
        const std::string_view want =
            offset < contents.size() ? std::string_view(contents).substr(offset, n) : "";
        if (!s.ok() || result != want) mismatches++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(0, mismatches.load());
}

TEST_P(FileSystemTest, RandomAccessFileSeesFlushedAppends) {
  std::unique_ptr<WritableFile> writer;
  ASSERT_OK(fs_->NewWritableFile(Path("f"), &writer));
  ASSERT_OK(writer->Append("hello"));
  ASSERT_OK(writer->Flush());
  std::unique_ptr<RandomAccessFile> reader;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("f"), &reader));
  char scratch[20];
  std::string_view result;
  ASSERT_OK(reader->Read(0, 20, &result, scratch));
  EXPECT_EQ("hello", result);
  ASSERT_OK(writer->Append(" world"));
  ASSERT_OK(writer->Flush());
  ASSERT_OK(reader->Read(0, 20, &result, scratch));
  EXPECT_EQ("hello world", result);
  ASSERT_OK(writer->Close());
}

// A log file: many small appends with Flush, crossing the POSIX implementation's mapping chunks;
// flushed bytes are readable at once (they are in the OS), and after Close the file holds
// exactly what was appended — no preallocated zeros.
TEST_P(FileSystemTest, LogFileAppendsAreVisibleAndCloseTrims) {
  std::unique_ptr<WritableFile> log;
  ASSERT_OK(fs_->NewLogFile(Path("log"), &log));
  Random rnd(test::TestSeed());
  std::string expected;
  while (expected.size() < (size_t{9} << 20)) {
    const std::string piece =
        test::RandomBytes(&rnd, 1 + rnd.Uniform(rnd.OneIn(50) ? 300000 : 200));
    ASSERT_OK(log->Append(piece));
    ASSERT_OK(log->Flush());
    expected += piece;
  }
  EXPECT_EQ(expected.size(), log->Size());
  std::unique_ptr<RandomAccessFile> reader;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("log"), &reader));
  std::string scratch(4096, '\0');
  std::string_view got;
  const uint64_t tail = expected.size() - 100;
  ASSERT_OK(reader->Read(tail, 100, &got, scratch.data()));
  EXPECT_EQ(expected.substr(tail), got);
  ASSERT_OK(log->Sync());
  ASSERT_OK(log->Close());
  uint64_t size = 0;
  ASSERT_OK(fs_->GetFileSize(Path("log"), &size));
  EXPECT_EQ(expected.size(), size);
  EXPECT_TRUE(ReadFile(Path("log")) == expected);
  EXPECT_FALSE(log->Append("x").ok());  // closed
}

// A memory-mapped file reads like any RandomAccessFile, including past the end and for an empty
// file; when it says it is mapped, the reads need no scratch.
TEST_P(FileSystemTest, MemoryMappedFileReads) {
  Random rnd(test::TestSeed());
  const std::string data = test::RandomBytes(&rnd, 100000);
  WriteFile(Path("f"), data);
  WriteFile(Path("empty"), "");
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_OK(fs_->NewMemoryMappedFile(Path("f"), &file));
  std::string scratch(5000, '\0');
  char* const scratch_or_null = file->IsMemoryMapped() ? nullptr : scratch.data();
  for (int i = 0; i < 200; i++) {
    const uint64_t offset = rnd.Uniform(data.size() + 10);
    const size_t n = rnd.Uniform(scratch.size());
    std::string_view got;
    ASSERT_OK(file->Read(offset, n, &got, scratch_or_null));
    const std::string expected = offset < data.size() ? data.substr(offset, n) : std::string();
    ASSERT_EQ(expected, got) << offset << " " << n;
  }
  std::unique_ptr<RandomAccessFile> empty;
  ASSERT_OK(fs_->NewMemoryMappedFile(Path("empty"), &empty));
  std::string_view got;
  ASSERT_OK(empty->Read(0, 10, &got, empty->IsMemoryMapped() ? nullptr : scratch.data()));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(fs_->NewMemoryMappedFile(Path("missing"), &file).IsNotFound());
}

TEST_P(FileSystemTest, GetChildrenListsNamesOnly) {
  EXPECT_TRUE(Children(root_).empty());
  WriteFile(Path("b"), "1");
  WriteFile(Path("a"), "2");
  ASSERT_OK(fs_->CreateDirIfMissing(Path("d")));
  WriteFile(Path("d/inner"), "3");
  EXPECT_EQ((std::vector<std::string>{"a", "b", "d"}), Children(root_));
  EXPECT_EQ((std::vector<std::string>{"inner"}), Children(Path("d")));
  std::vector<std::string> names{"stale"};
  EXPECT_TRUE(fs_->GetChildren(Path("missing"), &names).IsNotFound());
  EXPECT_FALSE(fs_->GetChildren(Path("a"), &names).ok());  // a file
}

TEST_P(FileSystemTest, FileExistsAndIsDirectory) {
  WriteFile(Path("file"), "x");
  ASSERT_OK(fs_->CreateDirIfMissing(Path("dir")));
  ASSERT_OK(fs_->FileExists(Path("file")));
  ASSERT_OK(fs_->FileExists(Path("dir")));
  EXPECT_TRUE(fs_->FileExists(Path("missing")).IsNotFound());
  EXPECT_TRUE(fs_->FileExists(Path("missing/below")).IsNotFound());
  EXPECT_TRUE(fs_->FileExists(Path("file/below")).IsNotFound());

  bool is_dir = true;
  ASSERT_OK(fs_->IsDirectory(Path("file"), &is_dir));
  EXPECT_FALSE(is_dir);
  ASSERT_OK(fs_->IsDirectory(Path("dir"), &is_dir));
  EXPECT_TRUE(is_dir);
  EXPECT_TRUE(fs_->IsDirectory(Path("missing"), &is_dir).IsNotFound());
}

TEST_P(FileSystemTest, GetFileSize) {
  WriteFile(Path("f"), std::string(12345, 'z'));
  uint64_t size = 0;
  ASSERT_OK(fs_->GetFileSize(Path("f"), &size));
  EXPECT_EQ(12345u, size);
  const Status s = fs_->GetFileSize(Path("missing"), &size);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(Path("missing"))) << s.ToString();
}

TEST_P(FileSystemTest, RenameReplacesExistingFile) {
  WriteFile(Path("old"), "old contents");
  WriteFile(Path("new"), "new contents");
  ASSERT_OK(fs_->RenameFile(Path("new"), Path("old")));
  EXPECT_EQ("new contents", ReadFile(Path("old")));
  EXPECT_TRUE(fs_->FileExists(Path("new")).IsNotFound());
  EXPECT_EQ((std::vector<std::string>{"old"}), Children(root_));

  ASSERT_OK(fs_->RenameFile(Path("old"), Path("fresh")));
  EXPECT_EQ("new contents", ReadFile(Path("fresh")));
  EXPECT_TRUE(fs_->RenameFile(Path("missing"), Path("x")).IsNotFound());
  ASSERT_OK(fs_->CreateDirIfMissing(Path("dir")));
  ASSERT_OK(fs_->RenameFile(Path("fresh"), Path("dir/moved")));
  EXPECT_EQ("new contents", ReadFile(Path("dir/moved")));
}

TEST_P(FileSystemTest, RemoveFileAndDir) {
  ASSERT_OK(fs_->CreateDirIfMissing(Path("dir")));
  WriteFile(Path("dir/f"), "x");
  EXPECT_FALSE(fs_->RemoveDir(Path("dir")).ok());   // not empty
  EXPECT_FALSE(fs_->RemoveFile(Path("dir")).ok());  // a directory
  ASSERT_OK(fs_->RemoveFile(Path("dir/f")));
  EXPECT_TRUE(fs_->FileExists(Path("dir/f")).IsNotFound());
  EXPECT_TRUE(fs_->RemoveFile(Path("dir/f")).IsNotFound());
  EXPECT_TRUE(Children(Path("dir")).empty());
  ASSERT_OK(fs_->RemoveDir(Path("dir")));
  EXPECT_TRUE(fs_->FileExists(Path("dir")).IsNotFound());
  EXPECT_TRUE(fs_->RemoveDir(Path("dir")).IsNotFound());
}

TEST_P(FileSystemTest, OpenFilesSurviveRemoval) {
  WriteFile(Path("f"), "still here");
  std::unique_ptr<RandomAccessFile> reader;
  ASSERT_OK(fs_->NewRandomAccessFile(Path("f"), &reader));
  std::unique_ptr<WritableFile> writer;
  ASSERT_OK(fs_->NewWritableFile(Path("g"), &writer));
  ASSERT_OK(fs_->RemoveFile(Path("f")));
  ASSERT_OK(fs_->RemoveFile(Path("g")));
  char scratch[20];
  std::string_view result;
  ASSERT_OK(reader->Read(0, 20, &result, scratch));
  EXPECT_EQ("still here", result);
  ASSERT_OK(writer->Append("data"));
  ASSERT_OK(writer->Sync());
  ASSERT_OK(writer->Close());
  EXPECT_TRUE(Children(root_).empty());
}

TEST_P(FileSystemTest, CreateDirIfMissing) {
  ASSERT_OK(fs_->CreateDirIfMissing(Path("d")));
  ASSERT_OK(fs_->CreateDirIfMissing(Path("d")));  // idempotent
  ASSERT_OK(fs_->CreateDirIfMissing(Path("d/e")));
  bool is_dir = false;
  ASSERT_OK(fs_->IsDirectory(Path("d/e"), &is_dir));
  EXPECT_TRUE(is_dir);
  WriteFile(Path("file"), "x");
  EXPECT_FALSE(fs_->CreateDirIfMissing(Path("file")).ok());
  EXPECT_FALSE(fs_->CreateDirIfMissing(Path("missing/child")).ok());
  ASSERT_OK(fs_->SyncDir(Path("d")));
  ASSERT_OK(fs_->SyncDir(root_));
  EXPECT_TRUE(fs_->SyncDir(Path("missing")).IsNotFound());
}

TEST_P(FileSystemTest, LockFileIsExclusiveUntilReleased) {
  std::unique_ptr<FileLock> lock;
  ASSERT_OK(fs_->LockFile(Path("LOCK"), &lock));
  ASSERT_OK(fs_->FileExists(Path("LOCK")));  // created
  std::unique_ptr<FileLock> second;
  const Status s = fs_->LockFile(Path("LOCK"), &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("lock held")) << s.ToString();
  EXPECT_EQ(nullptr, second);
  std::unique_ptr<FileLock> other;
  ASSERT_OK(fs_->LockFile(Path("OTHER"), &other));
  lock.reset();
  ASSERT_OK(fs_->LockFile(Path("LOCK"), &second));
}

TEST_P(FileSystemTest, MissingFilesAreNotFound) {
  std::unique_ptr<SequentialFile> seq;
  std::unique_ptr<RandomAccessFile> random;
  std::unique_ptr<WritableFile> writable;
  const Status s = fs_->NewSequentialFile(Path("missing"), &seq);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(Path("missing"))) << s.ToString();
  EXPECT_TRUE(fs_->NewRandomAccessFile(Path("missing"), &random).IsNotFound());
  EXPECT_TRUE(fs_->NewWritableFile(Path("missing/f"), &writable).IsNotFound());
  EXPECT_EQ(nullptr, writable);
}

INSTANTIATE_TEST_SUITE_P(AllFileSystems, FileSystemTest,
                         testing::Values(FsKind::kPosix, FsKind::kMem, FsKind::kFaultOverMem,
                                         FsKind::kFaultOverPosix),
                         KindName);

// ---- POSIX only --------------------------------------------------------------------------------

// /dev/full accepts open and fails every write with ENOSPC: the first real write error.
TEST(PosixFileSystemTest, FailedWriteBreaksTheFile) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(DefaultFileSystem()->NewWritableFile("/dev/full", &file));
  ASSERT_OK(file->Append("buffered"));  // fits the buffer: no write(2) yet
  const Status s = file->Flush();
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ("IO error: /dev/full: write: No space left on device", s.ToString());
  EXPECT_EQ(s.ToString(), file->Append("more").ToString());
  EXPECT_EQ(s.ToString(), file->Flush().ToString());
  EXPECT_EQ(s.ToString(), file->Sync().ToString());  // never retried
  EXPECT_EQ(s.ToString(), file->Close().ToString());
}

TEST(PosixFileSystemTest, LargeAppendIsWrittenDirectlyAndFailsAtOnce) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  std::unique_ptr<WritableFile> file;
  ASSERT_OK(DefaultFileSystem()->NewWritableFile("/dev/full", &file));
  EXPECT_TRUE(file->Append(std::string(1 << 20, 'x')).IsIOError());
}

// The lock is a real fcntl lock: another process cannot take it.
TEST(PosixFileSystemTest, LockIsVisibleToOtherProcesses) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/LOCK";
  std::unique_ptr<FileLock> lock;
  ASSERT_OK(DefaultFileSystem()->LockFile(path, &lock));
  // A failed second attempt, and another descriptor of the file opened and closed, must not
  // release the lock (as closing a descriptor would release a classic fcntl lock).
  std::unique_ptr<FileLock> second;
  ASSERT_TRUE(DefaultFileSystem()->LockFile(path, &second).IsBusy());
  std::unique_ptr<SequentialFile> reader;
  ASSERT_OK(DefaultFileSystem()->NewSequentialFile(path, &reader));
  reader.reset();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    struct flock request = {};
    request.l_type = F_WRLCK;
    request.l_whence = SEEK_SET;
    const int rc = fd < 0 ? -1 : fcntl(fd, F_SETLK, &request);
    _exit(rc == -1 && (errno == EAGAIN || errno == EACCES) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child could take the lock";
}

// A mapped file that shrinks under its mapping: reading the lost pages raises SIGBUS, which the
// file system's handler turns into zeros plus an IOError from MappingStatus() and every later
// Read, instead of a dead process. Pages that still exist keep their bytes.
TEST(PosixFileSystemTest, MappedPageThatCannotBeReadBecomesAnIOError) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/f";
  const long page = sysconf(_SC_PAGESIZE);
  ASSERT_GT(page, 0);
  const auto page_size = static_cast<size_t>(page);
  std::string data(3 * page_size, '\0');
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>('a' + i % 26);
  {
    std::unique_ptr<WritableFile> w;
    ASSERT_OK(DefaultFileSystem()->NewWritableFile(path, &w));
    ASSERT_OK(w->Append(data));
    ASSERT_OK(w->Close());
  }
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_OK(DefaultFileSystem()->NewMemoryMappedFile(path, &file));
  ASSERT_TRUE(file->IsMemoryMapped());
  std::string_view first_page;
  std::string_view last_page;
  ASSERT_OK(file->Read(0, page_size, &first_page, nullptr));
  ASSERT_OK(file->Read(2 * page_size, page_size, &last_page, nullptr));
  ASSERT_OK(file->MappingStatus());

  ASSERT_EQ(0, truncate(path.c_str(), static_cast<off_t>(page_size)));  // drops pages 2 and 3
  const uint64_t faults_before = mapped_region::TotalFaults();
  // volatile: every byte is really loaded from the mapping.
  const volatile char* lost = last_page.data();
  size_t nonzero = 0;
  for (size_t i = 0; i < page_size; i++) nonzero += lost[i] != 0;
  EXPECT_EQ(0u, nonzero) << "a lost page reads as zeros";
  EXPECT_EQ(faults_before + 1, mapped_region::TotalFaults());
  EXPECT_EQ(data.substr(0, page_size), std::string(first_page)) << "a kept page is unchanged";

  const Status s = file->MappingStatus();
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find(path)) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("SIGBUS")) << s.ToString();
  std::string_view got;
  EXPECT_TRUE(file->Read(0, 10, &got, nullptr).IsIOError()) << "the file stays failed";
  EXPECT_TRUE(got.empty());

  // A new mapping of the file (now one page long) starts clean.
  std::unique_ptr<RandomAccessFile> again;
  ASSERT_OK(DefaultFileSystem()->NewMemoryMappedFile(path, &again));
  ASSERT_OK(again->Read(0, 2 * page_size, &got, nullptr));
  EXPECT_EQ(data.substr(0, page_size), std::string(got));
  EXPECT_OK(again->MappingStatus());
}

// A SIGBUS that is not about a strata mapping still gets the default action: strata's handler
// passes it on instead of swallowing it.
TEST(PosixFileSystemDeathTest, OtherSigbusStillKills) {
  testing::FLAGS_gtest_death_test_style = "threadsafe";
  test::TempDir tmp;
  const std::string path = tmp.path() + "/own";
  const std::string strata_path = tmp.path() + "/strata";
  EXPECT_DEATH(
      {
        // A strata mapping first, so that strata's handler is installed in this process.
        std::unique_ptr<WritableFile> w;
        if (!DefaultFileSystem()->NewWritableFile(strata_path, &w).ok()) _exit(0);
        if (!w->Append(std::string(100, 'x')).ok() || !w->Close().ok()) _exit(0);
        std::unique_ptr<RandomAccessFile> mapped;
        if (!DefaultFileSystem()->NewMemoryMappedFile(strata_path, &mapped).ok()) _exit(0);
        const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, 1 << 16) != 0) _exit(0);
        void* own = mmap(nullptr, 1 << 16, PROT_READ, MAP_SHARED, fd, 0);
        if (own == MAP_FAILED || ftruncate(fd, 0) != 0) _exit(0);
        const volatile char* p = static_cast<const char*>(own);
        std::fprintf(stderr, "read %d\n", p[100]);  // SIGBUS: not a strata mapping
        _exit(0);
      },
      "");
}

TEST(PosixFileSystemTest, ErrorsNameThePathAndOperation) {
  test::TempDir tmp;
  std::unique_ptr<WritableFile> file;
  const std::string path = tmp.path() + "/no/such/dir/f";
  const Status s = DefaultFileSystem()->NewWritableFile(path, &file);
  EXPECT_EQ("NotFound: " + path + ": open: No such file or directory", s.ToString());
  const Status r = DefaultFileSystem()->RemoveDir(tmp.path() + "/x");
  EXPECT_TRUE(r.IsNotFound()) << r.ToString();
}

}  // namespace
}  // namespace strata
