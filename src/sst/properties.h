// The metaindex and properties blocks of an SST (docs/format.md (Part III) "Metaindex block",
// "Properties block"). Both are ordinary blocks (sst/block_builder.h) with bytewise-ordered keys:
//   metaindex:  block name -> BlockHandle of that block
//   properties: property name -> varint64 value
// Readers ignore names they do not know, so later versions may add entries.
#pragma once

#include <string>
#include <string_view>

#include "sst/block.h"
#include "sst/table.h"
#include "strata/status.h"

namespace strata {

// Metaindex entry names.
inline constexpr std::string_view kFilterBlockName = "strata.filter.bloom";
inline constexpr std::string_view kPropertiesBlockName = "strata.properties";

// The contents of a properties block holding every field of props.
std::string EncodeProperties(const TableProperties& props);

// Reads the known properties of a properties block into *props (unknown names are skipped).
// Corruption (naming file_name) if an entry of a known name does not hold exactly one varint64.
Status DecodeProperties(const Block& block, std::string_view file_name, TableProperties* props);

}  // namespace strata
