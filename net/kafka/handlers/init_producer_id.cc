// InitProducerId for idempotent producers (transactional_id null): a new producer
// id with epoch 0; a producer that sends its current id and epoch (v3+, KIP-360)
// keeps the id and gets the next epoch. Transactions are not supported: a request
// with a transactional id is answered INVALID_TXN_STATE.
#include "net/kafka/errors.h"
#include "net/kafka/handler.h"
#include "net/kafka/protocol/init_producer_id.h"
#include "net/kafka/respond.h"

namespace millstream::net::kafka {

Task<HandlerResult> HandleInitProducerId(RequestContext& context, ConstBytes body) {
  Result<InitProducerIdRequest> request =
      DecodeRequestBody<InitProducerIdApi>(context.header.api_version, body);
  if (!request.ok()) co_return request.status();
  InitProducerIdResponse response;
  if (request->transactional_id.has_value()) {
    response.error_code = Code(ErrorCode::kInvalidTxnState);
  } else if (request->producer_id >= 0 && request->producer_epoch >= 0 &&
             request->producer_epoch < INT16_MAX) {
    response.producer_id = request->producer_id;
    response.producer_epoch = static_cast<int16_t>(request->producer_epoch + 1);
  } else {
    Result<int64_t> id = context.broker.AllocateProducerId();
    if (id.ok()) {
      response.producer_id = *id;
      response.producer_epoch = 0;
    } else {
      response.error_code = ErrorCodeFor(id.status(), Operation::kProduce);
    }
  }
  co_return Respond<InitProducerIdApi>(context, response);
}

}  // namespace millstream::net::kafka
