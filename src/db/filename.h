// Names of the files in a DB directory (docs/format.md "Directory layout"):
//
//   CURRENT            name of the live MANIFEST, one line
//   LOCK               advisory lock held while the DB is open
//   MANIFEST-NNNNNN    log of version edits
//   NNNNNN.log         write-ahead log
//   NNNNNN.sst         sorted table
//   NNNNNN.dbtmp       temporary file (CURRENT being replaced)
//
// NNNNNN is the decimal file number, zero-padded to at least 6 digits. File numbers are unique
// within a DB and never reused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "strata/file_system.h"
#include "strata/status.h"

namespace strata {

enum class FileType { kLogFile, kLockFile, kTableFile, kDescriptorFile, kCurrentFile, kTempFile };

std::string LogFileName(std::string_view dbname, uint64_t number);
std::string TableFileName(std::string_view dbname, uint64_t number);
std::string DescriptorFileName(std::string_view dbname, uint64_t number);
std::string CurrentFileName(std::string_view dbname);
std::string LockFileName(std::string_view dbname);
std::string TempFileName(std::string_view dbname, uint64_t number);

// Parses a file name (not a path). Returns false for names strata does not own.
bool ParseFileName(std::string_view filename, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-<descriptor_number> atomically and durably: write a temp file,
// fsync it, rename it over CURRENT, fsync the directory.
Status SetCurrentFile(FileSystem* fs, std::string_view dbname, uint64_t descriptor_number);

// Writes data to a new file at path and fsyncs it (when sync) before closing.
Status WriteStringToFile(FileSystem* fs, std::string_view data, const std::string& path,
                         bool sync);
// Reads the whole file at path into *data.
Status ReadFileToString(FileSystem* fs, const std::string& path, std::string* data);

}  // namespace strata
