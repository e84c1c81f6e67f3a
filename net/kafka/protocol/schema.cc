#include "net/kafka/protocol/schema.h"

namespace millstream::net::kafka {

std::string FieldPath::Format(std::string_view leaf) const {
  std::string out;
  for (const Part& p : parts_) {
    if (!out.empty()) out += '.';
    out += p.name;
    if (p.index >= 0) out += "[" + std::to_string(p.index) + "]";
  }
  if (!leaf.empty()) {
    if (!out.empty()) out += '.';
    out += leaf;
  }
  return out;
}

}  // namespace millstream::net::kafka
