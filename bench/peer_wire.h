// The little of two peers' wire protocols that bench/peer_bench needs to append
// records and count their acknowledgements: Redis RESP (XADD to a stream) and the
// NATS client protocol (publish to a JetStream stream, acks arriving on an
// inbox). Each peer is a pair of functions: one appends a request to an output
// buffer, one takes complete replies off the front of an input buffer.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

namespace millstream::bench {

// The outcome of parsing the front of an input buffer.
struct Reply {
  enum class Kind { kIncomplete, kAck, kError, kOther };
  Kind kind = Kind::kIncomplete;
  size_t consumed = 0;     // bytes of the input this reply took
  std::string_view text;   // the error's text, or the payload of kOther
};

// Redis: `XADD <stream> * v <value>`, answered by the entry id (a bulk string) or
// an error line.
inline void AppendRedisXadd(std::string& out, std::string_view stream, std::string_view value) {
  out += "*5\r\n$4\r\nXADD\r\n$" + std::to_string(stream.size()) + "\r\n";
  out += stream;
  out += "\r\n$1\r\n*\r\n$1\r\nv\r\n$" + std::to_string(value.size()) + "\r\n";
  out += value;
  out += "\r\n";
}

// Any RESP command given as its words, for set-up (DEL, CONFIG SET).
inline void AppendRedisCommand(std::string& out, std::initializer_list<std::string_view> words) {
  out += "*" + std::to_string(words.size()) + "\r\n";
  for (std::string_view w : words) {
    out += "$" + std::to_string(w.size()) + "\r\n";
    out += w;
    out += "\r\n";
  }
}

// One RESP reply: a bulk string or a simple string or integer is an ack, an error
// line an error. Arrays (which the commands used here never answer) are kOther.
inline Reply ParseRedisReply(std::string_view in) {
  size_t eol = in.find("\r\n");
  if (eol == std::string_view::npos) return {};
  std::string_view line = in.substr(1, eol - 1);
  switch (in[0]) {
    case '+':
    case ':':
      return {Reply::Kind::kAck, eol + 2, line};
    case '-':
      return {Reply::Kind::kError, eol + 2, line};
    case '$': {
      long size = std::strtol(std::string(line).c_str(), nullptr, 10);
      if (size < 0) return {Reply::Kind::kAck, eol + 2, {}};  // the null bulk string
      size_t end = eol + 2 + static_cast<size_t>(size) + 2;
      if (in.size() < end) return {};
      return {Reply::Kind::kAck, end, in.substr(eol + 2, static_cast<size_t>(size))};
    }
    default:
      return {Reply::Kind::kOther, eol + 2, line};
  }
}

// NATS: the client's hello; the server's INFO line arrives first and is skipped
// by ParseNatsReply as kOther.
inline void AppendNatsConnect(std::string& out) {
  out += "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":false,\"protocol\":1}\r\n";
}

// `PUB <subject> <reply_to> <size>`: JetStream answers a publish to a stream's
// subject with a PubAck JSON message on `reply_to`.
inline void AppendNatsPub(std::string& out, std::string_view subject, std::string_view reply_to,
                          std::string_view payload) {
  out += "PUB ";
  out += subject;
  out += ' ';
  out += reply_to;
  out += ' ' + std::to_string(payload.size()) + "\r\n";
  out += payload;
  out += "\r\n";
}

// One server message. `MSG <subject> <sid> <size>` with a payload is an ack
// unless the payload is a JetStream error ({"error":...}); PING, PONG, +OK and
// INFO are kOther (the caller answers PING with PONG), -ERR is kError.
inline Reply ParseNatsReply(std::string_view in) {
  size_t eol = in.find("\r\n");
  if (eol == std::string_view::npos) return {};
  std::string_view line = in.substr(0, eol);
  if (line.starts_with("-ERR")) return {Reply::Kind::kError, eol + 2, line};
  if (!line.starts_with("MSG ")) return {Reply::Kind::kOther, eol + 2, line};
  size_t space = line.rfind(' ');
  long size = std::strtol(std::string(line.substr(space + 1)).c_str(), nullptr, 10);
  if (size < 0) return {Reply::Kind::kError, eol + 2, line};
  size_t end = eol + 2 + static_cast<size_t>(size) + 2;
  if (in.size() < end) return {};
  std::string_view payload = in.substr(eol + 2, static_cast<size_t>(size));
  bool error = payload.find("\"error\"") != std::string_view::npos;
  return {error ? Reply::Kind::kError : Reply::Kind::kAck, end, payload};
}

}  // namespace millstream::bench
