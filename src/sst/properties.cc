#include "sst/properties.h"

#include <array>

#include "sst/block_builder.h"
#include "util/coding.h"

namespace strata {
namespace {

struct PropertyField {
  std::string_view name;
  uint64_t TableProperties::*field;
};

// Persisted names, in bytewise order (a block's keys must increase).
constexpr std::array<PropertyField, 10> kFields = {{
    {"strata.data.bytes", &TableProperties::data_bytes},
    {"strata.filter.bytes", &TableProperties::filter_bytes},
    {"strata.index.bytes", &TableProperties::index_bytes},
    {"strata.num.data.blocks", &TableProperties::num_data_blocks},
    {"strata.num.deletions", &TableProperties::num_deletions},
    {"strata.num.entries", &TableProperties::num_entries},
    {"strata.raw.key.bytes", &TableProperties::raw_key_bytes},
    {"strata.raw.value.bytes", &TableProperties::raw_value_bytes},
    {"strata.seqno.largest", &TableProperties::largest_seqno},
    {"strata.seqno.smallest", &TableProperties::smallest_seqno},
}};

constexpr bool FieldsSorted() {
  for (size_t i = 1; i < kFields.size(); i++) {
    if (!(kFields[i - 1].name < kFields[i].name)) return false;
  }
  return true;
}
static_assert(FieldsSorted(), "property names must be in bytewise order");

}  // namespace

std::string EncodeProperties(const TableProperties& props) {
  // Read once, front to back, at Open: prefix compression (of "strata.") is all that matters.
  BlockBuilder builder(16);
  std::string value;
  for (const PropertyField& f : kFields) {
    value.clear();
    PutVarint64(&value, props.*(f.field));
    builder.Add(f.name, value);
  }
  return std::string(builder.Finish());
}

Status DecodeProperties(const Block& block, std::string_view file_name, TableProperties* props) {
  BlockIter it(BytewiseComparator(), &block);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    for (const PropertyField& f : kFields) {
      if (it.key() != f.name) continue;
      std::string_view in = it.value();
      uint64_t v = 0;
      if (!GetVarint64(&in, &v) || !in.empty()) {
        return Status::Corruption(file_name, "bad value of table property " + std::string(f.name));
      }
      props->*(f.field) = v;
      break;
    }
  }
  return it.status();
}

}  // namespace strata
