#include "bench/engine.h"

namespace strata::bench {

std::vector<std::string> AvailableEngines() {
  std::vector<std::string> names;
#ifdef STRATA_BENCH_HAVE_STRATA
  names.emplace_back("strata");
#endif
#ifdef STRATA_BENCH_HAVE_LEVELDB
  names.emplace_back("leveldb");
#endif
#ifdef STRATA_BENCH_HAVE_ROCKSDB
  names.emplace_back("rocksdb");
#endif
  return names;
}

std::unique_ptr<Engine> NewEngine(std::string_view name, std::string* error) {
  if (name == "strata") {
#ifdef STRATA_BENCH_HAVE_STRATA
    return NewStrataEngine();
#else
    *error = "this strata_bench was built without the strata engine (STRATA_BENCH_WITH_STRATA=OFF)";
    return nullptr;
#endif
  }
  if (name == "leveldb") {
#ifdef STRATA_BENCH_HAVE_LEVELDB
    return NewLevelDBEngine();
#else
    *error =
        "this strata_bench was built without LevelDB: its CMake package (leveldb::leveldb) was "
        "not found at configure time; install libleveldb-dev and re-run cmake";
    return nullptr;
#endif
  }
  if (name == "rocksdb") {
#ifdef STRATA_BENCH_HAVE_ROCKSDB
    return NewRocksDBEngine();
#else
    *error =
        "this strata_bench was built without RocksDB: neither its CMake package (RocksDB) nor "
        "pkg-config rocksdb was found at configure time; install librocksdb-dev and re-run cmake";
    return nullptr;
#endif
  }
  *error = "unknown engine '" + std::string(name) + "' (expected strata, leveldb or rocksdb)";
  return nullptr;
}

}  // namespace strata::bench
