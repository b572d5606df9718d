#include "http/ResponseCounts.h"

namespace cs::http {

ResponseCounts& responseCounts() {
  static ResponseCounts counts;
  return counts;
}

}  // namespace cs::http
