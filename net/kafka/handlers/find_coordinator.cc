// FindCoordinator: a single broker coordinates every group, so the answer is
// this broker's advertised address. Transactions are not supported: a lookup of
// a transaction coordinator (key_type 1) gets COORDINATOR_NOT_AVAILABLE.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/find_coordinator.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleFindCoordinator(RequestContext& context, ConstBytes body) {
  Result<FindCoordinatorRequest> request =
      DecodeRequestBody<FindCoordinatorApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  FindCoordinatorResponse response;
  if (request->key_type != kCoordinatorKeyTypeGroup) {
    response.error_code = Code(ErrorCode::kCoordinatorNotAvailable);
    response.error_message = "transactions are not supported";
  } else {
    response.node_id = context.server.node_id;
    response.host = context.server.advertised_host;
    response.port = context.server.advertised_port;
  }
  co_return Respond<FindCoordinatorApi>(context, response);
}

}  // namespace millstream::net::kafka
